"""The `Curriculum` base class: the one interface between environments, the learner and a curriculum.

Sampling: `sample(k)` returns k decoded tasks, drawn from `_sample_distribution()` (a probability per task of
`_tasks`) with the curriculum's own seeded RNG. Subclasses over continuous spaces override `sample` instead.

Updates: each kind of feedback has one method (new Syllabus names); the old names and the update dicts of the
synchronization layer all route to these methods, so a subclass overrides one method per kind:

- `update_on_step(task, obs, rew, term, trunc, info, progress, env_id)` / `update_on_step_batch(...)`
- `update_on_episode(episode_return, length, task, progress, env_id)`
- `update_task_progress(task, progress, env_id)`
- `update_on_learner_batch(feedback)`: the trainer's learner-side update per training batch (a `LearnerFeedback`)
- `update_on_demand(metrics)` for learner-side updates of other trainers (`update(metrics)`, `custom_update(...)`)

The seed (Syllabus README) names `complete_task`, `on_step` and `on_step_batch` work as overrides too: see
`sf_curric.curricula.hooks` for how they map to the newer names and which one is called when both are overridden.
"""

from __future__ import annotations

import copy
import math
import time
from typing import Any, Callable, Dict, List, Sequence

import numpy as np

from sf_curric.curricula import hooks, wandb_log
from sf_curric.curricula.learner_feedback import LearnerFeedback
from sf_curric.curricula.plain_state import from_plain, to_plain
from sf_curric.curricula.stat_recorder import StatRecorder
from sf_curric.curricula.task_space import TaskSpace, as_task_space

# update_type values of the Syllabus update dicts that `update_curriculum` understands
UPDATE_TYPES = (
    "step", "step_batch", "episode", "task_progress", "task_progress_batch", "on_demand", "add_task", "noop",
)  # fmt: skip


class Curriculum(hooks.SeedHookDefaults):
    """Base class of all curricula.

    Args:
        task_space: a `TaskSpace`, or a gymnasium space (Discrete, MultiDiscrete, Box, Tuple) wrapped for you.
        random_start_tasks: the first this many sampled tasks are drawn uniformly at random.
        task_names: optional function index -> name used in logged metric names.
        record_stats: keep per-task episode statistics in `self.stat_recorder` (finite spaces only).
        seed: seed of the curriculum's RNG; the same seed and the same updates give the same tasks.
        max_logged_tasks: per-task metrics are reported for at most this many tasks.
        use_wandb: log the task distribution to the current wandb run (`wandb.init()` in this process) when
            tasks are sampled, at most every `wandb_log_interval` seconds (needs the `wandb` extra).
            Seed 003's third positional argument: `Curriculum(task_space, 0, True)` means use_wandb=True.
        wandb_log_interval: seconds between two wandb logs from `sample`.

    Example:
        >>> curriculum = DomainRandomization(Discrete(10), seed=0)
        >>> tasks = curriculum.sample(4)
        >>> curriculum.update_on_episode(1.0, 20, tasks[0])
    """

    REQUIRES_STEP_UPDATES = False
    REQUIRES_EPISODE_UPDATES = False
    REQUIRES_LEARNER_UPDATES = False
    NEEDS_ACTION_LOGITS = False

    # attributes that are configuration or objects rebuilt by __init__, never part of state_dict()
    _NOT_STATE = frozenset(
        {"task_space", "task_names", "_task_list", "use_wandb", "wandb_log_interval", "_wandb_logged_at"}
    )

    def __init__(
        self,
        task_space: Any,
        random_start_tasks: int = 0,
        task_names: Callable[[int], str] | None = None,
        record_stats: bool = False,
        seed: int | None = None,
        max_logged_tasks: int = 16,
        use_wandb: bool = False,
        wandb_log_interval: float = 10.0,
    ) -> None:
        if isinstance(task_names, bool):  # seed 003's signature: Curriculum(task_space, random_start_tasks, use_wandb)
            task_names, use_wandb = None, use_wandb or task_names
        self.task_space: TaskSpace = as_task_space(task_space)
        if random_start_tasks < 0:
            raise ValueError(f"random_start_tasks must be >= 0, got {random_start_tasks}")
        self.random_start_tasks = int(random_start_tasks)
        self.task_names = task_names
        self.max_logged_tasks = int(max_logged_tasks)
        self.rng = np.random.default_rng(seed)
        if seed is not None:
            self.task_space.seed(seed)
        self._task_list: list | None = self.task_space.tasks
        self.stat_recorder = StatRecorder(self.task_space) if record_stats else None
        self.training_info: Dict[str, Any] = {}
        self.approx_total_training_steps = 0
        self.num_sampled_tasks = 0
        self.total_episodes = 0
        self.total_steps = 0
        self.completed_tasks = 0
        self.n_updates = 0
        self.use_wandb = bool(use_wandb)
        self.wandb_log_interval = float(wandb_log_interval)
        self._wandb_logged_at: float | None = None
        if self.use_wandb:
            wandb_log.require_wandb()

    # --- what the curriculum needs -------------------------------------------------------------------------
    @property
    def requires_step_updates(self) -> bool:
        """Whether per-step results must be sent (False lets the sync layer skip that traffic); true as well when
        the class overrides the seed step hooks `on_step` / `on_step_batch`."""
        return bool(self.REQUIRES_STEP_UPDATES) or hooks.uses_seed_step_hooks(type(self))

    @property
    def requires_episode_updates(self) -> bool:
        """Whether episode results are used."""
        return bool(self.REQUIRES_EPISODE_UPDATES)

    @property
    def requires_learner_updates(self) -> bool:
        """Whether the trainer calls `update_on_learner_batch(feedback)` after every training batch (PLR, ACCEL)."""
        return bool(self.REQUIRES_LEARNER_UPDATES)

    @property
    def needs_action_logits(self) -> bool:
        """Whether the rollouts store the acting policy's logits for `feedback.action_logits` (PLR policy scores)."""
        return bool(self.NEEDS_ACTION_LOGITS)

    @property
    def num_tasks(self) -> int | None:
        """Number of tasks in the task space (None when continuous)."""
        return self.task_space.num_tasks

    @property
    def tasks(self) -> list | None:
        """All tasks in index order (None when continuous)."""
        return None if self._task_list is None else list(self._task_list)

    @property
    def _n_tasks(self) -> int | None:
        return self.num_tasks

    @property
    def _tasks(self) -> list | None:
        return self.tasks

    # --- sampling ------------------------------------------------------------------------------------------
    def _sample_distribution(self) -> List[float]:
        """Probability of each task of `_tasks`; override this or `_sample_weights` in finite-space curricula."""
        raise NotImplementedError(f"{type(self).__name__} does not define a distribution over a finite task list")

    def sample_distribution(self) -> np.ndarray:
        """Probability of each task of `tasks` being drawn next (NotImplementedError without a finite list)."""
        return np.asarray(self._sample_distribution(), dtype=np.float64)

    def _sample_weights(self) -> np.ndarray:
        """`_sample_distribution()` as a float array; curricula with many tasks override this to skip lists."""
        return np.asarray(self._sample_distribution(), dtype=np.float64)

    def _in_random_start(self) -> bool:
        return self.num_sampled_tasks < self.random_start_tasks

    def _uniform_tasks(self, k: int) -> list:
        if self._task_list is not None:
            # floor(u * n): uniform over the list, and much cheaper per call than Generator.integers
            indices = (self.rng.random(k) * len(self._task_list)).astype(np.int64)
            return [self._task_list[i] for i in indices.tolist()]
        return [self.task_space.sample() for _ in range(k)]

    def _sample_cdf(self) -> np.ndarray:
        """Cumulative sum of `_sample_weights()`; curricula that cache their weights cache this too."""
        return np.cumsum(self._sample_weights(), dtype=np.float64)

    def _choose(self, cdf: np.ndarray, k: int) -> np.ndarray:
        """k indices drawn by inverse CDF with the curriculum RNG (one uniform per index)."""
        total = cdf[-1] if len(cdf) else 0.0
        if not total > 0 or not math.isfinite(total):
            raise ValueError(f"{type(self).__name__} produced an invalid task distribution (sum {total})")
        idx = np.searchsorted(cdf, self.rng.random(k) * total, side="right")
        return np.minimum(idx, len(cdf) - 1)

    def _sample_tasks(self, k: int) -> list:
        """Draw k tasks after the random start; override this (not `sample`) in subclasses."""
        if self._task_list is None:
            raise NotImplementedError(f"{type(self).__name__} must override _sample_tasks for a continuous space")
        return [self._task_list[i] for i in self._choose(self._sample_cdf(), k)]

    def sample(self, k: int = 1) -> list:
        """Sample k tasks.

        Args:
            k: number of tasks.

        Returns:
            A list of k decoded tasks (what `env.reset(new_task=...)` receives).
        """
        if k < 1:
            raise ValueError(f"sample(k) needs k >= 1, got {k}")
        n_random = min(k, max(0, self.random_start_tasks - self.num_sampled_tasks))
        tasks = self._uniform_tasks(n_random) if n_random else []
        if k > n_random:
            tasks += self._sample_tasks(k - n_random)
        self.num_sampled_tasks += k
        if self.use_wandb:
            self._maybe_log_to_wandb()
        return tasks

    # --- updates (new names) -------------------------------------------------------------------------------
    def update_task_progress(self, task: Any, progress: Any, env_id: int | None = None) -> None:
        """Report progress toward (or success on) a task: a float in [0, 1] or a bool.

        Args:
            task: the task the progress belongs to.
            progress: progress toward completion (1.0 / True: completed).
            env_id: index of the environment that reports it.
        """
        self.completed_tasks += 1

    def update_on_step(
        self,
        task: Any,
        obs: Any,
        rew: float,
        term: bool,
        trunc: bool,
        info: dict,
        progress: Any = None,
        env_id: int | None = None,
    ) -> None:
        """Report one environment step. Ignored unless `requires_step_updates`.

        Args:
            task: task of the episode the step belongs to.
            obs: observation after the step.
            rew: reward of the step.
            term: the episode terminated at this step.
            trunc: the episode was truncated at this step.
            info: the step's info dict.
            progress: task progress at this step (info["task_completion"] of a TaskWrapper).
            env_id: index of the environment.
        """

    def update_on_step_batch(self, step_results: Sequence[Sequence[Any]], env_id: int | None = None) -> None:
        """Report many steps at once, column-wise: `(tasks, obs, rews, terms, truncs, infos[, progresses])`.

        Args:
            step_results: six or seven equally long sequences.
            env_id: index of the environment that produced them.
        """
        columns = list(step_results)
        if len(columns) not in (6, 7):
            raise ValueError(
                "update_on_step_batch expects columns (tasks, obs, rews, terms, truncs, infos[, progresses]), "
                f"got {len(columns)} columns"
            )
        if len(columns) == 6:
            columns.append([None] * len(columns[0]))
        for task, obs, rew, term, trunc, info, progress in zip(*columns):
            hooks.call_update_on_step(self, task, obs, rew, term, trunc, info, progress, env_id)

    def update_on_episode(
        self,
        episode_return: float,
        length: int = 0,
        task: Any = None,
        progress: Any = None,
        env_id: int | None = None,
    ) -> None:
        """Report a finished episode.

        Args:
            episode_return: undiscounted return.
            length: number of steps.
            task: the task the episode ran.
            progress: final task progress, if the env reports one.
            env_id: index of the environment.
        """
        self.total_episodes += 1
        self.total_steps += int(length)
        if self.stat_recorder is not None and task is not None:
            self.stat_recorder.record(episode_return, length, task, env_id)

    def update_on_episode_extra_stats(self, task: Any, extra_stats: Dict[str, Any], env_id: int | None = None) -> None:
        """Custom end-of-episode statistics (`info["episode_extra_stats"]`, e.g. a win flag), after
        `update_on_episode`. The base class ignores them.

        Args:
            task: the task the episode ran.
            extra_stats: the env's dict of statistics (nested dicts allowed).
            env_id: index of the environment.
        """

    def update_on_learner_batch(self, feedback: LearnerFeedback) -> None:
        """The trainer's learner-side update after every training batch, when `requires_learner_updates` is true:
        `feedback` holds tasks, env ids, episode ends and the learner's own values, advantages and returns. The
        base class ignores it; PLR, Robust PLR and ACCEL score levels from it."""

    def trains_on(self, tasks: np.ndarray) -> np.ndarray | None:
        """`[T, B]` bool: which steps of a batch (by its encoded tasks) the learner trains on; None (the default):
        every step. Robust PLR and ACCEL train only on replayed levels."""
        return None

    def update_on_demand(self, metrics: Any) -> None:
        """Learner-side update (scores, losses) from other trainers. The base class has none; PLR overrides it.

        Args:
            metrics: whatever the curriculum documents.
        """

    def add_task(self, task: Any) -> None:
        """Add a task to the space; not supported by the built-in curricula."""
        raise NotImplementedError(f"{type(self).__name__} cannot add tasks after construction; list them up front")

    # --- dispatch and the old names --------------------------------------------------------------------------
    def update_curriculum(self, update: Dict[str, Any]) -> None:
        """Apply one Syllabus update dict: `{"update_type": ..., "metrics": ..., "env_id": ...}`.

        Args:
            update: `update_type` is one of step, step_batch, episode, task_progress, task_progress_batch,
                on_demand, add_task, noop; `metrics` holds the arguments (a tuple, or a dict for on_demand).
        """
        try:
            update_type = update["update_type"]
        except (KeyError, TypeError) as e:
            raise ValueError(
                f"an update dict needs an 'update_type' key (one of {UPDATE_TYPES}), got {update!r}"
            ) from e
        args = update.get("metrics", ())
        env_id = update.get("env_id")
        # the same routing as the sync servers and the trainer, so overridden seed hooks are called here too
        if update_type == "step":
            hooks.deliver_step(self, *args, env_id=env_id)
        elif update_type == "step_batch":
            hooks.deliver_step_batch(self, args, env_id=env_id)
        elif update_type == "episode":  # (return, length, task) as in Syllabus, or with progress fourth
            hooks.call_update_on_episode(self, *args, env_id=env_id)
        elif update_type == "task_progress":
            hooks.deliver_task_progress(self, *args, env_id=env_id)
        elif update_type == "task_progress_batch":
            for task, progress in zip(*args):
                hooks.deliver_task_progress(self, task, progress, env_id=env_id)
        elif update_type == "on_demand":
            self.update_on_demand(args)
        elif update_type == "add_task":
            self.add_task(args)
        elif update_type != "noop":
            raise ValueError(f"unknown update_type {update_type!r}; use one of {UPDATE_TYPES}")
        self.n_updates += 1

    def update_batch(self, updates: Sequence[Dict[str, Any]]) -> None:
        """Apply a list of update dicts in order."""
        for update in updates:
            self.update_curriculum(update)

    def update(self, metrics: Any) -> None:
        """Learner-side update; an update dict with an `update_type` key is dispatched like `update_curriculum`.

        Args:
            metrics: learner metrics for `update_on_demand`, or a Syllabus update dict.
        """
        if isinstance(metrics, dict) and "update_type" in metrics:
            self.update_curriculum(metrics)
        else:
            self.update_on_demand(metrics)

    def custom_update(self, *args: Any, **kwargs: Any) -> None:
        """Syllabus name for a learner-side update: forwards to `update_on_demand`."""
        self.update_on_demand(*args, **kwargs)

    def log_task_dist(
        self, task_dist: Sequence[float], check_dist: bool = True, writer: Any = None, step: int | None = None
    ) -> None:
        """Check a task distribution and write its probabilities to `writer`, and to wandb when `use_wandb`.

        Args:
            task_dist: one probability per task.
            check_dist: raise if it is not a probability distribution.
            writer: optional tensorboard-style writer.
            step: global step for the writer.
        """
        dist = np.asarray(task_dist, dtype=np.float64)
        if check_dist and (np.any(dist < 0) or not np.isclose(dist.sum(), 1.0, atol=1e-6)):
            raise ValueError(f"task_dist must be non-negative and sum to 1, got sum {dist.sum():.6g}")
        if writer is not None:
            for key, value in self._distribution_metrics(dist).items():
                writer.add_scalar(key, value, step)
        if self.use_wandb:
            wandb_log.log(self._distribution_metrics(dist), step)

    def _maybe_log_to_wandb(self) -> None:
        now = time.monotonic()
        if self._wandb_logged_at is not None and now - self._wandb_logged_at < self.wandb_log_interval:
            return
        self._wandb_logged_at = now
        metrics = self.metrics()
        if metrics:
            wandb_log.log(metrics)

    # --- training info -------------------------------------------------------------------------------------
    def set_training_info(self, training_info: Dict[str, Any]) -> None:
        """Receive training progress from the trainer (`approx_total_training_steps` at least).

        Args:
            training_info: dict from the runner's `_propagate_training_info()`.
        """
        self.training_info = dict(training_info)
        self.approx_total_training_steps = int(self.training_info.get("approx_total_training_steps", 0))

    # --- metrics -------------------------------------------------------------------------------------------
    def _task_label(self, index: int) -> str:
        return str(self.task_names(index)) if self.task_names is not None else str(index)

    def _distribution_metrics(self, dist: np.ndarray) -> Dict[str, float]:
        p = dist[dist > 0]
        total = dist.sum()
        out = {
            "curriculum/entropy": max(0.0, float(-(p / total * np.log(p / total)).sum())) if total > 0 else 0.0,
            "curriculum/num_active_tasks": float(len(p)),
        }
        for i in range(min(len(dist), self.max_logged_tasks)):
            out[f"curriculum/task_{self._task_label(i)}_prob"] = float(dist[i])
        return out

    def metrics(self) -> Dict[str, float]:
        """Numbers worth logging: entropy, number of tasks with non-zero probability, per-task probabilities
        (first `max_logged_tasks`), per-task mean return when stats are recorded, and curriculum specifics."""
        out: Dict[str, float] = {}
        if self._task_list is not None:
            try:
                dist = self._sample_weights()
            except NotImplementedError:
                dist = None
            if dist is not None and dist.size:
                out.update(self._distribution_metrics(dist))
        if self.stat_recorder is not None:
            out.update(self.stat_recorder.metrics(self.max_logged_tasks))
        return out

    def log_metrics(self, writer: Any, step: int | None = None, log_full_dist: bool = False) -> None:
        """Write `metrics()` to a tensorboard-style writer (anything with `add_scalar(name, value, step)`).

        Args:
            writer: e.g. a `tensorboardX.SummaryWriter`.
            step: global step.
            log_full_dist: report every task's probability, not only the first `max_logged_tasks`.
        """
        limit = self.max_logged_tasks
        if log_full_dist and self.num_tasks is not None:
            self.max_logged_tasks = self.num_tasks
        try:
            items = self.metrics().items()
        finally:
            self.max_logged_tasks = limit
        for key, value in items:
            writer.add_scalar(key, value, step)

    # --- checkpointing -------------------------------------------------------------------------------------
    def state_dict(self) -> Dict[str, Any]:
        """Everything that changes while training, RNG included, so a resumed run continues identically."""
        state: Dict[str, Any] = {}
        for key, value in vars(self).items():
            if key in self._NOT_STATE or callable(value):
                continue
            if isinstance(value, np.random.Generator):
                state[key] = {"__rng__": copy.deepcopy(value.bit_generator.state)}
            elif hasattr(value, "state_dict") and hasattr(value, "load_state_dict"):
                state[key] = {"__nested__": value.state_dict()}
            else:
                state[key] = copy.deepcopy(to_plain(value))
        state["__task_space_rng__"] = copy.deepcopy(self.task_space._rng.bit_generator.state)
        return {"class": type(self).__name__, "state": state}

    def load_state_dict(self, state_dict: Dict[str, Any]) -> None:
        """Restore a state produced by `state_dict()` of the same curriculum class.

        Args:
            state_dict: the dict returned by `state_dict()`.
        """
        if state_dict.get("class") != type(self).__name__:
            raise ValueError(
                f"this checkpoint holds a {state_dict.get('class')} curriculum state, not a {type(self).__name__}; "
                "construct the same curriculum class before loading"
            )
        state = dict(state_dict["state"])
        self.task_space._rng.bit_generator.state = copy.deepcopy(state.pop("__task_space_rng__"))
        for key, value in state.items():
            if isinstance(value, dict) and "__rng__" in value:
                rng = np.random.default_rng()
                rng.bit_generator.state = copy.deepcopy(value["__rng__"])
                setattr(self, key, rng)
            elif isinstance(value, dict) and "__nested__" in value:
                getattr(self, key).load_state_dict(value["__nested__"])
            else:
                setattr(self, key, from_plain(copy.deepcopy(value)))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.task_space!r})"
