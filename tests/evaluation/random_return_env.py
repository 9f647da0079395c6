"""A task env for the statistics property tests: its return is drawn from the reset seed, whatever the policy does,
and it records every finished episode (task, return) itself, so a test can recompute the statistics from what the
env produced, without the evaluation code's own records."""

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from sf_curric.envs.registry import register_env
from sf_curric.envs.task_wrapper import TaskEnv

NAME = "stats_prop_env"


class RandomReturnEnv(TaskEnv):
    """1-3 steps; the last step's reward is the return: `offset(task) + draw`, the draw seeded by the reset.

    Class attributes set by a test: `spread` (0: every episode of a task returns the same value, a zero std),
    `integer` (integer draws: ties) and `finished`, the list of `(task, return)` of every finished episode.
    """

    spread = 3.0
    integer = False
    finished: list = []

    def __init__(self):
        TaskEnv.__init__(self, task_space=None)  # any task: held-out level seeds included
        self.observation_space = spaces.Box(-1.0, 1.0, (2,), np.float32)
        self.action_space = spaces.Discrete(2)
        self.level = None
        self.rng = np.random.default_rng(0)
        self.left = 1

    def change_task(self, new_task):
        self.level = new_task

    def _offset(self) -> float:
        if self.level is None:
            return 0.0
        return float(np.sum(np.asarray(self.level, dtype=np.float64)) % 7.0)

    def _reset(self, seed=None, options=None):
        self.rng = np.random.default_rng(seed)
        self.left = 1 + int(self.rng.integers(3))
        return np.zeros(2, np.float32), {}

    def _step(self, action):
        self.left -= 1
        if self.left > 0:
            return np.zeros(2, np.float32), 0.0, False, False, {}
        draw = self.rng.integers(0, 3) if self.integer else self.rng.normal()
        value = self._offset() + self.spread * float(draw)
        level = None if self.level is None else np.asarray(self.level).tolist()
        RandomReturnEnv.finished.append((level, value))
        return np.ones(2, np.float32), value, True, False, {}


def make_env():
    return RandomReturnEnv()


def register(task_space=None, name=NAME) -> str:
    """(Re-)register the env under `name` with `task_space` (None: an env without tasks); returns the name."""
    register_env(name, make_env, task_space=task_space)
    return name


def continuous_space() -> gym.spaces.Box:
    """A continuous task space (eval draws `--eval_num_tasks` tasks from it)."""
    return gym.spaces.Box(0.0, 5.0, (2,), np.float32)
