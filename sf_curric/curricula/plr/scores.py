"""Per-step quantities whose per-episode mean is a PLR level score (arXiv 2010.03934, Table 1).

Every strategy scores an episode by the mean over its steps of one per-step quantity, so a whole [T, B]
rollout is scored with vectorized numpy and reduced per episode segment afterwards.

`max_mc` (Robust PLR's MaxMC, jaxued's default score: the mean over the episode of `R_max - V(s_t)`, `R_max` the
highest return ever reached on the level) is the mean of `-V(s_t)` here; the TaskSampler adds `R_max` when the
episode ends, once its return is known.
"""

from __future__ import annotations

import numpy as np

VALUE_STRATEGIES = ("value_l1", "gae", "positive_value_loss", "one_step_td_error", "max_mc")
POLICY_STRATEGIES = ("policy_entropy", "least_confidence", "min_margin")
NO_SCORE_STRATEGIES = ("random", "sequential")
STRATEGIES = VALUE_STRATEGIES + POLICY_STRATEGIES + NO_SCORE_STRATEGIES


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Normalize the last axis into log-probabilities (idempotent on log-probabilities)."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def per_step_scores(
    strategy: str,
    advantages: np.ndarray | None = None,
    rewards: np.ndarray | None = None,
    values: np.ndarray | None = None,
    next_values: np.ndarray | None = None,
    gamma: float = 0.999,
    action_log_dists: np.ndarray | None = None,
) -> np.ndarray:
    """The per-step quantity of `strategy`, shape [T, B].

    Args:
        strategy: one of `VALUE_STRATEGIES` or `POLICY_STRATEGIES`.
        advantages: [T, B] GAE advantages (value_l1, gae, positive_value_loss).
        rewards: [T, B] rewards (one_step_td_error).
        values: [T, B] value estimates V(s_t) (one_step_td_error, max_mc).
        next_values: [T, B] value of the next state, 0 where the episode terminated (one_step_td_error).
        gamma: discount of the TD error.
        action_log_dists: [T, B, A] action logits or log-probabilities (policy strategies).
    """
    if strategy == "value_l1":
        return np.abs(advantages)
    if strategy == "gae":
        return np.asarray(advantages, dtype=np.float64)
    if strategy == "positive_value_loss":
        return np.maximum(advantages, 0.0)
    if strategy == "one_step_td_error":
        return np.abs(rewards + gamma * next_values - values)
    if strategy == "max_mc":
        return -np.asarray(values, dtype=np.float64)  # + R_max of the level, added at the episode's end
    logp = log_softmax(np.asarray(action_log_dists, dtype=np.float64))
    probs = np.exp(logp)
    num_actions = logp.shape[-1]
    if strategy == "policy_entropy":
        return -(probs * logp).sum(axis=-1) / np.log(num_actions)
    if strategy == "least_confidence":
        return 1.0 - probs.max(axis=-1)
    if strategy == "min_margin":
        top2 = np.partition(probs, num_actions - 2, axis=-1)[..., -2:]
        return 1.0 - (top2[..., 1] - top2[..., 0])
    raise ValueError(f"unknown PLR strategy {strategy!r}; use one of {STRATEGIES}")
