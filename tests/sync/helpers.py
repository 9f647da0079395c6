"""A deterministic env and a round-robin curriculum whose counts the sync tests check exactly."""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np
from gymnasium import spaces

from sf_curric.curricula.curriculum import Curriculum
from sf_curric.envs.task_wrapper import TaskEnv


class CountingEnv(TaskEnv):
    """Reward 1 per step, episodes of exactly `length` steps (terminated), records every task it runs."""

    def __init__(self, length: int = 5, num_tasks: int = 7):
        super().__init__(task_space=None)
        self.length = length
        self.observation_space = spaces.Box(0, length, shape=(1,), dtype=np.float32)
        self.action_space = spaces.Discrete(2)
        self.t = 0
        self.tasks_run = []  # one entry per reset
        self.num_tasks = num_tasks

    def change_task(self, new_task):
        if not 0 <= new_task < self.num_tasks:
            raise ValueError(f"bad task {new_task}")

    def _reset(self, seed=None, options=None):
        self.t = 0
        self.tasks_run.append(int(self.task))
        return np.zeros(1, np.float32), {}

    def _step(self, action):
        self.t += 1
        return np.full(1, self.t, np.float32), 1.0, self.t >= self.length, False, {}


class RoundRobinCurriculum(Curriculum):
    """Hands out tasks 0, 1, ..., n-1, 0, 1, ... and records every update it gets."""

    def __init__(self, num_tasks: int = 7, step_updates: bool = False, fail_after_episodes: int | None = None):
        super().__init__(spaces.Discrete(num_tasks))
        self.step_updates = step_updates
        self.fail_after_episodes = fail_after_episodes
        self.next_index = 0
        self.handed_out = []
        self.episodes = []  # (env_id, task, return, length)
        self.progress_updates = 0
        self.step_count = Counter()  # env_id -> steps reported in step batches
        self.step_reward = defaultdict(float)
        self.step_dones = Counter()
        self.on_demand = []

    @property
    def requires_step_updates(self):
        return self.step_updates

    def _sample_tasks(self, k):
        tasks = [(self.next_index + i) % self.num_tasks for i in range(k)]
        self.next_index += k
        self.handed_out.extend(tasks)
        return tasks

    def update_on_episode(self, episode_return, length=0, task=None, progress=None, env_id=None):
        if self.fail_after_episodes is not None and len(self.episodes) >= self.fail_after_episodes:
            raise RuntimeError("deliberate curriculum failure")
        self.episodes.append((env_id, int(task), float(episode_return), int(length)))

    def update_task_progress(self, task, progress, env_id=None):
        self.progress_updates += 1

    def update_on_step_batch(self, step_results, env_id=None):
        tasks, obs, rews, terms, truncs, infos, progresses = step_results
        assert len(tasks) == len(obs) == len(rews) == len(terms) == len(infos)
        self.step_count[env_id] += len(rews)
        self.step_reward[env_id] += float(sum(rews))
        self.step_dones[env_id] += int(sum(terms)) + int(sum(truncs))

    def update_on_demand(self, metrics):
        self.on_demand.append(metrics)

    def records(self):
        """Everything recorded, as plain data (for the Ray tests)."""
        return {
            "handed_out": list(self.handed_out),
            "episodes": list(self.episodes),
            "step_count": dict(self.step_count),
            "step_reward": dict(self.step_reward),
            "step_dones": dict(self.step_dones),
            "on_demand": list(self.on_demand),
            "progress_updates": self.progress_updates,
        }


def round_robin_counts(num_handed_out: int, num_tasks: int) -> np.ndarray:
    """How often each task appears among the first `num_handed_out` tasks of a round robin (independent count)."""
    counts = np.full(num_tasks, num_handed_out // num_tasks)
    counts[: num_handed_out % num_tasks] += 1
    return counts
