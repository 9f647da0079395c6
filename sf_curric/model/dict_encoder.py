"""The encoder of Dict observations: a CNN per image key; the other keys as one vector through one MLP.

Each key is encoded by its kind (`sf_curric.envs.observation_space` makes every observation space a Box or a flat
Dict of these leaves):

- image `Box (H, W, C)`: its own `ConvEncoder` (`--encoder_conv_architecture`, `--encoder_conv_mlp_layers`);
- vector `Box` (any other shape): flattened (running-normalized by the model with `--normalize_input`);
- `Discrete(n)`: one-hot of size n, or with `--obs_discrete_encoding=embedding` a learned `--obs_embedding_size`
  vector (one-hot -> Dense without bias, as jaxued's direction embedding);
- `MultiDiscrete(nvec)`: the one-hot (or embedding) of each entry, concatenated;
- `MultiBinary`: the bits as floats.

The non-image parts are concatenated (sorted by key) and pass through one MLP (`--encoder_mlp_layers`, which may be
empty), so vector keys can interact before the core as in SB3's `CombinedExtractor` + `net_arch`; the CNN outputs
and the MLP output are concatenated (sorted by key, the MLP's last) and go to the core.
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
from gymnasium import spaces
from torch import nn
from torch.nn import functional as F

from sf_curric.envs.observation_space import ObservationSpaceError
from sf_curric.model.encoders import ConvEncoder, MlpEncoder

DISCRETE_ENCODINGS = ("onehot", "embedding")


def is_image_space(space: spaces.Space) -> bool:
    """An `(H, W, C)` Box: encoded by a CNN (any other Box is a vector)."""
    return isinstance(space, spaces.Box) and len(space.shape) == 3


def check_channels_last(shape: tuple[int, ...]) -> None:
    """Refuse images that look channels-first (sf_curric's CNNs take `(H, W, C)`)."""
    if shape[-1] > 16 and shape[0] <= 16:
        raise ObservationSpaceError(
            f"image observations of shape {shape} look channels-first: sf_curric expects (H, W, C) images "
            "(transpose them in an env wrapper)"
        )


class _IntegerCodes(nn.Module):
    """Discrete / MultiDiscrete observations -> one-hot vectors or embeddings, flattened per sample."""

    def __init__(self, space: spaces.Discrete | spaces.MultiDiscrete, encoding: str, embedding_size: int):
        super().__init__()
        if isinstance(space, spaces.Discrete):
            sizes, starts = np.array([int(space.n)]), np.array([int(space.start)])
        else:
            sizes = np.asarray(space.nvec, dtype=np.int64).ravel()
            starts = np.broadcast_to(np.asarray(space.start, dtype=np.int64), space.nvec.shape).ravel()
        # entry i of a sample is code offsets[i] + (value - start) among total codes
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]) - starts
        self.register_buffer("offsets", torch.as_tensor(offsets, dtype=torch.int64), persistent=False)
        self.scalar = isinstance(space, spaces.Discrete)
        self.total = int(sizes.sum())
        self.embedding = nn.Embedding(self.total, embedding_size) if encoding == "embedding" else None
        self.output_size = len(sizes) * embedding_size if self.embedding is not None else self.total

    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        codes = codes.long().reshape(codes.shape[0], -1) + self.offsets  # [N, entries]
        if self.embedding is not None:
            return self.embedding(codes).flatten(1)
        return F.one_hot(codes, self.total).sum(1).float()  # entries index disjoint ranges: a multi-hot of one each


class DictEncoder(nn.Module):
    """Encodes a flat Dict observation (see the module docstring).

    Args:
        space: a flat Dict of Box / Discrete / MultiDiscrete / MultiBinary leaves.
        cfg: reads `--encoder_mlp_layers`, `--nonlinearity`, `--encoder_conv_architecture`,
            `--encoder_conv_mlp_layers`, `--image_obs_scale`, `--obs_discrete_encoding`, `--obs_embedding_size`.

    Example:
        >>> space = spaces.Dict({"image": spaces.Box(0, 255, (7, 7, 3), np.uint8), "direction": spaces.Discrete(4)})
        >>> encoder = DictEncoder(space, learner_cfg(encoder_conv_architecture="convnet_minigrid"))
        >>> encoder({"image": torch.zeros(2, 7, 7, 3, dtype=torch.uint8), "direction": torch.zeros(2)}).shape
        torch.Size([2, 128])
    """

    def __init__(self, space: spaces.Dict, cfg: argparse.Namespace):
        super().__init__()
        # lists, not ModuleDicts: an observation key may contain "." or be a Module attribute name ("type", ...)
        self.cnn_keys: list[str] = []
        self.cnns = nn.ModuleList()
        self.vector_keys: list[str] = []  # non-image keys, in the order their parts are concatenated
        self.code_index: dict[str, int] = {}  # Discrete / MultiDiscrete key -> its module in `codes`
        self.codes = nn.ModuleList()
        flat_size = 0
        for key in sorted(space.spaces):
            sub = space[key]
            if is_image_space(sub):
                check_channels_last(tuple(sub.shape))
                self.cnn_keys.append(key)
                self.cnns.append(
                    ConvEncoder(
                        sub.shape,
                        cfg.encoder_conv_architecture,
                        cfg.encoder_conv_mlp_layers,
                        cfg.nonlinearity,
                        cfg.image_obs_scale,
                    )
                )
                continue
            self.vector_keys.append(key)
            if isinstance(sub, (spaces.Discrete, spaces.MultiDiscrete)):
                self.code_index[key] = len(self.codes)
                self.codes.append(_IntegerCodes(sub, cfg.obs_discrete_encoding, cfg.obs_embedding_size))
                flat_size += self.codes[-1].output_size
            else:  # vector Box or MultiBinary
                flat_size += int(np.prod(sub.shape))
        self.mlp = MlpEncoder(flat_size, cfg.encoder_mlp_layers, cfg.nonlinearity) if self.vector_keys else None
        self.output_size = sum(cnn.output_size for cnn in self.cnns) + (
            self.mlp.output_size if self.mlp is not None else 0
        )

    def forward(self, obs: dict[str, torch.Tensor]) -> torch.Tensor:
        parts = [cnn(obs[key]) for key, cnn in zip(self.cnn_keys, self.cnns)]
        if self.mlp is not None:
            vector = []
            for key in self.vector_keys:
                x = obs[key]
                index = self.code_index.get(key)
                vector.append(x.reshape(x.shape[0], -1).float() if index is None else self.codes[index](x))
            parts.append(self.mlp(torch.cat(vector, dim=-1)))
        return torch.cat(parts, dim=-1) if len(parts) > 1 else parts[0]
