"""Sample Factory's observation preprocessing: --obs_subtract_mean and --obs_scale before the running normalizer,
and --normalize_input_keys, checked against the same network fed the preprocessed observations by hand."""

import numpy as np
import pytest
import torch
from gymnasium import spaces

from sf_curric.algo.learner import learner_cfg
from sf_curric.errors import ConfigError
from sf_curric.model import ActorCritic

VECTOR = spaces.Box(-100, 100, (5,), np.float32)
IMAGE = spaces.Box(0, 255, (36, 36, 3), np.uint8)
ACTIONS = spaces.Discrete(3)


def _twins(obs_space, **flags):
    """A model with `flags` and one without, with the same weights."""
    torch.manual_seed(0)
    plain = ActorCritic(obs_space, ACTIONS, learner_cfg(normalize_input=False))
    scaled = ActorCritic(obs_space, ACTIONS, learner_cfg(normalize_input=False, **flags))
    scaled.load_state_dict(plain.state_dict())
    return plain, scaled


def test_vector_obs_are_shifted_and_scaled_before_the_network():
    plain, scaled = _twins(VECTOR, obs_subtract_mean=2.0, obs_scale=10.0)
    obs = torch.randn(7, 5) * 30
    torch.testing.assert_close(scaled.forward_sequence(obs)[0], plain.forward_sequence((obs - 2.0) / 10.0)[0])
    torch.testing.assert_close(
        scaled.act(obs, deterministic=True).values, plain.act((obs - 2) / 10, deterministic=True).values
    )


def test_the_running_normalizer_learns_the_scaled_observations():
    model = ActorCritic(VECTOR, ACTIONS, learner_cfg(obs_scale=10.0))
    model.update_obs_normalizer(torch.randn(4000, 5) * 20.0 + 50.0)
    torch.testing.assert_close(model.obs_normalizer.mean.float(), torch.full((5,), 5.0), atol=0.1, rtol=0)
    torch.testing.assert_close(model.obs_normalizer.var.float().sqrt(), torch.full((5,), 2.0), atol=0.1, rtol=0)


def test_uint8_images_obs_scale_replaces_the_division_by_255():
    images = torch.randint(0, 256, (4, 36, 36, 3), dtype=torch.uint8)
    plain, scaled = _twins(IMAGE, obs_scale=255.0)  # Sample Factory's Atari setting: what sf_curric does by default
    torch.testing.assert_close(scaled.forward_sequence(images)[0], plain.forward_sequence(images)[0])
    plain, centered = _twins(IMAGE, obs_subtract_mean=128.0, obs_scale=128.0)
    expected = plain.forward_sequence((images.float() - 128.0) / 128.0)[0]  # a float image is not divided again
    torch.testing.assert_close(centered.forward_sequence(images)[0], expected)


def test_normalize_input_keys():
    assert ActorCritic(VECTOR, ACTIONS, learner_cfg(normalize_input_keys=["obs"])).obs_normalizer is not None
    assert ActorCritic(VECTOR, ACTIONS, learner_cfg(normalize_input_keys=[])).obs_normalizer is None
    assert ActorCritic(VECTOR, ACTIONS, learner_cfg()).obs_normalizer is not None  # None: every key
    with pytest.raises(ConfigError, match="its keys are obs"):
        ActorCritic(VECTOR, ACTIONS, learner_cfg(normalize_input_keys=["image"]))
    # a Dict observation: its vector keys (images are never running-normalized here)
    space = spaces.Dict({"image": IMAGE, "pos": spaces.Box(-1, 1, (2,)), "speed": spaces.Box(-1, 1, (1,))})
    assert ActorCritic(space, ACTIONS, learner_cfg()).normalized_keys == ["pos", "speed"]
    assert ActorCritic(space, ACTIONS, learner_cfg(normalize_input_keys=["speed"])).normalized_keys == ["speed"]
    with pytest.raises(ConfigError, match="its keys are image, pos, speed"):
        ActorCritic(space, ACTIONS, learner_cfg(normalize_input_keys=["nope"]))
    with pytest.raises(ConfigError, match="--obs_scale=0"):
        ActorCritic(VECTOR, ACTIONS, learner_cfg(obs_scale=0.0))
