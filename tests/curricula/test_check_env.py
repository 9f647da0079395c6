"""check_env: good task envs pass, each kind of mistake is reported with its fix."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.spaces import Box, Discrete

from sf_curric import TaskWrapper, check_env
from sf_curric.envs.check_env import TaskEnvError


class PoleLength(TaskWrapper):
    def change_task(self, new_task):
        self.env.unwrapped.length = 0.25 + 0.05 * new_task


def test_good_task_wrapper_passes():
    env = PoleLength(gym.make("CartPole-v1"), task_space=Discrete(10))
    assert check_env(env) == []


def test_env_without_new_task_is_an_error():
    with pytest.raises(TaskEnvError, match="wrap the env in sf_curric.TaskWrapper"):
        check_env(gym.make("CartPole-v1"), task_space=Discrete(3))


def test_old_api_reset_is_an_error():
    class OldReset(PoleLength):
        def reset(self, *args, **kwargs):  # the pre-1.0 form: obs only
            obs, _ = super().reset(*args, **kwargs)
            return obs

    with pytest.raises(TaskEnvError, match=r"must return \(obs, info\)"):
        check_env(OldReset(gym.make("CartPole-v1")), task_space=Discrete(3))


def test_bad_task_completion_is_an_error():
    class Bad(PoleLength):
        def _task_completion(self, obs, rew, terminated, truncated, info):
            return 7.0

    with pytest.raises(TaskEnvError, match=r"float in \[0, 1\]"):
        check_env(Bad(gym.make("CartPole-v1")), task_space=Discrete(3))


def test_task_not_recorded_is_an_error():
    class Forgets(PoleLength):
        def reset(self, *, seed=None, options=None, new_task=None):
            obs, info = self.env.reset(seed=seed)
            return obs, info

    with pytest.raises(TaskEnvError, match="set self.task in change_task"):
        check_env(Forgets(gym.make("CartPole-v1")), task_space=Discrete(3))


def test_warnings_for_missing_info_and_endless_episodes():
    class Endless(gym.Env):
        observation_space = Box(-1, 1, shape=(1,))
        action_space = Discrete(2)

        def reset(self, *, seed=None, options=None, new_task=None):
            self.task = new_task
            return np.zeros(1, np.float32), {}

        def step(self, action):
            return np.zeros(1, np.float32), 0.0, False, False, {}

    warnings = check_env(Endless(), task_space=Discrete(2), num_episodes=1, max_steps=50)
    assert any("no 'task'" in w for w in warnings)
    assert any("task_completion" in w for w in warnings)
    assert any("did not end within 50 steps" in w for w in warnings)
