"""Statistics across seeds (Agarwal et al. 2021, "Deep RL at the edge of the statistical precipice").

The metrics are rliable's definitions for one task, written out in numpy (rliable pulls pandas, statsmodels and
arch, 0.16 GB, into the install for three one-line formulas; `tests/sweeps/test_report_numbers.py` checks them
against rliable where it is installed): `aggregate_mean` (the mean over runs), `aggregate_iqm` (scipy's 25 %
trimmed mean: `int(0.25 * n)` runs cut at each end) and `probability_of_improvement` (the Mann-Whitney U statistic
over n·m). The 95 % intervals are rliable's stratified percentile bootstrap (runs resampled with replacement
within each method; with one task per report that is the whole stratification).
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from sf_curric.utils.bootstrap import percentile_interval

# Fewer runs per method than this: the report gives point estimates only and says why (Agarwal et al. 2021 show
# intervals from 3-5 seeds are already wide; from 1-2 a bootstrap interval collapses onto the runs themselves)
MIN_RUNS = 3


def _iqm_rows(samples: np.ndarray) -> np.ndarray:
    """The 25 % trimmed mean of each row (scipy.stats.trim_mean's cut: `int(0.25 * n)` values at each end)."""
    samples = np.sort(np.asarray(samples, float), axis=-1)
    cut = int(0.25 * samples.shape[-1])
    return samples[..., cut : samples.shape[-1] - cut].mean(axis=-1)


def iqm(scores: np.ndarray) -> float:
    """Interquartile mean of a 1-D array of per-run scores (rliable's `aggregate_iqm`: 25 % trimmed mean)."""
    return float(_iqm_rows(np.asarray(scores, float)))


def _improvement(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """P(X > Y) of each resample (rows; a 1-D pair is one resample): pairs where X is higher, ties counted half."""
    greater = (x[..., :, None] > y[..., None, :]).mean(axis=(-2, -1))
    ties = (x[..., :, None] == y[..., None, :]).mean(axis=(-2, -1))
    return greater + 0.5 * ties


def bootstrap_interval(
    scores: np.ndarray, statistic: Callable[[np.ndarray], np.ndarray], reps: int, rng: np.random.Generator
) -> tuple[float, float]:
    """95 % percentile interval of `statistic` over `reps` resamples of the runs (`utils.bootstrap`).

    Args:
        scores: one score per run.
        statistic: maps a (reps, runs) array to one value per row.
        reps: bootstrap samples.
        rng: the random generator (seeded by the caller for a reproducible report).
    """
    return percentile_interval(scores, statistic, reps, rng)


def interval_estimable(*runs: int) -> bool:
    """Whether a bootstrap interval over this many runs (per method) means anything: at least `MIN_RUNS`."""
    return min(runs) >= MIN_RUNS


def summarize(scores: np.ndarray, reps: int, rng: np.random.Generator) -> dict[str, float | None]:
    """Mean and IQM of per-run scores, each with its stratified-bootstrap 95 % interval (None below `MIN_RUNS`
    runs: resampling one or two runs gives an interval that says nothing about another seed).

    Args:
        scores: one score per run (seed) of one method.
        reps: bootstrap samples.
        rng: the random generator.
    """
    scores = np.asarray(scores, float)
    out: dict[str, float | None] = {
        "runs": int(len(scores)),
        "mean": float(scores.mean()),
        "mean_low": None,
        "mean_high": None,
        "iqm": iqm(scores),
        "iqm_low": None,
        "iqm_high": None,
    }
    if interval_estimable(len(scores)):
        out["mean_low"], out["mean_high"] = bootstrap_interval(scores, lambda s: s.mean(axis=1), reps, rng)
        out["iqm_low"], out["iqm_high"] = bootstrap_interval(scores, _iqm_rows, reps, rng)
    return out


def probability_of_improvement(x: np.ndarray, y: np.ndarray, reps: int, rng: np.random.Generator) -> dict[str, float]:
    """P(a run of X scores higher than a run of Y), ties counted half (rliable's), with a 95 % interval from
    resampling the runs of X and of Y independently.

    Args:
        x: per-run scores of method X.
        y: per-run scores of method Y.
        reps: bootstrap samples.
        rng: the random generator.

    Returns:
        `{"p", "low", "high"}`; `low` and `high` are None when either method has fewer than `MIN_RUNS` runs.
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    point = float(_improvement(x, y))
    if not interval_estimable(len(x), len(y)):
        return {"p": point, "low": None, "high": None}
    xs = x[rng.integers(0, len(x), size=(reps, len(x)))]
    ys = y[rng.integers(0, len(y), size=(reps, len(y)))]
    low, high = np.percentile(_improvement(xs, ys), [2.5, 97.5])
    return {"p": point, "low": float(low), "high": float(high)}
