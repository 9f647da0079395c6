"""`--inference_mode=central`: the batched inference server in the runner process and the workers' RemotePolicy.

The CPU path is the one tested here (the development machine has no GPU); the code is device-agnostic.
"""

import os
import re
import signal
import threading
import time
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
import torch

from sf_curric.algo.learner import Learner
from sf_curric.algo.parallel.central_inference import RemotePolicy, resolve_inference_mode
from sf_curric.algo.parallel.inference_server import InferenceServer
from sf_curric.algo.parallel.sampler import ParallelSampler
from sf_curric.algo.parallel.shared_buffers import SharedWeights
from sf_curric.algo.runner import Runner
from sf_curric.command_line import default_cfg
from tests.parallel import envs  # noqa: F401  (registers the test envs)
from tests.parallel.helpers import child_pids, is_alive, read_scalars, shm_entries, train_batches

CARTPOLE = gym.make("CartPole-v1")


def _cfg(env="CartPole-v1", **overrides):
    base = dict(
        num_workers=2, num_envs_per_worker=3, rollout=8, batch_size=48, num_batches_per_epoch=1, num_epochs=1,
        device="cpu", seed=1, inference_mode="central", normalize_input=True, normalize_returns=True,
    )  # fmt: skip
    base.update(overrides)
    return default_cfg(env, **base)


def _perturbed_learner(cfg, version=3):
    """A learner whose weights and normalizers are far from their initial values, at `version`."""
    torch.manual_seed(0)
    learner = Learner(cfg, CARTPOLE.observation_space, CARTPOLE.action_space)
    model = learner.model
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.3 * torch.randn_like(p))
    model.obs_normalizer.update(torch.randn(256, 4, dtype=torch.float64) * 2.0 + 1.0)
    model.returns_normalizer.update(torch.randn(256, dtype=torch.float64) * 10.0 + 5.0)
    learner.version = version
    return learner


def _expected(model, obs, actions, rnn_states=None, dones=None):
    """Log-probs and values (return units) of `[T, B]` obs/actions by the learner's own evaluate() path."""
    with torch.no_grad():
        out = model.evaluate(obs, actions, rnn_states, dones)
    return out.log_probs, model.denormalize_values(out.values)


def test_auto_is_central_on_cuda_and_local_on_cpu():
    assert resolve_inference_mode("auto", torch.device("cuda")) == "central"
    assert resolve_inference_mode("auto", torch.device("cpu")) == "local"
    assert resolve_inference_mode("central", torch.device("cpu")) == "central"
    with pytest.raises(ValueError, match="use auto, local or central"):
        resolve_inference_mode("remote", torch.device("cpu"))


def test_one_forward_pass_serves_the_waiting_requests_of_two_workers_with_the_published_weights():
    cfg = _cfg(num_envs_per_worker=5, use_rnn=True, rnn_size=16, worker_num_splits=1)
    learner = _perturbed_learner(cfg, version=0)
    weights = SharedWeights(learner.model.state_dict())
    weights.publish(learner.model.state_dict(), 0)
    server = InferenceServer(cfg, CARTPOLE.observation_space, CARTPOLE.action_space, weights, "cpu", num_workers=2)
    learner.version = 7  # weights published after the server was built: it must reload them before serving
    with torch.no_grad():
        for p in learner.model.parameters():
            p.mul_(1.5)
    weights.publish(learner.model.state_dict(), learner.version)

    gen = torch.Generator().manual_seed(1)
    requests = {0: 5, 1: 3}  # rows per worker (a worker may ask for fewer rows, e.g. final values)
    obs = {w: torch.randn(n, 4, generator=gen) for w, n in requests.items()}
    states = {w: torch.randn(n, learner.model.rnn_state_size, generator=gen) for w, n in requests.items()}
    results = {}
    clients = {w: RemotePolicy(server.connect(w)[0], learner.model) for w in requests}

    def ask(w):
        results[w] = clients[w].act(obs[w], states[w])

    threads = [threading.Thread(target=ask, args=(w,)) for w in requests]
    for t in threads:
        t.start()
    server._apply_new_conns()  # (private) register both pipes, then wait until both requests are waiting
    deadline = time.monotonic() + 10
    while not all(conn.poll() for conn in server._conns.values()):
        assert time.monotonic() < deadline, "the requests did not arrive"
        time.sleep(0.01)
    assert server.serve_once(timeout=1.0) == 2
    for t in threads:
        t.join(timeout=10)
    assert (server.num_forward, server.num_requests, server.num_rows) == (1, 2, 8)
    assert server.take_stats() == {
        "inference_forward_passes": 1.0, "inference_requests_per_forward": 2.0, "inference_rows_per_forward": 8.0,
    }  # fmt: skip

    for w, n in requests.items():
        result, client = results[w], clients[w]
        assert client.acting_version == 7
        assert result.actions.shape == (n,) and set(result.actions.tolist()) <= {0, 1}
        # independent check: the learner's own sequence path (evaluate) on the same weights, obs, actions, states
        log_probs, values = _expected(
            learner.model, obs[w][None], result.actions[None], states[w], torch.zeros(1, n, dtype=torch.bool)
        )
        torch.testing.assert_close(result.log_probs, log_probs[0], atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(result.values, values[0], atol=1e-4, rtol=1e-5)
        expected_states = learner.model.act(obs[w], states[w]).rnn_states
        torch.testing.assert_close(result.rnn_states, expected_states, atol=1e-5, rtol=1e-5)
    server.stop()


@pytest.mark.parametrize("splits", [1, 2])
def test_trajectories_from_worker_processes_match_the_learners_forward_pass(splits):
    # 3 envs per worker: with 2 splits, groups of 2 and 1 envs stepped alternately (double-buffered sampling)
    cfg = _cfg(use_rnn=True, rnn_size=16, batch_size=96, worker_num_splits=splits)
    learner = _perturbed_learner(cfg, version=3)
    sampler = ParallelSampler(cfg, learner)  # publishes version 3; nothing trains: every step acts with it
    try:
        assert sampler.inference_mode == "central"
        for _ in range(2):
            traj = sampler.get_batch().traj
            assert torch.all(traj["policy_version"] == 3)
            dones = torch.zeros_like(traj["terminated"])
            dones[1:] = traj["terminated"][:-1] | traj["truncated"][:-1]
            log_probs, values = _expected(learner.model, traj["obs"][:-1], traj["actions"], traj["rnn_states"], dones)
            torch.testing.assert_close(traj["log_probs"], log_probs, atol=1e-5, rtol=1e-5)
            torch.testing.assert_close(traj["values"][:-1], values, atol=1e-4, rtol=1e-5)
            for slot_ids in traj["env_ids"].view(-1, 3).tolist():  # each slot: one worker's envs, in column order
                assert slot_ids in ([0, 1, 2], [3, 4, 5])
        stats = sampler.stats()
        assert stats["inference_forward_passes"] > 0 and stats["inference_requests_per_forward"] >= 1.0
        assert sampler.inference_server.groups_per_worker == splits
    finally:
        sampler.close()


def test_sync_mode_has_zero_policy_lag_at_every_step():
    cfg = _cfg(env="test_extra_stats_env", async_rl=False)
    learner = Learner(cfg, envs.CountingEnv.observation_space, envs.CountingEnv.action_space)
    sampler = ParallelSampler(cfg, learner)
    try:
        for _ in range(6):
            batch = sampler.get_batch()
            assert batch.env_steps == 48
            assert torch.all(batch.traj["policy_version"] == learner.version)
            assert sampler.last_batch_lag_max == 0.0 and sampler.stats()["policy_lag_max"] == 0.0
            learner.train(batch.traj, 0)
            sampler.on_weights_updated()
    finally:
        sampler.close()


def test_double_buffered_groups_all_get_training_info_before_their_next_reset(tmp_path, monkeypatch):
    # 2 envs per worker in 2 groups (--worker_num_splits=2): one group's resets read the control queue, every group
    # must still see each value before its next reset (the check of test_sampler.py, in central split mode)
    monkeypatch.setenv(envs.RECORD_DIR_ENV_VAR, str(tmp_path))
    cfg = _cfg(env="test_recording_env", num_envs_per_worker=2, rollout=4, batch_size=16, worker_num_splits=2)
    learner = Learner(cfg, envs.CountingEnv.observation_space, envs.CountingEnv.action_space)
    sampler = ParallelSampler(cfg, learner)
    sampler.wait_for_workers()
    sent_at = {}
    try:
        for value in range(1, 7):
            sampler.set_training_info({"approx_total_training_steps": value})
            sent_at[value] = time.monotonic()
            train_batches(sampler, learner, 3)
    finally:
        sampler.close()
    files = sorted(tmp_path.glob("env_*.txt"))
    assert [f.name for f in files] == [f"env_{i}.txt" for i in range(4)]
    for f in files:
        records = [(float(t), int(v)) for t, v in (line.split() for line in f.read_text().splitlines())]
        for reset_time, value in records:
            due = max([v for v, t in sent_at.items() if t < reset_time - 0.03], default=-1)
            assert value >= due, f"{f.name}: a reset at {reset_time} got {value}, {due} was sent before"
        assert records[-1][1] == 6


def test_close_leaves_no_process_thread_or_shared_memory():
    cfg = _cfg(env="test_extra_stats_env")
    learner = Learner(cfg, envs.CountingEnv.observation_space, envs.CountingEnv.action_space)
    sampler = ParallelSampler(cfg, learner)
    pids = {p.pid for p in sampler.processes}
    server = sampler.inference_server
    try:
        sampler.wait_for_workers()
        train_batches(sampler, learner, 5)
        assert server.is_alive()
    finally:
        sampler.close()
    assert not server.is_alive()
    assert not any(is_alive(pid) for pid in pids)
    assert not (pids & child_pids(os.getpid()))
    del sampler
    assert not shm_entries([os.getpid(), *pids])


def test_a_failure_of_the_inference_server_stops_the_run_with_its_error():
    cfg = _cfg(env="test_extra_stats_env")
    learner = Learner(cfg, envs.CountingEnv.observation_space, envs.CountingEnv.action_space)
    sampler = ParallelSampler(cfg, learner)

    def broken_act(*args, **kwargs):
        raise RuntimeError("CUDA error: out of memory")

    sampler.inference_server.model.act = broken_act
    pids = {p.pid for p in sampler.processes}
    try:
        with pytest.raises(RuntimeError, match="central inference server failed: RuntimeError: CUDA error"):
            for _ in range(20):
                sampler.get_batch()
    finally:
        sampler.close()  # the workers waiting for replies see the stop flag
    assert not any(is_alive(pid) for pid in pids)


def test_a_worker_killed_with_sigkill_is_replaced_and_gets_actions_again():
    cfg = _cfg(env="test_extra_stats_env", num_envs_per_worker=2, rollout=8, batch_size=16)
    learner = Learner(cfg, envs.CountingEnv.observation_space, envs.CountingEnv.action_space)
    sampler = ParallelSampler(cfg, learner)
    received = []
    dispatch = sampler._dispatch

    def recording_dispatch(msgs):
        ready = dispatch(msgs)
        received.extend((m.worker_idx, m.slot) for m in ready)
        return ready

    sampler._dispatch = recording_dispatch
    try:
        sampler.wait_for_workers()
        train_batches(sampler, learner, 3)
        victim = sampler.processes[0].pid
        os.kill(victim, signal.SIGKILL)  # possibly in the middle of a request to the server
        deadline = time.monotonic() + 20
        while sampler.worker_restarts[0] == 0:
            sampler.get_batch()
            assert time.monotonic() < deadline, "the dead worker was not replaced"
        mark = len(received)
        worker0_slots = {s for s, owner in enumerate(sampler.slot_owner) if owner == 0}
        deadline = time.monotonic() + 60
        while {s for w, s in received[mark:] if w == 0} != worker0_slots:
            batch = sampler.get_batch()
            learner.train(batch.traj, 0)
            sampler.on_weights_updated()
            assert time.monotonic() < deadline, "the replaced worker did not sample again"
        assert sampler.inference_server.is_alive() and sampler.processes[1].is_alive()
        assert np.isfinite(batch.traj["log_probs"].numpy()).all()
    finally:
        sampler.close()


def test_two_worker_async_run_with_central_inference_solves_cartpole(tmp_path):
    cfg = default_cfg(
        "CartPole-v1", train_dir=str(tmp_path), experiment="central", serial_mode=False, async_rl=True,
        num_workers=2, num_envs_per_worker=32, rollout=16, batch_size=256, num_batches_per_epoch=4, num_epochs=4,
        train_for_env_steps=400_000, stop_when_avg_return=475.0, seed=1, save_every_sec=1000, device="cpu",
        inference_mode="central",
    )  # fmt: skip
    result = Runner(cfg).run()
    assert result.reason == "avg_return", result
    assert result.avg_return >= 475.0
    scalars = read_scalars(tmp_path / "central")
    assert all(0 <= v <= 10 for _, v in scalars["perf/policy_lag_max"])
    forward = dict(scalars["perf/inference_forward_passes"])
    per_forward = dict(scalars["perf/inference_requests_per_forward"])
    requests = sum(forward[step] * per_forward[step] for step in per_forward)
    assert requests > sum(forward.values())  # some forward passes served several workers at once
    metrics_doc = (Path(__file__).resolve().parents[2] / "docs" / "metrics.md").read_text()
    documented = set(re.findall(r"`(perf/[^`\s]+)`", metrics_doc))
    assert not {t for t in scalars if t.startswith("perf/")} - documented, "add them to docs/metrics.md"
