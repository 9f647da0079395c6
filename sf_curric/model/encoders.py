"""Observation encoders: an MLP for vector observations and CNNs for image observations (HWC)."""

from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import nn
from torch.nn import functional as F

_ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU, "elu": nn.ELU}
_ACTIVATION_FNS = {"tanh": torch.tanh, "relu": torch.relu, "elu": F.elu}


def activation(name: str) -> nn.Module:
    """The activation module for `--nonlinearity` (tanh, relu or elu)."""
    if name not in _ACTIVATIONS:
        raise ValueError(f"--nonlinearity={name!r} is not supported: use one of {sorted(_ACTIVATIONS)}")
    return _ACTIVATIONS[name]()


def init_gain(nonlinearity: str) -> float:
    """Orthogonal-init gain for hidden layers followed by `nonlinearity`."""
    return nn.init.calculate_gain("relu" if nonlinearity == "elu" else nonlinearity)


def orthogonal_init(layer: nn.Module, gain: float) -> nn.Module:
    """Orthogonal weights with `gain`, zero bias (in place); returns the layer."""
    nn.init.orthogonal_(layer.weight, gain=gain)
    if layer.bias is not None:
        nn.init.zeros_(layer.bias)
    return layer


class MlpEncoder(nn.Module):
    """Fully connected layers for flat vector observations.

    The forward pass calls `F.linear` and the activation function directly instead of going through
    `nn.Sequential`: on small CPU batches (the rollout hot path) module-call overhead is a large share of the time.

    Args:
        input_size: size of the flattened observation.
        layers: hidden sizes, e.g. (64, 64); empty means identity.
        nonlinearity: tanh, relu or elu.
    """

    def __init__(self, input_size: int, layers: Sequence[int], nonlinearity: str):
        super().__init__()
        activation(nonlinearity)  # validates the name
        self.activation_fn = _ACTIVATION_FNS[nonlinearity]
        sizes = [input_size, *layers]
        self.layers = nn.ModuleList(
            orthogonal_init(nn.Linear(n_in, n_out), init_gain(nonlinearity)) for n_in, n_out in zip(sizes, sizes[1:])
        )
        self.output_size = sizes[-1]

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        x = obs
        for layer in self.layers:
            x = self.activation_fn(F.linear(x, layer.weight, layer.bias))
        return x


class _ResidualBlock(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.conv0 = nn.Conv2d(channels, channels, 3, padding=1)
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv1(torch.relu(self.conv0(torch.relu(x))))


def _impala_stack(in_channels: int, out_channels: int) -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, padding=1),
        nn.MaxPool2d(3, stride=2, padding=1),
        _ResidualBlock(out_channels),
        _ResidualBlock(out_channels),
    )


# --encoder_conv_architecture's choices, each with what it is
CONV_ARCHITECTURES = {
    "convnet_simple": "Sample Factory's small default CNN, images from 36x36",
    "convnet_atari": "the Nature DQN CNN, images from 36x36",
    "resnet_impala": "IMPALA's residual network (Espeholt et al. 2018), images of any size",
    "convnet_minigrid": "the MiniGrid agent of rl-starter-files/torch-ac, images from 7x7 (MiniGrid's view)",
}


class ObservationSpaceError(ValueError):
    """The observations do not fit the model; the message is one line that names the fix."""


def _conv_body(architecture: str, in_channels: int, nonlinearity: str) -> nn.Module:
    if architecture == "resnet_impala":  # 3 stacks of (16, 32, 32) channels; padded: any image size
        stacks, channels = [], in_channels
        for out in (16, 32, 32):
            stacks.append(_impala_stack(channels, out))
            channels = out
        return nn.Sequential(*stacks, nn.ReLU())
    if architecture == "convnet_minigrid":  # lcswillems/rl-starter-files model.py: 7x7 -> 1x1x64, relu as there
        return nn.Sequential(
            nn.Conv2d(in_channels, 16, 2),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 2),
            nn.ReLU(),
            nn.Conv2d(32, 64, 2),
            nn.ReLU(),
        )
    if architecture == "convnet_simple":
        spec = [(32, 8, 4), (64, 4, 2), (128, 3, 2)]
    elif architecture == "convnet_atari":
        spec = [(32, 8, 4), (64, 4, 2), (64, 3, 1)]
    else:
        raise ObservationSpaceError(
            f"--encoder_conv_architecture={architecture!r} is not supported: use one of {', '.join(CONV_ARCHITECTURES)}"
        )
    layers: list[nn.Module] = []
    channels = in_channels
    for out, kernel, stride in spec:
        layers += [nn.Conv2d(channels, out, kernel, stride=stride), activation(nonlinearity)]
        channels = out
    return nn.Sequential(*layers)


def _fits(body: nn.Module, channels: int, height: int, width: int) -> bool:
    try:
        with torch.no_grad():
            body(torch.zeros(1, channels, height, width))
    except RuntimeError:  # torch: "Calculated output size ... Output size is too small", or a kernel bigger than input
        return False
    return True


def smallest_image_side(architecture: str, max_side: int = 256) -> int:
    """The smallest square image side that `architecture` accepts, found by running its convolutions.

    Args:
        architecture: one of `CONV_ARCHITECTURES`.
        max_side: give up above this side.

    Example:
        >>> smallest_image_side("convnet_minigrid")
        7
    """
    body = _conv_body(architecture, 1, "relu")
    return next(side for side in range(1, max_side + 1) if _fits(body, 1, side, side))


def _too_small_message(height: int, width: int, architecture: str) -> str:
    fitting = [name for name in CONV_ARCHITECTURES if smallest_image_side(name) <= min(height, width)]
    need = smallest_image_side(architecture)
    return (
        f"images of {height}x{width} are too small for --encoder_conv_architecture={architecture} (it needs at least "
        f"{need}x{need}): use --encoder_conv_architecture={' or '.join(fitting) or 'resnet_impala'}, "
        "or resize the observations"
    )


class ConvEncoder(nn.Module):
    """CNN for image observations given as `[N, H, W, C]` (uint8 or float).

    uint8 images are divided by `image_scale` (float images are used as they are); the channel axis is moved first
    inside the encoder.

    Args:
        obs_shape: `(H, W, C)`.
        architecture: one of `CONV_ARCHITECTURES`.
        mlp_layers: fully connected layers after the convolutions.
        nonlinearity: activation of the conv layers (resnet_impala and convnet_minigrid use relu, as their papers'
            code does) and of the fc layers.
        image_scale: uint8 images are divided by it (255: pixels to [0, 1]; 1: small integer codes as MiniGrid's).
    """

    def __init__(
        self,
        obs_shape: Sequence[int],
        architecture: str,
        mlp_layers: Sequence[int],
        nonlinearity: str,
        image_scale: float = 255.0,
    ):
        super().__init__()
        height, width, channels = obs_shape
        self.conv = _conv_body(architecture, channels, nonlinearity)
        for module in self.conv.modules():
            if isinstance(module, nn.Conv2d):
                orthogonal_init(module, math.sqrt(2.0))
        if not _fits(self.conv, channels, height, width):
            raise ObservationSpaceError(_too_small_message(height, width, architecture))
        with torch.no_grad():
            conv_out = self.conv(torch.zeros(1, channels, height, width)).numel()
        self.inv_image_scale = 1.0 / image_scale
        self.mlp = MlpEncoder(conv_out, mlp_layers, nonlinearity)
        self.output_size = self.mlp.output_size

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        if obs.dtype == torch.uint8:
            obs = obs.float() * self.inv_image_scale
        x = self.conv(obs.permute(0, 3, 1, 2))
        return self.mlp(x.flatten(1))
