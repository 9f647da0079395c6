"""Command-line flags read by the model (`sf_curric.model`).

Each entry is `(flag, kwargs_for_add_argument)` (`sf_curric.cfg.flags`); the programs' parser
(`sf_curric.command_line`) registers them without re-typing them.
"""

from __future__ import annotations

from sf_curric.cfg.flags import FlagSpec, bool_flag
from sf_curric.model.encoders import CONV_ARCHITECTURES

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
