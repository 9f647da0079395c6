"""The `Curriculum` base class: `sample` plus a few hooks, the one interface between envs, the learner and a curriculum.

Sampling: `sample(k)` returns k decoded tasks, drawn from `_sample_distribution()` (a probability per task of
`tasks`) with the curriculum's own seeded RNG. Subclasses over continuous spaces override `_sample_tasks` instead.

Hooks, each called once per report (default: bookkeeping only); override the ones the curriculum learns from:

- `update_on_episode(episode_return, length, task, progress, env_id)` and `update_task_progress(task, progress,
  env_id)` at every finished episode, `update_on_episode_extra_stats(task, extra_stats, env_id)` after them;
- `update_on_step_batch(step_results, env_id)` (or `update_on_step(...)` per step);
- `update_on_learner_batch(feedback)`: the trainer's learner-side update per training batch (a `LearnerFeedback`);
- `trains_on(tasks)`: which steps of a batch the learner trains on; `set_training_info(info)`.

What a curriculum needs follows from what it overrides: step results are sent only to a curriculum that overrides
a step hook (`requires_step_updates`), learner batches only to one that overrides `update_on_learner_batch`
(`requires_learner_updates`). Syllabus's names (`complete_task`, `on_step`, update dicts, ...) and argument orders
live in one adapter, `sf_curric.curricula.syllabus_adapter`, a base class of this one.
"""

from __future__ import annotations

import copy
import functools
import math
import time
from typing import Any, Callable, Dict, List, Sequence

import numpy as np

from sf_curric.curricula import syllabus_adapter, wandb_log
from sf_curric.curricula.learner_feedback import LearnerFeedback
from sf_curric.curricula.plain_state import from_plain, to_plain
from sf_curric.curricula.stat_recorder import StatRecorder
from sf_curric.curricula.task_space import TaskSpace, as_task_space


class Curriculum(syllabus_adapter.SyllabusAdapter):
    """Base class of all curricula.

    Args:
        task_space: a `TaskSpace`, or a gymnasium space (Discrete, MultiDiscrete, Box, Tuple) wrapped for you.
        random_start_tasks: the first this many sampled tasks are drawn uniformly at random.
        task_names: optional function index -> name used in logged metric names.
        record_stats: keep per-task episode statistics in `self.stat_recorder` (finite spaces only).
        seed: seed of the curriculum's RNG; the same seed and the same updates give the same tasks.
        max_logged_tasks: per-task metrics are reported for at most this many tasks.
        use_wandb: log the task distribution to the current wandb run (`wandb.init()` in this process) when
            tasks are sampled, at most every `wandb_log_interval` seconds (needs `pip install "sf_curric[wandb]"`).
            Seed 003's third positional argument: `Curriculum(task_space, 0, True)` means use_wandb=True.
        wandb_log_interval: seconds between two wandb logs from `sample`.

    Example:
        >>> curriculum = DomainRandomization(Discrete(10), seed=0)
        >>> tasks = curriculum.sample(4)
        >>> curriculum.update_on_episode(1.0, 20, tasks[0])
    """

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

    # --- what the curriculum needs: read from what its class overrides -----------------------------------------
    @property
    def requires_step_updates(self) -> bool:
        """Whether per-step results must be sent (False lets the trainer and the sync layer skip that traffic):
        true when the class overrides `update_on_step_batch`, `update_on_step`, `on_step` or `on_step_batch`."""
        return overrides_any(type(self), STEP_HOOKS)

    @property
    def requires_learner_updates(self) -> bool:
        """Whether the trainer calls `update_on_learner_batch(feedback)` after every training batch: true when the
        class overrides it (PLR, Robust PLR, ACCEL)."""
        return overrides_any(type(self), ("update_on_learner_batch",))

    @property
    def needs_action_logits(self) -> bool:
        """Whether the rollouts store the acting policy's logits for `feedback.action_logits`: False unless a
        curriculum that scores from them overrides this (PLR's policy strategies depend on its `strategy`)."""
        return False

    @property
    def num_tasks(self) -> int | None:
        """Number of tasks in the task space (None when continuous)."""
        return self.task_space.num_tasks

    @property
    def tasks(self) -> list | None:
        """All tasks in index order (None when continuous)."""
        return None if self._task_list is None else list(self._task_list)

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
        """Report one environment step (sent only when `requires_step_updates`: override this or
        `update_on_step_batch` to receive steps).

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
            syllabus_adapter.call_update_on_step(self, task, obs, rew, term, trunc, info, progress, env_id)

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
        """The trainer's learner-side update after every training batch, called only when a subclass overrides it:
        `feedback` holds tasks, env ids, episode ends and the learner's own values, advantages and returns. PLR,
        Robust PLR and ACCEL score levels from it."""

    def trains_on(self, tasks: np.ndarray) -> np.ndarray | None:
        """`[T, B]` bool: which steps of a batch (by its encoded tasks) the learner trains on; None (the default):
        every step. Robust PLR and ACCEL train only on replayed levels."""
        return None

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


# the hooks whose override asks for step results
STEP_HOOKS = ("update_on_step", "update_on_step_batch", "on_step", "on_step_batch")


@functools.cache
def overrides_any(cls: type, names: tuple[str, ...]) -> bool:
    """Whether `cls` (a `Curriculum` subclass) overrides any of the methods `names` (cached per class)."""
    return any(getattr(cls, name) is not getattr(Curriculum, name) for name in names)
