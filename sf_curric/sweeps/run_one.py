"""One run of a sweep as a child process: its log, its completion marker, and what a re-launch does with it.

A run is *finished* when its command exited with status 0 while nobody asked it to stop; the launcher then writes
`sweep_done.json` in its experiment folder and a re-launch skips it. Any other run is started again with the same
command line; `sf_curric.train` resumes from the newest checkpoint in the same experiment folder
(`--restart_behavior=resume`, its default).
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable, NamedTuple

from sf_curric.sweeps.run_description import RunSpec, write_run_info

DONE_FILE = "sweep_done.json"
LOG_FILE = "sweep_stdout.log"
_PR_SET_PDEATHSIG = 1
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])  # the folder that holds sf_curric/


class RunOutcome(NamedTuple):
    """How one run ended in this launch.

    Attributes:
        name: the run's name.
        status: "done", "skipped" (finished in an earlier launch), "failed" or "stopped" (the launcher stopped).
        returncode: the child's exit status (None when skipped).
        seconds: wall seconds of the child.
    """

    name: str
    status: str
    returncode: int | None
    seconds: float


def is_done(exp_dir: Path) -> bool:
    """Whether the run in `exp_dir` finished in an earlier launch."""
    return (exp_dir / DONE_FILE).exists()


def _die_with_parent() -> None:
    # Linux: the child gets SIGTERM when the thread that started it dies (launcher killed, Ray worker lost), so it
    # saves a checkpoint and stops instead of training on as an orphan.
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def child_env(spec: RunSpec, threads: int) -> dict[str, str]:
    """The child's environment: thread counts capped so that parallel runs do not fight over cores."""
    env = dict(os.environ)
    env.update({k: str(threads) for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")})
    env["PYTHONPATH"] = os.pathsep.join(p for p in (_PACKAGE_ROOT, env.get("PYTHONPATH", "")) if p)
    env.update(spec.env_vars)
    return env


def run_one(
    spec: RunSpec,
    threads: int,
    stopping: Callable[[], bool] = lambda: False,
    on_start: Callable[[subprocess.Popen], None] | None = None,
) -> RunOutcome:
    """Run `spec` to its end unless it finished earlier; write the completion marker when it finishes.

    Args:
        spec: the run.
        threads: CPU threads the run may use (OMP/MKL/OpenBLAS).
        stopping: returns True once the launcher was asked to stop (then a child's exit is not a finish).
        on_start: called with the child process (the launcher keeps it to forward a stop).
    """
    if is_done(spec.exp_dir):
        return RunOutcome(spec.name, "skipped", None, 0.0)
    write_run_info(spec)
    start = time.monotonic()
    with open(spec.exp_dir / LOG_FILE, "ab") as log_file:
        log_file.write(f"\n==== {time.strftime('%Y-%m-%d %H:%M:%S')} {' '.join(spec.argv)}\n".encode())
        log_file.flush()
        proc = subprocess.Popen(
            list(spec.argv),
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env=child_env(spec, threads),
            preexec_fn=_die_with_parent,
        )
        if on_start is not None:
            on_start(proc)
        returncode = proc.wait()
    seconds = time.monotonic() - start
    if stopping():
        return RunOutcome(spec.name, "stopped", returncode, seconds)
    if returncode != 0:
        return RunOutcome(spec.name, "failed", returncode, seconds)
    marker = {"returncode": 0, "seconds_last_launch": seconds, "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S")}
    tmp = spec.exp_dir / (DONE_FILE + ".tmp")
    tmp.write_text(json.dumps(marker) + "\n")
    os.replace(tmp, spec.exp_dir / DONE_FILE)
    return RunOutcome(spec.name, "done", 0, seconds)


class ChildRegistry:
    """The live children of a launcher, so that a stop request reaches each of them once (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._procs: list[subprocess.Popen] = []
        self.stopping = False

    def add(self, proc: subprocess.Popen) -> None:
        """Keep `proc`; stop it at once when a stop was already requested."""
        with self._lock:
            self._procs.append(proc)
            if self.stopping:
                proc.terminate()

    def stop_all(self) -> None:
        """SIGTERM every live child: each saves a checkpoint and exits."""
        with self._lock:
            self.stopping = True
            for proc in self._procs:
                if proc.poll() is None:
                    proc.terminate()
