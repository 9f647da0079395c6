"""The CUDA paths: learner on the GPU, central inference on the GPU, pinned host-to-device transfers.

Skipped without a CUDA device; `benchmarks/gpu_check.sh` runs them (`pytest -m cuda`) on a machine with one.
"""

import gymnasium as gym
import pytest
import torch

from sf_curric.algo.learner import Learner
from sf_curric.algo.parallel.inference_server import InferenceServer
from sf_curric.algo.parallel.sampler import ParallelSampler
from sf_curric.algo.rollout import allocate_trajectory
from sf_curric.algo.runner import Runner
from sf_curric.command_line import default_cfg
from sf_curric.utils.checkpoint import list_checkpoints, load_checkpoint

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU (benchmarks/gpu_check.sh runs these)"),
]

CARTPOLE = gym.make("CartPole-v1")


def _cfg(**overrides):
    base = dict(
        num_workers=2, num_envs_per_worker=4, rollout=8, batch_size=64, num_batches_per_epoch=1, num_epochs=2,
        device="gpu", seed=1, normalize_input=True, normalize_returns=True,
    )  # fmt: skip
    base.update(overrides)
    return default_cfg("CartPole-v1", **base)


def _random_traj(steps=8, envs=8):
    traj = allocate_trajectory(steps, envs, CARTPOLE.observation_space, CARTPOLE.action_space, 0)
    gen = torch.Generator().manual_seed(0)
    traj["obs"].copy_(torch.randn(traj["obs"].shape, generator=gen))
    traj["rewards"].fill_(1.0)
    traj["values"].copy_(torch.randn(traj["values"].shape, generator=gen))
    traj["log_probs"].fill_(-0.69)
    return traj


def test_learner_trains_on_the_gpu_like_on_the_cpu():
    torch.manual_seed(0)
    gpu = Learner(_cfg(), CARTPOLE.observation_space, CARTPOLE.action_space)
    cpu = Learner(_cfg(device="cpu"), CARTPOLE.observation_space, CARTPOLE.action_space)
    cpu.model.load_state_dict({k: v.cpu() for k, v in gpu.model.state_dict().items()})
    assert next(gpu.model.parameters()).is_cuda
    torch.manual_seed(1)
    out_gpu = gpu.train(_random_traj(), env_steps=0)
    torch.manual_seed(1)
    out_cpu = cpu.train(_random_traj(), env_steps=0)
    assert out_gpu.advantages.is_cuda
    for key in ("policy_loss", "value_loss", "entropy"):
        assert out_gpu.stats[key] == pytest.approx(out_cpu.stats[key], rel=1e-3, abs=1e-5), key
    for name, value in gpu.policy_state_dict().items():  # what the workers receive: CPU tensors
        assert value.device.type == "cpu", name


def test_pinned_batch_gives_the_same_update_as_a_pageable_one():
    torch.manual_seed(0)
    a = Learner(_cfg(), CARTPOLE.observation_space, CARTPOLE.action_space)
    b = Learner(_cfg(), CARTPOLE.observation_space, CARTPOLE.action_space)
    b.model.load_state_dict(a.model.state_dict())
    traj = _random_traj()
    pinned = {k: v.pin_memory() for k, v in traj.items()}
    assert all(v.is_pinned() for v in pinned.values())
    torch.manual_seed(2)
    a.train(pinned, env_steps=0)  # non_blocking copies from pinned memory
    torch.manual_seed(2)
    b.train(traj, env_steps=0)
    torch.cuda.synchronize()
    for (name, x), y in zip(a.model.state_dict().items(), b.model.state_dict().values()):
        torch.testing.assert_close(x, y, msg=name)


def test_central_inference_server_stages_in_pinned_memory_and_serves_workers():
    cfg = _cfg(inference_mode="auto")
    learner = Learner(cfg, CARTPOLE.observation_space, CARTPOLE.action_space)
    sampler = ParallelSampler(cfg, learner)
    try:
        assert sampler.inference_mode == "central"  # auto on CUDA
        server = sampler.inference_server
        assert isinstance(server, InferenceServer) and server._obs_stage.is_pinned()
        for _ in range(5):
            batch = sampler.get_batch()
            assert batch.env_steps == 64 and torch.isfinite(batch.traj["log_probs"]).all()
            learner.train(batch.traj, 0)
            sampler.on_weights_updated()
        assert server.num_forward > 0 and server.error is None
    finally:
        sampler.close()


def test_gpu_run_learns_cartpole_and_its_checkpoint_loads_on_the_cpu(tmp_path):
    cfg = default_cfg(
        "CartPole-v1", train_dir=str(tmp_path), experiment="gpu", serial_mode=False, num_workers=2,
        num_envs_per_worker=16, rollout=16, batch_size=256, num_batches_per_epoch=2, num_epochs=4,
        train_for_env_steps=300_000, stop_when_avg_return=200.0, seed=1, save_every_sec=1000, device="gpu",
    )  # fmt: skip
    result = Runner(cfg).run()
    assert result.reason == "avg_return", result
    [ckpt] = list_checkpoints(tmp_path / "gpu" / "checkpoint_p0")
    state = load_checkpoint(ckpt, map_location="cpu")
    assert all(v.device.type == "cpu" for v in state["learner"]["model"].values() if torch.is_tensor(v))
