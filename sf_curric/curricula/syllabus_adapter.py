"""The Syllabus API of `Curriculum`, in one place: its names, its update dicts and its argument orders.

`Curriculum` (curriculum.py) is the base every curriculum subclasses: `sample` and a few hooks. This module is the
adapter that lets code written for Syllabus (seeds 002-004, docs/conformance.md) drive the same curricula:

- the seed names `complete_task(task, success_prob)`, `on_step(obs, rew, done, info)` and
  `on_step_batch(step_results)` (rows `(obs, rew, done, info)`), as calls and as overrides: `complete_task` maps to
  `update_task_progress`, `on_step` to `update_on_step(None, obs, rew, done, False, info)`, `on_step_batch` to
  `on_step` per row when `on_step` is overridden, else `update_on_step_batch`;
- the update dicts (`update_curriculum({"update_type": ..., "metrics": ..., "env_id": ...})`, `update_batch`,
  `update`), `custom_update` / `update_on_demand` for learner-side updates of other trainers, `add_task`,
  `log_task_dist`, `_n_tasks`, `_tasks`;
- the routing every feedback route uses (`deliver_episode`, `deliver_task_progress`, `deliver_step_batch`,
  `deliver_step`): the trainer's host and the sync wrappers' servers reach a curriculum's hooks only through these.

When a class overrides a seed name, the seed name is called and the newer name is reached only through the seed
name's default (`super().complete_task(...)`): the seed name is the outer hook. Overriding a seed step hook also
makes `requires_step_updates` true, so the sync wrappers send steps without further configuration.

The newer hooks may be overridden in Syllabus's argument order (`update_on_episode(episode_return, length, task,
env_id=None)`, `update_on_step(task, obs, rew, term, trunc, info, env_id=None)`) or in ours (with `progress`
before `env_id`), with the optional arguments positional or keyword-only: the core arguments are passed by
position, `progress` and `env_id` by keyword and only when the override accepts them (read once per class).
"""

from __future__ import annotations

import functools
import inspect
from typing import Any, Dict, NamedTuple, Sequence, Tuple

import numpy as np

from sf_curric.curricula import wandb_log

# update_type values of the Syllabus update dicts that `update_curriculum` understands
UPDATE_TYPES = (
    "step", "step_batch", "episode", "task_progress", "task_progress_batch", "on_demand", "add_task", "noop",
)  # fmt: skip
# seed name -> the newer name it maps to
SEED_TO_NEW = {
    "complete_task": "update_task_progress",
    "on_step": "update_on_step",
    "on_step_batch": "update_on_step_batch",
}
_OPTIONAL = ("progress", "env_id")


class _Plan(NamedTuple):
    """What one curriculum class overrides, worked out once per class."""

    complete_task: bool
    on_step: bool
    on_step_batch: bool
    episode_kwargs: Tuple[str, ...]
    step_kwargs: Tuple[str, ...]
    progress_kwargs: Tuple[str, ...]
    step_batch_kwargs: Tuple[str, ...]


def _accepted(fn: Any, names: Sequence[str]) -> Tuple[str, ...]:
    """The names among `names` that `fn` takes as keywords (all of them when it has **kwargs)."""
    if fn is None:
        return ()
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):  # not introspectable: assume our own signature
        return tuple(names)
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return tuple(names)
    keyword_kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return tuple(n for n in names if n in params and params[n].kind in keyword_kinds)


def _overrides(cls: type, name: str) -> bool:
    """Whether `cls` defines the seed hook `name` itself (not the default `Curriculum` inherits from here)."""
    impl = getattr(cls, name, None)
    if impl is None:
        return False
    if issubclass(cls, SyllabusAdapter):  # every Curriculum
        return impl is not getattr(SyllabusAdapter, name)
    return getattr(cls, SEED_TO_NEW[name], None) is None  # an object that follows the API with seed names only


@functools.cache
def plan(cls: type) -> _Plan:
    """Which hooks `cls` overrides and which optional arguments its newer hooks take (cached per class)."""
    return _Plan(
        complete_task=_overrides(cls, "complete_task"),
        on_step=_overrides(cls, "on_step"),
        on_step_batch=_overrides(cls, "on_step_batch"),
        episode_kwargs=_accepted(getattr(cls, "update_on_episode", None), _OPTIONAL),
        step_kwargs=_accepted(getattr(cls, "update_on_step", None), _OPTIONAL),
        progress_kwargs=_accepted(getattr(cls, "update_task_progress", None), ("env_id",)),
        step_batch_kwargs=_accepted(getattr(cls, "update_on_step_batch", None), ("env_id",)),
    )


def _kwargs(names: Tuple[str, ...], **values: Any) -> dict:
    return {name: values[name] for name in names}


def call_update_on_episode(
    curriculum: Any, episode_return: float, length: int, task: Any, progress: Any = None, env_id: int | None = None
) -> None:
    """`curriculum.update_on_episode(...)` in the argument order its override uses."""
    kwargs = _kwargs(plan(type(curriculum)).episode_kwargs, progress=progress, env_id=env_id)
    curriculum.update_on_episode(episode_return, length, task, **kwargs)


def call_update_on_step(
    curriculum: Any,
    task: Any,
    obs: Any,
    rew: float,
    term: bool,
    trunc: bool,
    info: dict,
    progress: Any = None,
    env_id: int | None = None,
) -> None:
    """`curriculum.update_on_step(...)` in the argument order its override uses."""
    kwargs = _kwargs(plan(type(curriculum)).step_kwargs, progress=progress, env_id=env_id)
    curriculum.update_on_step(task, obs, rew, term, trunc, info, **kwargs)


def deliver_task_progress(curriculum: Any, task: Any, progress: Any, env_id: int | None = None) -> None:
    """Report progress on a task: `complete_task` when overridden, else `update_task_progress`."""
    p = plan(type(curriculum))
    if p.complete_task:
        curriculum.complete_task(task, progress)
    else:
        curriculum.update_task_progress(task, progress, **_kwargs(p.progress_kwargs, env_id=env_id))


def deliver_episode(
    curriculum: Any, episode_return: float, length: int, task: Any, progress: Any, env_id: int | None
) -> None:
    """Report a finished episode: its task progress (when the env reports one), then the episode itself."""
    if progress is not None:
        deliver_task_progress(curriculum, task, progress, env_id)
    call_update_on_episode(curriculum, episode_return, length, task, progress, env_id)


def seed_rows(step_results: Sequence[Sequence[Any]]) -> list:
    """Columns `(tasks, obs, rews, terms, truncs, infos[, progresses])` as seed rows `(obs, rew, done, info)`."""
    _, obs, rews, terms, truncs, infos = list(step_results)[:6]
    return [(o, r, bool(te) or bool(tr), i) for o, r, te, tr, i in zip(obs, rews, terms, truncs, infos)]


def deliver_step_batch(curriculum: Any, step_results: Sequence[Sequence[Any]], env_id: int | None = None) -> None:
    """Report consecutive steps of one env, column-wise: to the seed hooks when overridden, else
    `update_on_step_batch`."""
    p = plan(type(curriculum))
    if p.on_step_batch or p.on_step:
        # the default on_step_batch calls an overridden on_step once per row
        curriculum.on_step_batch(seed_rows(step_results))
    else:
        curriculum.update_on_step_batch(step_results, **_kwargs(p.step_batch_kwargs, env_id=env_id))


def deliver_step(
    curriculum: Any,
    task: Any,
    obs: Any,
    rew: float,
    term: bool,
    trunc: bool,
    info: dict,
    progress: Any = None,
    env_id: int | None = None,
) -> None:
    """Report one step: `on_step` / `on_step_batch` when overridden, else `update_on_step`."""
    p = plan(type(curriculum))
    if p.on_step:
        curriculum.on_step(obs, rew, bool(term) or bool(trunc), info)
    elif p.on_step_batch:
        curriculum.on_step_batch([(obs, rew, bool(term) or bool(trunc), info)])
    else:
        call_update_on_step(curriculum, task, obs, rew, term, trunc, info, progress, env_id)


class SyllabusAdapter:
    """Syllabus's names on every `Curriculum` (a base class of it): the seed hooks' defaults, which forward to the
    newer names, the update dicts and the learner-side updates of other trainers."""

    # --- seed hooks ------------------------------------------------------------------------------------------
    def complete_task(self, task: Any, success_prob: Any) -> None:
        """Seed name of `update_task_progress`; override either (see this module's docstring).

        Args:
            task: the task of the finished episode.
            success_prob: its final task completion (`info["task_completion"]`).
        """
        self.update_task_progress(task, success_prob)

    def on_step(self, *args: Any, env_id: int | None = None) -> None:
        """Seed name of `update_on_step`, called with `(obs, rew, done, info)`; the newer form works too."""
        if len(args) == 4:
            obs, rew, done, info = args
            call_update_on_step(self, None, obs, rew, bool(done), False, info, env_id=env_id)
        else:
            call_update_on_step(self, *args, env_id=env_id)

    def on_step_batch(self, step_results: Sequence[Any], env_id: int | None = None) -> None:
        """Seed name of `update_on_step_batch`, called with `(obs, rew, done, info)` rows: calls an overridden
        `on_step` once per row, else forwards to `update_on_step_batch` (columns work too)."""
        rows = list(step_results)
        if plan(type(self)).on_step:
            for row in rows:
                self.on_step(*row)
            return
        if rows and all(isinstance(r, (tuple, list)) and len(r) == 4 for r in rows) and len(rows) not in (6, 7):
            obs, rews, dones, infos = zip(*rows)
            n = len(rows)
            rows = [[None] * n, obs, rews, dones, [False] * n, infos]
        self.update_on_step_batch(rows, **_kwargs(plan(type(self)).step_batch_kwargs, env_id=env_id))

    # --- Syllabus's task-space names -------------------------------------------------------------------------
    @property
    def _n_tasks(self) -> int | None:
        return self.num_tasks

    @property
    def _tasks(self) -> list | None:
        return self.tasks

    # --- learner-side updates of other trainers --------------------------------------------------------------
    def update_on_demand(self, metrics: Any) -> None:
        """Learner-side update (scores, losses) from other trainers. The base class has none; PLR overrides it.

        Args:
            metrics: whatever the curriculum documents.
        """

    def custom_update(self, *args: Any, **kwargs: Any) -> None:
        """Syllabus name for a learner-side update: forwards to `update_on_demand`."""
        self.update_on_demand(*args, **kwargs)

    def add_task(self, task: Any) -> None:
        """Add a task to the space; not supported by the built-in curricula."""
        raise NotImplementedError(f"{type(self).__name__} cannot add tasks after construction; list them up front")

    # --- update dicts ----------------------------------------------------------------------------------------
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
            deliver_step(self, *args, env_id=env_id)
        elif update_type == "step_batch":
            deliver_step_batch(self, args, env_id=env_id)
        elif update_type == "episode":  # (return, length, task) as in Syllabus, or with progress fourth
            call_update_on_episode(self, *args, env_id=env_id)
        elif update_type == "task_progress":
            deliver_task_progress(self, *args, env_id=env_id)
        elif update_type == "task_progress_batch":
            for task, progress in zip(*args):
                deliver_task_progress(self, task, progress, env_id=env_id)
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

    # --- logging ---------------------------------------------------------------------------------------------
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
