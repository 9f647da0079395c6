"""LAMB (--optimizer=lamb) against a numpy implementation of its definition (You et al. 2019, with Sample Factory's
phi(z) = min(z, 10) and trust ratio clipped to [0.01, 100], weight decay 1e-4)."""

import numpy as np
import pytest
import torch

from sf_curric.algo.lamb import Lamb
from sf_curric.algo.learner import Learner, learner_cfg
from tests.algo.test_learner import (
    ACTIONS,
    OBS,
    _accuracy,
    _bandit_traj,
    _one_torch_thread,  # noqa: F401 (autouse: small batches, one thread)
)


def _numpy_lamb(weights, grads_per_step, lr, beta1, beta2, eps, weight_decay=1e-4, min_trust=0.01):
    w = [x.copy() for x in weights]
    m = [np.zeros_like(x) for x in w]
    v = [np.zeros_like(x) for x in w]
    for t, grads in enumerate(grads_per_step, start=1):
        for i, g in enumerate(grads):
            m[i] = beta1 * m[i] + (1 - beta1) * g
            v[i] = beta2 * v[i] + (1 - beta2) * g * g
            update = (m[i] / (1 - beta1**t)) / (np.sqrt(v[i] / (1 - beta2**t)) + eps) + weight_decay * w[i]
            w_norm, u_norm = np.linalg.norm(w[i]), np.linalg.norm(update)
            trust = 1.0 if w_norm == 0 or u_norm == 0 else np.clip(min(w_norm, 10.0) / u_norm, min_trust, 1 / min_trust)
            w[i] = w[i] - lr * trust * update
    return w


def test_lamb_matches_its_definition():
    rng = np.random.default_rng(0)
    # a large tensor (norm > 10: phi clips), a small one, a zero one (trust 1)
    weights = [rng.normal(size=(30, 20)) * 2.0, rng.normal(size=(5,)) * 0.01, np.zeros(3)]
    grads = [[rng.normal(size=x.shape) for x in weights] for _ in range(5)]
    params = [torch.nn.Parameter(torch.tensor(x)) for x in weights]
    opt = Lamb(params, lr=0.05, betas=(0.8, 0.95), eps=1e-6)
    for step in grads:
        for p, g in zip(params, step):
            p.grad = torch.tensor(g)
        opt.step()
    expected = _numpy_lamb(weights, grads, 0.05, 0.8, 0.95, 1e-6)
    for p, e in zip(params, expected):
        np.testing.assert_allclose(p.detach().numpy(), e, rtol=1e-10, atol=1e-12)


def test_optimizer_lamb_trains_the_learner():
    torch.manual_seed(0)
    cfg = learner_cfg(device="cpu", optimizer="lamb", learning_rate=3e-3, batch_size=64)
    learner = Learner(cfg, OBS, ACTIONS)
    assert isinstance(learner.optimizer, Lamb)
    for _ in range(10):
        learner.train(_bandit_traj(learner, envs=16), 0)
    assert _accuracy(learner.model) > 0.9


def test_lamb_state_round_trips():
    learner = Learner(learner_cfg(device="cpu", optimizer="lamb"), OBS, ACTIONS)
    learner.train(_bandit_traj(learner), 0)
    other = Learner(learner_cfg(device="cpu", optimizer="lamb"), OBS, ACTIONS)
    other.load_state_dict(learner.state_dict())
    key = next(iter(learner.optimizer.state))
    other_key = next(iter(other.optimizer.state))
    assert learner.optimizer.state[key]["step"] == other.optimizer.state[other_key]["step"] == pytest.approx(4)
