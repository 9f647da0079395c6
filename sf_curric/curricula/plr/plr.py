"""PrioritizedLevelReplay: the PLR curriculum (arXiv 2010.03934) on top of the one `TaskSampler`."""

from __future__ import annotations

import logging
from typing import Any, Dict

import numpy as np
from gymnasium import spaces

from sf_curric.curricula.curriculum import Curriculum
from sf_curric.curricula.learner_feedback import LearnerFeedback
from sf_curric.curricula.plr.scores import POLICY_STRATEGIES
from sf_curric.curricula.plr.step_buffer import StepBuffer, gae
from sf_curric.curricula.plr.task_sampler import TaskSampler
from sf_curric.curricula.task_space import DiscreteTaskSpace

log = logging.getLogger(__name__)

_CURRICULUM_KWARGS = ("random_start_tasks", "task_names", "record_stats", "max_logged_tasks", "use_wandb")


def _numpy(x: Any) -> np.ndarray:
    """A numpy view of arrays, lists or (CPU or GPU) torch tensors, without importing torch."""
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x)


def rollout_arrays(feedback: LearnerFeedback, with_logits: bool) -> Dict[str, Any]:
    """The `update_with_rollout` arguments of a trainer batch (PLR and ACCEL)."""
    return {
        "tasks": feedback.tasks,
        "dones": feedback.dones,
        "values": feedback.values,
        "advantages": feedback.advantages,
        "actor_ids": feedback.env_ids,
        "rewards": feedback.rewards,
        "next_values": feedback.next_values,
        "action_log_dists": feedback.action_logits if with_logits else None,
    }


class PrioritizedLevelReplay(Curriculum):
    """Prioritized Level Replay: replay the levels with the highest learning potential, try new ones in between.

    Feed it in one of three ways:

    - `update_on_learner_batch(feedback)`, what sf_curric's trainer calls after every training batch,
    - `update_with_rollout(tasks, dones, values, advantages, actor_ids, ...)` with a learner's [T, B] arrays, or
    - `update_curriculum({"update_type": "on_demand", "metrics": {"value", "next_value", "rew", "dones",
      "tasks"}})` once per environment step (Syllabus / CleanRL style); steps are buffered per actor and
      scored every `num_steps` steps with GAE(`gamma`, `gae_lambda`).

    Args:
        task_space: a finite task space or gymnasium space (Discrete, MultiDiscrete, finite Tuple).
        observation_space: the env's observation space (Syllabus's second argument); accepted, unused.
        num_steps: rollout length of the streamed updates.
        num_processes: number of parallel environments (actors); actor ids are 0..num_processes-1.
        gamma: discount of the streamed GAE and of one_step_td_error.
        gae_lambda: lambda of the streamed GAE.
        task_sampler_kwargs_dict: `TaskSampler` options (strategy, score_transform, temperature, rho, nu,
            replay_prob, alpha, staleness_coef, staleness_transform, staleness_temperature, eps,
            replay_schedule, carry_partial_episodes); they may also be given as keyword arguments.
        action_space: the env's Discrete action space, needed by the policy strategies.
        device: accepted for Syllabus compatibility, unused (PLR state is numpy).
        seed: seed of the curriculum and sampler RNGs.
        **kwargs: base `Curriculum` options (random_start_tasks, record_stats, ...) or TaskSampler options;
            Syllabus options that change nothing here (suppress_usage_warnings) are ignored with one warning.

    Example:
        >>> plr = PrioritizedLevelReplay(Discrete(200), num_processes=64, seed=0, staleness_coef=0.3)
        >>> plr = PrioritizedLevelReplay(task_space, envs.single_observation_space, num_steps=128,
        ...                              num_processes=16, gamma=0.999, gae_lambda=0.95,
        ...                              task_sampler_kwargs_dict={"strategy": "value_l1"})  # Syllabus's form
        >>> tasks = plr.sample(64)
        >>> plr.update_with_rollout(tasks=enc, dones=dones, values=values, advantages=adv, actor_ids=env_ids)
    """

    def __init__(
        self,
        task_space: Any,
        observation_space: spaces.Space | None = None,
        *,
        num_steps: int = 256,
        num_processes: int = 64,
        gamma: float = 0.999,
        gae_lambda: float = 0.95,
        task_sampler_kwargs_dict: Dict[str, Any] | None = None,
        action_space: spaces.Space | None = None,
        device: Any = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        if observation_space is not None and not isinstance(observation_space, spaces.Space):
            raise TypeError(
                f"the second argument of PrioritizedLevelReplay is the observation space (as in Syllabus), got "
                f"{observation_space!r}; pass num_steps=..., num_processes=... by keyword"
            )
        base_kwargs = {k: kwargs.pop(k) for k in _CURRICULUM_KWARGS if k in kwargs}
        super().__init__(task_space, seed=seed, **base_kwargs)
        if not self.task_space.is_finite:
            raise ValueError(
                f"PrioritizedLevelReplay needs a finite task space (Discrete, MultiDiscrete, Tuple of those), got "
                f"{self.task_space!r}; discretize the tasks (e.g. a list of level seeds)"
            )
        if num_steps < 1 or num_processes < 1:
            raise ValueError(f"num_steps and num_processes must be >= 1, got {num_steps} and {num_processes}")
        sampler_kwargs = dict(task_sampler_kwargs_dict or {})
        overlap = set(sampler_kwargs) & set(kwargs)
        if overlap:
            raise ValueError(f"options {sorted(overlap)} given twice: in task_sampler_kwargs_dict and as arguments")
        sampler_kwargs.update(kwargs)
        if "num_actors" in sampler_kwargs and sampler_kwargs["num_actors"] != num_processes:
            log.warning("PLR: num_actors=%s replaced by num_processes=%s", sampler_kwargs["num_actors"], num_processes)
        sampler_kwargs["num_actors"] = num_processes
        sampler_kwargs.setdefault("gamma", gamma)
        if action_space is not None and "num_actions" not in sampler_kwargs:
            if not isinstance(action_space, spaces.Discrete):
                raise ValueError("PLR policy strategies need a Discrete action space")
            sampler_kwargs["num_actions"] = int(action_space.n)
        self.num_steps = int(num_steps)
        self.num_processes = int(num_processes)
        self.gamma = float(gamma)
        self.gae_lambda = float(gae_lambda)
        self._sampler = TaskSampler(list(range(self.num_tasks)), seed=seed, **sampler_kwargs)
        policy = self._sampler.strategy in POLICY_STRATEGIES
        self._buffer = StepBuffer(self.num_steps, self.num_processes, self._sampler.num_actions if policy else None)
        space = self.task_space
        self._identity_encoding = isinstance(space, DiscreteTaskSpace) and space.tasks == list(range(space.num_tasks))
        self.num_rollout_updates = 0

    # --- sampling ------------------------------------------------------------------------------------------
    @property
    def task_sampler(self) -> TaskSampler:
        """The underlying TaskSampler (scores, staleness, options)."""
        return self._sampler

    @property
    def needs_action_logits(self) -> bool:
        """True for the policy strategies (policy_entropy, least_confidence, min_margin)."""
        return not self._sampler.requires_value_buffers

    def _sample_tasks(self, k: int) -> list:
        return [self._task_list[self._sampler.sample_index()] for _ in range(k)]

    def _sample_distribution(self) -> list:
        """Probability of each task being the next draw (replay schedule included)."""
        return self._sampler.sample_distribution().tolist()

    def _sample_weights(self) -> np.ndarray:
        return self._sampler.sample_distribution()

    def sample_weights(self) -> np.ndarray:
        """Replay weights over seen tasks (the reference code's `sample_weights`)."""
        return self._sampler.sample_weights()

    # --- updates -------------------------------------------------------------------------------------------
    def update_on_learner_batch(self, feedback: LearnerFeedback) -> None:
        """Score the trainer's batch: `update_with_rollout` with the learner's values and advantages."""
        self.update_with_rollout(**rollout_arrays(feedback, self.needs_action_logits))

    def update_with_rollout(
        self,
        tasks: Any,
        dones: Any,
        values: Any = None,
        advantages: Any = None,
        actor_ids: Any = None,
        rewards: Any = None,
        next_values: Any = None,
        action_log_dists: Any = None,
    ) -> None:
        """Score a learner rollout: every column is one actor, every array is [T, B] (time first).

        An episode cut by the end of the rollout is carried per actor and merged with its continuation in the
        actor's next rollout, weighted by steps, so keep `actor_ids` stable across rollouts.

        Args:
            tasks: [T, B] encoded task of the episode each step belongs to.
            dones: [T, B] the episode ended at this step (terminated | truncated).
            values: [T, B] (or [T+1, B]) value estimates; needed by one_step_td_error.
            advantages: [T, B] GAE advantages; needed by value_l1, gae, positive_value_loss.
            actor_ids: [B] global env index of each column (default 0..B-1), < num_processes.
            rewards: [T, B] rewards; needed by one_step_td_error.
            next_values: [T, B] V(s_{t+1}) with 0 where terminated (final value where truncated); for
                one_step_td_error, defaults to values[1:] masked by dones when values has T+1 rows.
            action_log_dists: [T, B, A] logits or log-probabilities; needed by the policy strategies.
        """
        tasks = _numpy(tasks)
        if tasks.ndim != 2:
            raise ValueError(f"tasks must be [T, B] encoded tasks, got shape {tasks.shape}")
        dones = _numpy(dones).astype(bool)
        num_steps = tasks.shape[0]
        if values is not None:
            values = _numpy(values).astype(np.float64)
            if next_values is None and values.shape[0] == num_steps + 1:
                next_values = values[1:] * ~dones
            values = values[:num_steps]
        self._sampler.update_with_rollout(
            self._check_encoded(tasks),
            dones,
            None if actor_ids is None else _numpy(actor_ids),
            advantages=None if advantages is None else _numpy(advantages),
            rewards=None if rewards is None else _numpy(rewards),
            values=values,
            next_values=None if next_values is None else _numpy(next_values),
            action_log_dists=None if action_log_dists is None else _numpy(action_log_dists),
        )
        self._after_rollout()

    def _after_rollout(self) -> None:
        self.num_rollout_updates += 1
        if not self._sampler.carry_partial_episodes:
            self._sampler.after_update()

    def _check_encoded(self, tasks: np.ndarray) -> np.ndarray:
        if not np.issubdtype(tasks.dtype, np.integer):
            if not np.all(np.mod(tasks, 1) == 0):
                raise ValueError("tasks must hold encoded tasks (ints from task_space.encode)")
            tasks = tasks.astype(np.int64)
        return tasks

    def _encode_tasks(self, tasks: Any) -> np.ndarray:
        if self._identity_encoding:
            arr = self._check_encoded(_numpy(tasks).reshape(-1))
            if arr.size and (arr.min() < 0 or arr.max() >= self.num_tasks):
                raise ValueError(f"tasks must be in {self.task_space!r}, got values {arr.min()}..{arr.max()}")
            return arr.astype(np.int64)
        return np.array([self.task_space.encode(t) for t in tasks], dtype=np.int64)

    def update_on_demand(self, metrics: Dict[str, Any]) -> None:
        """Learner-side update: a rollout dict (keys of `update_with_rollout`, with "advantages" or
        "action_log_dists" of shape [T, B]) or one streamed step ("value", "next_value", "rew", "dones",
        "tasks", optional "env_ids" and "action_log_dist").

        Args:
            metrics: the dict.
        """
        if not isinstance(metrics, dict):
            raise TypeError(f"PLR updates are dicts (see update_on_demand's docstring), got {type(metrics).__name__}")
        if "advantages" in metrics or "action_log_dists" in metrics:
            self.update_with_rollout(**metrics)
        else:
            self._update_on_step_dict(metrics)

    def _update_on_step_dict(self, metrics: Dict[str, Any]) -> None:
        try:
            tasks = self._encode_tasks(metrics["tasks"])
            dones = _numpy(metrics["dones"]).reshape(-1).astype(bool)
        except KeyError as e:
            raise KeyError(f"a streamed PLR update needs 'tasks' and 'dones' (missing {e})") from e
        ids = metrics.get("env_ids", metrics.get("actor_ids"))
        actor_ids = np.arange(len(tasks)) if ids is None else _numpy(ids).reshape(-1).astype(np.int64)
        if len(actor_ids) != len(tasks) or len(dones) != len(tasks):
            raise ValueError("'tasks', 'dones' and 'env_ids' of a streamed PLR update must have one entry per env")
        if actor_ids.size and (actor_ids.min() < 0 or actor_ids.max() >= self.num_processes):
            raise ValueError(f"env ids must be in [0, num_processes={self.num_processes}); raise num_processes")
        needs_values = self._sampler.requires_value_buffers
        rew = value = log_dist = None
        if needs_values:
            if "value" not in metrics or "rew" not in metrics:
                raise KeyError(f"'value' and 'rew' must be in every update for strategy {self._sampler.strategy!r}")
            value = _numpy(metrics["value"]).reshape(-1).astype(np.float64)
            rew = _numpy(metrics["rew"]).reshape(-1).astype(np.float64)
        else:
            if "action_log_dist" not in metrics:
                raise KeyError(f"'action_log_dist' must be in every update for strategy {self._sampler.strategy!r}")
            log_dist = _numpy(metrics["action_log_dist"]).astype(np.float64).reshape(len(tasks), -1)
        full = self._buffer.add(actor_ids, tasks, dones, rew, value, log_dist)
        if full.size == 0:
            return
        block = self._buffer.take(actor_ids[full])
        advantages = next_values = None
        if needs_values:
            if "next_value" not in metrics:
                raise KeyError(f"'next_value' must be in the update that completes every {self.num_steps} steps")
            last = _numpy(metrics["next_value"]).reshape(-1).astype(np.float64)[full]
            advantages, next_values = gae(
                block["rewards"], block["values"], block["dones"], last, self.gamma, self.gae_lambda
            )
        self._sampler.update_with_rollout(
            block["tasks"],
            block["dones"],
            actor_ids[full],
            advantages=advantages,
            rewards=block["rewards"],
            values=block["values"],
            next_values=next_values,
            action_log_dists=block["log_dists"],
        )
        self._after_rollout()

    # --- logging -------------------------------------------------------------------------------------------
    def metrics(self) -> Dict[str, float]:
        """Base metrics (entropy, active tasks, probabilities of the next draw) plus PLR's own."""
        out = super().metrics()
        out.update(self._sampler.metrics())
        out["curriculum/rollout_updates"] = float(self.num_rollout_updates)
        return out


class RobustPLR(PrioritizedLevelReplay):
    """Robust PLR (arXiv 2110.02439): PLR whose learner trains only on replayed levels.

    Sampling and scoring are PLR's. The difference is `trains_on`: the trainer asks it which steps of a batch to
    train on, and a step counts only when its level already had a score before the batch (a replay); the first
    episode on a level (the exploratory one) is scored, never trained on.

    Example:
        >>> robust = RobustPLR(Discrete(200), num_processes=64, seed=0)
        >>> mask = robust.trains_on(tasks)  # [T, B] bool
    """

    def trains_on(self, tasks: Any) -> np.ndarray:
        """Which steps (of encoded tasks, any shape) are on replayed levels."""
        return self._sampler.seen[self._check_encoded(_numpy(tasks))]
