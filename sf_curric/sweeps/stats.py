"""Statistics across seeds (Agarwal et al. 2021, "Deep RL at the edge of the statistical precipice").

Point estimates use the `rliable` package's metrics (`aggregate_mean`, `aggregate_iqm`,
`probability_of_improvement`). The 95 % intervals are rliable's stratified percentile bootstrap (runs resampled
with replacement within each method; with one task per report that is the whole stratification), written out here
because `rliable.library` needs `arch`, which does not import with pandas 3 (arch 7) or rejects rliable's
`random_state` argument (arch 8).
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from sf_curric.cfg.validation import ConfigError


def needs_report_extra(module: str) -> ConfigError:
    """The one-line error (exit 2 in `sf_curric.report`) for a missing module of the `report` extra."""
    return ConfigError(f'sf_curric.report needs {module}: pip install "sf_curric[report]"')


def _metrics():
    try:
        from rliable import metrics
    except ImportError:
        raise needs_report_extra("rliable") from None
    return metrics


def _trim_mean(samples: np.ndarray, proportiontocut: float, axis: int) -> np.ndarray:
    try:
        from scipy import stats as scipy_stats
    except ImportError:
        raise needs_report_extra("scipy") from None
    return scipy_stats.trim_mean(samples, proportiontocut=proportiontocut, axis=axis)


def iqm(scores: np.ndarray) -> float:
    """Interquartile mean of a 1-D array of per-run scores (rliable's `aggregate_iqm`: 25 % trimmed mean)."""
    return float(_metrics().aggregate_iqm(np.asarray(scores, float)[:, None]))


def _iqm_rows(samples: np.ndarray) -> np.ndarray:
    # the same trimmed mean as rliable's aggregate_iqm, on each bootstrap sample (row) at once
    return _trim_mean(samples, proportiontocut=0.25, axis=1)


def bootstrap_interval(
    scores: np.ndarray, statistic: Callable[[np.ndarray], np.ndarray], reps: int, rng: np.random.Generator
) -> tuple[float, float]:
    """95 % percentile interval of `statistic` over `reps` resamples of the runs.

    Args:
        scores: one score per run.
        statistic: maps a (reps, runs) array to one value per row.
        reps: bootstrap samples.
        rng: the random generator (seeded by the caller for a reproducible report).
    """
    scores = np.asarray(scores, float)
    idx = rng.integers(0, len(scores), size=(reps, len(scores)))
    values = statistic(scores[idx])
    low, high = np.percentile(values, [2.5, 97.5])
    return float(low), float(high)


def summarize(scores: np.ndarray, reps: int, rng: np.random.Generator) -> dict[str, float]:
    """Mean and IQM of per-run scores, each with its stratified-bootstrap 95 % interval.

    Args:
        scores: one score per run (seed) of one method.
        reps: bootstrap samples.
        rng: the random generator.
    """
    scores = np.asarray(scores, float)
    metrics = _metrics()
    mean_low, mean_high = bootstrap_interval(scores, lambda s: s.mean(axis=1), reps, rng)
    iqm_low, iqm_high = bootstrap_interval(scores, _iqm_rows, reps, rng)
    return {
        "runs": int(len(scores)),
        "mean": float(metrics.aggregate_mean(scores[:, None])),
        "mean_low": mean_low,
        "mean_high": mean_high,
        "iqm": iqm(scores),
        "iqm_low": iqm_low,
        "iqm_high": iqm_high,
    }


def probability_of_improvement(x: np.ndarray, y: np.ndarray, reps: int, rng: np.random.Generator) -> dict[str, float]:
    """P(a run of X scores higher than a run of Y), ties counted half (rliable's), with a 95 % interval from
    resampling the runs of X and of Y independently.

    Args:
        x: per-run scores of method X.
        y: per-run scores of method Y.
        reps: bootstrap samples.
        rng: the random generator.
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    point = float(_metrics().probability_of_improvement(x[:, None], y[:, None]))
    xs = x[rng.integers(0, len(x), size=(reps, len(x)))]
    ys = y[rng.integers(0, len(y), size=(reps, len(y)))]
    # the Mann-Whitney U statistic over n*m, for every resample at once (the same number rliable computes)
    greater = (xs[:, :, None] > ys[:, None, :]).mean(axis=(1, 2))
    ties = (xs[:, :, None] == ys[:, None, :]).mean(axis=(1, 2))
    low, high = np.percentile(greater + 0.5 * ties, [2.5, 97.5])
    return {"p": point, "low": float(low), "high": float(high)}
