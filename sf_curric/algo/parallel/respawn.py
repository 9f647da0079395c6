"""Replacing rollout worker processes that died (SIGKILL, segfault in an env, out of memory).

`ParallelSampler` checks its workers at least once per `_LIVENESS_CHECK_SEC` while it waits for trajectories and
calls `replace_dead_workers()`. For each dead worker:

1. The messages it sent before dying are taken from the results queue first, so a trajectory it finished is still
   trained on and its slot is not handed out twice (a `WorkerFailed` among them is raised as before).
2. Its slots that are neither waiting in the sampler nor held for training are reclaimed: they were in its free
   queue or being filled when it died (the partial rollout and the episodes in it are discarded, as for an env
   error). They go, all of them, into a new free queue for the new process (new queues: see `_reclaim_slots`).
3. The latest training info is put on its new control queue (the dead process may have consumed it).
4. A new process starts with the same worker index, envs and seeds.

A worker that keeps dying is a crash loop: more than `--max_env_errors` restarts of one worker stop the run.
"""

from __future__ import annotations

import logging
import queue
from typing import Any

from sf_curric.algo.parallel.queues import make_queue, put_blocking

log = logging.getLogger(__name__)


class WorkerRestartLimitExceeded(RuntimeError):
    """One worker process died more often than `--max_env_errors`."""


def replace_dead_workers(sampler: Any) -> list[Any]:
    """Replace every dead worker process of `sampler` (a `ParallelSampler`); return the trajectories received
    while doing so (messages the dead workers sent before dying).

    Args:
        sampler: the `ParallelSampler`; reads and updates its processes, queues and slot bookkeeping.

    Raises:
        WorkerRestartLimitExceeded: a worker died more than `--max_env_errors` times.
        RuntimeError: a worker reported a failure (`WorkerFailed`) before it exited.
    """
    dead = [w for w, p in enumerate(sampler.processes) if not p.is_alive()]
    if not dead:
        return []
    ready = sampler._dispatch(_drain(sampler.results))  # may raise a WorkerFailed the worker sent
    for w in dead:
        old = sampler.processes[w]
        exitcode = old.exitcode
        old.join(0)
        old.close()
        sampler.worker_restarts[w] += 1
        limit = int(sampler.cfg.max_env_errors)
        if sampler.worker_restarts[w] > limit:
            raise WorkerRestartLimitExceeded(
                f"worker process {w} died {sampler.worker_restarts[w]} times (last exit code {exitcode}), more than "
                f"--max_env_errors={limit}: look for a crashing env (segfault, out of memory) or raise the limit"
            )
        reclaimed = _reclaim_slots(sampler, w)
        info = sampler._last_training_info
        if info is not None:
            put_blocking(sampler.control_queues[w], info, lambda: False)
        sampler.processes[w] = sampler._start_worker(w)
        sampler._started.discard(w)
        log.warning(
            "worker process %d died (exit code %s): restarted it (restart %d of %d tolerated), %d in-flight "
            "trajectory slot(s) reclaimed",
            w,
            exitcode,
            sampler.worker_restarts[w],
            limit,
            reclaimed,
        )
    return ready


def _reclaim_slots(sampler: Any, w: int) -> int:
    """Give worker `w`'s slots that are with the worker (in its free queue or being filled) to a fresh free queue.

    Its queues are replaced rather than drained: a process killed inside a queue operation can leave that queue's
    lock held forever, and these two queues were used by the dead process alone.
    """
    queued = set(_drain(sampler.free_slots[w]))
    sampler.free_slots[w] = make_queue(1 << 16)
    sampler.control_queues[w] = make_queue(1 << 20)
    ours = sorted(s for s in sampler._with_workers if sampler.slot_owner[s] == w)
    for slot in ours:
        put_blocking(sampler.free_slots[w], slot, lambda: False)
    in_flight = len(set(ours) - queued)
    sampler.num_slots_reclaimed += in_flight
    return in_flight


def _drain(q: Any) -> list[Any]:
    """Every message in `q` now, waiting at most 0.1 s (a lock left held by the dead process ends in a timeout)."""
    try:
        return q.get_many(block=True, timeout=0.1)
    except queue.Empty:
        return []
