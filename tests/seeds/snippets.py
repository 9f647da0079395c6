"""The seed documents' code (../shared/seeds/), copied, with only the gym -> gymnasium port.

The port, and nothing else:
- `import gym` -> `import gymnasium as gym`; `syllabus` imports -> `sf_curric` (`from curricula import ...` is
  `sf_curric.curricula`).
- gymnasium 1.x wrappers no longer forward attributes, so CartPole's physics `state` is reached through
  `self.env.unwrapped` (with gym's forwarding, `self.env.state` was the inner env's state).
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np

from sf_curric import TaskWrapper  # seed 003: from syllabus import TaskWrapper


# --- seed 003 (Syllabus README), "Example" ------------------------------------------------------------------------
class CartPoleTaskWrapper(TaskWrapper):
    def __init__(self, env):
        super().__init__(env)
        self.task = (-0.02, 0.02)
        self.total_reward = 0

    def reset(self, *args, **kwargs):
        self.env.reset()
        self.total_reward = 0
        if "new_task" in kwargs:
            new_task = kwargs.pop("new_task")
            self.change_task(new_task)
        return np.array(self.env.unwrapped.state, dtype=np.float32)  # port: .unwrapped

    def change_task(self, new_task):
        low, high = new_task
        self.env.unwrapped.state = self.env.np_random.uniform(low=low, high=high, size=(4,))  # port: .unwrapped
        self.task = new_task

    def _task_completion(self, obs, rew, done, info) -> float:
        # Return percent of optimal reward
        self.total_reward += rew
        return self.total_reward / 500.0


# seed 003, the Ray example's env_creator (the RaySyncWrapper call exactly as written there)
def ray_env_creator(config):
    from gymnasium.spaces import Box

    from sf_curric import RaySyncWrapper

    env = gym.make("CartPole-v1")
    env = CartPoleTaskWrapper(env)
    # Here we wrap the environment in a wrapper to receive new tasks
    # and send updates to the curriculum
    return RaySyncWrapper(env, default_task=(-0.02, 0.02), task_space=Box(-0.3, 0.3, shape=(2,)), update_on_step=False)


# seed 002 (synchronization), "Basic Usage": env = MultiProcessingSyncWrapper(env, task_queue, update_queue)
def mp_env_creator(task_queue, update_queue):
    from sf_curric.core import MultiProcessingSyncWrapper

    env = CartPoleTaskWrapper(gym.make("CartPole-v1"))
    return MultiProcessingSyncWrapper(env, task_queue, update_queue)


# --- seed 003, "Curriculum API": user curricula that override the seed hooks ---------------------------------------
from sf_curric import Curriculum  # noqa: E402  (seed 003: class Curriculum from syllabus)


class SeedHookCurriculum(Curriculum):
    """Overrides `complete_task` and `on_step` as seed 003 documents them, and records every call."""

    RANGES = [(-0.02, 0.02), (-0.05, 0.05), (-0.1, 0.1)]

    def __init__(self, task_space):
        super().__init__(task_space, random_start_tasks=0, use_wandb=False)
        self.completed = []  # (task, success_prob), one per complete_task call
        self.steps = 0
        self.step_dones = 0
        self.step_reward = 0.0
        self.handed_out = []

    def complete_task(self, task, success_prob):
        self.completed.append((tuple(float(x) for x in task), float(success_prob)))

    def on_step(self, obs, rew, done, info):
        self.steps += 1
        self.step_dones += int(done)
        self.step_reward += float(rew)

    def sample(self, k=1):
        tasks = [self.RANGES[(len(self.handed_out) + i) % len(self.RANGES)] for i in range(k)]
        self.handed_out.extend(tasks)
        return tasks


class SeedBatchHookCurriculum(SeedHookCurriculum):
    """Overrides `on_step_batch` (seed 003) as well: it receives every step as an (obs, rew, done, info) row."""

    def __init__(self, task_space):
        super().__init__(task_space)
        self.batches = 0

    def on_step_batch(self, step_results):
        self.batches += 1
        for _obs, rew, done, _info in step_results:
            self.steps += 1
            self.step_dones += int(done)
            self.step_reward += float(rew)


class SyllabusOrderEpisodes(Curriculum):
    """Overrides `update_on_episode` in Syllabus's argument order (episode_return, length, task, env_id)."""

    def __init__(self, task_space):
        super().__init__(task_space)
        self.episodes = []

    def update_on_episode(self, episode_return, length, task, env_id=None):
        self.episodes.append((float(episode_return), int(length), task, env_id))

    def _sample_distribution(self):
        return [1.0 / self.num_tasks] * self.num_tasks


class SyllabusOrderKeywordOnly(SyllabusOrderEpisodes):
    """The same with env_id keyword-only."""

    def update_on_episode(self, episode_return, length, task, *, env_id=None):
        self.episodes.append((float(episode_return), int(length), task, env_id))
