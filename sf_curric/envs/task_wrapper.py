"""TaskWrapper and TaskEnv: the task interface that curricula drive (gymnasium 1.x API).

`reset(new_task=...)` (or `reset(options={"new_task": ...})`, for vector envs that only pass options) calls
`change_task(new_task)` before the inner reset. Every step puts `_task_completion(...)` into
`info["task_completion"]` (overrides may take `(obs, rew, terminated, truncated, info)` or seed 003's
`(obs, rew, done, info)`, with `done = terminated or truncated`); reset and step put the current task into
`info["task"]`. When `_encode_goal()` returns something, `observation()` adds it to dict observations under "goal".
"""

from __future__ import annotations

import functools
import inspect
from typing import Any, SupportsFloat

import gymnasium as gym


def _as_task_space(task_space: Any) -> Any:
    """Wrap a gymnasium space in the matching task space (so that Box tasks given as tuples are accepted)."""
    if task_space is None:
        return None
    from sf_curric.curricula.task_space import as_task_space

    return as_task_space(task_space)


@functools.cache
def _seed_task_completion(cls: type) -> bool:
    """Whether `cls._task_completion` has seed 003's form `(obs, rew, done, info)` (worked out once per class)."""
    try:
        params = list(inspect.signature(cls._task_completion).parameters.values())[1:]  # without self
    except (TypeError, ValueError):
        return False
    if any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in params):
        return False
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return sum(p.kind in positional for p in params) == 4


def _pop_new_task(new_task: Any, options: dict | None) -> tuple[Any, dict | None]:
    if options is not None and "new_task" in options:
        options = dict(options)
        from_options = options.pop("new_task")
        if new_task is None:
            new_task = from_options
        options = options or None
    return new_task, options


class _TaskInterface:
    """Methods shared by TaskWrapper and TaskEnv (override the hooks, not `reset`/`step`)."""

    task: Any
    task_space: Any
    task_completion: float

    def change_task(self, new_task: Any) -> None:
        """Make the next episode run `new_task` (set a parameter, pick a level seed, ...).

        Called from `reset(new_task=...)` before the environment resets. Override it.

        Args:
            new_task: a decoded task from the curriculum.
        """
        raise NotImplementedError(
            f"{type(self).__name__}.change_task is not implemented; override it to apply a task to the environment"
        )

    def _task_completion(self, obs: Any, rew: SupportsFloat, terminated: bool, truncated: bool, info: dict) -> float:
        """Progress toward the current task (float in [0, 1] or bool). Default: 1.0 when the episode ends."""
        return 1.0 if terminated or truncated else 0.0

    def _encode_goal(self) -> Any:
        """An encoding of the current task to show the agent (goal-conditioned policies); None for none."""
        return None

    def observation(self, observation: Any) -> Any:
        """Add the goal encoding to a dict observation under "goal"; override for other layouts."""
        goal = self._encode_goal()
        if goal is None:
            return observation
        if not isinstance(observation, dict):
            raise TypeError(
                f"{type(self).__name__}._encode_goal returned a goal but the observation is a "
                f"{type(observation).__name__}; override observation() to combine them, or use a Dict observation space"
            )
        observation = dict(observation)
        observation["goal"] = goal
        return observation

    def _apply_task(self, new_task: Any) -> None:
        space = getattr(self, "task_space", None)
        if space is not None and hasattr(space, "contains") and not space.contains(new_task):
            raise ValueError(f"task {new_task!r} is not in {space!r}; sample tasks from the env's task space")
        self.change_task(new_task)
        self.task = new_task

    def _finish_step(self, obs: Any, rew: SupportsFloat, terminated: bool, truncated: bool, info: dict) -> tuple:
        if _seed_task_completion(type(self)):
            self.task_completion = self._task_completion(obs, rew, bool(terminated) or bool(truncated), info)
        else:
            self.task_completion = self._task_completion(obs, rew, terminated, truncated, info)
        info["task_completion"] = self.task_completion
        info["task"] = self.task
        return self.observation(obs), rew, terminated, truncated, info


class TaskWrapper(_TaskInterface, gym.Wrapper):
    """Wrap an existing env to make it task-driven.

    Args:
        env: the environment to wrap.
        task_space: optional task space or gymnasium space (checked on every `change_task`).
        default_task: optional task applied at construction.

    Example:
        >>> class CartPoleInitRange(TaskWrapper):
        ...     def change_task(self, new_task):
        ...         self.low, self.high = new_task
    """

    def __init__(self, env: gym.Env, task_space: Any = None, default_task: Any = None) -> None:
        gym.Wrapper.__init__(self, env)
        self.task_space = _as_task_space(task_space)
        self.task = None
        self.task_completion = 0.0
        if default_task is not None:
            self._apply_task(default_task)

    def reset(self, *, seed: int | None = None, options: dict | None = None, new_task: Any = None):
        """Reset, switching to `new_task` first when one is given.

        Args:
            seed: forwarded to the inner reset.
            options: forwarded to the inner reset; an "new_task" entry is taken out and applied.
            new_task: the task of the next episode (None keeps the current task).
        """
        new_task, options = _pop_new_task(new_task, options)
        if new_task is not None:
            self._apply_task(new_task)
        self.task_completion = 0.0
        obs, info = self.env.reset(seed=seed, options=options)
        info = dict(info)
        info["task"] = self.task
        return self.observation(obs), info

    def step(self, action: Any):
        """Step the inner env, adding `info["task_completion"]` and `info["task"]`."""
        obs, rew, terminated, truncated, info = self.env.step(action)
        return self._finish_step(obs, rew, terminated, truncated, dict(info))


class TaskEnv(_TaskInterface, gym.Env):
    """Base class for an env written task-aware from the start.

    Implement `_reset(seed, options) -> (obs, info)`, `_step(action) -> 5-tuple` and `change_task`.

    Args:
        task_space: optional task space (checked on every `change_task`).

    Example:
        >>> class Corridor(TaskEnv):
        ...     def change_task(self, new_task):
        ...         self.length = new_task
    """

    def __init__(self, task_space: Any = None) -> None:
        self.task_space = _as_task_space(task_space)
        self.task = None
        self.task_completion = 0.0

    def _reset(self, seed: int | None = None, options: dict | None = None) -> tuple:
        raise NotImplementedError(f"{type(self).__name__} must implement _reset(seed, options) -> (obs, info)")

    def _step(self, action: Any) -> tuple:
        raise NotImplementedError(
            f"{type(self).__name__} must implement _step(action) -> (obs, rew, term, trunc, info)"
        )

    def reset(self, *, seed: int | None = None, options: dict | None = None, new_task: Any = None):
        """Reset, switching to `new_task` first when one is given (see `TaskWrapper.reset`)."""
        new_task, options = _pop_new_task(new_task, options)
        super().reset(seed=seed)
        if new_task is not None:
            self._apply_task(new_task)
        self.task_completion = 0.0
        obs, info = self._reset(seed=seed, options=options)
        info = dict(info)
        info["task"] = self.task
        return self.observation(obs), info

    def step(self, action: Any):
        """Run `_step` and add `info["task_completion"]` and `info["task"]`."""
        obs, rew, terminated, truncated, info = self._step(action)
        return self._finish_step(obs, rew, terminated, truncated, dict(info))
