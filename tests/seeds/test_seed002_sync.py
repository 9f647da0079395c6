"""Seed 002 (Syllabus synchronization page) over multiprocessing: an env whose reset takes only `new_task`,
`update_on_episode` overridden in Syllabus's argument order, and a task sequence run in order, exactly once."""

from __future__ import annotations

import functools
from collections import Counter

import gymnasium as gym
import numpy as np
import pytest

from sf_curric.core import MultiProcessingSyncWrapper, make_multiprocessing_curriculum
from tests.seeds.envs import NewTaskOnlyEnv, SequenceCurriculum
from tests.seeds.snippets import SyllabusOrderEpisodes, SyllabusOrderKeywordOnly


def _make_env(task_queue, update_queue, length):
    # seed 002: env = MultiProcessingSyncWrapper(env, task_queue, update_queue)
    return MultiProcessingSyncWrapper(NewTaskOnlyEnv(length), task_queue, update_queue)


def _run(curriculum, num_envs, length, episodes_per_env):
    """Step an AsyncVectorEnv (same-step autoreset) until every env has finished `episodes_per_env` episodes."""
    # seed 002: curriculum, task_queue, update_queue = make_multiprocessing_curriculum(curriculum)
    curriculum, task_queue, update_queue = make_multiprocessing_curriculum(curriculum)
    make_env = functools.partial(_make_env, task_queue, update_queue, length)
    envs = gym.vector.AsyncVectorEnv(
        [make_env] * num_envs, autoreset_mode=gym.vector.AutoresetMode.SAME_STEP, context="fork"
    )
    try:
        envs.reset(seed=0)  # the seed is not passed on: this env's reset takes none
        dones = 0
        for _ in range(episodes_per_env * length):
            _, _, term, trunc, _ = envs.step(np.zeros(num_envs, dtype=np.int64))
            dones += int(term.sum() + trunc.sum())
        env_ids = list(envs.get_attr("env_id"))
        tasks_run = [list(t) for t in envs.get_attr("tasks_run")]
        curriculum.flush()
    finally:
        envs.close()
        curriculum.stop()
    return curriculum.unwrapped, dones, env_ids, tasks_run


@pytest.mark.parametrize("curriculum_cls", [SyllabusOrderEpisodes, SyllabusOrderKeywordOnly])
def test_syllabus_order_update_on_episode_and_new_task_only_reset(curriculum_cls):
    n, length, m = 2, 3, 10
    curriculum, dones, env_ids, tasks_run = _run(curriculum_cls(gym.spaces.Discrete(5)), n, length, m)
    assert dones == n * m
    assert len(curriculum.episodes) == n * m
    assert all(ret == float(length) and ln == length for ret, ln, _, _ in curriculum.episodes)
    for env_id, ran in zip(env_ids, tasks_run):
        # env_id arrives as env_id (not the progress), and each env's episodes are its tasks, in order
        assert [task for _, _, task, e in curriculum.episodes if e == env_id] == ran[:m]
    # the same override called through Syllabus's update dict
    curriculum.update_curriculum({"update_type": "episode", "metrics": (2.0, 4, 1), "env_id": 7})
    assert curriculum.episodes[-1] == (2.0, 4, 1, 7)


def test_task_sequence_runs_in_order_exactly_once_over_async_vector_env():
    num_tasks, n, length, m = 20, 4, 3, 20  # 80 episodes of a 20-task sequence: each task exactly 4 times
    curriculum, dones, _, tasks_run = _run(SequenceCurriculum(num_tasks), n, length, m)
    assert dones == n * m
    finished = Counter(task for ran in tasks_run for task in ran[:m])
    assert finished == {task: n * m // num_tasks for task in range(num_tasks)}
    assert curriculum.total_episodes == n * m


class _CompletionCounter(SequenceCurriculum):
    """Overrides seed 002's `complete_task`: called only for episodes that report `info["task_completion"]`."""

    def __init__(self, num_tasks):
        super().__init__(num_tasks)
        self.completions = 0

    def complete_task(self, task, success_prob):
        self.completions += 1


def _in_process_episodes(curriculum, env, episodes, length):
    curriculum, task_queue, update_queue = make_multiprocessing_curriculum(curriculum)
    env = MultiProcessingSyncWrapper(env, task_queue, update_queue)
    try:
        for _ in range(episodes):
            env.reset()
            for _ in range(length):
                env.step(0)
        curriculum.flush()
    finally:
        env.close()
        curriculum.stop()
    return curriculum.unwrapped


def test_a_complete_task_override_that_will_never_be_called_says_so_once(caplog):
    from tests.sync.helpers import CountingEnv

    with caplog.at_level("WARNING", logger="sf_curric"):
        starved = _in_process_episodes(_CompletionCounter(5), NewTaskOnlyEnv(3), episodes=6, length=3)
    assert starved.completions == 0  # the env never reports a task completion
    said = [r.getMessage() for r in caplog.records if "task_completion" in r.getMessage()]
    assert len(said) == 1 and "_CompletionCounter overrides complete_task" in said[0]
    caplog.clear()
    with caplog.at_level("WARNING", logger="sf_curric"):
        fed = _in_process_episodes(_CompletionCounter(5), CountingEnv(3, 5), episodes=6, length=3)
    assert fed.completions == 6  # a TaskEnv reports it at every step: one call per episode, no warning
    assert not [r for r in caplog.records if "task_completion" in r.getMessage()]
