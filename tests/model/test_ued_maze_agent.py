"""The UED papers' maze agent from `--env=ued_maze`'s defaults: jaxued's layers and parameter count (less the two
differences of torch: a second LSTM bias, no embedding bias), heads with their own hidden layer, and act/evaluate
agreeing through the decoders."""

import torch

from sf_curric.command_line import parse_args
from sf_curric.envs.builtin.ued_maze_vector import UedMazeVector
from sf_curric.model import ActorCritic

JAXUED_PARAMETERS = 432_929  # jaxued's maze ActorCritic (counted from its flax layers, docs/ued_maze.md)


def _model(*flags):
    env = UedMazeVector(4)
    cfg = parse_args(["--env=ued_maze", *flags])
    return env, ActorCritic(env.single_observation_space, env.single_action_space, cfg)


def test_defaults_build_the_papers_network():
    _, model = _model()
    shapes = {name: tuple(p.shape) for name, p in model.named_parameters()}
    assert shapes["actor_encoder.cnns.0.conv.0.weight"] == (16, 3, 3, 3)  # conv 3x3x16 over the 5x5x3 view
    assert shapes["actor_encoder.codes.0.embedding.weight"] == (4, 5)  # direction -> 5
    assert shapes["actor_core.rnn.weight_ih_l0"] == (4 * 256, 3 * 3 * 16 + 5)  # LSTM 256 on 144 + 5
    assert shapes["actor_decoder.layers.0.weight"] == shapes["critic_decoder.layers.0.weight"] == (32, 256)
    assert shapes["action_head.linear.weight"] == (7, 32) and shapes["value_head.weight"] == (1, 32)
    lstm_second_bias, embedding_bias = 4 * 256, 5
    total = sum(p.numel() for p in model.parameters())
    assert total == JAXUED_PARAMETERS + lstm_second_bias - embedding_bias


def test_act_and_evaluate_agree_through_the_head_layers():
    envs, model = _model("--decoder_mlp_layers", "32", "16")
    obs, _ = envs.reset(seed=0)
    states = model.initial_rnn_states(4)
    first_states = states
    acted, sequence = [], []
    for _ in range(3):
        result = model.act(obs, states)
        acted.append(result)
        sequence.append({k: torch.as_tensor(v) for k, v in obs.items()})
        obs, *_ = envs.step(result.actions.numpy())
        states = result.rnn_states
    stacked = {k: torch.stack([o[k] for o in sequence]) for k in sequence[0]}
    actions = torch.stack([r.actions for r in acted])
    out = model.evaluate(stacked, actions, first_states, torch.zeros(3, 4, dtype=torch.bool))
    torch.testing.assert_close(out.log_probs, torch.stack([r.log_probs for r in acted]), atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(out.values, torch.stack([r.values for r in acted]), atol=1e-5, rtol=1e-5)
    assert model.actor_decoder.output_size == 16
