"""A level-seeded task env for the evaluation tests: the episode length (= return) is a known function of the task."""

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from sf_curric.envs.task_wrapper import TaskEnv
from sf_curric.envs.training_info import TrainingInfoInterface

ENV_NAME = "eval_test_corridor"
NUM_TRAIN_LEVELS = 6


def corridor_length(level: int) -> int:
    """Steps (and return: reward 1 per step) of an episode on `level`, whatever the policy does."""
    return 3 + (level * 7) % 11


class Corridor(TaskEnv, TrainingInfoInterface):
    """Task = level seed; records the training info it holds at every reset (class-wide list)."""

    received: list = []
    metadata = {"render_modes": ["rgb_array"], "render_fps": 10}

    def __init__(self, render_mode=None, strict_task_space=False):
        TaskEnv.__init__(self, task_space=spaces.Discrete(NUM_TRAIN_LEVELS) if strict_task_space else None)
        TrainingInfoInterface.__init__(self)
        self.observation_space = spaces.Box(-1.0, 1.0, (2,), np.float32)
        self.action_space = spaces.Discrete(2)
        self.render_mode = render_mode
        self.level = 0
        self.t = 0

    def change_task(self, new_task):
        self.level = int(new_task)

    def _obs(self):
        return np.array([self.level / 100.0, self.t / corridor_length(self.level)], np.float32)

    def _reset(self, seed=None, options=None):
        Corridor.received.append(self.training_info.get("approx_total_training_steps"))
        self.t = 0
        return self._obs(), {}

    def _step(self, action):
        self.t += 1
        done = self.t >= corridor_length(self.level)
        info = {"episode_extra_stats": {"level": self.level}} if done else {}
        return self._obs(), 1.0, done, False, info

    def render(self):
        frame = np.zeros((32, 48, 3), np.uint8)
        frame[:, : 1 + self.t] = 255
        return frame


def make_corridor(render_mode=None):
    return Corridor(render_mode)


def make_strict_corridor(render_mode=None):
    return Corridor(render_mode, strict_task_space=True)


def register(strict_task_space=False):
    """Register the env (module-level make functions: worker processes receive them pickled)."""
    from sf_curric.envs.registry import register_env

    make = make_strict_corridor if strict_task_space else make_corridor
    register_env(ENV_NAME, make, task_space=gym.spaces.Discrete(NUM_TRAIN_LEVELS))
