"""Test envs for the multi-process tests, registered at import (module-level factories: picklable by spawn)."""

import os
import time
from pathlib import Path

import gymnasium as gym
import numpy as np

from sf_curric.envs.registry import register_env
from sf_curric.envs.training_info import TrainingInfoInterface

RECORD_DIR_ENV_VAR = "SF_CURRIC_TEST_RECORD_DIR"
EPISODE_LENGTH = 5
STEP_SLEEP = 0.01


class CountingEnv(gym.Env):
    """Fixed-length episodes of a constant observation; reward 1 per step."""

    observation_space = gym.spaces.Box(-1.0, 1.0, (4,), np.float32)
    action_space = gym.spaces.Discrete(2)

    def __init__(self, extra_stats: bool = False):
        self.t = 0
        self.extra_stats = extra_stats

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.t = 0
        return np.zeros(4, np.float32), {}

    def step(self, action):
        self.t += 1
        done = self.t >= EPISODE_LENGTH
        info = {}
        if done and self.extra_stats:
            info["episode_extra_stats"] = {"level": {"score": 3.0}, "flat": 2.0}
        return np.full(4, 0.1 * self.t, np.float32), 1.0, done, False, info


class RecordTrainingInfo(gym.Wrapper, TrainingInfoInterface):
    """Innermost wrapper implementing the interface; appends `time value` to a file at each reset."""

    def __init__(self, env, env_id: int):
        gym.Wrapper.__init__(self, env)
        TrainingInfoInterface.__init__(self)
        self.path = Path(os.environ[RECORD_DIR_ENV_VAR]) / f"env_{env_id}.txt"

    def reset(self, **kwargs):
        value = self.training_info.get("approx_total_training_steps", -1)
        with open(self.path, "a") as f:
            f.write(f"{time.monotonic()!r} {value}\n")
        return self.env.reset(**kwargs)


class SlowSteps(gym.Wrapper):
    """Each step takes STEP_SLEEP seconds, so that an episode lasts longer than the test's timing slack."""

    def step(self, action):
        time.sleep(STEP_SLEEP)
        return self.env.step(action)


class Outer(gym.Wrapper):
    """A wrapper without the interface, to check that set_training_info unwraps to the first one that has it."""


def make_recording_env(cfg=None, env_config=None):
    env_id = env_config["env_id"] if env_config else 0
    return Outer(SlowSteps(RecordTrainingInfo(CountingEnv(), env_id)))


def make_extra_stats_env(cfg=None, env_config=None):
    return CountingEnv(extra_stats=True)


register_env("test_recording_env", make_recording_env)
register_env("test_extra_stats_env", make_extra_stats_env)


class DictObsEnv(gym.Env):
    """Dict observations of every leaf kind (nested one level, a Text key the policy drops), each a known function of
    the env id and the step: `cue` = (env_id + t) % 3, image filled with t, `pos` = [env_id, t], `flags.bits` =
    [t % 2, 1]. Reward 1 when the action equals the cue; episodes of EPISODE_LENGTH steps."""

    observation_space = gym.spaces.Dict(
        {
            "cue": gym.spaces.Discrete(3),
            "image": gym.spaces.Box(0, 255, (7, 7, 3), np.uint8),
            "pos": gym.spaces.Box(-100.0, 100.0, (2,), np.float32),
            "flags": gym.spaces.Dict({"bits": gym.spaces.MultiBinary(2), "pair": gym.spaces.MultiDiscrete([2, 3])}),
            "mission": gym.spaces.Text(20),
        }
    )
    action_space = gym.spaces.Discrete(3)

    def __init__(self, env_id: int = 0):
        self.env_id = env_id
        self.t = 0

    def _obs(self):
        t = self.t
        return {
            "cue": (self.env_id + t) % 3,
            "image": np.full((7, 7, 3), t, np.uint8),
            "pos": np.array([self.env_id, t], np.float32),
            "flags": {"bits": np.array([t % 2, 1], np.int8), "pair": np.array([t % 2, t % 3])},
            "mission": "reach the goal",
        }

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.t = 0
        return self._obs(), {}

    def step(self, action):
        reward = float(action == (self.env_id + self.t) % 3)
        self.t += 1
        return self._obs(), reward, self.t >= EPISODE_LENGTH, False, {}


def make_dict_obs_env(cfg=None, env_config=None):
    return DictObsEnv(env_config["env_id"] if env_config else 0)


register_env("test_dict_obs_env", make_dict_obs_env)
