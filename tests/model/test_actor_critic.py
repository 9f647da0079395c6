"""ActorCritic: shapes for each space/encoder/core, act vs evaluate agreement, recurrent resets, normalizers."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from gymnasium import spaces

from sf_curric.algo.learner import learner_cfg
from sf_curric.model import ActorCritic


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    # Small batches: torch's thread pool only adds synchronization cost (and crawls on a busy machine).
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


VECTOR = spaces.Box(-np.inf, np.inf, (5,), np.float32)
IMAGE = spaces.Box(0, 255, (36, 36, 3), np.uint8)
ACTION_SPACES = {
    "discrete": spaces.Discrete(4),
    "box": spaces.Box(-1.0, 1.0, (2,), np.float32),
    "multidiscrete": spaces.MultiDiscrete([3, 2]),
}


def _obs(space: spaces.Box, *lead: int) -> torch.Tensor:
    if space.dtype == np.uint8:
        return torch.randint(0, 256, (*lead, *space.shape), dtype=torch.uint8)
    return torch.randn(*lead, *space.shape)


_VECTOR_CASES = [
    {},
    {"actor_critic_share_weights": False},
    {"use_rnn": True, "rnn_type": "gru", "rnn_size": 16},
    {"use_rnn": True, "rnn_type": "lstm", "rnn_size": 16, "actor_critic_share_weights": False},
]
_IMAGE_CASES = [  # the CNNs with one action space each (the heads are covered by the vector cases)
    ("image", {"encoder_conv_mlp_layers": [32]}, "discrete"),
    ("image", {"encoder_conv_architecture": "resnet_impala", "encoder_conv_mlp_layers": [32]}, "box"),
]


@pytest.mark.parametrize(
    "obs_key,overrides,action_key",
    [("vector", o, a) for o in _VECTOR_CASES for a in ACTION_SPACES] + _IMAGE_CASES,
)
def test_act_and_evaluate_agree(obs_key, overrides, action_key):
    torch.manual_seed(0)
    obs_space = VECTOR if obs_key == "vector" else IMAGE
    action_space = ACTION_SPACES[action_key]
    model = ActorCritic(obs_space, action_space, learner_cfg(**overrides))
    steps, envs = 3, 4
    obs = _obs(obs_space, steps, envs)
    states = model.initial_rnn_states(envs)
    starts = torch.zeros(steps, envs, dtype=torch.bool)
    starts[2, 1] = True  # env 1 starts a new episode at step 2
    acted = []
    for t in range(steps):
        if model.is_recurrent and t > 0:
            states = states * (~starts[t]).float().unsqueeze(-1)  # the rollout worker's job
        result = model.act(obs[t], states if t > 0 or not model.is_recurrent else model.initial_rnn_states(envs))
        acted.append(result)
        states = result.rnn_states
    actions = torch.stack([r.actions for r in acted])
    expected_shape = (steps, envs) + ((2,) if action_key != "discrete" else ())
    assert tuple(actions.shape) == expected_shape
    assert acted[0].values.shape == (envs,) and acted[0].log_probs.shape == (envs,)
    if model.is_recurrent:
        assert acted[0].rnn_states.shape == (envs, model.rnn_state_size)
    else:
        assert acted[0].rnn_states is None and model.rnn_state_size == 0

    out = model.evaluate(obs, actions, model.initial_rnn_states(envs), starts)
    torch.testing.assert_close(out.log_probs, torch.stack([r.log_probs for r in acted]), rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(
        model.denormalize_values(out.values), torch.stack([r.values for r in acted]), rtol=1e-4, atol=1e-5
    )
    assert out.entropy.shape == (steps, envs)
    out.log_probs.sum().backward()  # evaluate keeps gradients


@pytest.mark.parametrize("rnn_type", ["gru", "lstm"])
def test_recurrent_evaluate_resets_state_at_dones(rnn_type):
    torch.manual_seed(1)
    model = ActorCritic(VECTOR, spaces.Discrete(3), learner_cfg(use_rnn=True, rnn_type=rnn_type, rnn_size=8))
    steps, envs = 6, 2
    obs = torch.randn(steps, envs, 5)
    actions = torch.randint(0, 3, (steps, envs))
    dones = torch.zeros(steps, envs, dtype=torch.bool)
    dones[3, 0] = True
    start_states = torch.randn(envs, model.rnn_state_size)
    full = model.evaluate(obs, actions, start_states, dones)
    # the tail after the reset equals a fresh evaluation of the tail from zero state
    tail = model.evaluate(obs[3:, :1], actions[3:, :1], torch.zeros(1, model.rnn_state_size), dones[3:, :1] & False)
    torch.testing.assert_close(full.log_probs[3:, 0], tail.log_probs[:, 0])
    torch.testing.assert_close(full.values[3:, 0], tail.values[:, 0])
    # without the done, the carried state changes the outputs (the reset really did something)
    no_reset = model.evaluate(obs, actions, start_states, torch.zeros_like(dones))
    assert not torch.allclose(no_reset.values[3:, 0], full.values[3:, 0])
    torch.testing.assert_close(no_reset.values[:, 1], full.values[:, 1])  # env 1 had no done


def test_act_reports_values_in_return_units_and_normalizes_obs():
    torch.manual_seed(2)
    model = ActorCritic(VECTOR, spaces.Discrete(2), learner_cfg(normalize_input=True, normalize_returns=True))
    model.returns_normalizer.update(torch.tensor([10.0, 30.0]))  # mean 20, std 10
    model.obs_normalizer.update(torch.randn(500, 5) * 3 + 7)
    obs = torch.randn(4, 5) * 3 + 7
    raw = model.evaluate(obs, torch.zeros(4, dtype=torch.long)).values
    acted = model.act(obs).values
    rn = model.returns_normalizer
    assert rn.mean_f32.item() == pytest.approx(20.0, rel=1e-3) and rn.std_f32.item() == pytest.approx(10.0, rel=1e-3)
    torch.testing.assert_close(acted, raw * rn.std_f32 + rn.mean_f32)
    # the network sees normalized observations
    mean = model.obs_normalizer.mean.float()
    std = torch.sqrt(model.obs_normalizer.var.float() + model.obs_normalizer.epsilon)
    torch.testing.assert_close(model._prepare_obs(obs), ((obs - mean) / std).clamp(-5, 5), rtol=1e-4, atol=1e-5)


def test_load_state_dict_refreshes_the_act_cache():
    torch.manual_seed(3)
    cfg = learner_cfg()
    first, second = ActorCritic(VECTOR, spaces.Discrete(3), cfg), ActorCritic(VECTOR, spaces.Discrete(3), cfg)
    second.obs_normalizer.update(torch.randn(100, 5) * 2 + 1)
    obs = torch.randn(8, 5)
    first.act(obs)  # builds the cache
    first.load_state_dict(second.state_dict())
    torch.testing.assert_close(first.act(obs, deterministic=True).values, second.act(obs, deterministic=True).values)
    first.to("cpu").share_memory()
    torch.testing.assert_close(first.act(obs, deterministic=True).values, second.act(obs, deterministic=True).values)


def test_act_accepts_numpy_and_float64():
    model = ActorCritic(VECTOR, spaces.Discrete(2), learner_cfg())
    result = model.act(np.random.randn(3, 5))
    assert result.actions.dtype == torch.int64 and result.values.dtype == torch.float32


def test_bad_spaces_name_the_fix():
    with pytest.raises(ValueError, match="nothing a network can take"):
        ActorCritic(spaces.Dict({"mission": spaces.Text(10)}), spaces.Discrete(2), learner_cfg())
    with pytest.raises(ValueError, match=r"\(H, W, C\)"):
        ActorCritic(spaces.Box(0, 255, (3, 64, 64), np.uint8), spaces.Discrete(2), learner_cfg())
    with pytest.raises(ValueError, match="too small"):
        ActorCritic(spaces.Box(0, 255, (16, 16, 3), np.uint8), spaces.Discrete(2), learner_cfg())
    with pytest.raises(ValueError, match="rnn_states"):
        ActorCritic(VECTOR, spaces.Discrete(2), learner_cfg(use_rnn=True)).act(torch.zeros(2, 5))


def test_copies_act_with_their_own_weights():
    import copy
    import pickle

    model = ActorCritic(VECTOR, spaces.Discrete(3), learner_cfg())
    obs = torch.randn(6, 5)
    original = model.act(obs, deterministic=True).values  # builds the cache before copying
    for clone in (copy.deepcopy(model), pickle.loads(pickle.dumps(model))):
        torch.testing.assert_close(clone.act(obs, deterministic=True).values, original)
        with torch.no_grad():
            clone.value_head.bias.add_(1.0)
        torch.testing.assert_close(clone.act(obs, deterministic=True).values, original + 1.0)
        torch.testing.assert_close(model.act(obs, deterministic=True).values, original)
