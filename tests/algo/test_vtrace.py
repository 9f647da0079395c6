"""V-trace against an independent numpy computation of the IMPALA definition (explicit sums, no recursion)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from sf_curric.algo.ppo import compute_gae, compute_vtrace


def vtrace_reference(rewards, values, final_values, terminated, truncated, mu_logp, pi_logp, gamma, rho_bar, c_bar):
    """v_s = V(x_s) + sum_{t>=s} gamma^(t-s) (prod_{i=s}^{t-1} c_i) rho_t delta_t, summed until the episode of s
    ends (Espeholt et al. 2018, eq. 1); pg advantage rho_s (r_s + gamma v_{s+1} - V(x_s))."""
    steps, envs = rewards.shape
    ratio = np.exp(pi_logp - mu_logp)
    rho, c = np.minimum(rho_bar, ratio), np.minimum(c_bar, ratio)
    vs = np.zeros((steps, envs))
    adv = np.zeros((steps, envs))
    for b in range(envs):

        def next_value(t, b=b):
            if terminated[t, b]:
                return 0.0
            return final_values[t, b] if truncated[t, b] else values[t + 1, b]

        deltas = [rho[t, b] * (rewards[t, b] + gamma * next_value(t) - values[t, b]) for t in range(steps)]
        for s in range(steps):
            total, weight = 0.0, 1.0
            for t in range(s, steps):
                total += weight * deltas[t]
                if terminated[t, b] or truncated[t, b]:
                    break
                weight *= gamma * c[t, b]
            vs[s, b] = values[s, b] + total
        for s in range(steps):
            if terminated[s, b]:
                target_next = 0.0
            elif truncated[s, b]:
                target_next = final_values[s, b]
            else:
                target_next = vs[s + 1, b] if s + 1 < steps else values[steps, b]
            adv[s, b] = rho[s, b] * (rewards[s, b] + gamma * target_next - values[s, b])
    return vs, adv


def _random_batch(seed, steps=13, envs=4):
    rng = np.random.default_rng(seed)
    ended = rng.random((steps, envs)) < 0.2
    terminated = ended & (rng.random((steps, envs)) < 0.5)
    return {
        "rewards": rng.normal(size=(steps, envs)),
        "values": rng.normal(size=(steps + 1, envs)),
        "final_values": rng.normal(size=(steps, envs)),
        "terminated": terminated,
        "truncated": ended & ~terminated,
        "mu_logp": rng.normal(-1.0, 0.5, size=(steps, envs)),
        "pi_logp": rng.normal(-1.0, 0.5, size=(steps, envs)),
    }


def _vtrace(batch, gamma, rho_bar, c_bar, pi_logp=None):
    t = lambda x: torch.as_tensor(x, dtype=torch.float64)  # noqa: E731
    out = compute_vtrace(
        t(batch["rewards"]),
        t(batch["values"]),
        t(batch["final_values"]),
        torch.as_tensor(batch["terminated"]),
        torch.as_tensor(batch["truncated"]),
        t(batch["mu_logp"]),
        t(batch["pi_logp"] if pi_logp is None else pi_logp),
        gamma,
        rho_bar,
        c_bar,
    )
    return out.vs.numpy(), out.advantages.numpy()


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("rho_bar,c_bar", [(1.0, 1.0), (0.8, 0.5), (2.0, 1.5)])
def test_off_policy_matches_reference(seed, rho_bar, c_bar):
    batch = _random_batch(seed)
    vs, adv = _vtrace(batch, 0.95, rho_bar, c_bar)
    ref_vs, ref_adv = vtrace_reference(**batch, gamma=0.95, rho_bar=rho_bar, c_bar=c_bar)
    np.testing.assert_allclose(vs, ref_vs, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(adv, ref_adv, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("seed", range(5))
def test_on_policy_equals_gae_with_lambda_one(seed):
    # With pi == mu and rho_bar = c_bar = 1 every ratio is 1: vs - V is the lambda=1 GAE advantage, and the
    # policy-gradient advantage r + gamma * vs[t+1] - V[t] telescopes to the same lambda=1 advantage.
    batch = _random_batch(seed)
    vs, adv = _vtrace(batch, 0.97, 1.0, 1.0, pi_logp=batch["mu_logp"])
    t = lambda x: torch.as_tensor(x, dtype=torch.float64)  # noqa: E731
    gae = compute_gae(
        t(batch["rewards"]),
        t(batch["values"]),
        t(batch["final_values"]),
        torch.as_tensor(batch["terminated"]),
        torch.as_tensor(batch["truncated"]),
        0.97,
        1.0,
    ).numpy()
    np.testing.assert_allclose(vs, batch["values"][:-1] + gae, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(adv, gae, rtol=1e-10, atol=1e-10)


def test_clipping_limits_large_ratios():
    # pi/mu = e^3 ~ 20: with rho_bar = 1 the one-step target is r + gamma V' - V exactly (weight clipped to 1).
    batch = {
        "rewards": np.array([[1.0]]),
        "values": np.array([[0.5], [2.0]]),
        "final_values": np.zeros((1, 1)),
        "terminated": np.zeros((1, 1), bool),
        "truncated": np.zeros((1, 1), bool),
        "mu_logp": np.array([[-4.0]]),
        "pi_logp": np.array([[-1.0]]),
    }
    vs, adv = _vtrace(batch, 0.9, 1.0, 1.0)
    assert vs[0, 0] == pytest.approx(0.5 + (1.0 + 0.9 * 2.0 - 0.5))
    assert adv[0, 0] == pytest.approx(1.0 + 0.9 * 2.0 - 0.5)
    vs_small, _ = _vtrace(dict(batch, pi_logp=np.array([[-5.0]])), 0.9, 1.0, 1.0)  # ratio e^-1, not clipped
    assert vs_small[0, 0] == pytest.approx(0.5 + np.exp(-1.0) * (1.0 + 0.9 * 2.0 - 0.5))
