"""Sample Factory's loss terms: --exploration_loss=symmetric_kl against numpy, --kl_loss_coeff's KL estimate against
the exact KL divergence, and the effect of each on training."""

import math

import numpy as np
import pytest
import torch
from gymnasium import spaces

from sf_curric.algo.learner import Learner, learner_cfg
from sf_curric.algo.losses import kl_divergence
from sf_curric.errors import ConfigError
from sf_curric.model.action_heads import make_action_head
from tests.algo.test_learner import (
    ACTIONS,
    OBS,
    _bandit_traj,
    _one_torch_thread,  # noqa: F401 (autouse)
)


def _symmetric_kl_numpy(logits: np.ndarray) -> np.ndarray:
    p = np.exp(logits - logits.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    u = np.full_like(p, 1.0 / p.shape[-1])
    return 0.5 * ((p * np.log(p / u)).sum(-1) + (u * np.log(u / p)).sum(-1))


def test_symmetric_kl_with_uniform_matches_numpy():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(7, 5)) * 3
    head = make_action_head(spaces.Discrete(5), 8, 1.0, 0.0)
    got = head.symmetric_kl_with_uniform(torch.tensor(logits)).numpy()
    np.testing.assert_allclose(got, _symmetric_kl_numpy(logits), rtol=1e-10)
    assert head.symmetric_kl_with_uniform(torch.zeros(1, 5)).item() == pytest.approx(0.0, abs=1e-12)  # uniform


def test_symmetric_kl_of_multidiscrete_sums_its_sub_actions():
    rng = np.random.default_rng(1)
    nvec = [3, 5, 2]
    head = make_action_head(spaces.MultiDiscrete(nvec), 8, 1.0, 0.0).double()
    flat = rng.normal(size=(4, sum(nvec))) * 2
    got = head.symmetric_kl_with_uniform(head.shape_params(torch.tensor(flat))).numpy()
    parts = np.split(flat, np.cumsum(nvec)[:-1], axis=1)
    np.testing.assert_allclose(got, sum(_symmetric_kl_numpy(part) for part in parts), rtol=1e-6)  # float32 prior


def test_kl_estimate_has_the_exact_kl_as_its_mean():
    # actions drawn from mu (the acting policy); r log r - (r - 1) averages to KL(pi || mu), Sample Factory's KL
    g = torch.Generator().manual_seed(0)
    mu = torch.tensor([0.5, 0.3, 0.15, 0.05], dtype=torch.float64)
    pi = torch.tensor([0.25, 0.25, 0.4, 0.1], dtype=torch.float64)
    actions = torch.multinomial(mu, 400_000, replacement=True, generator=g)

    class Mb:  # the two fields the term reads, plus its mask and config
        log_probs, behavior_log_probs, mask = pi.log()[actions], mu.log()[actions], None

    estimate = kl_divergence(Mb)[0].item()
    exact = torch.distributions.kl_divergence(torch.distributions.Categorical(pi), torch.distributions.Categorical(mu))
    assert estimate == pytest.approx(exact.item(), rel=0.02)
    assert exact.item() > 0.2


def _kl_from_start(learner: Learner, start: Learner) -> float:
    obs = torch.randn(2000, 4, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        p = torch.log_softmax(learner.model.forward_sequence(obs)[0], -1)
        q = torch.log_softmax(start.model.forward_sequence(obs)[0], -1)
    return (p.exp() * (p - q)).sum(-1).mean().item()


@pytest.mark.parametrize("flag", ["kl_loss_coeff"])
def test_kl_loss_keeps_the_policy_near_the_acting_one(flag):
    def divergence(coefficient: float) -> float:
        torch.manual_seed(0)
        cfg = learner_cfg(device="cpu", learning_rate=3e-3, num_epochs=8, batch_size=64, **{flag: coefficient})
        learner, start = Learner(cfg, OBS, ACTIONS), Learner(cfg, OBS, ACTIONS)
        start.model.load_state_dict(learner.model.state_dict())
        stats = learner.train(_bandit_traj(learner, envs=16), 0).stats
        assert stats["kl_divergence"] > 0
        return _kl_from_start(learner, start)

    assert divergence(5.0) < 0.5 * divergence(0.0)


def test_symmetric_kl_exploration_keeps_every_action_likely():
    def min_probability(exploration_loss: str) -> float:
        torch.manual_seed(0)
        cfg = learner_cfg(
            device="cpu", learning_rate=3e-3, batch_size=64, exploration_loss=exploration_loss,
            exploration_loss_coeff=0.3,
        )  # fmt: skip
        learner = Learner(cfg, OBS, ACTIONS)
        for _ in range(15):
            stats = learner.train(_bandit_traj(learner, envs=16), 0).stats
        assert ("symmetric_kl" in stats) == (exploration_loss == "symmetric_kl") and "entropy" in stats
        with torch.no_grad():
            logits = learner.model.forward_sequence(torch.randn(2000, 4))[0]
        return torch.softmax(logits, -1).min(-1).values.median().item()  # the typical state's less likely action

    # the entropy bonus (same weight) lets the bandit's wrong action fade; the symmetric KL holds it up
    kl, entropy = min_probability("symmetric_kl"), min_probability("entropy")
    assert kl > 0.01 and kl > 10 * entropy  # measured: 0.034 and 7e-5


def test_symmetric_kl_on_box_actions_is_a_one_line_error():
    box = spaces.Box(-1, 1, (2,), np.float32)
    with pytest.raises(ConfigError, match="--exploration_loss=entropy"):
        Learner(learner_cfg(device="cpu", exploration_loss="symmetric_kl"), OBS, box)
    assert math.isfinite(Learner(learner_cfg(device="cpu"), OBS, box).learning_rate.value)
