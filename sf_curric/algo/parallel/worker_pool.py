"""`WorkerPool`: the rollout worker processes of a `ParallelSampler`, their links and the slots each one holds.

The pool starts every worker process on its own `WorkerLink` (queues plus the runner's two threads for them), hands
trajectory slots to the workers that own them and takes them back, and replaces a dead or hung process: respawn.py
decides when (`check_workers`, `finish_replacement`), the pool's `kill`, `retire` and `restart` do it. Each slot
belongs to one worker for the whole run (`slot_owner`); `with_workers` holds the slots given to their worker and not
returned yet (in its free queue or being filled), which are exactly those a replaced worker's successor gets back.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import pickle
import queue
import time
from typing import Any

from sf_curric.algo.parallel import respawn
from sf_curric.algo.parallel.process_utils import (
    stop_processes,
    worker_context,
    worker_pool_closed,
    worker_pool_opened,
)
from sf_curric.algo.parallel.shared_buffers import ControlBlock, SharedTrajectories, SharedWeights
from sf_curric.algo.parallel.worker import WorkerArgs, worker_main
from sf_curric.algo.parallel.worker_link import LinkDrained, WorkerLink
from sf_curric.algo.training_info_board import TrainingInfoBoard

log = logging.getLogger(__name__)


class WorkerPool:
    """Owns the worker processes, their links and the slot bookkeeping.

    Args:
        cfg: the run's config.
        slot_owner: the worker of every trajectory slot.
        buffers: the shared trajectory slots.
        weights: the shared policy weights.
        training_info: the runner's `TrainingInfoBoard`.
        inbox: where the links' reader threads put the workers' messages.
        task_server: the curriculum's `TaskServer` (its requests are routed to it), or None.
        inference_server: the central `InferenceServer` (each started process connects to it), or None.

    Example:
        >>> pool = WorkerPool(cfg, [0, 0, 1, 1], buffers, weights, board, inbox)
        >>> pool.start()  # every worker gets its slots and starts sampling
    """

    def __init__(
        self,
        cfg: argparse.Namespace,
        slot_owner: list[int],
        buffers: SharedTrajectories,
        weights: SharedWeights,
        training_info: TrainingInfoBoard,
        inbox: queue.SimpleQueue,
        task_server: Any = None,
        inference_server: Any = None,
    ) -> None:
        self.cfg = cfg
        self.num_workers = int(cfg.num_workers)
        self.slot_owner = list(slot_owner)
        self.buffers = buffers
        self.weights = weights
        self.training_info = training_info
        self.control = ControlBlock(self.num_workers)
        self.inbox = inbox
        self.task_server = task_server
        self.inference_server = inference_server
        self.links: list[WorkerLink] = [self._new_link(w, 0) for w in range(self.num_workers)]
        self.processes: list = []
        self.started: set[int] = set()  # workers whose current process sent `WorkerStarted`
        self.with_workers: set[int] = set()  # slots given to their worker and not returned yet
        self.spawned_at = [0.0] * self.num_workers  # the stall check counts from here until the first heartbeat
        self.restarts = [0] * self.num_workers
        self._uses_server = True  # released once, at close
        worker_pool_opened()
        self.num_slots_reclaimed = 0
        self.num_worker_stalls = 0
        self.num_results_queues_lost = 0  # dead workers' results queues left locked and not readable
        self._env_spec: Any = None
        self.give(list(range(len(self.slot_owner))))

    # ---- processes ----------------------------------------------------------------------------------------------

    def start(self) -> None:
        """Start every worker process (the env spec must be picklable: it travels to each of them)."""
        from sf_curric.envs.registry import get_env_spec

        env_spec = get_env_spec(self.cfg.env)
        if env_spec is not None:
            env_spec = dataclasses.replace(env_spec, curriculum=None)  # the curriculum lives in this process only
            try:
                pickle.dumps(env_spec)
            except (pickle.PicklingError, AttributeError, TypeError) as exc:
                raise ValueError(
                    f"env {self.cfg.env!r}: its make_env_fn cannot be sent to worker processes ({exc}); define it "
                    "as a module-level function (not a lambda or a nested function), or use --serial_mode"
                ) from None
        self._env_spec = env_spec
        self.processes = [self._start(w) for w in range(self.num_workers)]

    def _new_link(self, w: int, generation: int) -> WorkerLink:
        """New queues (and their threads) for a new process of worker `w`."""
        server = self.task_server
        link = WorkerLink(w, generation, self.inbox, None if server is None else server.route, server is not None)
        if server is not None:
            server.attach(link)
        link.start()
        return link

    def _start(self, w: int) -> Any:
        """Start a process of worker `w` on its current link."""
        q = self.links[w].queues
        # central inference: new pipes to the server at every start (one per env group), so a replaced worker never
        # shares its predecessor's channels
        inference = None if self.inference_server is None else self.inference_server.connect(w)
        args = WorkerArgs(
            worker_idx=w,
            cfg=self.cfg,
            env_spec=self._env_spec,
            buffers=self.buffers,
            weights=self.weights,
            control=self.control,
            training_info=self.training_info,
            free_slots=q.free_slots,
            results=q.results,
            parent_pid=os.getpid(),
            task_feed=None if self.task_server is None else self.task_server.queues_for(w),
            inference=inference,
            environ=dict(os.environ),
        )
        p = worker_context().Process(target=worker_main, args=(args,), name=f"sf_curric-worker-{w}", daemon=True)
        self.spawned_at[w] = time.monotonic()
        p.start()
        for channel in inference or []:
            channel.conn.close()  # the child holds its end now; the server sees EOF when the worker dies
        return p

    def on_started(self, w: int) -> None:
        """Worker `w`'s current process built its envs (`WorkerStarted`)."""
        self.started.add(w)

    # ---- slots --------------------------------------------------------------------------------------------------

    def give(self, slots: list[int]) -> None:
        """Hand `slots` back to the workers that own them (a retired link drops them: `restart` reclaims them)."""
        self.with_workers.update(slots)
        for slot in slots:
            link = self.links[self.slot_owner[slot]]
            link.send(link.queues.free_slots, slot)

    def returned(self, slot: int) -> None:
        """A worker sent `slot` back filled (`TrajectoryReady`)."""
        self.with_workers.discard(slot)

    # ---- failures (respawn.py decides, these act) ---------------------------------------------------------------

    def check(self) -> None:
        """Retire the links of dead or stalled workers (respawn.py)."""
        respawn.check_workers(self)

    def on_drained(self, drained: LinkDrained) -> None:
        """Every message of a retired link was dispatched: replace its worker (respawn.py)."""
        respawn.finish_replacement(self, drained)

    def kill(self, w: int) -> None:
        """SIGKILL worker `w`'s process (it stalled)."""
        p = self.processes[w]
        p.kill()
        p.join(5.0)
        self.num_worker_stalls += 1

    def retire(self, w: int) -> None:
        """Worker `w`'s process is dead: drain its link (the runner sees `LinkDrained` last)."""
        self.links[w].retire()

    def restart(self, w: int, messages_lost: int = 0) -> int:
        """Start a new process of worker `w` on a new link with every slot the dead one held; returns how many.

        Args:
            w: the worker.
            messages_lost: messages of the dead process that could not be read (non-zero: counted).
        """
        if messages_lost:
            self.num_results_queues_lost += 1
        self.restarts[w] += 1
        old = self.processes[w]
        try:
            old.close()
        except ValueError:  # still running (e.g. uninterruptible sleep after SIGKILL): leave it, nothing reads from it
            log.warning("worker process %d (pid %s) did not exit after SIGKILL; leaving it behind", w, old.pid)
        self.links[w] = self._new_link(w, self.links[w].generation + 1)
        ours = sorted(s for s in self.with_workers if self.slot_owner[s] == w)
        self.give(ours)
        self.num_slots_reclaimed += len(ours)
        self.processes[w] = self._start(w)
        self.started.discard(w)
        return len(ours)

    # ---- shutdown -----------------------------------------------------------------------------------------------

    def close(self) -> None:
        """Stop every worker process (stop flag, then SIGTERM/SIGKILL for stragglers) and the links' threads."""
        self.control.request_stop()
        stop_processes(self.processes, timeout=10.0)
        self.processes = []
        if self._uses_server:
            self._uses_server = False
            worker_pool_closed()
        for link in self.links:
            link.retire()
        for link in self.links:
            link.join(0.5)  # a thread stuck on a queue left locked by a killed worker is left behind (daemon)
