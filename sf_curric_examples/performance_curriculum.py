"""An env-side performance curriculum: each env instance averages its own last N episodes and picks its level.

No trainer involvement at all (the alternative to a curriculum over training steps): every env keeps the returns
of its last `WINDOW` episodes; when their mean reaches `PROMOTE_AT` of the maximum return it moves one level up
(a wider start-state range), when it falls below `DEMOTE_AT` it moves one level down. Different envs sit at
different levels at the same time, so a batch mixes difficulties, which makes the curriculum smooth. The level
of every finished episode is logged as `custom/level`.

Run:
    python sf_curric_examples/performance_curriculum.py --experiment=perf_curriculum --train_for_env_steps=200000
"""

from __future__ import annotations

import sys
from collections import deque
from typing import Any

import gymnasium as gym
import numpy as np

from sf_curric import register_env, run
from sf_curric.cfg.env_defaults import get_env_defaults, register_env_defaults

ENV_NAME = "cartpole_performance_curriculum"
LEVELS = (0.05, 0.1, 0.15, 0.2, 0.25)  # half-width of the uniform start state, easiest first
WINDOW = 10
MAX_RETURN = 500.0
PROMOTE_AT = 0.8
DEMOTE_AT = 0.2


class PerformanceCurriculumCartPole(gym.Wrapper):
    """CartPole that adapts its own start-state range to the returns of its last `window` episodes.

    Args:
        env: a CartPole-v1 env.
        window: episodes averaged before a level change (the window restarts after each change).
    """

    def __init__(self, env: gym.Env, window: int = WINDOW):
        super().__init__(env)
        self.level = 0
        self.recent: deque[float] = deque(maxlen=window)
        self.episode_return = 0.0

    def _end_of_episode(self, episode_return: float) -> None:
        self.recent.append(episode_return)
        if len(self.recent) < self.recent.maxlen:
            return
        mean = float(np.mean(self.recent))
        if mean >= PROMOTE_AT * MAX_RETURN and self.level < len(LEVELS) - 1:
            self.level += 1
            self.recent.clear()
        elif mean < DEMOTE_AT * MAX_RETURN and self.level > 0:
            self.level -= 1
            self.recent.clear()

    def reset(self, **kwargs: Any):
        obs, info = self.env.reset(**kwargs)
        self.episode_return = 0.0
        width = LEVELS[self.level]
        cartpole = self.env.unwrapped
        cartpole.state = cartpole.np_random.uniform(-width, width, size=(4,))
        return np.array(cartpole.state, dtype=np.float32), info

    def step(self, action: Any):
        obs, reward, terminated, truncated, info = self.env.step(action)
        self.episode_return += float(reward)
        if terminated or truncated:
            info = dict(info, episode_extra_stats={"level": self.level})  # the level this episode was played at
            self._end_of_episode(self.episode_return)
        return obs, reward, terminated, truncated, info


def make_env(render_mode: str | None = None) -> gym.Env:
    """One env with its own curriculum state."""
    return PerformanceCurriculumCartPole(gym.make("CartPole-v1", render_mode=render_mode))


def main() -> int:
    register_env(ENV_NAME, make_env)
    register_env_defaults(ENV_NAME, **{**get_env_defaults("CartPole-v1"), "train_for_env_steps": 200_000})
    run([f"--env={ENV_NAME}", *sys.argv[1:]])
    return 0


if __name__ == "__main__":
    sys.exit(main())
