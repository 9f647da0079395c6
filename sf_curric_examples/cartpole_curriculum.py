"""CartPole with a curriculum over its initial-state range (the Syllabus README example), in one file.

    python sf_curric_examples/cartpole_curriculum.py --experiment=cartpole_range --serial_mode=True

A task is a range `(low, high)`; every reset draws CartPole's initial state uniformly from it. SimpleBoxCurriculum
starts at +-0.04 and widens the range each time the agent keeps the pole up long enough, ten episodes in a row.
The same env ships built in: `python -m sf_curric.train --env=cartpole_curriculum`.

The task space is the Syllabus example's with one fix: `low` in [-0.2, 0] and `high` in [0, 0.2], so every task
is a valid range and no start state is past CartPole's failure angle (0.21 rad); Syllabus's Box(-0.3, 0.3)
also holds ranges with low > high, which no uniform draw accepts.
"""

import sys

import gymnasium as gym
import numpy as np
from gymnasium.spaces import Box

from sf_curric import TaskWrapper, register_env, run
from sf_curric.cfg.env_defaults import get_env_defaults, register_env_defaults
from sf_curric.curricula import SimpleBoxCurriculum

TASK_SPACE = Box(np.array([-0.2, 0.0]), np.array([0.0, 0.2]), dtype=np.float64)  # (low, high), low <= high


class CartPoleTaskWrapper(TaskWrapper):
    """CartPole whose next episode starts from a state drawn uniformly from the task's range."""

    def __init__(self, env):
        super().__init__(env, default_task=(-0.02, 0.02))
        self.total_reward = 0.0

    def change_task(self, new_task):
        self.low, self.high = new_task

    def reset(self, **kwargs):
        _, info = super().reset(**kwargs)
        cartpole = self.env.unwrapped
        cartpole.state = cartpole.np_random.uniform(low=self.low, high=self.high, size=(4,))
        self.total_reward = 0.0
        return np.array(cartpole.state, dtype=np.float32), info

    def _task_completion(self, obs, rew, terminated, truncated, info):
        # fraction of the best possible return so far; SimpleBoxCurriculum reads it at the end of each episode
        self.total_reward += rew
        return self.total_reward / 500.0


def make_env(render_mode=None):
    return CartPoleTaskWrapper(gym.make("CartPole-v1", render_mode=render_mode))


def make_curriculum(task_space, seed):
    return SimpleBoxCurriculum(task_space, steps=5, success_threshold=0.75, required_successes=10, seed=seed)


register_env("cartpole_task_example", make_env, task_space=TASK_SPACE, curriculum=make_curriculum)
register_env_defaults("cartpole_task_example", **get_env_defaults("CartPole-v1"))

if __name__ == "__main__":
    run(["--env=cartpole_task_example", *sys.argv[1:]])
