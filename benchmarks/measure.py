"""Measuring benchmark runs: peak memory (PSS) of a process tree, CPU seconds, a subprocess run with both sampled,
and the small numeric helpers the benchmark tables share (used by throughput.py and inference_modes.py)."""

import os
import statistics
import subprocess
import threading
import time
from typing import Callable, Dict, List, Optional

import psutil


def tree_pss(proc: psutil.Process) -> int:
    """PSS in bytes summed over a process and all its descendants (0 for those that vanished)."""
    total = 0
    try:
        procs = [proc, *proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    for p in procs:
        try:
            total += p.memory_full_info().pss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return total


def run_measured(
    cmd: List[str],
    on_line: Callable[[str, float], None],
    timeout: float,
    env=None,
    should_stop: Optional[Callable[[], bool]] = None,
) -> Dict:
    """Run `cmd`, feed each output line with its time since start to `on_line`, sample PSS every 0.5 s; the process
    group is killed after `timeout` seconds or as soon as `should_stop()` is true (e.g. the target was reached).

    Returns:
        dict with `wall_s`, `peak_pss_bytes`, `returncode`, `tail` (the last output lines).
    """
    start = time.monotonic()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, start_new_session=True
    )
    ps = psutil.Process(proc.pid)
    tail: List[str] = []

    def reader() -> None:
        for line in proc.stdout:
            tail.append(line.rstrip())
            del tail[:-30]
            on_line(line, time.monotonic() - start)

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    peak, next_pss = 0, start
    while proc.poll() is None:
        if time.monotonic() >= next_pss:
            peak, next_pss = max(peak, tree_pss(ps)), time.monotonic() + 0.5
        if time.monotonic() - start > timeout or (should_stop is not None and should_stop()):
            os.killpg(proc.pid, 9)
            break
        time.sleep(0.1)
    proc.wait()
    thread.join(5)
    return {"wall_s": time.monotonic() - start, "peak_pss_bytes": peak, "returncode": proc.returncode, "tail": tail}


def median(values: List[Optional[float]]) -> Optional[float]:
    """Median of the values that are not None (None when there are none)."""
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def fmt(value: Optional[float], spec: str = ",.0f") -> str:
    """`value` formatted with `spec`, or "-" for None and NaN."""
    return "-" if value is None or value != value else format(value, spec)


def cpu_seconds(procs: List[psutil.Process]) -> float:
    """User + system CPU seconds used so far by `procs` (those that vanished count 0)."""
    total = 0.0
    for p in procs:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return total
