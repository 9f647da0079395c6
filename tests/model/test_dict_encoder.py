"""Dict observations in the model: each key's encoding against an independent computation (numpy one-hots, the
embedding as one-hot @ W), the per-key running normalizers, act/evaluate agreement, and jaxued's maze agent."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from gymnasium import spaces

from sf_curric.algo.learner import learner_cfg
from sf_curric.model import ActorCritic
from sf_curric.model.dict_encoder import DictEncoder


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def _onehot(values: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros((len(values), n), np.float32)
    out[np.arange(len(values)), values] = 1.0
    return out


def test_discrete_and_multidiscrete_keys_are_one_hot_with_their_start():
    space = spaces.Dict(
        {
            "d": spaces.Discrete(4, start=2),
            "md": spaces.MultiDiscrete([3, 2], start=[1, -1]),
            "bits": spaces.MultiBinary(2),
            "v": spaces.Box(-1, 1, (2, 2), np.float32),
        }
    )
    encoder = DictEncoder(space, learner_cfg(encoder_mlp_layers=[]))  # no MLP: the concatenated vector itself
    d, md = np.array([2, 5, 3]), np.array([[1, -1], [3, 0], [2, 0]])
    bits, v = np.array([[0, 1], [1, 1], [0, 0]], np.int8), np.arange(12, dtype=np.float32).reshape(3, 2, 2)
    obs = {"d": torch.as_tensor(d), "md": torch.as_tensor(md), "bits": torch.as_tensor(bits), "v": torch.as_tensor(v)}
    expected = np.concatenate(  # keys sorted: bits, d, md, v
        [bits, _onehot(d - 2, 4), _onehot(md[:, 0] - 1, 3), _onehot(md[:, 1] + 1, 2), v.reshape(3, 4)], axis=1
    )
    np.testing.assert_array_equal(encoder(obs).numpy(), expected)
    assert encoder.output_size == 2 + 4 + 5 + 4


def test_embedding_is_one_hot_times_a_dense_without_bias():
    # jaxued's direction: one_hot(dir, 4) -> Dense(5); an embedding table W gives one_hot @ W
    space = spaces.Dict({"direction": spaces.Discrete(4), "md": spaces.MultiDiscrete([2, 3])})
    cfg = learner_cfg(encoder_mlp_layers=[], obs_discrete_encoding="embedding", obs_embedding_size=5)
    encoder = DictEncoder(space, cfg)
    direction, md = np.array([0, 3, 1]), np.array([[1, 2], [0, 0], [1, 1]])
    out = encoder({"direction": torch.as_tensor(direction), "md": torch.as_tensor(md)}).detach().numpy()
    w_dir = encoder.codes[encoder.code_index["direction"]].embedding.weight.detach().numpy()
    w_md = encoder.codes[encoder.code_index["md"]].embedding.weight.detach().numpy()  # 2 + 3 codes
    expected = np.concatenate(
        [_onehot(direction, 4) @ w_dir, _onehot(md[:, 0], 5) @ w_md, _onehot(md[:, 1] + 2, 5) @ w_md], axis=1
    )
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    assert encoder.output_size == 5 + 2 * 5


def test_each_vector_key_has_its_running_normalizer():
    space = spaces.Dict(
        {"a": spaces.Box(-9, 9, (3,), np.float32), "b": spaces.Box(-9, 9, (2,), np.float32), "n": spaces.Discrete(3)}
    )
    model = ActorCritic(space, spaces.Discrete(2), learner_cfg(normalize_input=True))
    assert model.normalized_keys == ["a", "b"]
    rng = np.random.default_rng(0)
    a, b = rng.normal(3.0, 2.0, (200, 3)), rng.normal(-1.0, 0.5, (200, 2))
    model.update_obs_normalizer({"a": torch.as_tensor(a), "b": torch.as_tensor(b), "n": torch.zeros(200)})
    np.testing.assert_allclose(model.obs_normalizer[0].mean.numpy(), a.mean(0), rtol=1e-3)
    np.testing.assert_allclose(model.obs_normalizer[1].var.numpy(), b.var(0), rtol=1e-3)
    prepared = model._prepare_obs({"a": torch.as_tensor(a[:4]).float(), "b": torch.as_tensor(b[:4]).float(),
                                   "n": torch.zeros(4, dtype=torch.int64)})  # fmt: skip
    np.testing.assert_allclose(prepared["a"].numpy(), (a[:4] - a.mean(0)) / np.sqrt(a.var(0) + 1e-4), rtol=1e-3)


def test_dict_model_act_and_evaluate_agree_and_state_dict_round_trips():
    space = spaces.Dict(
        {
            "image": spaces.Box(0, 255, (7, 7, 3), np.uint8),
            "direction": spaces.Discrete(4),
            "v": spaces.Box(-1, 1, (3,)),
        }
    )
    cfg = learner_cfg(encoder_conv_architecture="convnet_minigrid", use_rnn=True, rnn_type="lstm", rnn_size=8,
                      actor_critic_share_weights=False)  # fmt: skip
    torch.manual_seed(0)
    model = ActorCritic(space, spaces.Discrete(3), cfg)
    space.seed(0)
    samples = [space.sample() for _ in range(8)]
    obs = {k: torch.as_tensor(np.stack([s[k] for s in samples])).reshape(2, 4, *np.shape(samples[0][k]))
           for k in space.spaces}  # fmt: skip
    states = model.initial_rnn_states(4)
    acted = []
    for t in range(2):
        result = model.act({k: v[t] for k, v in obs.items()}, states)
        acted.append(result)
        states = result.rnn_states
    actions = torch.stack([r.actions for r in acted])
    dones = torch.zeros(2, 4, dtype=torch.bool)
    out = model.evaluate(obs, actions, model.initial_rnn_states(4), dones)
    torch.testing.assert_close(out.log_probs, torch.stack([r.log_probs for r in acted]), atol=1e-5, rtol=1e-5)
    clone = ActorCritic(space, spaces.Discrete(3), cfg)
    clone.load_state_dict(model.state_dict())
    torch.testing.assert_close(clone.evaluate(obs, actions, model.initial_rnn_states(4), dones).values, out.values)


def test_jaxued_maze_agent_is_expressible():
    # jaxued's maze: conv over the 5x5x3 view, the direction one-hot -> Dense(5), concatenated into an LSTM 256
    space = spaces.Dict({"image": spaces.Box(0, 255, (5, 5, 3), np.uint8), "direction": spaces.Discrete(4)})
    cfg = learner_cfg(encoder_conv_architecture="resnet_impala", encoder_conv_mlp_layers=[], encoder_mlp_layers=[],
                      obs_discrete_encoding="embedding", obs_embedding_size=5, use_rnn=True, rnn_type="lstm",
                      rnn_size=256)  # fmt: skip
    model = ActorCritic(space, spaces.Discrete(7), cfg)
    encoder = model.actor_encoder
    assert encoder.vector_keys == ["direction"] and encoder.mlp.output_size == 5
    assert encoder.output_size == encoder.cnns[0].output_size + 5
    assert model.actor_core.rnn.input_size == encoder.output_size
