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
from typing import Callable, NamedTuple

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
    """

    name: str
    compute: Callable[[Minibatch], TermValue]
    coefficient: str | None = None
    sign: float = 1.0
    stats: tuple[str, ...] = ()

    def weight(self, cfg: argparse.Namespace) -> float:
        """The term's factor in the loss: sign times its coefficient flag's value."""
        return self.sign * (1.0 if self.coefficient is None else float(getattr(cfg, self.coefficient)))


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
    """The policy's entropy: subtracted from the loss (an exploration bonus), weighted by `--exploration_loss_coeff`."""
    return masked_mean(mb.entropy, mb.mask), {}


LOSS_TERMS: list[LossTerm] = [
    LossTerm("policy_loss", policy_loss, stats=("approx_kl", "clipfrac")),
    LossTerm("value_loss", value_loss, coefficient="value_loss_coeff"),
    LossTerm("entropy", entropy, coefficient="exploration_loss_coeff", sign=-1.0),
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
        value, extra = term.compute(mb)
        weighted = term.weight(mb.cfg) * value
        loss = weighted if loss is None else loss + weighted
        stats[term.name] = value.item()
        stats.update(extra)
    if loss is None:
        raise ValueError("the PPO loss has no terms: LOSS_TERMS is empty")
    return loss, stats


def loss_stat_names(terms: list[LossTerm] | None = None) -> tuple[str, ...]:
    """The stats the loss terms report, in list order: each term's name, then its extra stats."""
    return tuple(name for term in (LOSS_TERMS if terms is None else terms) for name in (term.name, *term.stats))
