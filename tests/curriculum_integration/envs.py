"""Deterministic task envs for the curriculum integration tests (module-level factories: picklable by spawn).

`LevelEnv` runs task `k` of `Discrete(NUM_TASKS)` for `episode_length(k)` steps with reward `step_reward(k)`
per step, whatever the actions, and reports `task_completion = k / NUM_TASKS`. Each reset appends
`<env_id> <task or NONE>` to `resets_w<worker>.txt` in $SF_CURRIC_TEST_RECORD_DIR (when set), so a test can
check, per worker and in order, which task every reset received.
"""

import os
from pathlib import Path

import gymnasium as gym
import numpy as np

from sf_curric.curricula import DomainRandomization
from sf_curric.envs.registry import register_env
from sf_curric.envs.task_wrapper import TaskEnv

RECORD_DIR_ENV_VAR = "SF_CURRIC_TEST_RECORD_DIR"
NUM_TASKS = 6


def episode_length(task: int) -> int:
    return 3 + 2 * task


def step_reward(task: int) -> float:
    return 0.5 + 0.25 * task


class LevelEnv(TaskEnv):
    """Task k: episodes of `episode_length(k)` steps, reward `step_reward(k)` per step."""

    observation_space = gym.spaces.Box(-10.0, 10.0, (3,), np.float32)
    action_space = gym.spaces.Discrete(2)

    def __init__(self, env_id: int = 0, worker_index: int = 0):
        super().__init__(task_space=None)
        self.env_id, self.worker_index = env_id, worker_index
        self.task = 0
        self.t = 0
        record_dir = os.environ.get(RECORD_DIR_ENV_VAR)
        self.path = Path(record_dir) / f"resets_w{worker_index}.txt" if record_dir else None

    def change_task(self, new_task):
        if not 0 <= int(new_task) < NUM_TASKS:
            raise ValueError(f"task {new_task} is not a level")
        self.task = int(new_task)

    def reset(self, *, seed=None, options=None, **kwargs):
        given = "new_task" in kwargs or (options is not None and "new_task" in options)
        obs, info = super().reset(seed=seed, options=options, **kwargs)
        if self.path is not None:
            with open(self.path, "a") as f:
                f.write(f"{self.env_id} {self.task if given else 'NONE'}\n")
        return obs, info

    def _obs(self):
        return np.array([self.task / NUM_TASKS, self.t / 20.0, 1.0], np.float32)

    def _reset(self, seed=None, options=None):
        self.t = 0
        return self._obs(), {}

    def _step(self, action):
        self.t += 1
        done = self.t >= episode_length(self.task)
        return self._obs(), step_reward(self.task), done, False, {}

    def _task_completion(self, obs, rew, terminated, truncated, info):
        return self.task / NUM_TASKS if terminated or truncated else 0.0


def make_level_env(env_config=None):
    env_config = env_config or {}
    return LevelEnv(env_config.get("env_id", 0), env_config.get("worker_index", 0))


class RecordingDR(DomainRandomization):
    """Uniform tasks; remembers every task it handed out and every episode it was told about, in order."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.sampled_log = []
        self.episode_log = []  # (env_id, task, return, length, progress)

    def sample(self, k=1):
        tasks = super().sample(k)
        self.sampled_log.extend(tasks)
        return tasks

    def update_on_episode(self, episode_return, length=0, task=None, progress=None, env_id=None):
        super().update_on_episode(episode_return, length, task, progress, env_id)
        self.episode_log.append((env_id, task, episode_return, length, progress))

    def state_dict(self):
        state = super().state_dict()
        for key in ("sampled_log", "episode_log"):
            state["state"].pop(key, None)
        return state


register_env("test_level_env", make_level_env, task_space=gym.spaces.Discrete(NUM_TASKS), curriculum="plr")
