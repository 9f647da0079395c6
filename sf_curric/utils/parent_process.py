"""A child process that dies with its parent: the parent-death signal and the parent-pid check (rollout workers,
the evaluation process during training)."""

import ctypes
import ctypes.util
import logging
import os
import signal
import threading
import time

log = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1
WATCH_INTERVAL_S = 2.0  # how often the watchdog thread looks for the runner


def die_with_parent(parent_pid: int) -> None:
    """Ask Linux to SIGTERM this process when its OS parent dies (no orphans after a SIGKILL of the runner): the
    forkserver, which exits when the runner does, or the runner itself with spawn.

    Args:
        parent_pid: pid of the runner; if it already died (before the request could be made), exit now.
    """
    libc_name = ctypes.util.find_library("c")
    if libc_name is not None:
        try:
            libc = ctypes.CDLL(libc_name, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        except (OSError, AttributeError):
            log.debug("prctl(PR_SET_PDEATHSIG) is unavailable; relying on the parent-pid checks")
    if not parent_alive(parent_pid):
        os._exit(0)  # the parent died while this process was starting: nobody will read its results
    # The death signal follows the OS parent, the forkserver, which outlives a SIGKILLed runner as long as any child
    # lives (CPython hands each child the forkserver's alive pipe): a child whose main thread is stuck (an env that
    # hangs in step) would never look for the runner again. A daemon thread does, and ends the process.
    threading.Thread(target=_exit_after_parent, args=(parent_pid,), name="parent-watchdog", daemon=True).start()


def _exit_after_parent(parent_pid: int) -> None:
    while parent_alive(parent_pid):
        time.sleep(WATCH_INTERVAL_S)
    os._exit(0)


def parent_alive(parent_pid: int) -> bool:
    """True while the runner process `parent_pid` exists (a worker's OS parent is the forkserver, not the runner)."""
    try:
        os.kill(parent_pid, 0)
    except OSError:
        return False
    return True
