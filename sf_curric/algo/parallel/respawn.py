"""Replacing rollout worker processes that died (SIGKILL, segfault in an env, out of memory) or hang.

`ParallelSampler` has its `WorkerPool` call `check_workers()` at least once per `_LIVENESS_CHECK_SEC` while it waits for
trajectories. The functions here decide; the pool's public methods (`kill`, `retire`, `restart`) act.

1. A dead worker, or one that showed no sign of progress (heartbeat, see `ControlBlock`) for
   `--worker_stall_timeout_sec` and is then killed with SIGKILL, has its `WorkerLink` retired: the link's reader
   takes the messages left in the results queue (a trajectory the worker finished is still trained on) and posts
   `LinkDrained` last. If the queue was left locked by the dead process, the link reads it without the lock after
   `_ABANDON_AFTER_SEC` (worker_link.py); the runner never waits on the dead worker's queues itself.
2. When the sampler dispatches that `LinkDrained` (`finish_replacement()`), it has seen every message of the dead
   process, so the slots still marked as with the worker (its free slots and the one being filled: the partial
   rollout and its episodes are discarded, as for an env error) are exactly those to reclaim. They go, each once,
   to a new link for a new process with the same worker index, envs and seeds (it reads the latest training info
   from the shared board at its first resets).

A worker that keeps dying or hanging is a crash loop: more than `--max_env_errors` restarts of one worker stop the
run.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from sf_curric.algo.parallel.queue_salvage import lock_owner, owner_is_dead, salvage_supported
from sf_curric.algo.parallel.shared_buffers import BEAT_SLOT, BEAT_TIME
from sf_curric.algo.parallel.worker_link import LinkDrained

log = logging.getLogger(__name__)

# a new process shows its first heartbeat after importing torch and building its envs: allow it this long at least
_STARTUP_GRACE_SEC = 60.0
# a retired link whose results queue is locked by a dead thread is read without the lock after this many seconds;
# one whose lock is busy otherwise (a slow reader thread on a loaded machine) is abandoned only after the second
_ABANDON_AFTER_SEC = (2.0, 30.0)


class WorkerRestartLimitExceeded(RuntimeError):
    """One worker process died (or hung) more often than `--max_env_errors`."""


def check_workers(pool: Any) -> None:
    """Retire the links of dead or stalled workers of `pool` (a `WorkerPool`) and abandon overdue ones.

    Args:
        pool: the `WorkerPool`; reads its processes, links, heartbeats and `cfg.worker_stall_timeout_sec`.
    """
    now = time.monotonic()
    stall_timeout = float(pool.cfg.worker_stall_timeout_sec)
    for w, p in enumerate(pool.processes):
        link = pool.links[w]
        if link.retired:
            _abandon_if_overdue(link, now)
            continue
        if not p.is_alive():
            log.warning("worker process %d (pid %s) died (exit code %s): replacing it", w, p.pid, p.exitcode)
        elif stall_timeout > 0:
            last_beat, spawned = float(pool.control.heartbeat[w, BEAT_TIME]), pool.spawned_at[w]
            quiet = now - max(last_beat, spawned)
            if quiet <= (stall_timeout if last_beat > spawned else max(stall_timeout, _STARTUP_GRACE_SEC)):
                continue
            log.warning(
                "worker process %d (pid %d) made no progress for %.0f s (--worker_stall_timeout_sec=%g) %s: killed it "
                "(SIGKILL), replacing it",
                w,
                p.pid,
                quiet,
                stall_timeout,
                _where(pool, w),
            )
            pool.kill(w)
        else:
            continue
        pool.retire(w)


def _where(pool: Any, w: int) -> str:
    """What a stalled worker was doing, from its heartbeat and the slot it was filling."""
    slot = int(pool.control.heartbeat[w, BEAT_SLOT])
    if slot < 0:
        return "outside a rollout (starting up, waiting, or between rollouts)"
    env_ids = pool.buffers.tensors["env_ids"][slot].tolist()
    tasks = pool.buffers.tensors["tasks"][slot, 0].tolist()  # written at the rollout's first policy step
    return f"while filling slot {slot} with envs {env_ids} (tasks at the rollout's start: {tasks})"


def _abandon_if_overdue(link: Any, now: float) -> None:
    if link.abandoned:
        return
    waited = now - link.retired_at
    owner = lock_owner(link.queues.results) if salvage_supported() else 0
    if (waited > _ABANDON_AFTER_SEC[0] and owner_is_dead(owner)) or waited > _ABANDON_AFTER_SEC[1]:
        link.abandon()


def finish_replacement(pool: Any, drained: LinkDrained) -> None:
    """Every message of a dead worker was dispatched: reclaim its slots and start its new process.

    Args:
        pool: the `WorkerPool`.
        drained: the `LinkDrained` of the dead process's link.

    Raises:
        WorkerRestartLimitExceeded: the worker died more than `--max_env_errors` times.
    """
    w = drained.worker_idx
    if drained.generation != pool.links[w].generation:
        return  # an older link's late marker; that replacement is done
    restarts, limit = pool.restarts[w] + 1, int(pool.cfg.max_env_errors)
    if restarts > limit:
        raise WorkerRestartLimitExceeded(
            f"worker process {w} died or hung {restarts} times (last exit code {pool.processes[w].exitcode}), more "
            f"than --max_env_errors={limit}: look for a crashing or hanging env (segfault, out of memory, deadlock) "
            "or raise the limit (or --worker_stall_timeout_sec for envs that take that long)"
        )
    reclaimed = pool.restart(w, drained.messages_lost)
    log.warning(
        "worker process %d restarted (restart %d of %d tolerated), its %d trajectory slot(s) reclaimed",
        w,
        restarts,
        limit,
        reclaimed,
    )
