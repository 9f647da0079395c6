"""RunningMeanStd against numpy statistics of all the data seen."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from sf_curric.model.normalizer import RunningMeanStd


def test_running_stats_equal_numpy_over_all_batches():
    rng = np.random.default_rng(0)
    rms = RunningMeanStd((3,), epsilon=1e-8)
    batches = [rng.normal(loc=[1.0, -5.0, 100.0], scale=[0.1, 3.0, 20.0], size=(n, 3)) for n in (1, 7, 50, 300)]
    for batch in batches:
        rms.update(torch.as_tensor(batch, dtype=torch.float32))
    data = np.concatenate(batches).astype(np.float32).astype(np.float64)
    np.testing.assert_allclose(rms.mean.numpy(), data.mean(0), rtol=1e-6)
    np.testing.assert_allclose(rms.var.numpy(), data.var(0), rtol=1e-5)
    assert rms.count.item() == len(data) + 1e-8


def test_leading_dimensions_are_flattened():
    rng = np.random.default_rng(1)
    rms = RunningMeanStd((2,), epsilon=1e-8)
    batch = rng.normal(size=(5, 4, 2))
    rms.update(torch.as_tensor(batch))
    np.testing.assert_allclose(rms.mean.numpy(), batch.reshape(-1, 2).mean(0))


def test_normalize_denormalize_and_clip():
    rms = RunningMeanStd((2,), epsilon=1e-8, clip=5.0)
    data = torch.tensor([[0.0, 10.0], [2.0, 30.0]])
    rms.update(data)
    mean, std = np.array([1.0, 20.0]), np.sqrt(np.array([1.0, 100.0]) + 1e-8)
    x = torch.tensor([[3.0, 0.0], [100.0, 20.0]])
    expected = np.clip((x.numpy() - mean) / std, -5, 5)
    np.testing.assert_allclose(rms.normalize(x).numpy(), expected, rtol=1e-5, atol=1e-6)
    y = torch.tensor([[0.5, -1.0]])
    np.testing.assert_allclose(rms.denormalize(y).numpy(), y.numpy() * std + mean, rtol=1e-6)


def test_scalar_shape_for_returns():
    rms = RunningMeanStd((), epsilon=1e-8, clip=0.0)
    returns = torch.tensor([[1.0, 2.0], [3.0, 10.0]])
    rms.update(returns)
    assert rms.mean.item() == pytest.approx(4.0)
    assert rms.normalize(torch.tensor(1000.0)).item() > 5.0  # clip 0 disables clipping


def test_state_dict_round_trip_restores_the_float32_cache():
    source = RunningMeanStd((3,))
    source.update(torch.randn(100, 3) * 4 + 2)
    target = RunningMeanStd((3,))
    target.load_state_dict(source.state_dict())
    x = torch.randn(10, 3)
    torch.testing.assert_close(target.normalize(x), source.normalize(x))
