"""The PPO loss terms as a list: what each term is (this file) apart from the loop that sums and steps (ppo.py).

The loss of a minibatch is `sum(sign * cfg.<coefficient> * term)` over `LOSS_TERMS`; every term is logged as
`losses/<name>` (its value before the coefficient), with the extra stats it declares. Sample Factory splits the same
way (`Learner._calculate_losses` computes the terms, `Learner._train` sums, steps and records them).

A new loss term is one function and one entry:

    >>> def entropy_target(mb: Minibatch) -> TermValue:
    ...     return (masked_mean(mb.entropy, mb.mask) - 0.5).square(), {}
    >>> LOSS_TERMS.append(LossTerm("entropy_target", entropy_target, coefficient="entropy_target_coeff"))

with its coefficient flag in `ALGO_ARGS` (sf_curric/algo/args.py): `ppo_train` adds it to the loss, averages it over
the minibatches into `TrainResult.stats` and the runner writes it as `losses/entropy_target`.
"""

from __future__ import annotations

import argparse
from typing import Any, Callable, NamedTuple

import torch


class Minibatch(NamedTuple):
    """What a loss term reads: one minibatch as the current weights see it (flat samples, or `[T, b]` columns of a
    recurrent model).

    Attributes:
        log_probs: log-probabilities of the taken actions under the current weights (with gradients).
        entropy: policy entropy under the current weights (with gradients).
        values: value-head outputs (normalized return units with `--normalize_returns`, with gradients).
        behavior_log_probs: log-probabilities of the actions under the policy that acted.
        advantages: advantages (normalized with `--normalize_advantage`).
        target_values: value targets in value-head units.
        old_values: the acting policy's values in value-head units (value clipping).
        mask: 1.0 for the samples trained on, 0.0 for the others (recurrent columns), or None for all of them.
        clip_ratio: PPO's clip for this training call (after the clip schedule).
        cfg: the run's config (the terms' own flags).
        action_params: the action distribution's parameters under the current weights (with gradients).
        action_head: the model's action head (computes what a term needs from `action_params`).
    """

    log_probs: torch.Tensor
    entropy: torch.Tensor
    values: torch.Tensor
    behavior_log_probs: torch.Tensor
    advantages: torch.Tensor
    target_values: torch.Tensor
    old_values: torch.Tensor
    mask: torch.Tensor | None
    clip_ratio: float
    cfg: argparse.Namespace
    action_params: torch.Tensor
    action_head: Any


# what a term's function returns: its value (a scalar tensor with gradients) and the extra stats it declares
TermValue = tuple[torch.Tensor, dict[str, float]]


class LossTerm(NamedTuple):
    """One term of the PPO loss.

    Attributes:
        name: logged as `losses/<name>`: the term's value, before its coefficient.
        compute: `compute(mb: Minibatch) -> (value, extra stats)`.
        coefficient: the flag whose value multiplies the term in the loss (None: 1).
        sign: -1.0 for a term the loss subtracts (the entropy bonus).
        stats: names of the extra stats `compute` returns (each logged as `losses/<stat>` too).
        active: `active(cfg)`: the term is computed and logged in this run (None: always).
        counts: `counts(cfg)`: the term is part of the loss in this run (None: always; otherwise it is still
            computed and logged, as a diagnostic, with weight 0).
    """

    name: str
    compute: Callable[[Minibatch], TermValue]
    coefficient: str | None = None
    sign: float = 1.0
    stats: tuple[str, ...] = ()
    active: Callable[[argparse.Namespace], bool] | None = None
    counts: Callable[[argparse.Namespace], bool] | None = None

    def weight(self, cfg: argparse.Namespace) -> float:
        """The term's factor in the loss: sign times its coefficient flag's value (0 where it does not count)."""
        if self.counts is not None and not self.counts(cfg):
            return 0.0
        return self.sign * (1.0 if self.coefficient is None else float(getattr(cfg, self.coefficient)))

    def is_active(self, cfg: argparse.Namespace) -> bool:
        """The term is computed and logged in this run."""
        return self.active is None or self.active(cfg)


def masked_mean(x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Mean over the samples trained on (mask 1.0), or over all when there is no mask."""
    if mask is None:
        return x.mean()
    return (x * mask).sum() / mask.sum().clamp(min=1.0)


def policy_loss(mb: Minibatch) -> TermValue:
    """PPO's clipped surrogate; its stats: `approx_kl` (the k3 estimator, >= 0; `--target_kl` stops the epochs on
    it) and `clipfrac` (share of samples whose ratio left the clip range)."""
    log_ratio = mb.log_probs - mb.behavior_log_probs
    ratio = torch.exp(log_ratio)
    clipped = ratio.clamp(1.0 - mb.clip_ratio, 1.0 + mb.clip_ratio)
    loss = masked_mean(-torch.min(ratio * mb.advantages, clipped * mb.advantages), mb.mask)
    with torch.no_grad():
        approx_kl = masked_mean((ratio - 1.0) - log_ratio, mb.mask).item()
        clipfrac = masked_mean(((ratio - 1.0).abs() > mb.clip_ratio).float(), mb.mask).item()
    return loss, {"approx_kl": approx_kl, "clipfrac": clipfrac}


def value_loss(mb: Minibatch) -> TermValue:
    """Mean squared error of the value targets, clipped around the acting policy's values with `--ppo_clip_value`."""
    loss = (mb.values - mb.target_values).square()
    clip = mb.cfg.ppo_clip_value
    if clip > 0:
        clipped = mb.old_values + (mb.values - mb.old_values).clamp(-clip, clip)
        loss = torch.max(loss, (clipped - mb.target_values).square())
    return masked_mean(loss, mb.mask), {}


def entropy(mb: Minibatch) -> TermValue:
    """The policy's entropy: subtracted from the loss (an exploration bonus), weighted by `--exploration_loss_coeff`
    with `--exploration_loss=entropy` (logged with the other exploration loss too)."""
    return masked_mean(mb.entropy, mb.mask), {}


def symmetric_kl(mb: Minibatch) -> TermValue:
    """Sample Factory's `--exploration_loss=symmetric_kl`: the symmetric KL divergence between the policy and the
    uniform distribution over actions, `0.5 * (KL(pi || U) + KL(U || pi))` (summed over the sub-actions of
    MultiDiscrete), averaged, clamped at 30 and 0 when not finite, as SF does. Unlike the entropy it grows without
    bound as an action's probability goes to 0, so the policy keeps exploring every action."""
    value = masked_mean(mb.action_head.symmetric_kl_with_uniform(mb.action_params), mb.mask)
    if not torch.isfinite(value):
        value = torch.zeros_like(value)
    return value.clamp(max=30.0), {}


def kl_divergence(mb: Minibatch) -> TermValue:
    """KL(pi || mu) of the current policy pi from the policy mu that acted: Sample Factory's KL loss (weighted by
    `--kl_loss_coeff`, Schulman et al. 2017's fixed KL penalty) and the divergence its kl_adaptive learning-rate
    schedules watch. SF computes it in closed form from stored action logits; here it is estimated from the taken
    actions, which mu sampled: `E_mu[r log r - (r - 1)]` with `r = pi(a) / mu(a)` has the same expectation (the
    `- (r - 1)` term has mean 0 and makes every sample >= 0)."""
    log_ratio = mb.log_probs - mb.behavior_log_probs
    ratio = torch.exp(log_ratio)
    return masked_mean(ratio * log_ratio - (ratio - 1.0), mb.mask), {}


def _exploration(kind: str) -> Callable[[argparse.Namespace], bool]:
    return lambda cfg: cfg.exploration_loss == kind


LOSS_TERMS: list[LossTerm] = [
    LossTerm("policy_loss", policy_loss, stats=("approx_kl", "clipfrac")),
    LossTerm("value_loss", value_loss, coefficient="value_loss_coeff"),
    LossTerm("entropy", entropy, coefficient="exploration_loss_coeff", sign=-1.0, counts=_exploration("entropy")),
    LossTerm("symmetric_kl", symmetric_kl, coefficient="exploration_loss_coeff", active=_exploration("symmetric_kl")),
    LossTerm("kl_divergence", kl_divergence, coefficient="kl_loss_coeff"),
]


def calculate_losses(mb: Minibatch, terms: list[LossTerm] | None = None) -> tuple[torch.Tensor, dict[str, float]]:
    """The minibatch's loss and every term's stats by name (Sample Factory's `_calculate_losses`).

    Args:
        mb: the minibatch.
        terms: the loss terms (default: `LOSS_TERMS`).

    Returns:
        `(loss, stats)`: the weighted sum of the terms, and `{name: value, **extra stats}` of every term.
    """
    loss: torch.Tensor | None = None
    stats: dict[str, float] = {}
    for term in LOSS_TERMS if terms is None else terms:
        if not term.is_active(mb.cfg):
            continue
        value, extra = term.compute(mb)
        weighted = term.weight(mb.cfg) * value
        loss = weighted if loss is None else loss + weighted
        stats[term.name] = value.item()
        stats.update(extra)
    if loss is None:
        raise ValueError("the PPO loss has no terms: LOSS_TERMS is empty")
    return loss, stats


def loss_stat_names(cfg: argparse.Namespace | None = None, terms: list[LossTerm] | None = None) -> tuple[str, ...]:
    """The stats the loss terms report, in list order: each term's name, then its extra stats.

    Args:
        cfg: only the terms active in this run (None: every term).
        terms: the loss terms (default: `LOSS_TERMS`).
    """
    chosen = [t for t in (LOSS_TERMS if terms is None else terms) if cfg is None or t.is_active(cfg)]
    return tuple(name for term in chosen for name in (term.name, *term.stats))
