"""The local backend: N runs at a time on this machine, each a child process, all started from the main thread."""

from __future__ import annotations

import os
import signal
import time
from typing import Any, Callable, Sequence

from sf_curric.sweeps.run_description import RunSpec
from sf_curric.sweeps.run_one import RunHeld, RunOutcome, claim_run, finish_run, held_outcome, is_done, start_run

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
    running: list[tuple[RunSpec, Any, float, int]] = []  # spec, process, start time, claim (run_one.claim_run)
    stopping = []

    def on_signal(signum: int, frame: Any) -> None:
        if not stopping:
            stopping.append(signum)
            for _, proc, _, _ in running:
                proc.terminate()  # once: a second SIGTERM would make sf_curric.train stop without saving

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        while todo or running:
            while todo and len(running) < max_parallel and not stopping:
                spec = todo.pop(0)
                outcome = _claim_or_skip(spec)
                if isinstance(outcome, RunOutcome):  # another launcher holds it or just finished it
                    outcomes[spec.name] = outcome
                    report(outcome)
                    continue
                running.append((spec, start_run(spec, threads), time.monotonic(), outcome))
            if stopping:
                for spec in todo:
                    outcomes[spec.name] = RunOutcome(spec.name, "stopped", None, 0.0)
                todo = []
            time.sleep(_POLL_SEC)
            for item in list(running):
                spec, proc, started, claim = item
                if proc.poll() is not None:
                    running.remove(item)
                    outcome = finish_run(spec, proc.returncode, time.monotonic() - started, bool(stopping))
                    os.close(claim)
                    outcomes[spec.name] = outcome
                    report(outcome)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    return [outcomes[spec.name] for spec in runs]


def _claim_or_skip(spec: RunSpec) -> int | RunOutcome:
    """The run's claim, or its outcome when another launcher holds it or finished it meanwhile."""
    try:
        claim = claim_run(spec)
    except RunHeld as held:
        return held_outcome(spec, held)
    if is_done(spec.exp_dir):
        os.close(claim)
        return RunOutcome(spec.name, "skipped", None, 0.0)
    return claim
