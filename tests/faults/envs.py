"""Fault-injecting test envs, registered at import (module-level factories: picklable by spawn).

Faults are chosen by the `SF_CURRIC_FAULTS` environment variable (a JSON object, inherited by worker processes
and subprocesses), so one registered name covers every test:

- `step_raise_every`: raise RuntimeError on every N-th `step` of an env instance (counted per instance).
- `reset_raise_every`: raise RuntimeError on every N-th `reset` after the first (per instance).
- `step_raise_prob` / `reset_raise_prob`: raise with this probability (seeded per instance).
- `step_exit_prob`: with this probability a `step` ends the whole process at once (`os._exit(3)`: an env that
  segfaults or calls exit); parallel mode only, where it takes down one worker process.
- `nan_obs_after`: from this global step of the instance on, observations are NaN.
- `nan_obs_every`: every N-th step of the instance returns a NaN observation (offset by 37 steps per env id).
- `obs_grows_after_resets`: after this many resets, observations get one more element (spaces that change).
- `odd_instance_obs_size`: the env with env_id 1 declares an observation space of this size (instances differ).
- `hang_env` / `hang_after_steps`: env `hang_env` sleeps forever in `step` once it made this many steps; only once
  per `record_dir` (a marker file), so the replacement worker runs normally.
- `inf_reward_every`: every N-th `step` of an instance returns an inf reward.
- `record_dir`: one line per injected fault is appended to `<record_dir>/faults_<pid>.txt`.
- `episode_ids`: each finished episode reports `episode_extra_stats` {"pid", "instance", "episode"} (a unique id)
  and, with `record_dir`, is recorded as an `episode` line, so a test can find lost or duplicated episodes.

CountingEnv-like episodes: fixed length, reward 1 per step, observation = step counter / 10. `test_faulty_task_env`
is the same env with a task space of 6 tasks (`reset(new_task=...)` accepted, the task does not change anything).
"""

import json
import os
import time
from pathlib import Path

import gymnasium as gym
import numpy as np

from sf_curric.envs.registry import register_env

FAULTS_ENV_VAR = "SF_CURRIC_FAULTS"
_INSTANCES = 0  # FaultyEnv objects built in this process
EPISODE_LENGTH = 8


class InjectedFault(RuntimeError):
    """The error a FaultyEnv raises on purpose."""


def set_faults(monkeypatch, **faults) -> None:
    """Choose the faults of every FaultyEnv built from now on (this process and its children)."""
    monkeypatch.setenv(FAULTS_ENV_VAR, json.dumps(faults))


def count_injected(record_dir) -> dict:
    """Faults injected so far, by kind, summed over the record files of all processes."""
    counts: dict = {}
    for path in Path(record_dir).glob("faults_*.txt"):
        for line in path.read_text().splitlines():
            kind = line.split()[0]
            counts[kind] = counts.get(kind, 0) + 1
    return counts


class FaultyEnv(gym.Env):
    """Fixed-length episodes that fail as `SF_CURRIC_FAULTS` says.

    Args:
        env_id: global env index (from env_config), used for seeding and the per-instance fault.
    """

    action_space = gym.spaces.Discrete(2)

    def __init__(self, env_id: int = 0):
        self.faults = json.loads(os.environ.get(FAULTS_ENV_VAR, "{}"))
        self.env_id = env_id
        size = 4
        if env_id == 1 and self.faults.get("odd_instance_obs_size"):
            size = int(self.faults["odd_instance_obs_size"])
        self.observation_space = gym.spaces.Box(-np.inf, np.inf, (size,), np.float32)
        self.obs_size = size
        self.t = self.steps = self.resets = self.episodes = 0
        self.task = 0
        global _INSTANCES
        _INSTANCES += 1
        self.instance = _INSTANCES  # envs rebuilt after an error are new instances, with their own random faults
        self.rng = np.random.default_rng([env_id + 1, os.getpid(), self.instance])

    def _record(self, kind: str, extra: str = "") -> None:
        record_dir = self.faults.get("record_dir")
        if record_dir:
            with open(Path(record_dir) / f"faults_{os.getpid()}.txt", "a") as f:
                f.write(f"{kind} env={self.env_id} steps={self.steps}{extra}\n")

    def _obs(self, in_step: bool = False) -> np.ndarray:
        size = self.obs_size
        after = self.faults.get("obs_grows_after_resets")
        if after is not None and self.resets > after:
            size += 1
        obs = np.full(size, 0.1 * self.t, np.float32)
        nan_after, nan_every = self.faults.get("nan_obs_after"), self.faults.get("nan_obs_every")
        # not on an episode's last step: that observation is replaced by the next reset's, it never reaches training
        nan_now = nan_every and in_step and self.t < EPISODE_LENGTH and (self.steps + 37 * self.env_id) % nan_every == 0
        if nan_now or (nan_after is not None and self.steps >= nan_after):
            obs[:] = np.nan
            self._record("nan")
        return obs

    def _maybe_raise(self, kind: str, count: int) -> None:
        every = self.faults.get(f"{kind}_raise_every")
        prob = self.faults.get(f"{kind}_raise_prob", 0.0)
        if (every and count % every == 0) or (prob and self.rng.random() < prob):
            self._record(kind)
            raise InjectedFault(f"injected {kind} failure of env {self.env_id} after {self.steps} steps")

    def reset(self, *, seed=None, options=None, new_task=None):
        super().reset(seed=seed)
        if new_task is not None:
            self.task = int(new_task)
        if self.resets > 0:
            self._maybe_raise("reset", self.resets)
        self.resets += 1
        self.t = 0
        return self._obs(), {}

    def _maybe_hang(self) -> None:
        hang_env, after = self.faults.get("hang_env"), self.faults.get("hang_after_steps")
        if hang_env != self.env_id or after is None or self.steps < after:
            return
        marker = Path(self.faults["record_dir"]) / "hung_once"
        try:
            marker.touch(exist_ok=False)
        except FileExistsError:
            return
        self._record("hang")
        time.sleep(10**6)  # an env stuck in step: the worker stays alive but makes no progress

    def step(self, action):
        self.steps += 1
        exit_prob = self.faults.get("step_exit_prob", 0.0)
        if exit_prob and self.rng.random() < exit_prob:
            self._record("exit")
            os._exit(3)
        self._maybe_raise("step", self.steps)
        self._maybe_hang()
        self.t += 1
        done = self.t >= EPISODE_LENGTH
        info = {}
        if done and self.faults.get("episode_ids"):
            info["episode_extra_stats"] = {"pid": os.getpid(), "instance": self.instance, "episode": self.episodes}
            self._record("episode", f" pid={os.getpid()} instance={self.instance} episode={self.episodes}")
        self.episodes += done
        inf_every = self.faults.get("inf_reward_every")
        reward = float("inf") if inf_every and self.steps % inf_every == 0 else 1.0
        return self._obs(in_step=True), reward, done, False, info


def make_faulty_env(cfg=None, env_config=None):
    return FaultyEnv(env_config["env_id"] if env_config else 0)


register_env("test_faulty_env", make_faulty_env)
register_env("test_faulty_task_env", make_faulty_env, task_space=gym.spaces.Discrete(6))
