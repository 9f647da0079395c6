"""The local backend: N runs at a time on this machine, each a child process, all started from the main thread."""

from __future__ import annotations

import signal
import time
from typing import Any, Callable, Sequence

from sf_curric.sweeps.run_description import RunSpec
from sf_curric.sweeps.run_one import RunOutcome, finish_run, is_done, start_run

_POLL_SEC = 0.2


def run_local(
    runs: Sequence[RunSpec], max_parallel: int, threads: int, report: Callable[[RunOutcome], None]
) -> list[RunOutcome]:
    """Run `runs`, `max_parallel` at a time; SIGINT/SIGTERM stops the children (each saves a checkpoint).

    Call from the main thread (see `start_run`).

    Args:
        runs: the sweep's runs (finished ones are skipped).
        max_parallel: runs at the same time.
        threads: CPU threads per run.
        report: called with each run's outcome as it ends.
    """
    outcomes: dict[str, RunOutcome] = {}
    todo = []
    for spec in runs:
        if is_done(spec.exp_dir):
            outcomes[spec.name] = RunOutcome(spec.name, "skipped", None, 0.0)
        else:
            todo.append(spec)
    running: list[tuple[RunSpec, Any, float]] = []
    stopping = []

    def on_signal(signum: int, frame: Any) -> None:
        if not stopping:
            stopping.append(signum)
            for _, proc, _ in running:
                proc.terminate()  # once: a second SIGTERM would make sf_curric.train stop without saving

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        while todo or running:
            while todo and len(running) < max_parallel and not stopping:
                spec = todo.pop(0)
                running.append((spec, start_run(spec, threads), time.monotonic()))
            if stopping:
                for spec in todo:
                    outcomes[spec.name] = RunOutcome(spec.name, "stopped", None, 0.0)
                todo = []
            time.sleep(_POLL_SEC)
            for item in list(running):
                spec, proc, started = item
                if proc.poll() is not None:
                    running.remove(item)
                    outcome = finish_run(spec, proc.returncode, time.monotonic() - started, bool(stopping))
                    outcomes[spec.name] = outcome
                    report(outcome)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    return [outcomes[spec.name] for spec in runs]
