"""Test envs and curricula for the seed tests that are not seed code themselves."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from sf_curric import Curriculum


class NewTaskOnlyEnv(gym.Env):
    """Follows seed 002's task interface and nothing more: its reset takes `new_task` only (no seed, no options).

    Episodes last exactly `length` steps with reward 1 per step; every task run is recorded in `tasks_run`.
    """

    def __init__(self, length: int = 3):
        self.length = length
        self.observation_space = spaces.Box(0, length, shape=(1,), dtype=np.float32)
        self.action_space = spaces.Discrete(2)
        self.task = None
        self.t = 0
        self.tasks_run = []

    def reset(self, new_task=None):
        if new_task is not None:
            self.task = new_task
        self.t = 0
        self.tasks_run.append(self.task)
        return np.zeros(1, np.float32), {}

    def step(self, action):
        self.t += 1
        return np.full(1, self.t, np.float32), 1.0, self.t >= self.length, False, {}


class SequenceCurriculum(Curriculum):
    """Hands out tasks 0, 1, ..., n-1, 0, 1, ... (a sequence: each task equally often, in order)."""

    def __init__(self, num_tasks: int):
        super().__init__(spaces.Discrete(num_tasks))
        self.handed_out = []

    def _sample_tasks(self, k):
        tasks = [(len(self.handed_out) + i) % self.num_tasks for i in range(k)]
        self.handed_out.extend(tasks)
        return tasks
