"""Process start and stop helpers: the workers' start method and terminating a process list (a child's death with
its parent: `sf_curric.utils.parent_process`)."""

import logging
import multiprocessing
import time
from typing import Iterable

log = logging.getLogger(__name__)

# imported once by the forkserver, before it forks any worker
_WORKER_PRELOAD = ["torch", "sf_curric.algo.parallel.worker"]


def worker_context() -> multiprocessing.context.BaseContext:
    """Start method of the rollout workers: forkserver, with torch and the worker module imported by the server.

    Workers fork from a server process that imported torch before any CUDA context, thread or lock existed, so they
    inherit none (as with spawn) but share the pages of that import: a spawned worker pays about 100 MiB of private
    memory for importing torch, a forked one about none, and it starts faster. The environment variables are passed
    to each worker explicitly (`WorkerArgs.environ`), since the server's are those of the moment it started.
    Where there is no forkserver (Windows), spawn.
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(_WORKER_PRELOAD)
    return ctx


def prestart_worker_server() -> bool:
    """Start the forkserver now, so that it imports torch on another core while the runner builds the learner.

    Returns:
        True when a forkserver was started (or already ran); False with spawn.
    """
    if worker_context().get_start_method() != "forkserver":
        return False
    from multiprocessing import forkserver

    forkserver.ensure_running()
    return True


_pools_open = 0  # worker pools of this process that use the forkserver (a --num_policies run has one per policy)


def worker_pool_opened() -> None:
    """A worker pool starts using the forkserver: it is not stopped until that pool closed (`worker_pool_closed`)."""
    global _pools_open
    _pools_open += 1


def worker_pool_closed() -> None:
    """A worker pool's processes are gone: stop the forkserver when no other pool of this process uses it."""
    global _pools_open
    _pools_open = max(0, _pools_open - 1)
    stop_worker_server()


def stop_worker_server() -> None:
    """Stop the forkserver the workers were forked from, once they are gone (a no-op while a pool still uses it:
    stopping it waits for its children to exit).

    It would exit on its own after the runner, but only after the runner has exited, and slowly (its interpreter
    tears torch down): stopping it here means a closed sampler leaves no process behind. The next run starts a new
    one. Uses `ForkServer._stop`, CPython's own way of stopping it (3.8+); a no-op when it is missing or not running.
    """
    if _pools_open:
        return
    from multiprocessing import forkserver

    stop = getattr(getattr(forkserver, "_forkserver", None), "_stop", None)
    if stop is not None:
        stop()


def _started_and_open(process: multiprocessing.process.BaseProcess) -> bool:
    # a process object closed already (a replaced worker whose successor never started: a stop came in between)
    try:
        return process.pid is not None
    except ValueError:
        return False


def stop_processes(processes: Iterable[multiprocessing.process.BaseProcess], timeout: float = 5.0) -> None:
    """Join processes, escalating to SIGTERM and then SIGKILL for those that do not exit in time.

    Args:
        processes: started processes (already asked to stop through the shared stop flag).
        timeout: seconds to wait for a clean exit before escalating.
    """
    processes = [p for p in processes if _started_and_open(p)]
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
