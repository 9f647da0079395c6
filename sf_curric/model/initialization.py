"""Sample Factory's `--policy_initialization`: how the weights of the policy/value network start.

- `orthogonal` (sf_curric's default and SF's): orthogonal weights and zero biases, with the gain of each layer's
  role (hidden layers: the nonlinearity's; the policy output: `--policy_init_gain`; the value output: 1; convolutions:
  sqrt(2)); recurrent cores orthogonal too. The layers are built that way (`encoders.orthogonal_init`).
- `xavier_uniform`: Xavier/Glorot uniform weights with the same gains, zero biases; recurrent cores keep their
  orthogonal start.
- `torch_default`: every layer as torch initializes it (`reset_parameters()`), recurrent cores included.

Sample Factory applies one `--policy_init_gain` to every layer; here it is the policy output's gain, as before.
"""

from __future__ import annotations

import math

from torch import nn

from sf_curric.model.encoders import init_gain

INITIALIZATIONS = ("orthogonal", "xavier_uniform", "torch_default")


def apply_initialization(model: nn.Module, scheme: str, nonlinearity: str, policy_init_gain: float) -> None:
    """Re-initialize `model` (an `ActorCritic` just built, orthogonal) with `scheme`.

    Args:
        model: the ActorCritic.
        scheme: one of INITIALIZATIONS.
        nonlinearity: `--nonlinearity` (the hidden layers' gain).
        policy_init_gain: the gain of the policy output layer.
    """
    if scheme not in INITIALIZATIONS:
        raise ValueError(f"--policy_initialization={scheme!r}: use one of {', '.join(INITIALIZATIONS)}")
    if scheme == "orthogonal":
        return
    head_layer, value_layer = model.action_head.linear, model.value_head
    for module in model.modules():
        if scheme == "torch_default" and isinstance(module, (nn.Linear, nn.Conv2d, nn.GRU, nn.LSTM)):
            module.reset_parameters()
        elif scheme == "xavier_uniform" and isinstance(module, (nn.Linear, nn.Conv2d)):
            if module is head_layer:
                gain = policy_init_gain
            elif module is value_layer:
                gain = 1.0
            elif isinstance(module, nn.Conv2d):
                gain = math.sqrt(2.0)
            else:
                gain = init_gain(nonlinearity)
            nn.init.xavier_uniform_(module.weight, gain=gain)
            nn.init.zeros_(module.bias)
    head = model.action_head
    if getattr(head, "adaptive", False):  # the log-std outputs keep their start (--initial_stddev)
        head.reset_log_std_bias()
