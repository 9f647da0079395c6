"""Env failures inside a rollout worker: rebuild the env, discard its episode, count, stop on a crash loop.

`RolloutWorker` calls `EnvGuard.recover()` when an env raises in `step` or `reset`. The guard logs the error with
the env's global index and task, closes and rebuilds that env, resets it (with a new task when there is a
curriculum) and resets the episode counters, so the broken episode is never reported as finished (no
`EpisodeSummary`, so the curriculum never sees it). The rollout marks the failed step as truncated with reward 0
and bootstraps from the value of the last good observation, so advantages never cross into the next episode.
More than `--max_env_errors` failures in one worker within its last `--env_error_window` env steps (a rate: rare
errors never add up to a stop in a long run; 0 counts over the whole run) stop it with `EnvErrorLimitExceeded`,
whose cause is the last env error (its traceback is printed), instead of rebuilding envs forever.

Envs whose spaces differ between instances, or whose observations stop matching their declared space, are bugs
rather than transient failures: they stop the run at once with `EnvSpaceError`, a one-line message naming the fix.
"""

from __future__ import annotations

import logging
from collections import deque
from typing import Any, Callable, Sequence

import gymnasium as gym
import numpy as np

from sf_curric.cfg.validation import ConfigError

log = logging.getLogger(__name__)

# Builds a fresh env for column `i` of the worker.
EnvFactory = Callable[[int], gym.Env]


class EnvErrorLimitExceeded(RuntimeError):
    """More env exceptions in one worker than `--max_env_errors`; `__cause__` is the last env error."""


class EnvSpaceError(ConfigError):
    """An env's spaces differ from the run's, or its observations do not match its observation space."""


def check_same_spaces(
    envs: Sequence[gym.Env],
    env_ids: Sequence[int],
    obs_space: gym.Space | None = None,
    action_space: gym.Space | None = None,
) -> None:
    """Raise `EnvSpaceError` unless every env declares the same spaces (those given, else those of `envs[0]`).

    Args:
        envs: the envs of one worker.
        env_ids: their global indices (for the message).
        obs_space: the observation space the policy was built for (default: `envs[0]`'s).
        action_space: the action space the policy was built for (default: `envs[0]`'s).
    """
    obs_space = envs[0].observation_space if obs_space is None else obs_space
    action_space = envs[0].action_space if action_space is None else action_space
    for env, env_id in zip(envs, env_ids):
        for kind, declared, expected in (
            ("observation", env.observation_space, obs_space),
            ("action", env.action_space, action_space),
        ):
            if declared != expected:
                raise EnvSpaceError(
                    f"env {env_id} has {kind} space {declared} but the run uses {expected}: make every instance "
                    f"of the env (every env_config and task) declare the same {kind} space"
                )


def observation_mismatch(env_id: int, task: int, obs: Any, obs_space: gym.Space) -> EnvSpaceError:
    """The error for an observation that does not fit the declared observation space.

    Args:
        env_id: global index of the env.
        task: encoded task of its episode (-1 without a curriculum).
        obs: the observation it returned.
        obs_space: the space the run uses.
    """
    return EnvSpaceError(
        f"env {env_id} (task {task}) returned an observation of shape {_shapes(obs)}, but its observation space "
        f"has shape {_shapes(obs_space)}: make the env's observations match its observation_space after every reset"
    )


def _shapes(obs: Any) -> Any:
    """The shape of an observation or a space; `{key: shape}` for a dict of them."""
    if isinstance(obs, (dict, gym.spaces.Dict)):
        return {key: _shapes(value) for key, value in obs.items()}
    return tuple(obs.shape) if isinstance(obs, gym.Space) else np.shape(obs)


class EnvGuard:
    """Rebuilds failed envs of one `RolloutWorker` and counts the failures.

    Args:
        env_factory: builds a fresh env for column `i` of the worker.
        max_env_errors: failures tolerated in this worker within `window` env steps; one more raises
            `EnvErrorLimitExceeded`.
        window: env steps of the worker (`worker.env_steps`) over which failures are counted; 0: the whole run.

    Example:
        >>> worker.env_guard = EnvGuard(lambda i: make_env(cfg, env_configs[i]), cfg.max_env_errors, 100_000)
    """

    def __init__(self, env_factory: EnvFactory, max_env_errors: int, window: int = 0):
        self.env_factory = env_factory
        self.max_env_errors = int(max_env_errors)
        self.window = int(window)
        self.num_errors = 0
        self._error_steps: deque[int] = deque()  # worker env steps at each failure within the window

    def recover(self, worker: Any, i: int, exc: BaseException, where: str) -> Any:
        """Handle `exc` raised by env `i` of `worker` in `where` ("step" or "reset"); return the first
        observation of the rebuilt env's new episode.

        Args:
            worker: the `RolloutWorker` (its `episode_so_far`, `discard_episode` and `replace_env` are used).
            i: column of the failed env.
            exc: the exception it raised.
            where: "step" or "reset".

        Raises:
            EnvErrorLimitExceeded: more than `max_env_errors` failures in this worker.
        """
        while True:
            self._count(worker, i, exc, where)
            worker.discard_episode(i)
            try:
                worker.envs[i].close()
            except Exception:  # noqa: BLE001 - a broken env may fail to close too; it is replaced anyway
                log.debug("closing the failed env %d raised", int(worker.env_ids[i]), exc_info=True)
            try:
                return worker.replace_env(i, self.env_factory(i))
            except EnvSpaceError:
                raise
            except Exception as again:  # noqa: BLE001 - counted like any env error, up to the limit
                exc, where = again, "rebuild/reset"

    def _count(self, worker: Any, i: int, exc: BaseException, where: str) -> None:
        self.num_errors += 1
        env_id, task, lost = worker.episode_so_far(i)
        now = int(getattr(worker, "env_steps", 0))
        self._error_steps.append(now)
        while self.window > 0 and self._error_steps[0] <= now - self.window:
            self._error_steps.popleft()
        recent = len(self._error_steps)
        if recent > self.max_env_errors:
            span = f"within {self.window} env steps" if self.window > 0 else "in total"
            raise EnvErrorLimitExceeded(
                f"env {env_id} (task {task}) raised {type(exc).__name__} in {where}: {recent} env errors {span} in "
                f"this worker, more than --max_env_errors={self.max_env_errors}; fix the env (traceback above) or "
                f"raise --max_env_errors (or lower --env_error_window)"
            ) from exc
        log.warning(
            "env %d (task %d) raised %s in %s: %s; discarded its episode (%d steps), rebuilding the env "
            "(%d env errors in the window, %d tolerated; %d in total)",
            env_id,
            task,
            type(exc).__name__,
            where,
            exc,
            lost,
            recent,
            self.max_env_errors,
            self.num_errors,
            exc_info=exc,
        )
