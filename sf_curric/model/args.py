"""Command-line flags read by the model (`sf_curric.model`).

Each entry is `(flag, kwargs_for_add_argument)` (`sf_curric.flags`); the programs' parser
(`sf_curric.command_line`) registers them without re-typing them.
"""

from __future__ import annotations

from sf_curric.flags import FlagSpec, bool_flag
from sf_curric.model.dict_encoder import DISCRETE_ENCODINGS
from sf_curric.model.encoders import CONV_ARCHITECTURES
from sf_curric.model.initialization import INITIALIZATIONS

MODEL_ARGS: list[FlagSpec] = [
    (
        "--encoder_mlp_layers",
        {
            "type": int,
            "nargs": "*",
            "default": [64, 64],
            "help": "Hidden layer sizes of the MLP encoder for vector observations, and for the non-image keys of "
            "Dict observations, concatenated (e.g. --encoder_mlp_layers 64 64; the flag alone: no layers).",
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
        "--obs_discrete_encoding",
        {
            "type": str,
            "default": "onehot",
            "choices": list(DISCRETE_ENCODINGS),
            "help": "How Discrete and MultiDiscrete observations (and such keys of a Dict or Tuple) enter the network: "
            "onehot (a one-hot vector per entry) or embedding (a learned vector of --obs_embedding_size per entry).",
        },
    ),
    (
        "--obs_embedding_size",
        {
            "type": int,
            "default": 8,
            "help": "Size of the learned vector of each Discrete observation entry with --obs_discrete_encoding="
            "embedding (jaxued's maze agent embeds its direction in 5).",
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
        "--decoder_mlp_layers",
        {
            "type": int,
            "nargs": "*",
            "default": [],
            "help": "Hidden layers between the core and the action head, and separately between the core and the "
            "value head (--nonlinearity; e.g. 32 for the UED papers' maze agent); empty: the heads read the core.",
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
    ("--rnn_num_layers", {"type": int, "default": 1, "help": "Stacked layers of the recurrent core."}),
    (
        "--normalize_input",
        bool_flag(
            True,
            "Normalize vector observations with running mean/std statistics kept inside the model (updated by "
            "the learner from training batches). Image observations (uint8) are always scaled to [0, 1] instead.",
        ),
    ),
    (
        "--normalize_input_keys",
        {
            "type": str,
            "nargs": "*",
            "default": None,
            "help": "Observation keys the running normalization applies to (Sample Factory's); None: every key. An "
            "array observation has one key, obs (e.g. --normalize_input_keys obs).",
        },
    ),
    (
        "--obs_subtract_mean",
        {
            "type": float,
            "default": 0.0,
            "help": "Subtracted from observations before --obs_scale and the running normalization (e.g. 128 for "
            "8-bit images).",
        },
    ),
    (
        "--obs_scale",
        {
            "type": float,
            "default": 1.0,
            "help": "Observations are divided by this before the running normalization (e.g. 255 for 8-bit images). "
            "uint8 images are divided by 255 in the CNN when neither this nor --obs_subtract_mean is given.",
        },
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
        "--policy_initialization",
        {
            "type": str,
            "default": "orthogonal",
            "choices": list(INITIALIZATIONS),
            "help": "How weights start: orthogonal (each layer with the gain of its role), xavier_uniform (Xavier "
            "uniform, same gains) or torch_default (torch's own initialization); sf_curric/model/initialization.py.",
        },
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
        "--adaptive_stddev",
        bool_flag(
            False,
            "Box actions: the Gaussian's std is computed from the state like its mean (Sample Factory's default); "
            "False: one learned std per action dimension, state-independent.",
        ),
    ),
    (
        "--initial_stddev",
        {
            "type": float,
            "default": 1.0,
            "help": "Box actions: the Gaussian's std at the start of training (with --adaptive_stddev: the bias of its "
            "log-std outputs).",
        },
    ),
    (
        "--continuous_tanh_scale",
        {
            "type": float,
            "default": 0.0,
            "help": "Box actions: squash the Gaussian's means to tanh(mean / scale) * scale; 0: no squashing.",
        },
    ),
]
