"""`ParallelSampler`: rollout worker processes filling shared-memory trajectory slots for the runner.

Same interface as the serial mode's `SerialSampler` (`sf_curric.algo.runner.Sampler`). Where actions are computed
(`--inference_mode`, docs/performance.md): `local`, in the workers on CPU copies of the policy refreshed when the
learner publishes a newer weights version (the choice measured fastest on CPU-only machines); or `central`, one
batched forward pass over the requests of all workers on the learner's device (`inference_server.py`); `auto`
picks central when the learner runs on CUDA.

- Asynchronous (`--async_rl`, default): each worker owns at least two slots, so it keeps sampling while the
  learner trains; a batch is copied out of its slots, which go back to their workers at once.
- Synchronous (`--async_rl=False`): exactly one batch worth of slots exists and they go back to the workers only
  after the learner published the weights it trained on this batch: zero policy lag.
"""

from __future__ import annotations

import argparse
import logging
import math
import queue
import time
from collections import defaultdict
from typing import Any

import numpy as np

from sf_curric.algo.parallel.central_inference import resolve_inference_mode
from sf_curric.algo.parallel.messages import TrajectoryReady, WorkerFailed, WorkerStarted
from sf_curric.algo.parallel.shared_buffers import SharedTrajectories, SharedWeights
from sf_curric.algo.parallel.worker_link import LinkDrained
from sf_curric.algo.parallel.worker_pool import WorkerPool
from sf_curric.algo.rollout import allocate_trajectory
from sf_curric.algo.sampling import Batch
from sf_curric.algo.training_info_board import TrainingInfoBoard
from sf_curric.cfg.validation import ConfigError

log = logging.getLogger(__name__)

# seconds between two checks that every worker process is still alive while waiting for data
_LIVENESS_CHECK_SEC = 1.0


def slots_per_batch(cfg: argparse.Namespace) -> int:
    """Trajectory slots (`rollout` steps of one worker's envs each) in one training batch.

    Args:
        cfg: reads `batch_size`, `num_batches_per_epoch`, `rollout`, `num_envs_per_worker`.
    """
    wanted = cfg.batch_size * cfg.num_batches_per_epoch
    return max(1, round(wanted / (cfg.rollout * cfg.num_envs_per_worker)))


class ParallelSampler:
    """Starts `--num_workers` worker processes and assembles their trajectory slots into training batches.

    Args:
        cfg: the run's config (reads the sampling flags: num_workers, num_envs_per_worker, async_rl,
            max_policy_lag, with_vtrace, rollout, batch_size, num_batches_per_epoch, policy_refresh_rollouts,
            inference_mode).
        learner: the `Learner`; its model's weights are published to the workers after every `train()`.

    Example:
        >>> sampler = ParallelSampler(cfg, learner)
        >>> batch = sampler.get_batch()
        >>> learner.train(batch.traj, batch.env_steps); sampler.on_weights_updated()
        >>> sampler.close()
    """

    def __init__(self, cfg: argparse.Namespace, learner: Any, curriculum_host: Any = None):
        self.cfg = cfg
        self.learner = learner
        self.task_server = None
        if curriculum_host is not None:  # env resets take tasks from prefetched queues, refilled by a thread
            from sf_curric.algo.task_feed import TaskServer

            prefetch = int(getattr(cfg, "curriculum_prefetch", 2))
            self.task_server = TaskServer(curriculum_host, cfg.num_workers, cfg.num_envs_per_worker, prefetch)
        self.num_workers = cfg.num_workers
        self.slots_per_batch = slots_per_batch(cfg)
        self._check(cfg)
        model = learner.model
        rnn_size = model.rnn_state_size if model.is_recurrent else 0
        # PLR's policy strategies score from the acting policy's logits: the workers store them in the slots
        action_logits = curriculum_host is not None and curriculum_host.curriculum.needs_action_logits
        template = allocate_trajectory(
            cfg.rollout, cfg.num_envs_per_worker, model.obs_space, model.action_space, rnn_size, action_logits
        )
        if cfg.async_rl:
            per_worker = max(2, 2 * math.ceil(self.slots_per_batch / self.num_workers))
            slot_owner = [w for w in range(self.num_workers) for _ in range(per_worker)]
        else:
            slot_owner = [s % self.num_workers for s in range(self.slots_per_batch)]
        self.buffers = SharedTrajectories(template, num_slots=len(slot_owner))
        self.weights = SharedWeights(model.state_dict())
        self.weights.publish(model.state_dict(), learner.version)
        self.inference_mode = resolve_inference_mode(getattr(cfg, "inference_mode", "auto"), learner.device)
        self.inference_server = None
        if self.inference_mode == "central":
            from sf_curric.algo.parallel.inference_server import InferenceServer

            self.inference_server = InferenceServer(
                cfg, model.obs_space, model.action_space, self.weights, learner.device, self.num_workers, action_logits
            )  # its thread starts once the workers did (it holds their pipes from then on)
        self.training_info = TrainingInfoBoard()  # the one channel of training info to every env (and a new worker)
        # the main thread waits on this in-process inbox, which the links' reader threads fill (worker_link.py)
        self.inbox: queue.SimpleQueue = queue.SimpleQueue()
        self.pool = WorkerPool(
            cfg, slot_owner, self.buffers, self.weights, self.training_info, self.inbox, self.task_server,
            self.inference_server,
        )  # fmt: skip
        self._pending: list[TrajectoryReady] = []  # arrived beyond the current batch: used by the next one
        self._held_slots: list[int] = []  # sync mode: slots of the batch being trained on
        self._timing: dict[str, float] = defaultdict(float)
        self._lag_sum, self._lag_count, self._lag_max = 0.0, 0, 0.0
        self.last_batch_lag_max = 0.0
        self.num_stale_slots_dropped = 0
        self.num_env_errors = 0
        self._next_liveness_check = 0.0
        self._closed = False
        if self.task_server is not None:
            self.task_server.start()
        try:
            self.pool.start()
        except BaseException:
            self.close()  # stops the link and task server threads already running
            raise
        log.info(
            "%d worker processes x %d envs, %d trajectory slots of %d steps, %d slot(s) per batch, %s, %s inference",
            self.num_workers,
            cfg.num_envs_per_worker,
            len(slot_owner),
            cfg.rollout,
            self.slots_per_batch,
            "asynchronous (APPO)" if cfg.async_rl else "synchronous (PPO)",
            self.inference_mode if self.inference_server is None else f"central ({self.inference_server.device})",
        )
        if self.inference_server is not None:
            self.inference_server.start()

    # what the pool owns, read by the runner's stats, benchmarks and tests
    processes = property(lambda self: self.pool.processes)
    links = property(lambda self: self.pool.links)
    slot_owner = property(lambda self: self.pool.slot_owner)
    worker_restarts = property(lambda self: self.pool.restarts)
    num_slots_reclaimed = property(lambda self: self.pool.num_slots_reclaimed)
    num_worker_stalls = property(lambda self: self.pool.num_worker_stalls)
    num_results_queues_lost = property(lambda self: self.pool.num_results_queues_lost)

    @staticmethod
    def _check(cfg: argparse.Namespace) -> None:
        if cfg.num_workers < 1:
            raise ValueError(f"--num_workers={cfg.num_workers}: use at least 1 (or --serial_mode)")
        if cfg.worker_num_splits > 1:
            # double buffering overlaps env steps with inference done elsewhere (central inference, split_rollout.py);
            # a local policy copy runs both in the worker, one after the other (docs/performance.md)
            log.debug("--worker_num_splits=%d: no effect with local inference", cfg.worker_num_splits)
        if not cfg.async_rl and slots_per_batch(cfg) < cfg.num_workers:
            log.warning(
                "--async_rl=False: a batch holds %d rollouts for %d workers, some workers stay idle; raise "
                "--batch_size to num_workers * num_envs_per_worker * rollout",
                slots_per_batch(cfg),
                cfg.num_workers,
            )

    # ---- receiving -----------------------------------------------------------------------------------------

    def _receive(self) -> list[TrajectoryReady]:
        """Wait (at most until the next liveness check) for messages; return the trajectories among them (other
        messages are handled). Dead or stalled workers are replaced (respawn.py), even while others keep sending."""
        now = time.monotonic()
        if now >= self._next_liveness_check:
            self._next_liveness_check = now + _LIVENESS_CHECK_SEC
            if self.inference_server is not None:
                self.inference_server.raise_if_failed()
            self.pool.check()
        try:
            msgs = [self.inbox.get(timeout=max(0.0, self._next_liveness_check - now))]
        except queue.Empty:
            return []
        while True:
            try:
                msgs.append(self.inbox.get_nowait())
            except queue.Empty:
                break
        return self._dispatch(msgs)

    def _dispatch(self, msgs: list[Any]) -> list[TrajectoryReady]:
        """Handle worker messages; return the trajectories among them."""
        ready = []
        for msg in msgs:
            if isinstance(msg, TrajectoryReady):
                ready.append(msg)
                self.pool.returned(msg.slot)
                self.num_env_errors += msg.env_errors
                for phase, seconds in msg.timing.items():
                    self._timing[phase] += seconds
            elif isinstance(msg, WorkerFailed):
                if msg.user_error:  # bad input (e.g. an env whose spaces differ): one line, like a config error
                    raise ConfigError(msg.error.split(": ", 1)[-1])
                raise RuntimeError(f"worker process {msg.worker_idx} failed: {msg.error}\n{msg.traceback}")
            elif isinstance(msg, WorkerStarted):
                self.pool.on_started(msg.worker_idx)
                log.debug("worker %d started (pid %d)", msg.worker_idx, msg.pid)
            elif isinstance(msg, LinkDrained):  # every message of a dead worker was handled above
                self.pool.on_drained(msg)
            else:
                raise TypeError(f"unexpected message {type(msg).__name__} from a worker")
        return ready

    def wait_for_workers(self, timeout: float = 120.0) -> None:
        """Block until every worker built its envs and started sampling (e.g. to time steady state only).

        Args:
            timeout: seconds before a RuntimeError.
        """
        deadline = time.monotonic() + timeout
        while len(self.pool.started) < self.num_workers:
            if time.monotonic() > deadline:
                started = len(self.pool.started)
                raise RuntimeError(f"only {started} of {self.num_workers} workers started in {timeout} s")
            self._pending.extend(self._receive())

    def _free(self, slots: list[int]) -> None:
        self.pool.give(slots)

    def _is_stale(self, msg: TrajectoryReady) -> bool:
        lag = self.learner.version - msg.policy_version
        return lag > self.cfg.max_policy_lag and not self.cfg.with_vtrace

    def get_batch(self) -> Batch:
        """Block until `slots_per_batch` trajectory slots are filled; return them as one batch.

        Slots acted by weights more than `--max_policy_lag` versions old are not trained on (unless
        `--with_vtrace`, which corrects for the lag): they are counted (`perf/stale_slots_dropped`) and logged
        with a warning, never dropped silently.
        """
        chosen: list[TrajectoryReady] = []
        stale_feedback: list[Any] = []
        if self.task_server is not None:
            self.task_server.raise_if_failed()
        wait_start = time.perf_counter()
        while len(chosen) < self.slots_per_batch:
            if not self._pending:
                self._pending.extend(self._receive())
            while self._pending and len(chosen) < self.slots_per_batch:
                msg = self._pending.pop(0)
                if self._is_stale(msg):
                    self.num_stale_slots_dropped += 1
                    log.warning(
                        "slot from worker %d acted by weights version %d, %d versions behind (> --max_policy_lag=%d): "
                        "not trained on (%d so far); use --with_vtrace to train on it",
                        msg.worker_idx,
                        msg.policy_version,
                        self.learner.version - msg.policy_version,
                        self.cfg.max_policy_lag,
                        self.num_stale_slots_dropped,
                    )
                    self._free([msg.slot])
                    stale_feedback.extend(msg.feedback)  # not trained on, but its episodes still count
                    continue
                chosen.append(msg)
        self._timing["runner_wait"] += time.perf_counter() - wait_start

        slots = [m.slot for m in chosen]
        traj = self.buffers.gather(slots)
        feedback = stale_feedback + [item for m in chosen for item in m.feedback]
        if self.cfg.async_rl:
            self._free(slots)  # the batch is a copy: workers may refill these slots while the learner trains
        else:
            self._held_slots = slots
        lags = np.array([self.learner.version - m.policy_version for m in chosen], dtype=np.float64)
        self._lag_sum += float(lags.sum())
        self._lag_count += len(lags)
        self._lag_max = max(self._lag_max, float(lags.max()))
        self.last_batch_lag_max = float(lags.max())
        return Batch(traj, sum(m.env_steps for m in chosen), feedback)

    # ---- the rest of the Sampler interface -----------------------------------------------------------------

    def on_weights_updated(self) -> None:
        """Publish the learner's new weights; in sync mode, only then give the batch's slots back."""
        self.weights.publish(self.learner.model.state_dict(), self.learner.version)
        if self._held_slots:
            self._free(self._held_slots)
            self._held_slots = []

    def set_training_info(self, training_info: dict[str, Any]) -> None:
        """Publish `training_info` on the shared board; each env of every worker receives it before its next reset.

        Args:
            training_info: e.g. `{"approx_total_training_steps": 12345}`.
        """
        self.training_info.publish(training_info)

    def timing(self) -> dict[str, float]:
        """Seconds per phase: env_step, inference, worker_wait, weights_refresh (summed over workers),
        runner_wait (the runner waiting for trajectories) and, with central inference, inference_server (the
        server's busy time; the workers' `inference` then includes waiting for its replies)."""
        out = dict(self._timing)
        if self.inference_server is not None:
            out["inference_server"] = self.inference_server.busy_s
        return out

    def stats(self) -> dict[str, float]:
        """Policy lag (learner version minus the version that acted) over the slots trained on since the
        previous call, and the stale slots dropped so far; the runner writes them as perf/<name>."""
        out = {
            "stale_slots_dropped": float(self.num_stale_slots_dropped),
            "env_errors": float(self.num_env_errors),
            "worker_restarts": float(sum(self.worker_restarts)),
            "slots_reclaimed": float(self.num_slots_reclaimed),
            "worker_stalls": float(self.num_worker_stalls),
            "results_queues_lost": float(self.num_results_queues_lost),
        }
        if self._lag_count:
            out.update(policy_lag_avg=self._lag_sum / self._lag_count, policy_lag_max=self._lag_max)
        if self.inference_server is not None:
            out.update(self.inference_server.take_stats())
        self._lag_sum, self._lag_count, self._lag_max = 0.0, 0, 0.0
        return out

    def close(self) -> None:
        """Stop every worker process (stop flag, then SIGTERM/SIGKILL for stragglers) and release the buffers."""
        if self._closed:
            return
        self._closed = True
        if self.task_server is not None:
            self.task_server.stop()
        self.pool.close()
        if self.inference_server is not None:
            self.inference_server.stop()

    def __del__(self) -> None:
        if not getattr(self, "_closed", True):
            self.close()
