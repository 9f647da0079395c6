"""`cartpole_curriculum`: CartPole whose initial state is drawn from a task range `(low, high)`.

The Syllabus README's example, for gymnasium 1.x: a task is the range from which every component of the initial
state (cart position and velocity, pole angle and angular velocity) is drawn; `SimpleBoxCurriculum` widens it
from +-0.04 towards +-0.2 each time the agent keeps the pole up long enough. Task completion is the fraction of
the maximum return (500) reached so far in the episode.

The task space is feasible: `low` lies in [-0.2, 0] and `high` in [0, 0.2], so every task is a valid range
(low <= high) and no start state is past CartPole's failure angle (0.2095 rad). (The Syllabus example's
Box(-0.3, 0.3) allows low > high and pole angles at which the episode ends in one or two steps.)
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.spaces import Box

from sf_curric.curricula.task_space import BoxTaskSpace
from sf_curric.envs.task_wrapper import TaskWrapper

MAX_RETURN = 500.0
DEFAULT_TASK = (-0.05, 0.05)  # gymnasium's own initial-state range
MAX_HALF_WIDTH = 0.2  # below CartPole's failure angle, 12 degrees = 0.2095 rad


def task_space() -> Box:
    """Ranges `(low, high)` with low in [-0.2, 0] and high in [0, 0.2]: every point is a valid range."""
    return Box(np.array([-MAX_HALF_WIDTH, 0.0]), np.array([0.0, MAX_HALF_WIDTH]), shape=(2,), dtype=np.float64)


class CartPoleInitRange(TaskWrapper):
    """CartPole with a task: the range `(low, high)` of the uniform initial state.

    Args:
        env: a CartPole env (e.g. `gym.make("CartPole-v1")`).

    Example:
        >>> env = CartPoleInitRange(gym.make("CartPole-v1"))
        >>> obs, info = env.reset(seed=0, new_task=(-0.1, 0.1))
    """

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env, task_space=BoxTaskSpace(task_space()), default_task=DEFAULT_TASK)
        self.total_reward = 0.0

    def change_task(self, new_task: Any) -> None:
        low, high = (float(x) for x in new_task)
        if low > high:
            raise ValueError(f"a CartPole task is a range (low, high) with low <= high, got {tuple(new_task)}")
        self.low, self.high = low, high

    def reset(self, *, seed: int | None = None, options: dict | None = None, **kwargs: Any):
        """Reset CartPole, then redraw its state uniformly from the task's range."""
        obs, info = super().reset(seed=seed, options=options, **kwargs)
        cartpole = self.env.unwrapped
        cartpole.state = cartpole.np_random.uniform(low=self.low, high=self.high, size=(4,))
        self.total_reward = 0.0
        return np.array(cartpole.state, dtype=np.float32), info

    def _task_completion(self, obs: Any, rew: Any, terminated: bool, truncated: bool, info: dict) -> float:
        self.total_reward += float(rew)
        return self.total_reward / MAX_RETURN


def make_cartpole_curriculum(render_mode: str | None = None) -> gym.Env:
    """One `cartpole_curriculum` env (registered as a built-in env).

    Args:
        render_mode: gymnasium render mode, e.g. "rgb_array".
    """
    return CartPoleInitRange(gym.make("CartPole-v1", render_mode=render_mode))


EASY_HALF_WIDTH = 0.02  # the easiest tasks: ranges inside +-0.02 (gymnasium's own start is +-0.05)
HARD_MARGIN = 0.02  # the hardest tasks: ranges reaching within 0.02 of +-0.2 on both sides


def eval_groups(rng: np.random.Generator, n: int) -> dict:
    """The task groups of the end-of-training table: easiest, hardest, drawn from the whole task space.

    Args:
        rng: draws the tasks.
        n: tasks per group.
    """

    def ranges(low_bounds: tuple, high_bounds: tuple) -> list:
        lows, highs = rng.uniform(*low_bounds, size=n), rng.uniform(*high_bounds, size=n)
        return [(float(lo), float(hi)) for lo, hi in zip(lows, highs)]

    hard = MAX_HALF_WIDTH - HARD_MARGIN
    return {
        "easiest": ranges((-EASY_HALF_WIDTH, 0.0), (0.0, EASY_HALF_WIDTH)),
        "hardest": ranges((-MAX_HALF_WIDTH, -hard), (hard, MAX_HALF_WIDTH)),
        "whole space": ranges((-MAX_HALF_WIDTH, 0.0), (0.0, MAX_HALF_WIDTH)),
    }
