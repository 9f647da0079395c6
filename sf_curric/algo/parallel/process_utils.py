"""Process start and stop helpers: spawn context, parent-death signal, terminating a process list."""

import ctypes
import ctypes.util
import logging
import multiprocessing
import os
import signal
import time
from typing import Iterable

log = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1


def spawn_context() -> multiprocessing.context.SpawnContext:
    """The only start method used: spawn, so that workers never inherit a CUDA context or locks."""
    return multiprocessing.get_context("spawn")


def die_with_parent(parent_pid: int) -> None:
    """Ask Linux to SIGTERM this process when its parent dies (no orphans after a SIGKILL of the runner).

    Args:
        parent_pid: pid of the process that started us; if it already died (before the request could be
            made), exit now.
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


def parent_alive(parent_pid: int) -> bool:
    """True while the process that started us is still our parent."""
    return os.getppid() == parent_pid


def stop_processes(processes: Iterable[multiprocessing.process.BaseProcess], timeout: float = 5.0) -> None:
    """Join processes, escalating to SIGTERM and then SIGKILL for those that do not exit in time.

    Args:
        processes: started processes (already asked to stop through the shared stop flag).
        timeout: seconds to wait for a clean exit before escalating.
    """
    processes = [p for p in processes if p.pid is not None]
    deadline = time.monotonic() + timeout
    for p in processes:
        p.join(max(0.0, deadline - time.monotonic()))
    for sig_name, join_s in (("terminate", 2.0), ("kill", 2.0)):
        alive = [p for p in processes if p.is_alive()]
        if not alive:
            break
        log.warning("%d worker process(es) did not exit in time: %s", len(alive), sig_name)
        for p in alive:
            getattr(p, sig_name)()
        for p in alive:
            p.join(join_s)
    for p in processes:
        p.close()
