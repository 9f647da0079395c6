"""Main loop of one rollout worker process: the serial mode's `RolloutWorker` with a local CPU policy copy, or
with a `RemotePolicy` of the central inference server (`--inference_mode=central`, central_inference.py).

Per trajectory slot: take a free slot index, refresh the policy copy when the learner published newer weights,
`RolloutWorker.collect()` into the shared slot, send a `TrajectoryReady` message. Training info waiting on the
runner's `TrainingInfoBoard` (shared memory) is given to each env before its next reset.
The worker writes a heartbeat (`ControlBlock.heartbeat`) at every policy step and while it waits on a queue, so the
runner can tell a hung worker (an env stuck in `step`, a queue left locked) from a busy or idle one.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import signal
import time
import traceback
from typing import Any

import numpy as np
import torch

from sf_curric.algo.env_guard import EnvGuard
from sf_curric.algo.parallel.messages import TrajectoryReady, WorkerFailed, WorkerStarted
from sf_curric.algo.parallel.queues import QueueStopped, get_many_blocking, put_blocking
from sf_curric.algo.parallel.shared_buffers import BEAT_SLOT, BEAT_TIME, ControlBlock, SharedTrajectories, SharedWeights
from sf_curric.algo.parallel.split_rollout import make_central_multi_agent_worker, make_central_rollout_worker
from sf_curric.algo.training_info_board import TrainingInfoBoard
from sf_curric.cfg.validation import ConfigError
from sf_curric.utils.parent_process import die_with_parent, parent_alive

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class WorkerArgs:
    """Everything a worker process receives at start (pickled once when the process starts; built in one place,
    `WorkerPool._start`).

    Attributes:
        worker_idx: index of this worker.
        cfg: the run's config.
        env_spec: the `EnvSpec` of `cfg.env` when it was registered with `register_env` in the parent (started
            processes do not see registrations made under `if __name__ == "__main__"`), else None.
        buffers: the shared trajectory slots.
        weights: the shared policy weights.
        control: the shared control block (stop flag, heartbeats).
        training_info: the runner's `TrainingInfoBoard` (read before every env reset).
        free_slots: queue of slot indices this worker may fill.
        results: queue of `TrajectoryReady` / `WorkerStarted` / `WorkerFailed` messages to the runner.
        parent_pid: pid of the runner (the worker exits when it disappears).
        task_feed: the worker's queues of the curriculum's task feed (`sf_curric.algo.task_feed`), or None.
        inference: the worker's `InferenceChannel`s to the central inference server (one per env group,
            `--worker_num_splits`), or None (local policy copy).
        environ: the runner's environment variables when it started this worker (a process forked from the
            forkserver would otherwise see the environment of the moment the forkserver started).
    """

    worker_idx: int
    cfg: argparse.Namespace
    env_spec: Any
    buffers: SharedTrajectories
    weights: SharedWeights
    control: ControlBlock
    training_info: TrainingInfoBoard
    free_slots: Any
    results: Any
    parent_pid: int
    task_feed: Any = None
    inference: Any = None
    environ: dict | None = None


class _BeatingPolicy:
    """The worker's policy, writing the heartbeat time before every `act` (once per step of all envs)."""

    def __init__(self, policy: Any, beat: np.ndarray) -> None:
        self._policy = policy
        self._beat = beat

    def act(self, *args: Any, **kwargs: Any) -> Any:
        self._beat[BEAT_TIME] = time.monotonic()
        return self._policy.act(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._policy, name)


def _make_rollout_worker(args: WorkerArgs, should_stop: Any = lambda: False) -> tuple[Any, torch.nn.Module]:
    from sf_curric.envs.registry import make_env, register_env
    from sf_curric.model import ActorCritic

    cfg = args.cfg
    if args.env_spec is not None:
        spec = args.env_spec
        register_env(spec.name, spec.make_env_fn, spec.task_space, spec.curriculum)
    first_env_id = args.worker_idx * cfg.num_envs_per_worker
    env_ids = list(range(first_env_id, first_env_id + cfg.num_envs_per_worker))
    env_configs = [
        {"worker_index": args.worker_idx, "vector_index": i, "env_id": env_id} for i, env_id in enumerate(env_ids)
    ]
    beat = args.control.heartbeat[args.worker_idx].numpy()
    # a PettingZoo env gives a multi-agent worker (one column per agent, multi_agent_rollout.py)
    from sf_curric.algo.multi_agent_rollout import MultiAgentRolloutWorker, build_rollout_worker
    from sf_curric.algo.self_play import worker_opponents

    worker = build_rollout_worker(cfg, env_configs, None, env_ids)
    model = ActorCritic(worker.obs_space, worker.action_space, cfg)
    model.eval()
    multi_agent = isinstance(worker, MultiAgentRolloutWorker)
    if multi_agent:  # self-play: opponents' snapshots come from files the runner writes
        worker.opponents = worker_opponents(cfg, model.obs_space, model.action_space)
    if args.inference is None:
        worker.policy = _BeatingPolicy(model, beat)
        worker.env_guard = EnvGuard(lambda i: make_env(cfg, env_configs[i]), cfg.max_env_errors, cfg.env_error_window)
    elif multi_agent:
        worker = make_central_multi_agent_worker(
            args.inference, cfg, worker, model, env_ids, should_stop, lambda p: _BeatingPolicy(p, beat)
        )
    else:  # actions come from the central server (env groups stepped alternately with --worker_num_splits)
        envs = worker.envs

        def make_guard(offset: int) -> EnvGuard:
            return EnvGuard(lambda i: make_env(cfg, env_configs[offset + i]), cfg.max_env_errors, cfg.env_error_window)

        worker = make_central_rollout_worker(
            args.inference, cfg, envs, model, env_ids, make_guard, should_stop, lambda p: _BeatingPolicy(p, beat)
        )
    if args.task_feed is not None:  # every env reset takes its task from the curriculum's prefetched queue
        from sf_curric.algo.task_feed import TaskFeed

        worker.task_sampler = TaskFeed(args.worker_idx, args.task_feed, should_stop, worker.timing)
    worker.training_info_board = args.training_info
    return worker, model


def worker_main(args: WorkerArgs) -> None:
    """Entry point of a worker process (started by `ParallelSampler` from the forkserver).

    Args:
        args: see `WorkerArgs`.
    """
    die_with_parent(args.parent_pid)
    if args.environ is not None:
        os.environ.clear()
        os.environ.update(args.environ)
    # Ctrl-C reaches the whole process group: the runner alone handles it (checkpoint, then the stop flag)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    torch.set_num_threads(1)  # one core per process: intra-op threads only add contention
    cfg, control = args.cfg, args.control
    beat = control.heartbeat[args.worker_idx].numpy()

    def should_stop() -> bool:  # called between waits on a queue: waiting is progress too
        beat[BEAT_TIME] = time.monotonic()
        return control.stop_requested or not parent_alive(args.parent_pid)

    worker = None
    try:
        seed = getattr(cfg, "seed", None)
        if seed is not None:
            torch.manual_seed(int(seed) + 1000 * (args.worker_idx + 1))
            np.random.seed(int(seed) + 1000 * (args.worker_idx + 1))
        worker, model = _make_rollout_worker(args, should_stop)
        remote = args.inference is not None  # central inference: no local weights, versions recorded per step
        version = -1 if remote else args.weights.read_into(model)
        put_blocking(args.results, WorkerStarted(args.worker_idx, os.getpid()), should_stop)
        refresh_every = max(1, int(getattr(cfg, "policy_refresh_rollouts", 1)))
        num_rollouts = reported_errors = 0
        waited = refresh_s = 0.0
        last_timing = dict(worker.timing)
        while not should_stop():
            start = time.perf_counter()
            slots = get_many_blocking(args.free_slots, should_stop)
            waited += time.perf_counter() - start
            for slot in slots:
                start = time.perf_counter()
                if not remote and num_rollouts % refresh_every == 0 and args.weights.version != version:
                    version = args.weights.read_into(model)
                refresh_s += time.perf_counter() - start
                traj = args.buffers.slot(slot)
                beat[BEAT_SLOT] = slot
                feedback = worker.collect(traj, policy_version=version)  # the worker's outbox for this slot
                beat[BEAT_SLOT] = -1
                if remote:  # the oldest weights that acted in the slot: its policy lag and staleness count from it
                    version = int(traj["policy_version"].min())
                num_rollouts += 1
                timing = {k: v - last_timing.get(k, 0.0) for k, v in worker.timing.items()}
                timing.update(worker_wait=waited, weights_refresh=refresh_s)
                last_timing = dict(worker.timing)
                waited = refresh_s = 0.0
                env_errors, reported_errors = worker.env_guard.num_errors - reported_errors, worker.env_guard.num_errors
                msg = TrajectoryReady(
                    args.worker_idx, slot, cfg.rollout * worker.num_envs, version, feedback, timing, env_errors
                )
                put_blocking(args.results, msg, should_stop)
    except QueueStopped:
        pass
    except Exception as exc:  # noqa: BLE001 - every failure is reported to the runner, which re-raises it
        failure = WorkerFailed(
            args.worker_idx, f"{type(exc).__name__}: {exc}", traceback.format_exc(), isinstance(exc, ConfigError)
        )
        try:
            put_blocking(args.results, failure, should_stop)
        except QueueStopped:
            pass
    finally:
        if worker is not None:
            worker.close()
