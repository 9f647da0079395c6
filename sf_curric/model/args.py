"""Command-line flags read by the model (`sf_curric.model`).

Each entry is `(flag, kwargs_for_add_argument)` so the parser in `sf_curric.cfg.arguments` can register them
without re-typing them: `for flag, kwargs in MODEL_ARGS: parser.add_argument(flag, **kwargs)`.
"""

from __future__ import annotations

import argparse
from typing import Any

from sf_curric.model.encoders import CONV_ARCHITECTURES


def str2bool(value: str | bool) -> bool:
    """Parse a boolean flag value the way Sample Factory does (`--use_rnn=True`, `--use_rnn=false`, `1`, `0`).

    Args:
        value: the text given on the command line (or an already parsed bool).

    Example:
        >>> str2bool("False")
        False
    """
    if isinstance(value, bool):
        return value
    text = value.strip().lower()
    if text in ("true", "t", "yes", "y", "1"):
        return True
    if text in ("false", "f", "no", "n", "0"):
        return False
    raise argparse.ArgumentTypeError(f"expected True or False, got {value!r}: write e.g. --flag=True")


# a flag's definition: `(flag, kwargs for argparse's add_argument)`
FlagSpec = tuple[str, dict[str, Any]]


def bool_flag(default: bool, help_text: str) -> dict[str, Any]:
    """`add_argument` kwargs for a boolean flag: a bare `--flag` means True, `--flag=False` works too
    (`--help` shows `--flag [BOOL]`).

    Args:
        default: the value when the flag is not given.
        help_text: the flag's help line.
    """
    return {"type": str2bool, "nargs": "?", "const": True, "default": default, "help": help_text, "metavar": "BOOL"}


MODEL_ARGS: list[FlagSpec] = [
    (
        "--encoder_mlp_layers",
        {
            "type": int,
            "nargs": "*",
            "default": [64, 64],
            "help": "Hidden layer sizes of the MLP encoder for vector observations (e.g. --encoder_mlp_layers 64 64).",
        },
    ),
    (
        "--nonlinearity",
        {"type": str, "default": "tanh", "choices": ["tanh", "relu", "elu"], "help": "Activation of the encoders."},
    ),
    (
        "--encoder_conv_architecture",
        {
            "type": str,
            "default": "convnet_simple",
            "choices": list(CONV_ARCHITECTURES),
            "help": "CNN for image observations (HWC): "
            + "; ".join(f"{name}: {what}" for name, what in CONV_ARCHITECTURES.items())
            + ".",
        },
    ),
    (
        "--image_obs_scale",
        {
            "type": float,
            "default": 255.0,
            "help": "uint8 image observations are divided by this before the CNN (255 maps pixels to [0, 1]; "
            "MiniGrid's defaults use 1: its images hold small object, colour and state codes, fed as they are, as "
            "rl-starter-files does).",
        },
    ),
    (
        "--encoder_conv_mlp_layers",
        {
            "type": int,
            "nargs": "*",
            "default": [512],
            "help": "Fully connected layers after the CNN.",
        },
    ),
    (
        "--actor_critic_share_weights",
        bool_flag(
            True,
            "Share the encoder (and RNN core) between the policy and the value function. False builds two "
            "separate networks (often better on small vector-observation envs, e.g. CartPole).",
        ),
    ),
    ("--use_rnn", bool_flag(False, "Add a recurrent core (GRU or LSTM) after the encoder.")),
    ("--rnn_type", {"type": str, "default": "gru", "choices": ["gru", "lstm"], "help": "Recurrent core type."}),
    ("--rnn_size", {"type": int, "default": 128, "help": "Hidden size of the recurrent core."}),
    (
        "--normalize_input",
        bool_flag(
            True,
            "Normalize vector observations with running mean/std statistics kept inside the model (updated by "
            "the learner from training batches). Image observations (uint8) are always scaled to [0, 1] instead.",
        ),
    ),
    (
        "--normalize_returns",
        bool_flag(
            True,
            "The value head predicts returns normalized by running mean/std; values reported to the rest of the "
            "trainer are in return units.",
        ),
    ),
    (
        "--policy_init_gain",
        {
            "type": float,
            "default": 0.01,
            "help": "Orthogonal init gain of the policy output layer (small: near-uniform initial policy).",
        },
    ),
    (
        "--continuous_init_log_std",
        {"type": float, "default": 0.0, "help": "Initial log std of the Gaussian policy for Box action spaces."},
    ),
]
