"""check_env: find what is wrong with a task env before a training run does.

Runs the env for a few episodes the way sf_curric and the sync wrappers will: reset with `new_task=...`,
step with random actions, read `info["task"]` and `info["task_completion"]`. Problems that would break
training raise one `TaskEnvError` listing all of them, each with its fix; problems that would only weaken a
curriculum are returned (and logged) as warnings.
"""

from __future__ import annotations

import inspect
import logging
import math
from typing import Any, List

import gymnasium as gym
import numpy as np

from sf_curric.envs.task_env_error import TaskEnvError

log = logging.getLogger(__name__)


def _find_task_space(env: Any, task_space: Any) -> Any:
    if task_space is not None:
        return task_space
    try:
        return env.get_wrapper_attr("task_space") if hasattr(env, "get_wrapper_attr") else env.task_space
    except AttributeError:
        return None


def _current_task(env: Any) -> Any:
    try:
        return env.get_wrapper_attr("task") if hasattr(env, "get_wrapper_attr") else env.task
    except AttributeError:
        return None


def _accepts_new_task(env: Any) -> bool:
    params = inspect.signature(env.reset).parameters
    return "new_task" in params or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(np.all(np.asarray(a, dtype=object) == np.asarray(b, dtype=object)))
    except (ValueError, TypeError):
        return a == b


def check_env(
    env: Any, task_space: Any = None, num_episodes: int = 3, max_steps: int = 2000, seed: int = 0
) -> List[str]:
    """Check a task env (a `TaskWrapper`, a `TaskEnv`, or any env following their API).

    Args:
        env: the environment instance.
        task_space: its task space (a TaskSpace or gymnasium space); defaults to `env.task_space` if present.
        num_episodes: episodes to run, each on a freshly sampled task.
        max_steps: steps per episode after which the episode is reported as never ending.
        seed: seed of the task sampling, the resets and the random actions.

    Returns:
        Warnings (also logged): things that work but will weaken or slow a curriculum.

    Raises:
        TaskEnvError: the env would break training; the message lists each problem and how to fix it.

    Example:
        >>> from sf_curric import check_env
        >>> check_env(MyTaskWrapper(gym.make("CartPole-v1")), task_space=Discrete(10))
    """
    from sf_curric.envs.multi_agent import is_multi_agent, is_pettingzoo_env

    if is_pettingzoo_env(env) or is_multi_agent(env):  # agents as batch columns (docs/multi_agent.md)
        from sf_curric.envs.check_multi_agent import check_multi_agent_env

        return check_multi_agent_env(env, task_space, num_episodes, max_steps, seed)
    space, warnings = _check_api(env, task_space, seed)
    env.action_space.seed(seed)
    errors: List[str] = []
    missing_task_info = missing_completion = never_ends = False
    for episode in range(num_episodes):
        task = space.sample() if space is not None else None
        missing_task_info |= _check_reset(env, space, task, seed + episode, errors)
        no_completion, ended = _check_episode(env, max_steps, errors)
        missing_completion |= no_completion
        never_ends |= not ended
        if errors:
            break
    if missing_task_info:
        warnings.append("reset's info has no 'task': use TaskWrapper/TaskEnv, or add info['task'] = self.task")
    if missing_completion:
        warnings.append(
            "step's info has no 'task_completion': progress-driven curricula (SimpleBox, LearningProgress) will not "
            "learn; implement _task_completion in your TaskWrapper"
        )
    if never_ends:
        warnings.append(
            f"an episode did not end within {max_steps} steps: curricula only update when episodes end; add a time "
            "limit (gymnasium.wrappers.TimeLimit)"
        )
    if errors:
        raise TaskEnvError("task env problems:\n- " + "\n- ".join(dict.fromkeys(errors)))
    for warning in warnings:
        log.warning("check_env: %s", warning)
    return warnings


def _check_api(env: Any, task_space: Any, seed: int) -> tuple[Any, List[str]]:
    """The env's spaces and whether its reset takes tasks: `(task space or None, warnings)`, or a TaskEnvError."""
    from sf_curric.curricula.task_space import as_task_space

    errors: List[str] = []
    warnings: List[str] = []
    if not isinstance(env, gym.Env) and not (hasattr(env, "reset") and hasattr(env, "step")):
        raise TaskEnvError(f"{env!r} is not a gymnasium env: give it reset() and step() or subclass gym.Env")
    for attr in ("observation_space", "action_space"):
        if not isinstance(getattr(env, attr, None), gym.spaces.Space):
            errors.append(f"env.{attr} is missing or not a gymnasium Space: set it in the env's __init__")
    space = _find_task_space(env, task_space)
    takes_tasks = _accepts_new_task(env)
    if not takes_tasks and space is not None:
        errors.append(
            "env.reset does not accept new_task=...: wrap the env in sf_curric.TaskWrapper (or subclass TaskEnv) "
            "and implement change_task(new_task)"
        )
    if space is None:
        # a plain env (no tasks) trains without a curriculum; a task env should say which tasks it takes
        warnings.append(
            "no task space given or found on env.task_space: pass task_space= to check the tasks too"
            if takes_tasks
            else "the env takes no tasks (reset has no new_task): it trains, but without a curriculum"
        )
    else:
        space = as_task_space(space)
        space.seed(seed)
    if errors:
        raise TaskEnvError("task env problems:\n- " + "\n- ".join(errors))
    return space, warnings


def _check_reset(env: Any, space: Any, task: Any, seed: int, errors: List[str]) -> bool:
    """Reset with `task` and check what comes back (errors appended); returns True when the info has no 'task'."""
    if space is not None:
        encoded = space.encode(task)
        if not _same(space.decode(encoded), task):
            errors.append(f"task {task!r} does not survive encode/decode in {space!r}: report this as a bug")
    kwargs = {"new_task": task} if task is not None else {}
    try:
        result = env.reset(seed=seed, **kwargs)
    except Exception as e:  # any failure here is the finding; report it with the task that caused it
        raise TaskEnvError(
            f"reset(new_task={task!r}) raised {type(e).__name__}: {e}; make change_task accept every task of "
            f"{space!r} or narrow the task space"
        ) from e
    if not (isinstance(result, tuple) and len(result) == 2 and isinstance(result[1], dict)):
        raise TaskEnvError(
            "reset must return (obs, info) with a dict info (gymnasium >= 1.0 API); a TaskWrapper.reset override "
            "must return self.observation(obs), info"
        )
    obs, info = result
    if not env.observation_space.contains(obs):
        errors.append(f"reset's observation is not in observation_space {env.observation_space}: fix one of them")
    if task is None:
        return False
    if not _same(_current_task(env), task):
        errors.append(
            f"after reset(new_task={task!r}) env.task is {_current_task(env)!r}: set self.task in change_task "
            "(TaskWrapper/TaskEnv do it for you when change_task does not raise)"
        )
    return "task" not in info


def _check_episode(env: Any, max_steps: int, errors: List[str]) -> tuple[bool, bool]:
    """Step with random actions until the episode ends (at most `max_steps`), checking every step (errors appended);
    returns `(a step had no task_completion, the episode ended)`."""
    missing_completion = False
    for _step in range(max_steps):
        out = env.step(env.action_space.sample())
        if not (isinstance(out, tuple) and len(out) == 5):
            raise TaskEnvError("step must return (obs, reward, terminated, truncated, info) (gymnasium >= 1.0 API)")
        obs, rew, terminated, truncated, info = out
        if not isinstance(rew, (int, float, np.integer, np.floating)) or not math.isfinite(float(rew)):
            errors.append(f"step returned reward {rew!r}: return a finite float")
        if not isinstance(terminated, (bool, np.bool_)) or not isinstance(truncated, (bool, np.bool_)):
            errors.append("terminated and truncated must be bools: keep them apart, do not return one 'done'")
        if not isinstance(info, dict):
            raise TaskEnvError(f"step's info must be a dict, got {type(info).__name__}")
        if not env.observation_space.contains(obs):
            errors.append(f"step's observation is not in observation_space {env.observation_space}: fix one of them")
        progress = info.get("task_completion")
        if progress is None:
            missing_completion = True
        elif not isinstance(progress, (bool, np.bool_, int, float, np.integer, np.floating)) or not (
            0.0 <= float(progress) <= 1.0
        ):
            errors.append(
                f"info['task_completion'] is {progress!r}: _task_completion must return a float in [0, 1] or a bool"
            )
        if errors or terminated or truncated:
            return missing_completion, True
    return missing_completion, False
