"""Percentile bootstrap intervals (Efron's percentile method) of the mean episode return, for the eval curve that
training draws (`tracking.eval_process`): training needs no `report` extra, so this one function stays here, while
`sf_curric.report`'s statistics across seeds (IQM, stratified bootstrap, probability of improvement) are rliable's
(`sweeps.stats`). A percentile interval of a mean lies between the smallest and the largest score, so a band drawn
from it stays inside the metric's range (a normal approximation, mean +- 1.96 sd / sqrt(n), does not: it drew
CartPole's eval band above the maximum return of 500)."""

from __future__ import annotations

from typing import Callable

import numpy as np

CONFIDENCE = 0.95


def percentile_interval(
    scores: np.ndarray,
    statistic: Callable[[np.ndarray], np.ndarray],
    reps: int,
    rng: np.random.Generator,
    confidence: float = CONFIDENCE,
) -> tuple[float, float]:
    """`confidence` percentile interval of `statistic` over `reps` resamples (with replacement) of `scores`.

    Args:
        scores: one score per run (or per episode).
        statistic: maps a (reps, n) array to one value per row, e.g. `lambda s: s.mean(axis=1)`.
        reps: bootstrap samples.
        rng: the random generator (seeded by the caller, so that the interval is reproducible).
        confidence: the interval's coverage.

    Example:
        >>> percentile_interval(np.array([1.0, 2.0, 3.0]), lambda s: s.mean(axis=1), 2000, np.random.default_rng(0))
        (1.333..., 2.666...)
    """
    scores = np.asarray(scores, float)
    idx = rng.integers(0, len(scores), size=(reps, len(scores)))
    values = statistic(scores[idx])
    tail = 100.0 * (1.0 - confidence) / 2.0
    low, high = np.percentile(values, [tail, 100.0 - tail])
    return float(low), float(high)
