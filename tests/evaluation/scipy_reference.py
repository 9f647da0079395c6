"""The statistics the evaluation tests expect, computed with scipy from the returns an env recorded itself."""

import math

import numpy as np
import pytest
from scipy import stats


def reference_summary(values) -> dict:
    """n, mean, sample std and 95 % t-interval of `values` (None where undefined, as the JSON files write it)."""
    values = np.asarray(values, dtype=np.float64)
    n = len(values)
    if n == 0:
        return {"n": 0, "mean": None, "std": None, "ci95_low": None, "ci95_high": None}
    mean = float(np.mean(values))
    if n < 2:
        return {"n": 1, "mean": mean, "std": None, "ci95_low": None, "ci95_high": None}
    std = float(np.std(values, ddof=1))
    if std < 1e-12 * max(1.0, abs(mean)):  # every value equal: the interval is the point (scipy's scale must be > 0)
        low = high = mean
    else:
        low, high = stats.t.interval(0.95, n - 1, loc=mean, scale=stats.sem(values))
    return {"n": n, "mean": mean, "std": std, "ci95_low": float(low), "ci95_high": float(high)}


def reference_gap(first, second) -> dict | None:
    """Welch's 95 % interval of mean(first) - mean(second) (scipy's ttest_ind, equal_var=False)."""
    first, second = np.asarray(first, np.float64), np.asarray(second, np.float64)
    value = float(first.mean() - second.mean())
    if len(first) < 2 or len(second) < 2:
        return {"value": value, "ci95_low": None, "ci95_high": None}
    if first.std(ddof=1) < 1e-12 and second.std(ddof=1) < 1e-12:
        return {"value": value, "ci95_low": value, "ci95_high": value}
    ci = stats.ttest_ind(first, second, equal_var=False).confidence_interval(0.95)
    return {"value": value, "ci95_low": float(ci.low), "ci95_high": float(ci.high)}


def close(actual, expected) -> bool:
    """Equal within float rounding; None (JSON's nan) and nan both mean undefined."""
    undefined = (actual is None or (isinstance(actual, float) and math.isnan(actual)), expected is None)
    if any(undefined):
        return all(undefined)
    return actual == pytest.approx(expected, rel=1e-7, abs=1e-7)


def assert_matches(actual: dict, expected: dict, where: str) -> None:
    """Every key of `expected` is `close` in `actual`."""
    wrong = {k: (actual.get(k), v) for k, v in expected.items() if not close(actual.get(k), v)}
    assert not wrong, f"{where}: (ours, scipy's) differ: {wrong}"
