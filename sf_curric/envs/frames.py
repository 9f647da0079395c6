"""Sample Factory's `--env_frameskip` and `--env_framestack` for pixel envs.

A gymnasium id whose observations are images `(H, W, C)` (e.g. `ALE/Breakout-v5` with `frameskip=1` in
`--env_kwargs`) is wrapped here: `MaxAndSkip` repeats each action `--env_frameskip` times (rewards summed, the
observation the pixel-wise max of the last two frames, as Sample Factory's and the DQN papers' `MaxAndSkipEnv`), then
`FrameStack` concatenates the last `--env_framestack` observations along the channels. An env registered with
`register_env` reads `cfg.env_frameskip` / `cfg.env_framestack` itself, as Sample Factory's env factories do; EnvPool
envs (`--env=envpool:...`) take them as EnvPool's `frame_skip` and `stack_num`.

With `--summaries_use_frameskip` (default, as in Sample Factory) the run counts env steps in frames: each policy
step is `--env_frameskip` frames (budgets, FPS and the curve's x-axis).
"""

from __future__ import annotations

from collections import deque
from typing import Any

import gymnasium as gym
import numpy as np

from sf_curric.envs.args import env_flag


def is_image_space(space: gym.Space) -> bool:
    """A 3-D Box: an `(H, W, C)` image."""
    return isinstance(space, gym.spaces.Box) and len(space.shape) == 3


class MaxAndSkip(gym.Wrapper):
    """Repeat each action `skip` times: rewards summed, the observation the max of the last two frames; an episode
    that ends within the repeats ends the step.

    Args:
        env: the env.
        skip: frames per action.
    """

    def __init__(self, env: gym.Env, skip: int):
        super().__init__(env)
        self.skip = skip

    def step(self, action: Any) -> tuple:
        total, frames = 0.0, deque(maxlen=2)
        terminated = truncated = False
        info: dict = {}
        for _ in range(self.skip):
            obs, reward, terminated, truncated, info = self.env.step(action)
            frames.append(obs)
            total += float(reward)
            if terminated or truncated:
                break
        return np.max(np.stack(frames), axis=0), total, terminated, truncated, info


class FrameStack(gym.ObservationWrapper):
    """The last `k` observations concatenated along the channel axis: `(H, W, C)` -> `(H, W, k * C)`, oldest first;
    at a reset the first observation fills the stack.

    Args:
        env: an env with `(H, W, C)` observations.
        k: frames stacked.
    """

    def __init__(self, env: gym.Env, k: int):
        super().__init__(env)
        space = env.observation_space
        self.k = k
        self.frames: deque = deque(maxlen=k)
        self.observation_space = gym.spaces.Box(
            np.concatenate([space.low] * k, axis=-1), np.concatenate([space.high] * k, axis=-1), dtype=space.dtype
        )

    def reset(self, **kwargs: Any) -> tuple:
        obs, info = self.env.reset(**kwargs)
        self.frames.extend([obs] * self.k)
        return self.observation(obs), info

    def step(self, action: Any) -> tuple:
        obs, reward, terminated, truncated, info = self.env.step(action)
        self.frames.append(obs)
        return self.observation(obs), reward, terminated, truncated, info

    def observation(self, observation: Any) -> np.ndarray:
        return np.concatenate(list(self.frames), axis=-1)


def wrap_frames(env: gym.Env, cfg: Any) -> gym.Env:
    """`env` with frame skipping and stacking when its observations are images and the flags ask for them.

    Args:
        env: a gymnasium env made from a gymnasium id.
        cfg: reads `--env_frameskip`, `--env_framestack` (a config without them: no wrapping).
    """
    if cfg is None or not is_image_space(env.observation_space):
        return env
    skip, stack = env_flag(cfg, "env_frameskip"), env_flag(cfg, "env_framestack")
    if skip > 1:
        env = MaxAndSkip(env, skip)
    if stack > 1:
        env = FrameStack(env, stack)
    return env


def frames_per_step(cfg: Any, registered: bool, obs_space: gym.Space) -> int:
    """Frames counted per policy step: `--env_frameskip` with `--summaries_use_frameskip` where frames are skipped
    (a pixel env, a registered env, EnvPool), else 1.

    Args:
        cfg: the run's config.
        registered: `--env` is a name given to `register_env` (EnvPool's included).
        obs_space: the env's observation space.
    """
    skips = registered or is_image_space(obs_space)
    return int(env_flag(cfg, "env_frameskip")) if skips and env_flag(cfg, "summaries_use_frameskip") else 1


def frame_flag_notes(cfg: Any, registered: bool, obs_space: gym.Space) -> list[str]:
    """One line per `--env_frameskip` / `--env_framestack` typed where sf_curric adds no wrapper: a registered env
    (its make_env_fn reads the flag, as Sample Factory's factories do) or observations that are not images.

    Args:
        cfg: the run's config (`cli_args`: the flags typed).
        registered: `--env` is a name given to `register_env` (EnvPool's included, which applies them).
        obs_space: the env's observation space.
    """
    typed = getattr(cfg, "cli_args", None) or {}
    envpool = str(cfg.env).startswith("envpool:")
    lines = []
    for flag in ("env_frameskip", "env_framestack"):
        if flag not in typed or typed[flag] <= 1 or envpool:
            continue
        if registered:
            lines.append(
                f"--{flag}={typed[flag]}: {cfg.env}'s make_env_fn reads cfg.{flag} (sf_curric adds no wrapper)"
            )
        elif not is_image_space(obs_space):
            lines.append(f"--{flag}={typed[flag]}: no effect, {cfg.env}'s observations are not images")
    return lines
