"""ParallelSampler with real worker processes: training info delivery, sync mode lag, batches."""

import time

import numpy as np
import pytest
import torch

from sf_curric.algo.learner import Learner
from sf_curric.algo.parallel.sampler import ParallelSampler
from sf_curric.command_line import default_cfg
from tests.parallel import envs
from tests.parallel.helpers import child_pids, is_alive, shm_entries, train_batches


def _cfg(**overrides):
    base = dict(
        num_workers=2, num_envs_per_worker=3, rollout=8, batch_size=48, num_batches_per_epoch=1, num_epochs=1,
        device="cpu", seed=1,
    )  # fmt: skip
    env = overrides.pop("env", "test_recording_env")
    base.update(overrides)
    return default_cfg(env, **base)


def _learner(cfg):
    env = envs.CountingEnv()
    return Learner(cfg, env.observation_space, env.action_space)


def test_training_info_reaches_every_env_of_every_worker_before_its_next_reset(tmp_path, monkeypatch):
    monkeypatch.setenv(envs.RECORD_DIR_ENV_VAR, str(tmp_path))
    # episodes of 5 steps x 2 envs x 10 ms = 100 ms: delivery one episode late (Sample Factory's) would be seen
    cfg = _cfg(num_envs_per_worker=2, rollout=4, batch_size=16)
    learner = _learner(cfg)
    sampler = ParallelSampler(cfg, learner)
    sampler.wait_for_workers()
    sent_at = {}  # value -> time at which set_training_info returned
    try:
        for value in range(1, 9):
            sampler.set_training_info({"approx_total_training_steps": value})
            sent_at[value] = time.monotonic()
            train_batches(sampler, learner, 3)
    finally:
        sampler.close()

    files = sorted(tmp_path.glob("env_*.txt"))
    assert [f.name for f in files] == [f"env_{i}.txt" for i in range(4)]  # 2 workers x 2 envs
    slack = 0.03  # the worker checks for news when a reset begins, a few microseconds before the env records
    for f in files:
        records = [(float(t), int(v)) for t, v in (line.split() for line in f.read_text().splitlines())]
        assert len(records) >= 4
        for reset_time, value in records:
            # the newest value whose sending had finished before this reset began
            due = max([v for v, t in sent_at.items() if t < reset_time - slack], default=-1)
            assert value >= due, f"{f.name}: a reset at {reset_time} got {value}, {due} was sent before"
        assert records[-1][1] == 8


def test_sync_mode_trains_with_zero_policy_lag():
    cfg = _cfg(env="test_extra_stats_env", async_rl=False)
    learner = _learner(cfg)
    sampler = ParallelSampler(cfg, learner)
    try:
        for _ in range(6):
            batch = sampler.get_batch()
            assert batch.env_steps == 48 and batch.traj["rewards"].shape == (8, 6)
            assert torch.all(batch.traj["policy_version"] == learner.version)
            assert sampler.last_batch_lag_max == 0.0
            assert sampler.stats()["policy_lag_max"] == 0.0
            learner.train(batch.traj, 0)
            sampler.on_weights_updated()
    finally:
        sampler.close()


def test_async_batches_hold_every_env_and_close_leaves_nothing_behind():
    import os

    cfg = _cfg(env="test_extra_stats_env")
    learner = _learner(cfg)
    sampler = ParallelSampler(cfg, learner)
    pids = {p.pid for p in sampler.processes}
    seen_envs = set()
    try:
        sampler.wait_for_workers()
        for _ in range(10):
            batch = sampler.get_batch()
            seen_envs.update(batch.traj["env_ids"].tolist())
            assert batch.traj["obs"].shape == (9, 6, 4)
            # fixed-length episodes: every finished episode is reported with its length and extra stats
            assert all(ep.episode_length == envs.EPISODE_LENGTH for ep in batch.episodes)
            assert all(ep.extra_stats["level"]["score"] == 3.0 for ep in batch.episodes)
            stats = sampler.stats()
            assert 0.0 <= stats["policy_lag_avg"] <= stats["policy_lag_max"]
            learner.train(batch.traj, 0)
            sampler.on_weights_updated()
    finally:
        sampler.close()
    assert seen_envs == set(range(6))
    assert not any(is_alive(pid) for pid in pids)
    assert not (pids & child_pids(os.getpid()))
    del sampler
    assert not shm_entries([os.getpid(), *pids])


def test_a_failing_env_is_reported_with_its_error(monkeypatch):
    cfg = _cfg(env="CartPole-v1", num_workers=1, num_envs_per_worker=2)
    learner = Learner(cfg, envs.gym.spaces.Box(-1, 1, (3,), np.float32), envs.gym.spaces.Discrete(2))
    sampler = ParallelSampler(cfg, learner)  # obs of 4 floats for a model built for 3: the worker fails
    try:
        with pytest.raises(RuntimeError, match="worker process"):
            sampler.get_batch()
    finally:
        sampler.close()


def _lagging_batch(with_vtrace: bool):
    """Collect one batch, train 3 times without publishing, then publish: the slots filled meanwhile lag 3."""
    cfg = _cfg(env="test_extra_stats_env", max_policy_lag=1, with_vtrace=with_vtrace)
    learner = _learner(cfg)
    sampler = ParallelSampler(cfg, learner)
    try:
        sampler.wait_for_workers()
        batch = sampler.get_batch()
        for _ in range(3):
            learner.train(batch.traj, 0)
        while not sampler._pending:  # wait until a slot filled with version-0 weights has arrived
            sampler._pending.extend(sampler._receive())
        sampler.on_weights_updated()
        batch = sampler.get_batch()
        return sampler, batch, learner.version
    finally:
        sampler.close()


def test_slots_older_than_max_policy_lag_are_counted_not_silently_dropped():
    sampler, batch, version = _lagging_batch(with_vtrace=False)
    assert sampler.num_stale_slots_dropped >= 1
    assert sampler.stats()["stale_slots_dropped"] == sampler.num_stale_slots_dropped
    assert torch.all(version - batch.traj["policy_version"] <= 1)


def test_with_vtrace_lagging_slots_are_trained_on():
    sampler, batch, version = _lagging_batch(with_vtrace=True)
    assert sampler.num_stale_slots_dropped == 0
    assert int((version - batch.traj["policy_version"]).max()) == 3
