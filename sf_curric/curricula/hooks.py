"""How feedback reaches a curriculum's hooks, whichever names and argument order the curriculum uses.

Every route that delivers environment feedback (the multiprocessing and Ray servers, the trainer's curriculum
host, `Curriculum.update_curriculum`) calls the functions here, so an override is found the same way everywhere.

Seed names (Syllabus README) and the newer names they map to:

- `complete_task(task, success_prob)`: once per finished episode that reports a task completion
  (`info["task_completion"]`, which every TaskWrapper/TaskEnv step sets); its default calls
  `update_task_progress(task, progress)`.
- `on_step(obs, rew, done, info)`: once per step (`done = terminated or truncated`); its default calls
  `update_on_step(None, obs, rew, done, False, info)`.
- `on_step_batch(step_results)`: rows `(obs, rew, done, info)`; its default calls `on_step` per row when
  `on_step` is overridden, else `update_on_step_batch`.

When a class overrides a seed name, the seed name is called and the newer name is reached only through the seed
name's default (`super().complete_task(...)`): the seed name is the outer hook. Overriding a seed step hook also
makes `requires_step_updates` true, so the sync wrappers send steps without further configuration.

The newer hooks may be overridden in Syllabus's argument order (`update_on_episode(episode_return, length, task,
env_id=None)`, `update_on_step(task, obs, rew, term, trunc, info, env_id=None)`) or in ours (with `progress`
before `env_id`), with the optional arguments positional or keyword-only: the core arguments are passed by
position, `progress` and `env_id` by keyword and only when the override accepts them.
"""

from __future__ import annotations

import functools
import inspect
import logging
import weakref
from typing import Any, NamedTuple, Sequence, Tuple

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
    if issubclass(cls, SeedHookDefaults):  # every Curriculum
        return impl is not getattr(SeedHookDefaults, name)
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


def uses_seed_step_hooks(cls: type) -> bool:
    """True when `cls` overrides `on_step` or `on_step_batch` (so it needs step updates)."""
    p = plan(cls)
    return p.on_step or p.on_step_batch


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
    else:
        _warn_progress_hook_unfed(curriculum)
    call_update_on_episode(curriculum, episode_return, length, task, progress, env_id)


_warned_unfed: weakref.WeakSet = weakref.WeakSet()  # curricula told that their progress hook starves


def _warn_progress_hook_unfed(curriculum: Any) -> None:
    """Say once per curriculum: an overridden `complete_task` / `update_task_progress` is called only for episodes
    whose last step reports `info["task_completion"]`, and this one did not (an env that never does leaves the
    override uncalled, silently otherwise)."""
    if curriculum in _warned_unfed:
        return
    cls = type(curriculum)
    names = [name for name in ("complete_task", "update_task_progress") if _defines_hook(cls, name)]
    if names:
        _warned_unfed.add(curriculum)
        logging.getLogger("sf_curric").warning(
            "%s overrides %s, but an episode ended without info['task_completion']: the hook is called only for "
            "episodes that report it (TaskWrapper/TaskEnv set it at every step; a plain env never does)",
            cls.__name__,
            " and ".join(names),
        )


def _defines_hook(cls: type, name: str) -> bool:
    """Whether `cls` (or a base other than the defaults here and `Curriculum`) defines hook `name`."""
    for klass in cls.__mro__:
        if klass.__module__ in (__name__, "sf_curric.curricula.curriculum") or klass is object:
            continue
        if name in vars(klass):
            return True
    return False


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


class SeedHookDefaults:
    """The seed hooks' default implementations, which forward to the newer names (a base of `Curriculum`)."""

    def complete_task(self, task: Any, success_prob: Any) -> None:
        """Seed name of `update_task_progress`; override either (see `sf_curric.curricula.hooks`).

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
