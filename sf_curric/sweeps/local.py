"""The local backend: N runs at a time on this machine, each a child process."""

from __future__ import annotations

import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Sequence

from sf_curric.sweeps.run_description import RunSpec
from sf_curric.sweeps.run_one import ChildRegistry, RunOutcome, run_one


def run_local(
    runs: Sequence[RunSpec], max_parallel: int, threads: int, report: Callable[[RunOutcome], None]
) -> list[RunOutcome]:
    """Run `runs`, `max_parallel` at a time; SIGINT/SIGTERM stops the children (each saves a checkpoint).

    Args:
        runs: the sweep's runs (finished ones are skipped).
        max_parallel: runs at the same time.
        threads: CPU threads per run.
        report: called with each run's outcome as it ends.
    """
    children = ChildRegistry()

    def one(spec: RunSpec) -> RunOutcome:
        if children.stopping:
            return RunOutcome(spec.name, "stopped", None, 0.0)
        outcome = run_one(spec, threads, stopping=lambda: children.stopping, on_start=children.add)
        report(outcome)
        return outcome

    def on_signal(signum: int, frame: Any) -> None:
        children.stop_all()

    in_main_thread = threading.current_thread() is threading.main_thread()  # only there can Python catch signals
    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)} if in_main_thread else {}
    try:
        with ThreadPoolExecutor(max_workers=max_parallel) as pool:
            return list(pool.map(one, runs))
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
