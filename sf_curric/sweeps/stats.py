"""Statistics across seeds with rliable (Agarwal et al. 2021, "Deep RL at the edge of the statistical precipice"),
the `report` extra.

Every number is rliable's: `metrics.aggregate_mean`, `metrics.aggregate_iqm` (the 25 % trimmed mean) and
`metrics.probability_of_improvement` (the Mann-Whitney U statistic over n·m, ties counted half), each 95 % interval
`library.get_interval_estimates`' stratified percentile bootstrap: runs resampled with replacement within each
method (one task per report, so that is the whole stratification), the two methods of P(X > Y) independently.
Scores go in as rliable lays them out, `(runs, tasks)` with one task, and `(runs, tasks, points)` for a curve.

rliable draws its resamples from numpy's global generator (`np.random.choice`; its `random_state` argument does
not reach them), so each interval seeds that generator from the report's own and puts its state back afterwards.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Callable, Iterator

import numpy as np

from sf_curric.errors import ConfigError, install_command

# Fewer runs per method than this: the report gives point estimates only and says why (Agarwal et al. 2021 show
# intervals from 3-5 seeds are already wide; from 1-2 a bootstrap interval collapses onto the runs themselves)
MIN_RUNS = 3


def rliable_modules() -> tuple[Any, Any]:
    """rliable's `library` and `metrics` modules; without them, one line naming the `report` extra.

    Raises:
        ConfigError: rliable is not installed, or its arch 7 does not import (under pandas 3); `python -m
            sf_curric.report` prints it in one line, exit 2.
    """
    try:
        from rliable import library, metrics
    except ImportError:
        raise ConfigError(f"the report needs rliable: {install_command('report')}") from None
    except TypeError:  # rliable needs arch < 8, and arch 7 fails in pandas 3's deprecate_kwarg
        raise ConfigError(
            f"the report needs rliable with pandas < 3 (its arch 7 does not import under pandas 3): "
            f"{install_command('report')}"
        ) from None
    return library, metrics


@contextmanager
def _numpy_global_seed(seed: int) -> Iterator[None]:
    """numpy's global generator seeded with `seed` inside the block, as it was outside (rliable draws from it)."""
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)


def bootstrap_interval(
    scores: np.ndarray | list[np.ndarray], statistic: Callable[..., np.ndarray], reps: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """rliable's stratified-bootstrap 95 % percentile interval of each value `statistic` returns.

    Args:
        scores: one method's `(runs, tasks, ...)` array, or a list of arrays resampled independently (P(X > Y)).
        statistic: rliable's kind of aggregate: the scores (one argument per array) -> a 1-D array.
        reps: bootstrap samples.
        rng: the report's generator; it seeds numpy's global one for this interval (a reproducible report).

    Returns:
        (lower bounds, upper bounds), one per value of `statistic`.
    """
    library, _ = rliable_modules()
    with _numpy_global_seed(int(rng.integers(2**32))):
        _, intervals = library.get_interval_estimates({"scores": scores}, statistic, reps=reps)
    low, high = intervals["scores"]
    return np.atleast_1d(low), np.atleast_1d(high)


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
    _, metrics = rliable_modules()
    runs = np.asarray(scores, float)[:, None]  # (runs, 1 task)

    def mean_and_iqm(s: np.ndarray) -> np.ndarray:
        return np.array([metrics.aggregate_mean(s), metrics.aggregate_iqm(s)])

    mean, iqm = mean_and_iqm(runs)
    out: dict[str, float | None] = {
        "runs": int(len(runs)),
        "mean": float(mean),
        "mean_low": None,
        "mean_high": None,
        "iqm": float(iqm),
        "iqm_low": None,
        "iqm_high": None,
    }
    if interval_estimable(len(runs)):  # one bootstrap for both: the same resamples, as rliable's README does
        low, high = bootstrap_interval(runs, mean_and_iqm, reps, rng)
        out.update(mean_low=float(low[0]), iqm_low=float(low[1]), mean_high=float(high[0]), iqm_high=float(high[1]))
    return out


def summarize_curve(curves: np.ndarray, reps: int, rng: np.random.Generator) -> dict[str, list[float | None]]:
    """Mean and IQM over runs at each point of their curves, with the IQM's stratified-bootstrap 95 % band (runs
    resampled whole, every point at once: rliable's sample-efficiency curves); no band below `MIN_RUNS` runs.

    Args:
        curves: `(runs, points)`: each run's curve on a common grid.
        reps: bootstrap samples.
        rng: the random generator.

    Returns:
        `{"mean", "iqm", "iqm_low", "iqm_high"}`, one value per point (the bounds None without a band).
    """
    _, metrics = rliable_modules()
    scores = np.asarray(curves, float)[:, None, :]  # (runs, 1 task, points)

    def iqm_per_point(s: np.ndarray) -> np.ndarray:
        return np.array([metrics.aggregate_iqm(s[..., i]) for i in range(s.shape[-1])])

    points = scores.shape[-1]
    out: dict[str, list[float | None]] = {
        "mean": [float(metrics.aggregate_mean(scores[..., i])) for i in range(points)],
        "iqm": [float(v) for v in iqm_per_point(scores)],
        "iqm_low": [None] * points,
        "iqm_high": [None] * points,
    }
    if interval_estimable(len(scores)):
        low, high = bootstrap_interval(scores, iqm_per_point, reps, rng)
        out["iqm_low"], out["iqm_high"] = [float(v) for v in low], [float(v) for v in high]
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
    _, metrics = rliable_modules()
    x_runs, y_runs = np.asarray(x, float)[:, None], np.asarray(y, float)[:, None]

    def improvement(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.array([metrics.probability_of_improvement(a, b)])

    point = float(improvement(x_runs, y_runs)[0])
    if not interval_estimable(len(x_runs), len(y_runs)):
        return {"p": point, "low": None, "high": None}
    low, high = bootstrap_interval([x_runs, y_runs], improvement, reps, rng)
    return {"p": point, "low": float(low[0]), "high": float(high[0])}


def converse(improvement: dict[str, float | None]) -> dict[str, float | None]:
    """P(Y > X) from P(X > Y): with ties counted half the two add up to 1 in every resample, so the converse's
    interval is the mirror of the other's (the report bootstraps each unordered pair once).

    Args:
        improvement: `probability_of_improvement(x, y, ...)`.
    """
    low, high = improvement["low"], improvement["high"]
    return {
        "p": 1.0 - improvement["p"],
        "low": None if high is None else 1.0 - high,
        "high": None if low is None else 1.0 - low,
    }
