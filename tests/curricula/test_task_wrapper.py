"""TaskWrapper / TaskEnv: new_task on reset, info["task"], info["task_completion"], goal observations."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.spaces import Box, Dict, Discrete

from sf_curric import TaskEnv, TaskWrapper


class Counter(gym.Env):
    """Episode of `length` steps, reward 1 per step; observation is a dict with the step count."""

    def __init__(self):
        self.observation_space = Dict({"t": Box(0, 100, shape=(1,))})
        self.action_space = Discrete(2)
        self.length = 3
        self.t = 0
        self.reset_seeds = []

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.reset_seeds.append((seed, options))
        self.t = 0
        return {"t": np.array([0.0])}, {"inner": True}

    def step(self, action):
        self.t += 1
        return {"t": np.array([float(self.t)])}, 1.0, self.t >= self.length, False, {}


class LengthTask(TaskWrapper):
    def change_task(self, new_task):
        self.env.unwrapped.length = new_task

    def _task_completion(self, obs, rew, terminated, truncated, info):
        return self.env.unwrapped.t / self.env.unwrapped.length

    def _encode_goal(self):
        return np.array([self.task or 0], dtype=np.float32)


def test_reset_with_new_task_changes_task_and_reports_it():
    env = LengthTask(Counter(), task_space=Discrete(10))
    obs, info = env.reset(seed=3, new_task=5)
    assert env.task == 5 and info["task"] == 5 and info["inner"] and env.unwrapped.length == 5
    assert obs["goal"][0] == 5.0
    steps = 0
    terminated = False
    while not terminated:
        obs, rew, terminated, truncated, info = env.step(0)
        steps += 1
        assert info["task"] == 5 and info["task_completion"] == pytest.approx(steps / 5)
    assert steps == 5
    # a reset without a task keeps the current one
    _, info = env.reset()
    assert info["task"] == 5


def test_new_task_through_options_for_vector_envs():
    inner = Counter()
    env = LengthTask(inner)
    _, info = env.reset(options={"new_task": 2, "other": 1})
    assert info["task"] == 2 and inner.reset_seeds[-1] == (None, {"other": 1})


def test_task_outside_task_space_is_rejected():
    env = LengthTask(Counter(), task_space=Discrete(4))
    with pytest.raises(ValueError, match="not in"):
        env.reset(new_task=9)


def test_goal_on_non_dict_observation_asks_to_override_observation():
    class FlatGoal(TaskWrapper):
        def change_task(self, new_task):
            pass

        def _encode_goal(self):
            return np.zeros(1)

    with pytest.raises(TypeError, match="override observation"):
        FlatGoal(gym.make("CartPole-v1")).reset(new_task=1)


def test_missing_change_task_says_what_to_do():
    with pytest.raises(NotImplementedError, match="override it"):
        TaskWrapper(gym.make("CartPole-v1")).reset(new_task=1)


def test_default_completion_and_plain_observation():
    class Plain(TaskWrapper):
        def change_task(self, new_task):
            self.seen = new_task

    env = Plain(gym.make("CartPole-v1"))
    obs, info = env.reset(seed=0, new_task=7)
    assert obs.shape == (4,) and info["task"] == 7
    done = False
    while not done:
        obs, rew, term, trunc, info = env.step(env.action_space.sample())
        done = term or trunc
        assert info["task_completion"] == (1.0 if done else 0.0)


def test_task_env():
    class Corridor(TaskEnv):
        def __init__(self):
            super().__init__(task_space=Discrete(20))
            self.observation_space = Box(0, 20, shape=(1,))
            self.action_space = Discrete(2)
            self.length = 1

        def change_task(self, new_task):
            self.length = new_task

        def _reset(self, seed=None, options=None):
            self.pos = 0
            return np.array([0.0], dtype=np.float32), {}

        def _step(self, action):
            self.pos += 1
            return np.array([self.pos], dtype=np.float32), 0.0, self.pos >= self.length, False, {}

    env = Corridor()
    _, info = env.reset(seed=1, new_task=4)
    assert info["task"] == 4 and env.task == 4
    n = 0
    while True:
        _, _, term, _, info = env.step(1)
        n += 1
        if term:
            break
    assert n == 4 and info["task_completion"] == 1.0 and info["task"] == 4
