"""The docs' CartPole initial-range example end to end: TaskWrapper + SimpleBoxCurriculum + check_env."""

import gymnasium as gym
import numpy as np
from gymnasium.spaces import Box

from sf_curric import TaskWrapper, check_env
from sf_curric.curricula import SimpleBoxCurriculum


class CartPoleInitRange(TaskWrapper):
    def __init__(self, env):
        super().__init__(env, task_space=Box(-0.3, 0.3, shape=(2,)), default_task=(-0.02, 0.02))
        self.total_reward = 0.0

    def change_task(self, new_task):
        self.low, self.high = sorted(new_task)  # any point of the Box is a task, also low > high

    def reset(self, *, seed=None, options=None, new_task=None):
        self.total_reward = 0.0
        obs, info = super().reset(seed=seed, options=options, new_task=new_task)
        state = self.env.unwrapped.np_random.uniform(self.low, self.high, size=(4,))
        self.env.unwrapped.state = state
        return np.array(state, dtype=np.float32), info

    def _task_completion(self, obs, rew, terminated, truncated, info):
        self.total_reward += rew
        return min(self.total_reward / 500.0, 1.0)


def test_check_env_accepts_the_example():
    assert check_env(CartPoleInitRange(gym.make("CartPole-v1")), num_episodes=2) == []


def test_simple_box_curriculum_widens_as_the_policy_succeeds():
    env = CartPoleInitRange(gym.make("CartPole-v1"))
    curriculum = SimpleBoxCurriculum(env.task_space, steps=3, success_threshold=0.3, required_successes=2, seed=0)
    ranges = []
    for episode in range(12):
        task = curriculum.sample(1)[0]
        obs, info = env.reset(seed=episode, new_task=task)
        low, high = task
        assert info["task"] == task and np.all(obs >= low - 1e-6) and np.all(obs <= high + 1e-6)
        done = False
        while not done:
            action = int(obs[2] + 0.5 * obs[3] > 0)  # lean-correcting controller: balances from small starts
            obs, rew, terminated, truncated, info = env.step(action)
            done = terminated or truncated
        curriculum.update_task_progress(task, info["task_completion"])
        ranges.append(task)
    assert ranges[0] == (-0.1, 0.1) or np.allclose(ranges[0], (-0.1, 0.1))
    widths = [high - low for low, high in ranges]
    assert widths == sorted(widths) and widths[-1] > widths[0]
