"""Every env reset gets its task from the curriculum, and every finished episode reaches the curriculum once.

The level env records each reset's task per worker (in order); the curriculum records what it sampled and every
episode it was told about; the host's issued codes are recorded too. The test checks the whole chain exactly:
curriculum samples == host issues == (per worker, in order) env resets + tasks still unused, and each env's
reported episodes are exactly its first episodes, with the task, return, length and progress the env produced.
"""

from collections import defaultdict

import gymnasium as gym
import pytest

from sf_curric.envs.registry import register_env
from tests.curriculum_integration.envs import (
    NUM_TASKS,
    RECORD_DIR_ENV_VAR,
    RecordingDR,
    episode_length,
    make_level_env,
    step_reward,
)
from tests.curriculum_integration.helpers import HostRecorder, level_args, make_runner, read_resets


def _check_episodes(curriculum, resets, exact):
    by_env = defaultdict(list)
    for env_id, task, episode_return, length, progress in curriculum.episode_log:
        by_env[env_id].append((task, episode_return, length, progress))
    resets_by_env = defaultdict(list)
    for rows in resets.values():
        for env_id, task in rows:
            resets_by_env[env_id].append(task)
    assert set(by_env) <= set(resets_by_env)
    for env_id, tasks in resets_by_env.items():
        reported = by_env[env_id]
        # the env's first len(reported) episodes, no gap, no duplicate; the last reset's episode is still running
        assert len(reported) <= len(tasks) - 1
        if exact:
            assert len(reported) == len(tasks) - 1
        expected = [
            (t, pytest.approx(step_reward(t) * episode_length(t)), episode_length(t), pytest.approx(t / NUM_TASKS))
            for t in tasks[: len(reported)]
        ]
        assert reported == expected, env_id


def _run(tmp_path, monkeypatch, *extra):
    monkeypatch.setenv(RECORD_DIR_ENV_VAR, str(tmp_path))
    curriculum = RecordingDR(gym.spaces.Discrete(NUM_TASKS), seed=5)
    register_env("test_level_env_recording", make_level_env, task_space=gym.spaces.Discrete(NUM_TASKS),
                 curriculum=curriculum)  # fmt: skip
    recorder = HostRecorder(monkeypatch)
    args = [a for a in level_args(tmp_path, *extra) if not a.startswith("--env=")]
    runner = make_runner(["--env=test_level_env_recording", *args])
    result = runner.run()
    assert result.num_episodes > 0
    return runner, curriculum, recorder


def test_serial_every_reset_gets_a_curriculum_task_and_counts_match(tmp_path, monkeypatch):
    runner, curriculum, recorder = _run(
        tmp_path, monkeypatch, "--serial_mode=True", "--num_workers=1", "--num_envs_per_worker=4",
        "--train_for_env_steps=640",
    )  # fmt: skip
    host = runner.curriculum_host
    assert recorder.issued == curriculum.sampled_log  # Discrete: a task is its own code
    [resets] = read_resets(tmp_path).values()
    reset_tasks = [task for _, task in resets]
    assert None not in reset_tasks
    # resets took the issued tasks in order; the rest is still waiting in the prefetch buffer
    assert reset_tasks + [code for code, _ in host.pending_tasks()] == recorder.issued
    assert len(reset_tasks) == 4 + len(curriculum.episode_log)  # one first reset per env, then one per episode
    _check_episodes(curriculum, read_resets(tmp_path), exact=True)
    assert host.num_episodes_reported == len(curriculum.episode_log) == result_episodes(runner)


def result_episodes(runner):
    return runner.stats.num_episodes


@pytest.mark.parametrize("async_rl", ["True", "False"])
def test_two_workers_every_reset_gets_a_curriculum_task_and_counts_match(tmp_path, monkeypatch, async_rl):
    runner, curriculum, recorder = _run(
        tmp_path, monkeypatch, "--num_workers=2", "--num_envs_per_worker=2", f"--async_rl={async_rl}",
        "--train_for_env_steps=960", "--curriculum_prefetch=1",
    )  # fmt: skip
    host = runner.curriculum_host
    assert recorder.issued == curriculum.sampled_log
    assert sorted(recorder.issued) == sorted(c for w in recorder.per_worker.values() for c in w)
    resets = read_resets(tmp_path)
    assert set(resets) == {0, 1}
    for worker, rows in resets.items():
        tasks = [task for _, task in rows]
        assert None not in tasks
        # each worker's resets used the tasks sent to it, in the order they were sent
        assert tasks == recorder.per_worker[worker][: len(tasks)]
        # prefetching stays bounded: at most the target (1 task per env) is unused
        assert len(recorder.per_worker[worker]) - len(tasks) <= 2
    # the slots the runner did not train on before stopping are not reported: each env's reports are a prefix
    _check_episodes(curriculum, resets, exact=False)
    assert host.num_episodes_reported == len(curriculum.episode_log) == runner.stats.num_episodes > 0
