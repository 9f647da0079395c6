"""Learner: learns small supervised-like tasks, schedules, checkpoint round trip, NaN batches, early stop."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from gymnasium import spaces

from sf_curric.algo.learner import Learner, learner_args, learner_cfg, resolve_device
from sf_curric.model import ActorCritic


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    # Small batches: torch's thread pool only adds synchronization cost (and crawls on a busy machine).
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


OBS = spaces.Box(-np.inf, np.inf, (4,), np.float32)
ACTIONS = spaces.Discrete(2)


def _bandit_traj(learner: Learner, steps: int = 8, envs: int = 32) -> dict[str, torch.Tensor]:
    """One-step episodes: reward 1 when the action equals (obs[0] > 0), acted by the learner's own policy."""
    obs = torch.randn(steps + 1, envs, 4)
    out = [learner.model.act(obs[t]) for t in range(steps)]
    actions = torch.stack([o.actions for o in out])
    correct = (obs[:steps, :, 0] > 0).long()
    return {
        "obs": obs,
        "actions": actions,
        "log_probs": torch.stack([o.log_probs for o in out]),
        "values": torch.cat([torch.stack([o.values for o in out]), learner.model.act(obs[steps]).values[None]]),
        "rewards": (actions == correct).float(),
        "terminated": torch.ones(steps, envs, dtype=torch.bool),
        "truncated": torch.zeros(steps, envs, dtype=torch.bool),
        "final_values": torch.zeros(steps, envs),
    }


def _accuracy(model: ActorCritic) -> float:
    obs = torch.randn(2000, 4)
    return (model.act(obs, deterministic=True).actions == (obs[:, 0] > 0).long()).float().mean().item()


@pytest.mark.parametrize("with_vtrace", [False, True])
def test_learns_a_contextual_bandit(with_vtrace):
    torch.manual_seed(0)
    cfg = learner_cfg(device="cpu", learning_rate=3e-3, num_epochs=4, batch_size=64, with_vtrace=with_vtrace)
    learner = Learner(cfg, OBS, ACTIONS)
    assert 0.2 < _accuracy(learner.model) < 0.8
    for _ in range(10):
        result = learner.train(_bandit_traj(learner, envs=16), env_steps=0)
    assert _accuracy(learner.model) > 0.93
    assert learner.version == 10
    # values track the expected reward (~ the accuracy of the sampling policy), in return units
    values = learner.model.act(torch.randn(500, 4)).values
    assert 0.7 < values.mean().item() <= 1.05
    assert result.advantages.shape == (8, 16) and result.values.shape == (8, 16)
    for key in ("policy_loss", "value_loss", "entropy", "approx_kl", "clipfrac", "explained_variance", "grad_norm"):
        assert np.isfinite(result.stats[key]), key
    assert result.stats["nan_skipped"] == 0.0


def test_value_loss_decreases_on_a_fixed_batch():
    # one-step episodes whose return is a function of the observation: the value head can fit it
    torch.manual_seed(1)
    cfg = learner_cfg(device="cpu", learning_rate=3e-3, normalize_returns=False, ppo_clip_value=0.0)
    learner = Learner(cfg, OBS, ACTIONS)
    traj = _bandit_traj(learner)
    traj["rewards"] = 2.0 * traj["obs"][:-1, :, 0]
    losses = [learner.train(traj, 0).stats["value_loss"] for _ in range(15)]
    assert losses[-1] < 0.2 * losses[0]


def test_value_clipping_limits_the_move_away_from_the_acting_values():
    # with a tight clip, the predictions cannot follow targets far from the stored (acting) values
    torch.manual_seed(1)
    cfg = learner_cfg(device="cpu", learning_rate=3e-3, normalize_returns=False, ppo_clip_value=0.1)
    learner = Learner(cfg, OBS, ACTIONS)
    traj = _bandit_traj(learner)
    traj["rewards"] = 2.0 * traj["obs"][:-1, :, 0]
    losses = [learner.train(traj, 0).stats["value_loss"] for _ in range(15)]
    assert losses[-1] > 0.5 * losses[0]


def test_linear_schedules_and_version():
    cfg = learner_cfg(
        device="cpu", learning_rate=1e-3, lr_schedule="linear", ppo_clip_schedule="linear", train_for_env_steps=1000
    )
    learner = Learner(cfg, OBS, ACTIONS)
    stats = learner.train(_bandit_traj(learner), env_steps=250).stats
    assert stats["learning_rate"] == pytest.approx(7.5e-4)
    assert stats["clip_ratio"] == pytest.approx(0.15)
    assert learner.optimizer.param_groups[0]["lr"] == pytest.approx(7.5e-4)
    assert learner.train(_bandit_traj(learner), env_steps=5000).stats["learning_rate"] == 0.0
    assert learner.version == 2


def test_linear_schedules_follow_the_seconds_budget_when_it_ends_the_run_first():
    cfg = learner_cfg(device="cpu", learning_rate=1e-3, lr_schedule="linear", ppo_clip_schedule="linear",
                      train_for_env_steps=10**6, train_for_seconds=100)  # fmt: skip
    learner = Learner(cfg, OBS, ACTIONS)
    stats = learner.train(_bandit_traj(learner), env_steps=1000, train_seconds=60.0).stats  # 60 % of the seconds
    assert stats["learning_rate"] == pytest.approx(4e-4)
    assert stats["clip_ratio"] == pytest.approx(0.08)
    stats = learner.train(_bandit_traj(learner), env_steps=900_000, train_seconds=10.0).stats  # 90 % of the steps
    assert stats["learning_rate"] == pytest.approx(1e-4)


def test_state_dict_round_trip_gives_identical_outputs_and_training():
    torch.manual_seed(2)
    cfg = learner_cfg(device="cpu")
    source = Learner(cfg, OBS, ACTIONS)
    for _ in range(3):
        source.train(_bandit_traj(source), 0)
    buffer = io.BytesIO()
    torch.save(source.state_dict(), buffer)
    buffer.seek(0)
    restored = Learner(cfg, OBS, ACTIONS)
    restored.load_state_dict(torch.load(buffer, weights_only=True))
    assert restored.version == 3
    obs = torch.randn(16, 4)
    torch.testing.assert_close(restored.model.act(obs, deterministic=True), source.model.act(obs, deterministic=True))
    # the optimizer state came along: the same batch with the same seed trains to the same weights
    traj = _bandit_traj(source)
    torch.manual_seed(7)
    stats_a = source.train(traj, 0).stats
    torch.manual_seed(7)
    stats_b = restored.train(traj, 0).stats
    assert stats_a == stats_b
    for (name, a), b in zip(source.model.state_dict().items(), restored.model.state_dict().values()):
        torch.testing.assert_close(a, b, msg=name)


def test_policy_state_dict_loads_into_a_worker_copy():
    torch.manual_seed(3)
    cfg = learner_cfg(device="cpu")
    learner = Learner(cfg, OBS, ACTIONS)
    learner.train(_bandit_traj(learner), 0)  # updates the normalizers too
    worker = ActorCritic(OBS, ACTIONS, cfg)
    worker.load_state_dict(learner.policy_state_dict())
    obs = torch.randn(10, 4) * 3
    torch.testing.assert_close(worker.act(obs, deterministic=True), learner.model.act(obs, deterministic=True))


@pytest.mark.parametrize("where", ["rewards", "obs"])
def test_non_finite_batch_is_skipped_and_weights_stay_finite(where):
    torch.manual_seed(4)
    learner = Learner(learner_cfg(device="cpu"), OBS, ACTIONS)
    traj = _bandit_traj(learner)
    traj[where][0, 0] = float("nan")
    before = {k: v.clone() for k, v in learner.model.state_dict().items()}
    stats = learner.train(traj, 0).stats
    assert stats["nan_skipped"] > 0 and stats["sgd_steps"] == 0
    for name, value in learner.model.state_dict().items():
        torch.testing.assert_close(value, before[name], msg=name)  # weights and normalizers untouched
    assert learner.train(_bandit_traj(learner), 0).stats["nan_skipped"] == 0  # the next good batch trains


def test_target_kl_stops_the_epochs_early():
    torch.manual_seed(5)
    cfg = learner_cfg(device="cpu", learning_rate=0.05, num_epochs=10, batch_size=32, target_kl=1e-4)
    learner = Learner(cfg, OBS, ACTIONS)
    stats = learner.train(_bandit_traj(learner), 0).stats
    assert stats["early_stopped"] == 1.0
    assert 1 <= stats["sgd_steps"] < 10 * 8


def test_recurrent_learner_learns_a_memory_task():
    # The cue (obs[0] = +-1) is visible only at the first of 3 steps; the reward at the last step needs it.
    torch.manual_seed(6)
    cfg = learner_cfg(device="cpu", use_rnn=True, rnn_size=16, learning_rate=3e-3, batch_size=96, num_epochs=4)
    learner = Learner(cfg, OBS, ACTIONS)
    model, steps, envs, episode = learner.model, 6, 32, 3

    def rollout():
        cue = torch.randint(0, 2, (steps // episode, envs))
        obs = torch.zeros(steps + 1, envs, 4)
        obs[torch.arange(0, steps + 1, episode), :, 0] = torch.cat([cue, torch.randint(0, 2, (1, envs))]) * 2.0 - 1
        obs[:, :, 1] = (torch.arange(steps + 1) % episode).float()[:, None]  # time in the episode
        states = start = model.initial_rnn_states(envs)
        out = []
        for t in range(steps):
            if t % episode == 0:
                states = torch.zeros_like(states)
            out.append(model.act(obs[t], states))
            states = out[-1].rnn_states
        actions = torch.stack([o.actions for o in out])
        last = torch.arange(steps) % episode == episode - 1
        rewards = torch.zeros(steps, envs)
        rewards[last] = (actions[last] == cue).float()
        return {
            "obs": obs,
            "actions": actions,
            "log_probs": torch.stack([o.log_probs for o in out]),
            "values": torch.cat([torch.stack([o.values for o in out]), model.act(obs[steps], states).values[None]]),
            "rewards": rewards,
            "terminated": last[:, None].expand(steps, envs).clone(),
            "truncated": torch.zeros(steps, envs, dtype=torch.bool),
            "final_values": torch.zeros(steps, envs),
            "rnn_states": start,
        }

    for _ in range(25):
        learner.train(rollout(), 0)
    success = rollout()["rewards"].sum().item() / (envs * steps // episode)
    assert success > 0.9  # without memory the last step is a coin flip (0.5)


def test_every_flag_has_help_and_a_default():
    names = [flag for flag, _ in learner_args()]
    assert len(names) == len(set(names))
    for flag, kwargs in learner_args():
        assert kwargs.get("help") and "default" in kwargs, flag


def test_bad_config_and_device_name_the_fix():
    with pytest.raises(ValueError, match="--num_epochs"):
        Learner(learner_cfg(num_epochs=0), OBS, ACTIONS)
    with pytest.raises(ValueError, match="unknown learner flag"):
        learner_cfg(not_a_flag=1)
    assert resolve_device("cpu") == torch.device("cpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="--device=cpu"):
            resolve_device("gpu")


@pytest.mark.parametrize(
    "obs_space,action_space,overrides",
    [
        (spaces.Box(0, 255, (36, 36, 3), np.uint8), spaces.Discrete(3), {"encoder_conv_mlp_layers": [32]}),
        (OBS, spaces.Box(-1.0, 1.0, (2,), np.float32), {}),
        (OBS, spaces.MultiDiscrete([3, 4]), {"with_vtrace": True}),
        (OBS, spaces.Box(-1.0, 1.0, (2,), np.float32), {"use_rnn": True, "rnn_type": "lstm", "with_vtrace": True}),
    ],
)
def test_train_updates_every_kind_of_model(obs_space, action_space, overrides):
    torch.manual_seed(8)
    learner = Learner(learner_cfg(device="cpu", batch_size=32, **overrides), obs_space, action_space)
    model, steps, envs = learner.model, 4, 8
    if obs_space.dtype == np.uint8:
        obs = torch.randint(0, 256, (steps + 1, envs, *obs_space.shape), dtype=torch.uint8)
    else:
        obs = torch.randn(steps + 1, envs, *obs_space.shape)
    states = model.initial_rnn_states(envs)
    out = [model.act(obs[t], states) for t in range(steps)]
    traj = {
        "obs": obs,
        "actions": torch.stack([o.actions for o in out]),
        "log_probs": torch.stack([o.log_probs for o in out]),
        "values": torch.cat([torch.stack([o.values for o in out]), out[-1].values[None]]),
        "rewards": torch.randn(steps, envs),
        "terminated": torch.rand(steps, envs) < 0.2,
        "truncated": torch.rand(steps, envs) < 0.1,
        "final_values": torch.randn(steps, envs),
    }
    if model.is_recurrent:
        traj["rnn_states"] = model.initial_rnn_states(envs)
    before = [p.detach().clone() for p in model.parameters()]
    stats = learner.train(traj, 0).stats
    assert stats["sgd_steps"] == learner.cfg.num_epochs * 1 and stats["nan_skipped"] == 0
    assert all(np.isfinite(stats[k]) for k in ("policy_loss", "value_loss", "entropy", "grad_norm"))
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters()))
