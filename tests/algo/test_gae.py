"""GAE against an independent numpy computation (explicit discounted sums per episode segment)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from sf_curric.algo.ppo import compute_gae


def gae_reference(rewards, values, final_values, terminated, truncated, gamma, lam):
    """A[t] = sum_l (gamma * lam)^l * delta[t + l], summed forward until the episode of step t ends."""
    steps, envs = rewards.shape
    adv = np.zeros((steps, envs))
    for b in range(envs):
        deltas = np.zeros(steps)
        for t in range(steps):
            if terminated[t, b]:
                bootstrap = 0.0
            elif truncated[t, b]:
                bootstrap = final_values[t, b]
            else:
                bootstrap = values[t + 1, b]
            deltas[t] = rewards[t, b] + gamma * bootstrap - values[t, b]
        for t in range(steps):
            total, weight = 0.0, 1.0
            for k in range(t, steps):
                total += weight * deltas[k]
                if terminated[k, b] or truncated[k, b]:
                    break
                weight *= gamma * lam
            adv[t, b] = total
    return adv


def _gae(rewards, values, final_values, terminated, truncated, gamma, lam):
    t = torch.as_tensor
    return compute_gae(
        t(rewards, dtype=torch.float64),
        t(values, dtype=torch.float64),
        t(final_values, dtype=torch.float64),
        t(terminated),
        t(truncated),
        gamma,
        lam,
    ).numpy()


def test_hand_computed_small_case():
    # one env, T=3, gamma=0.5, lambda=1: episode terminates at t=1, a new one runs t=2 and is bootstrapped.
    rewards = np.array([[1.0], [2.0], [4.0]])
    values = np.array([[10.0], [20.0], [30.0], [8.0]])
    terminated = np.array([[False], [True], [False]])
    truncated = np.zeros((3, 1), bool)
    adv = _gae(rewards, values, np.zeros((3, 1)), terminated, truncated, 0.5, 1.0)
    # t=2: 4 + 0.5*8 - 30 = -22 ; t=1 (terminal): 2 - 20 = -18 ; t=0: 1 + 0.5*20 - 10 + 0.5*(-18) = -8
    np.testing.assert_allclose(adv[:, 0], [-8.0, -18.0, -22.0])


def test_truncation_bootstraps_from_final_values_and_cuts_recursion():
    rewards = np.ones((4, 1))
    values = np.array([[1.0], [2.0], [3.0], [4.0], [5.0]])
    truncated = np.array([[False], [True], [False], [False]])
    final_values = np.array([[0.0], [100.0], [0.0], [0.0]])
    adv = _gae(rewards, values, final_values, np.zeros((4, 1), bool), truncated, 0.9, 0.95)
    delta1 = 1 + 0.9 * 100.0 - 2.0  # bootstraps from the final observation, not from values[2]
    assert adv[1, 0] == pytest.approx(delta1)
    delta0 = 1 + 0.9 * 2.0 - 1.0
    assert adv[0, 0] == pytest.approx(delta0 + 0.9 * 0.95 * delta1)
    # steps after the cut do not flow into step 1
    delta3 = 1 + 0.9 * 5.0 - 4.0
    delta2 = 1 + 0.9 * 4.0 - 3.0
    assert adv[2, 0] == pytest.approx(delta2 + 0.9 * 0.95 * delta3)


@pytest.mark.parametrize("flag", ["terminated", "truncated"])
def test_episode_end_at_last_step(flag):
    rewards = np.array([[1.0, 1.0]] * 3)
    values = np.array([[0.5, 0.5]] * 4)
    ended = np.zeros((3, 2), bool)
    ended[2, 0] = True
    final_values = np.full((3, 2), 7.0)
    term = ended if flag == "terminated" else np.zeros_like(ended)
    trunc = ended if flag == "truncated" else np.zeros_like(ended)
    adv = _gae(rewards, values, final_values, term, trunc, 0.99, 0.9)
    expected_last = 1.0 + (0.99 * 7.0 if flag == "truncated" else 0.0) - 0.5
    assert adv[2, 0] == pytest.approx(expected_last)
    assert adv[2, 1] == pytest.approx(1.0 + 0.99 * 0.5 - 0.5)  # column 1 bootstraps from values[T]
    np.testing.assert_allclose(adv, gae_reference(rewards, values, final_values, term, trunc, 0.99, 0.9))


@pytest.mark.parametrize("seed", range(6))
def test_random_batches_match_reference(seed):
    rng = np.random.default_rng(seed)
    steps, envs = 17, 5
    rewards = rng.normal(size=(steps, envs))
    values = rng.normal(size=(steps + 1, envs))
    final_values = rng.normal(size=(steps, envs))
    ended = rng.random((steps, envs)) < 0.25
    terminated = ended & (rng.random((steps, envs)) < 0.5)
    truncated = ended & ~terminated
    gamma, lam = rng.uniform(0.8, 1.0), rng.uniform(0.0, 1.0)
    np.testing.assert_allclose(
        _gae(rewards, values, final_values, terminated, truncated, gamma, lam),
        gae_reference(rewards, values, final_values, terminated, truncated, gamma, lam),
        rtol=1e-10,
        atol=1e-10,
    )


def test_terminated_and_truncated_together_means_no_bootstrap():
    # gymnasium can report both; a terminal state has no future value, whatever final_values says.
    rewards = np.ones((1, 1))
    adv = _gae(rewards, np.zeros((2, 1)), np.full((1, 1), 50.0), np.ones((1, 1), bool), np.ones((1, 1), bool), 0.9, 1)
    assert adv[0, 0] == pytest.approx(1.0)
