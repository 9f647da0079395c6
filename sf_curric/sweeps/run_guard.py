"""The process between the launcher and a run: `python run_guard.py LOCK_FILE -- COMMAND...` (standard library only,
so that it starts fast and imports nothing of the run's).

It passes a stop on to the run exactly once. A run started straight from a Ray worker got SIGTERM three times when
its worker died (the parent-death signal once per dying thread of the multi-threaded worker, then the raylet's
kill of the worker's process group), and `sf_curric.train` stops without saving on a second signal. This process
is single-threaded and in a session of its own (the launcher starts it so: outside the worker's process group,
and outside the terminal's, whose Ctrl-C the launcher passes on itself); whatever number of SIGTERM/SIGINT it
gets, the run gets one SIGTERM, and one parent-death SIGTERM if this process is killed outright.

Before it starts the run it waits for the experiment's lock file (sf_curric.utils.run_lock) to be free: a run that
Ray restarts after losing its worker must not start while the lost run is still saving its checkpoint.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import signal
import subprocess
import sys
import time

_PR_SET_PDEATHSIG = 1
LOCK_WAIT_SEC = 600.0


def die_with_parent() -> None:
    """Linux: this process gets SIGTERM when the thread that started it ends (a `preexec_fn`)."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def wait_until_unlocked(path: str, timeout: float) -> None:
    """Wait until no process holds the `flock` on `path` (returns at once when the file does not exist)."""
    if not os.path.exists(path):
        return
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return  # os.close below releases it; the run takes it again
            except BlockingIOError:
                if time.monotonic() > deadline:
                    return  # the run itself then says who holds it
                time.sleep(0.5)
    finally:
        os.close(fd)


def main(argv: list[str]) -> int:
    """Wait for the lock, run the command, pass on one stop; exit with the command's status."""
    lock, sep, command = argv[0], argv[1], argv[2:]
    if sep != "--" or not command:
        raise SystemExit("usage: run_guard.py LOCK_FILE -- COMMAND...")
    state: dict = {"proc": None, "stop": False}

    def on_signal(signum, frame) -> None:
        if not state["stop"]:
            state["stop"] = True
            if state["proc"] is not None:
                state["proc"].terminate()

    for s in (signal.SIGTERM, signal.SIGINT):
        signal.signal(s, on_signal)
    wait_until_unlocked(lock, LOCK_WAIT_SEC)
    if state["stop"]:
        return 143  # stopped before the run started (128 + SIGTERM)
    state["proc"] = subprocess.Popen(command, preexec_fn=die_with_parent)
    if state["stop"]:  # the signal came while the process started
        state["proc"].terminate()
    code = state["proc"].wait()
    return 128 - code if code < 0 else code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
