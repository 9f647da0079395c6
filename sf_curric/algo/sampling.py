"""How the runner gets its training batches: the `Sampler` protocol, the `Batch` it hands over, and the serial
mode's `SerialSampler` (envs stepped in the runner's process by one rollout worker). The parallel mode's sampler
(`sf_curric.algo.parallel.sampler`) has the same interface.
"""

from __future__ import annotations

import argparse
import logging
from typing import Any, NamedTuple, Protocol

import torch

from sf_curric.algo.env_guard import EnvGuard, check_same_spaces
from sf_curric.algo.multi_agent_rollout import build_rollout_worker
from sf_curric.algo.rollout import TaskSource, allocate_trajectory
from sf_curric.cfg.validation import total_envs
from sf_curric.curricula.feedback import EpisodeSummary
from sf_curric.envs.registry import make_env

log = logging.getLogger("sf_curric")


class Batch(NamedTuple):
    """What a sampler hands the runner for one training iteration.

    Attributes:
        traj: trajectory dict (docs/architecture.md layout), `[T, B']` with B' columns.
        env_steps: env steps it holds (T * B').
        feedback: the rollout workers' outboxes, in slot order: the messages for the curriculum
            (`sf_curric.curricula.feedback`), an `EpisodeSummary` for every episode that ended among them.
    """

    traj: dict[str, torch.Tensor]
    env_steps: int
    feedback: list[Any]

    @property
    def episodes(self) -> list[EpisodeSummary]:
        """The episodes that ended while the batch was collected (the runner's statistics read these)."""
        return [msg for msg in self.feedback if type(msg) is EpisodeSummary]


class Sampler(Protocol):
    """What the runner needs from a sampler (serial or parallel)."""

    def get_batch(self) -> Batch:
        """Block until the data of one training iteration is ready."""

    def on_weights_updated(self) -> None:
        """The learner finished a `train()` call (new weights and version)."""

    def set_training_info(self, training_info: dict[str, Any]) -> None:
        """Deliver training info to every env before its next reset."""

    def timing(self) -> dict[str, float]:
        """Seconds spent per phase so far (e.g. env_step, inference)."""

    def close(self) -> None:
        """Stop and release everything (envs, processes)."""

    # Optional: `stats() -> dict[str, float]`, written as perf/<name> (e.g. policy lag).


class SerialSampler:
    """Steps every env of the run in this process with the learner's own model (serial mode).

    Args:
        cfg: the run's config.
        learner: the `Learner`; its model acts, its version is recorded.
        task_sampler: see `RolloutWorker`.
        opponents: self-play's `OpponentPolicy` (multi-agent envs only).
        action_logits: store the acting policy's logits in the trajectories (`Curriculum.needs_action_logits`).
    """

    def __init__(
        self,
        cfg: argparse.Namespace,
        learner: Any,
        task_sampler: TaskSource | None = None,
        opponents: Any = None,
        action_logits: bool = False,
    ):
        self.learner = learner
        num_envs = total_envs(cfg)
        env_configs = [
            {"worker_index": env_id // cfg.num_envs_per_worker, "vector_index": env_id % cfg.num_envs_per_worker,
             "env_id": env_id}
            for env_id in range(num_envs)
        ]  # fmt: skip
        # one env per column; a PettingZoo game fills one column per agent (multi_agent_rollout.py)
        self.worker = build_rollout_worker(
            cfg, env_configs, learner.model, list(range(num_envs)), task_sampler, opponents=opponents
        )
        env_ids = getattr(self.worker, "game_env_ids", range(num_envs))
        check_same_spaces(self.worker.envs, env_ids, learner.model.obs_space, learner.model.action_space)
        self.worker.env_guard = EnvGuard(
            lambda i: make_env(cfg, env_configs[i]), cfg.max_env_errors, cfg.env_error_window
        )
        rnn_size = learner.model.rnn_state_size if learner.model.is_recurrent else 0
        wanted = cfg.batch_size * cfg.num_batches_per_epoch
        per_slot = cfg.rollout * num_envs
        # whole rollouts of all envs, as close as possible to batch_size * num_batches_per_epoch samples
        self.num_slots = max(1, round(wanted / per_slot))
        self.slots = [
            allocate_trajectory(
                cfg.rollout, num_envs, self.worker.obs_space, self.worker.action_space, rnn_size, action_logits
            )
            for _ in range(self.num_slots)
        ]
        if self.num_slots * per_slot != wanted:
            log.info(
                "serial mode: training on %d samples per iteration (%d rollout(s) of %d envs x %d steps); "
                "batch_size * num_batches_per_epoch = %d",
                self.num_slots * per_slot,
                self.num_slots,
                num_envs,
                cfg.rollout,
                wanted,
            )

    def get_batch(self) -> Batch:
        feedback: list[Any] = []
        for slot in self.slots:
            feedback.extend(self.worker.collect(slot, policy_version=self.learner.version))
        if self.num_slots == 1:
            traj = self.slots[0]
        else:
            traj = {
                key: torch.cat([s[key] for s in self.slots], dim=0 if key in ("env_ids", "rnn_states") else 1)
                for key in self.slots[0]
            }
        env_steps = sum(int(s["rewards"].numel()) for s in self.slots)
        return Batch(traj, env_steps, feedback)

    def on_weights_updated(self) -> None:
        pass  # the worker acts with the learner's model itself

    def set_training_info(self, training_info: dict[str, Any]) -> None:
        self.worker.set_training_info(training_info)

    def timing(self) -> dict[str, float]:
        return dict(self.worker.timing)

    def stats(self) -> dict[str, float]:
        return {"env_errors": float(self.worker.env_guard.num_errors)}

    def close(self) -> None:
        self.worker.close()
