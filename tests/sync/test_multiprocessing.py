"""Multiprocessing sync: exactly-once delivery over real processes, back pressure, and clear errors."""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import time
from collections import Counter

import gymnasium as gym
import numpy as np
import pytest

from sf_curric.sync import (
    CurriculumServerError,
    MultiProcessingSyncWrapper,
    make_multiprocessing_curriculum,
)
from tests.sync.helpers import CountingEnv, RoundRobinCurriculum, round_robin_counts

NUM_TASKS = 7


def _run_vector(num_envs, length, episodes_per_env, step_updates, context=None, mode="same", vector="async"):
    curriculum, task_queue, update_queue = make_multiprocessing_curriculum(
        RoundRobinCurriculum(NUM_TASKS, step_updates=step_updates)
    )

    def make_env():
        return MultiProcessingSyncWrapper(CountingEnv(length, NUM_TASKS), task_queue, update_queue)

    autoreset = gym.vector.AutoresetMode.SAME_STEP if mode == "same" else gym.vector.AutoresetMode.NEXT_STEP
    if vector == "async":
        envs = gym.vector.AsyncVectorEnv([make_env] * num_envs, context=context, autoreset_mode=autoreset)
    else:  # in the curriculum's own process: the wrappers call the server directly
        envs = gym.vector.SyncVectorEnv([make_env] * num_envs, autoreset_mode=autoreset)
    try:
        envs.reset(seed=0)
        actions = np.zeros(num_envs, dtype=np.int64)
        total_reward, dones, steps = 0.0, 0, 0
        # with next-step autoreset, the step after an episode end only resets (reward 0, not done); in both modes
        # the loop ends right after the reset that follows the last finished episode
        vector_steps = episodes_per_env * length if mode == "same" else episodes_per_env * (length + 1)
        for _ in range(vector_steps):
            _, rew, term, trunc, _ = envs.step(actions)
            total_reward += float(rew.sum())
            dones += int(term.sum() + trunc.sum())
            steps += num_envs
        env_ids = list(envs.get_attr("env_id"))
        tasks_run = [list(t) for t in envs.get_attr("tasks_run")]
        current = [int(t) for t in envs.get_attr("task")]
        curriculum.flush()
        records = curriculum.records()
    finally:
        envs.close()
        curriculum.stop()
    return dict(
        total_reward=total_reward, dones=dones, env_ids=env_ids, tasks_run=tasks_run, current=current, **records
    )


def _check_exact(out, num_envs, length, episodes_per_env, step_updates):
    n, m, L = num_envs, episodes_per_env, length
    assert out["total_reward"] == n * m * L
    assert out["dones"] == n * m
    assert sorted(out["env_ids"]) == list(range(n))
    episodes = out["episodes"]
    assert len(episodes) == n * m
    assert all(ret == L and ln == L for _, _, ret, ln in episodes)
    assert out["progress_updates"] == n * m
    # per env: exactly m episodes, return m * L, and the reported tasks are the tasks the env ran, in order
    for env_id, tasks_run in zip(out["env_ids"], out["tasks_run"]):
        mine = [task for e, task, _, _ in episodes if e == env_id]
        assert mine == tasks_run[:m]
        assert len(tasks_run) == m + 1  # m finished episodes plus the one just started
        assert sum(ret for e, _, ret, _ in episodes if e == env_id) == m * L
    # the task queue is FIFO and one server hands tasks out: the n * (m + 1) resets used the first n * (m + 1)
    # tasks of the round robin, each exactly as often as an independent count says
    used = Counter(task for _, task, _, _ in episodes) + Counter(out["current"])
    expected = round_robin_counts(n * (m + 1), NUM_TASKS)
    assert [used[t] for t in range(NUM_TASKS)] == expected.tolist()
    assert out["handed_out"][: n * (m + 1)] == [i % NUM_TASKS for i in range(n * (m + 1))]
    if step_updates:
        assert out["step_count"] == {e: m * L for e in range(n)}
        assert out["step_reward"] == {e: float(m * L) for e in range(n)}
        assert out["step_dones"] == {e: m for e in range(n)}
    else:
        assert out["step_count"] == {}


def test_exactly_once_async_vector_env_with_step_updates():
    out = _run_vector(num_envs=4, length=5, episodes_per_env=150, step_updates=True)
    _check_exact(out, 4, 5, 150, step_updates=True)


def test_exactly_once_spawned_workers_next_step_autoreset():
    # spawn pickles the queues into the workers (as SB3's SubprocVecEnv does with forkserver)
    out = _run_vector(num_envs=4, length=3, episodes_per_env=60, step_updates=False, context="spawn", mode="next")
    _check_exact(out, 4, 3, 60, step_updates=False)


def test_exactly_once_in_process_sync_vector_env():
    out = _run_vector(num_envs=3, length=4, episodes_per_env=50, step_updates=True, vector="sync")
    _check_exact(out, 3, 4, 50, step_updates=True)


def test_learner_updates_from_the_main_process():
    curriculum, task_queue, update_queue = make_multiprocessing_curriculum(RoundRobinCurriculum(NUM_TASKS))
    try:
        metrics = {"value": np.ones(3), "tasks": [0, 1, 2]}
        curriculum.update_curriculum({"update_type": "on_demand", "metrics": metrics})
        curriculum.custom_update({"scores": [1.0]})
        assert curriculum.records()["on_demand"][0] is metrics
        assert curriculum.records()["on_demand"][1] == {"scores": [1.0]}
        assert curriculum.sample(2) == [0, 1]
        assert curriculum.num_tasks == NUM_TASKS  # attributes fall through to the curriculum
        state = curriculum.state_dict()
        assert state["class"] == "RoundRobinCurriculum"
    finally:
        curriculum.stop()


def test_full_update_queue_blocks_and_drops_nothing():
    class SlowCurriculum(RoundRobinCurriculum):
        def update_on_episode(self, *args, **kwargs):
            time.sleep(0.002)
            super().update_on_episode(*args, **kwargs)

    # room for only a few messages: envs must wait for the slow curriculum, and nothing may be lost
    curriculum, task_queue, update_queue = make_multiprocessing_curriculum(
        SlowCurriculum(NUM_TASKS, step_updates=True), update_queue_bytes=3000
    )

    def make_env():  # 20 tasks in hand let each env run far ahead of the curriculum
        return MultiProcessingSyncWrapper(
            CountingEnv(1, NUM_TASKS), task_queue, update_queue, buffer_size=20, timeout=30
        )

    envs = gym.vector.AsyncVectorEnv([make_env] * 4, autoreset_mode=gym.vector.AutoresetMode.SAME_STEP)
    try:
        envs.reset(seed=0)
        for _ in range(200):
            envs.step(np.zeros(4, dtype=np.int64))
        waits = sum(envs.get_attr("num_full_queue_waits"))
        curriculum.flush()
        records = curriculum.records()
    finally:
        envs.close()
        curriculum.stop()
    assert waits > 0, "the queue never filled up: the test did not exercise back pressure"
    assert len(records["episodes"]) == 4 * 200
    assert records["step_count"] == {e: 200 for e in range(4)}
    assert update_queue.max_size_bytes == 3000


def _one_worker(task_queue, update_queue, length, **kwargs):
    def make_env():
        return MultiProcessingSyncWrapper(CountingEnv(length, NUM_TASKS), task_queue, update_queue, **kwargs)

    return gym.vector.AsyncVectorEnv([make_env], autoreset_mode=gym.vector.AutoresetMode.SAME_STEP)


def test_message_larger_than_the_queue_is_a_clear_error():
    curriculum, task_queue, update_queue = make_multiprocessing_curriculum(
        RoundRobinCurriculum(NUM_TASKS, step_updates=True), update_queue_bytes=2000
    )
    envs = _one_worker(task_queue, update_queue, 1000, batch_size=500)
    try:
        envs.reset()
        with pytest.raises(ValueError, match="update_queue_bytes"):
            for _ in range(1000):
                envs.step(np.zeros(1, dtype=np.int64))
    finally:
        envs.close(terminate=True)
        curriculum.stop()


def test_crashed_curriculum_is_reported_to_envs_and_learner():
    curriculum, task_queue, update_queue = make_multiprocessing_curriculum(
        RoundRobinCurriculum(NUM_TASKS, fail_after_episodes=2)
    )
    envs = _one_worker(task_queue, update_queue, 2, timeout=60)
    try:
        envs.reset()
        start = time.monotonic()
        with pytest.raises(CurriculumServerError, match="deliberate curriculum failure"):
            for _ in range(20):
                envs.step(np.zeros(1, dtype=np.int64))
        assert time.monotonic() - start < 5, "the crash was noticed by a timeout, not by the liveness check"
        with pytest.raises(CurriculumServerError, match="crashed"):
            curriculum.update_curriculum({"update_type": "on_demand", "metrics": {}})
    finally:
        envs.close(terminate=True)


def test_stopped_server_is_a_clear_error():
    curriculum, task_queue, update_queue = make_multiprocessing_curriculum(RoundRobinCurriculum(NUM_TASKS))
    envs = _one_worker(task_queue, update_queue, 2)
    local_env = MultiProcessingSyncWrapper(CountingEnv(2, NUM_TASKS), task_queue, update_queue)
    curriculum.stop()
    try:
        with pytest.raises(CurriculumServerError, match="stopped"):
            envs.reset()
        with pytest.raises(CurriculumServerError, match="stopped"):
            local_env.reset()
    finally:
        envs.close(terminate=True)


def _host(task_queue, update_queue, ready):
    from sf_curric.sync.mp_curriculum import MultiProcessingCurriculumWrapper

    task_queue.status.set_pid(os.getpid())
    MultiProcessingCurriculumWrapper(RoundRobinCurriculum(NUM_TASKS), task_queue, update_queue).start()
    ready.set()
    time.sleep(60)


def test_killed_curriculum_process_is_a_clear_error_not_a_hang():
    from faster_fifo import Queue

    from sf_curric.sync.channel import TaskQueue

    task_queue = TaskQueue(RoundRobinCurriculum(NUM_TASKS).task_space, False, max_size_bytes=100_000)
    update_queue = Queue(max_size_bytes=100_000)
    ctx = multiprocessing.get_context("fork")
    ready = ctx.Event()
    host = ctx.Process(target=_host, args=(task_queue, update_queue, ready), daemon=True)
    host.start()
    assert ready.wait(20)
    env = MultiProcessingSyncWrapper(CountingEnv(2, NUM_TASKS), task_queue, update_queue, timeout=60)
    env.reset()  # served by the host process
    os.kill(host.pid, signal.SIGKILL)
    start = time.monotonic()
    with pytest.raises(CurriculumServerError, match=f"pid {host.pid}.*exited"):
        for _ in range(5):  # the buffered task may still be served; then the next reset must fail fast
            env.reset()
    assert time.monotonic() - start < 5
    host.join()


def test_wrong_arguments_name_the_fix():
    curriculum, task_queue, update_queue = make_multiprocessing_curriculum(RoundRobinCurriculum(NUM_TASKS))
    try:
        with pytest.raises(TypeError, match="in that order"):
            MultiProcessingSyncWrapper(CountingEnv(), update_queue, task_queue)
        with pytest.raises(ValueError, match="buffer_size"):
            MultiProcessingSyncWrapper(CountingEnv(), task_queue, update_queue, buffer_size=0)
        with pytest.raises(TypeError, match="only once"):
            make_multiprocessing_curriculum(curriculum)
        with pytest.raises(TypeError, match="task_queue and update_queue"):
            pickle.dumps(curriculum)
    finally:
        curriculum.stop()


class _ExtraStatsEnv(CountingEnv):
    """CountingEnv that reports `info["episode_extra_stats"]` (its task and the episode number) at each episode end."""

    def _step(self, action):
        obs, rew, term, trunc, info = super()._step(action)
        if term:
            info = {"episode_extra_stats": {"task": int(self.task), "episode": len(self.tasks_run)}}
        return obs, rew, term, trunc, info


class _ExtraStatsCurriculum(RoundRobinCurriculum):
    def __init__(self):
        super().__init__(NUM_TASKS)
        self.extra = []  # (env_id, task, extra_stats)

    def update_on_episode_extra_stats(self, task, extra_stats, env_id=None):
        self.extra.append((env_id, int(task), dict(extra_stats)))

    def records(self):
        return {**super().records(), "extra": list(self.extra)}


def test_episode_extra_stats_reach_the_curriculum_once_per_episode():
    # seed 000: info["episode_extra_stats"] reaches the curricula; through the sync wrappers as in the trainer
    curriculum, task_queue, update_queue = make_multiprocessing_curriculum(_ExtraStatsCurriculum())
    envs = gym.vector.AsyncVectorEnv(
        [lambda: MultiProcessingSyncWrapper(_ExtraStatsEnv(3, NUM_TASKS), task_queue, update_queue)] * 2,
        autoreset_mode=gym.vector.AutoresetMode.SAME_STEP,
    )
    try:
        envs.reset(seed=0)
        for _ in range(3 * 5):  # 5 episodes of 3 steps per env
            envs.step(np.zeros(2, dtype=np.int64))
        curriculum.flush()
        records = curriculum.records()
    finally:
        envs.close()
        curriculum.stop()
    episodes, extra = records["episodes"], records["extra"]
    assert len(episodes) == len(extra) == 10
    for env_id in (0, 1):
        mine = [(task, stats) for e, task, stats in extra if e == env_id]
        # in order, one per episode, with the task the episode ran (the one its update_on_episode got)
        assert [task for task, _ in mine] == [task for e, task, _, _ in episodes if e == env_id]
        assert [stats for _, stats in mine] == [{"task": task, "episode": n + 1} for n, (task, _) in enumerate(mine)]
