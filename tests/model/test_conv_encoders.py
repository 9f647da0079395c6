"""Conv encoders: the image sizes each architecture takes (against the conv arithmetic), the MiniGrid CNN's layers
(rl-starter-files' model.py), the image scale, and the one-line error of an image that is too small."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from gymnasium import spaces

from sf_curric.algo.learner import Learner, learner_cfg
from sf_curric.cfg.validation import ConfigError
from sf_curric.model.encoders import (
    CONV_ARCHITECTURES,
    ConvEncoder,
    ObservationSpaceError,
    smallest_image_side,
)


def _side_after(side: int, windows: list[tuple[int, int, int]]) -> int:
    """Output side of a stack of conv/pool windows (kernel, stride, padding): floor((n + 2p - k) / s) + 1."""
    for kernel, stride, padding in windows:
        side = (side + 2 * padding - kernel) // stride + 1
    return side


# the windows of each architecture written out from its definition (not from the code under test)
_WINDOWS = {
    "convnet_simple": [(8, 4, 0), (4, 2, 0), (3, 2, 0)],
    "convnet_atari": [(8, 4, 0), (4, 2, 0), (3, 1, 0)],
    "resnet_impala": [(3, 1, 1), (3, 2, 1)] * 3,  # conv 3x3 pad 1, max-pool 3x3 stride 2 pad 1; residuals keep size
    "convnet_minigrid": [(2, 1, 0), (2, 2, 0), (2, 1, 0), (2, 1, 0)],  # conv 2x2, max-pool 2x2, conv 2x2, conv 2x2
}


@pytest.mark.parametrize("architecture", list(CONV_ARCHITECTURES))
def test_smallest_side_matches_the_conv_arithmetic(architecture):
    expected = next(n for n in range(1, 100) if _side_after(n, _WINDOWS[architecture]) >= 1)
    assert smallest_image_side(architecture) == expected
    assert {"convnet_simple": 36, "convnet_atari": 36, "resnet_impala": 1, "convnet_minigrid": 7}[architecture] == (
        expected
    )
    encoder = ConvEncoder((expected, expected + 3, 3), architecture, [8], "tanh")
    out = encoder(torch.zeros(2, expected, expected + 3, 3, dtype=torch.uint8))
    assert out.shape == (2, 8)
    if expected > 1:
        with pytest.raises(ObservationSpaceError, match=f"at least {expected}x{expected}"):
            ConvEncoder((expected - 1, expected + 3, 3), architecture, [8], "tanh")


def test_minigrid_cnn_is_rl_starter_files_agent():
    # 7x7x3 -> conv 2x2 16 -> 6x6, max-pool 2x2 -> 3x3, conv 2x2 32 -> 2x2, conv 2x2 64 -> 1x1x64: a 64-wide embedding
    encoder = ConvEncoder((7, 7, 3), "convnet_minigrid", [], "tanh")
    convs = [m for m in encoder.conv if isinstance(m, torch.nn.Conv2d)]
    assert [(c.in_channels, c.out_channels, c.kernel_size) for c in convs] == [
        (3, 16, (2, 2)),
        (16, 32, (2, 2)),
        (32, 64, (2, 2)),
    ]
    assert encoder.output_size == 64
    params = sum(p.numel() for p in encoder.parameters())
    assert params == (3 * 4 * 16 + 16) + (16 * 4 * 32 + 32) + (32 * 4 * 64 + 64)


def test_image_scale_divides_uint8_images_only():
    torch.manual_seed(0)
    raw = ConvEncoder((7, 7, 3), "convnet_minigrid", [], "tanh", image_scale=1.0)
    scaled = ConvEncoder((7, 7, 3), "convnet_minigrid", [], "tanh", image_scale=10.0)
    scaled.load_state_dict(raw.state_dict())
    codes = torch.randint(0, 11, (4, 7, 7, 3), dtype=torch.uint8)
    torch.testing.assert_close(scaled(codes), raw(codes.float() / 10.0))
    torch.testing.assert_close(scaled(codes.float()), raw(codes.float()))  # float images are used as they are


def test_too_small_image_is_one_config_error_naming_the_fitting_architectures():
    space = spaces.Box(0, 255, (7, 7, 3), np.uint8)
    with pytest.raises(ConfigError) as info:
        Learner(learner_cfg(device="cpu"), space, spaces.Discrete(3))
    message = str(info.value)
    assert "\n" not in message and info.value.__cause__ is None
    assert "7x7" in message and "36x36" in message
    assert "resnet_impala or convnet_minigrid" in message


def test_resnet_impala_and_minigrid_take_minigrid_views():
    space = spaces.Box(0, 255, (7, 7, 3), np.uint8)
    for architecture in ("resnet_impala", "convnet_minigrid"):
        learner = Learner(learner_cfg(device="cpu", encoder_conv_architecture=architecture), space, spaces.Discrete(3))
        result = learner.model.act(np.zeros((2, 7, 7, 3), np.uint8))
        assert result.actions.shape == (2,)
