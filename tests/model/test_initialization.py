"""--policy_initialization: orthogonal, xavier_uniform and torch_default weights, told apart by their statistics."""

import math

import numpy as np
import torch
from gymnasium import spaces

from sf_curric.algo.learner import learner_cfg
from sf_curric.model import ActorCritic

OBS = spaces.Box(-1, 1, (256,), np.float32)


def _model(scheme: str, **flags) -> ActorCritic:
    torch.manual_seed(0)
    cfg = learner_cfg(policy_initialization=scheme, encoder_mlp_layers=[256, 256], nonlinearity="relu", **flags)
    return ActorCritic(OBS, spaces.Discrete(4), cfg)


def test_orthogonal_layers_have_orthogonal_rows_with_their_gain():
    model = _model("orthogonal")
    hidden = model.actor_encoder.layers[1].weight  # 256 x 256, relu gain sqrt(2)
    torch.testing.assert_close(hidden @ hidden.T, 2.0 * torch.eye(256), atol=1e-4, rtol=0)
    head = model.action_head.linear.weight  # policy_init_gain 0.01
    torch.testing.assert_close(head @ head.T, 1e-4 * torch.eye(4), atol=1e-8, rtol=0)


def test_xavier_uniform_weights_are_uniform_within_glorots_bound():
    model = _model("xavier_uniform")
    hidden = model.actor_encoder.layers[1].weight
    bound = math.sqrt(2.0) * math.sqrt(6.0 / (256 + 256))
    assert hidden.abs().max() <= bound and hidden.abs().max() > 0.99 * bound
    assert abs(hidden.std().item() - bound / math.sqrt(3.0)) < 0.002  # the std of U(-bound, bound)
    assert not torch.allclose(hidden @ hidden.T, 2.0 * torch.eye(256), atol=0.1)  # not orthogonal
    assert model.actor_encoder.layers[1].bias.abs().max() == 0
    head = model.action_head.linear.weight
    assert head.abs().max() <= 0.01 * math.sqrt(6.0 / (256 + 4))  # the policy output keeps its small gain


def test_torch_default_is_torchs_own_initialization():
    model = _model("torch_default")
    layer = model.actor_encoder.layers[1]
    assert layer.weight.abs().max() <= 1 / math.sqrt(256) and layer.bias.abs().max() > 0  # kaiming_uniform(a=sqrt 5)
    orthogonal = _model("orthogonal").actor_encoder.layers[1].weight
    assert orthogonal.abs().max() > 1 / math.sqrt(256)
    adaptive = ActorCritic(
        spaces.Box(-1, 1, (3,), np.float32), spaces.Box(-1, 1, (2,), np.float32),
        learner_cfg(policy_initialization="torch_default", adaptive_stddev=True, initial_stddev=0.5),
    )  # fmt: skip
    torch.testing.assert_close(adaptive.action_head.linear.bias[2:], torch.full((2,), math.log(0.5)))
