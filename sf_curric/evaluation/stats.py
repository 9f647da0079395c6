"""Summary statistics of evaluation returns: mean, sample std, 95 % t-interval, and the generalization gap.

The interval is Student's t interval over episodes (each episode one sample): `mean +- t(0.975, n-1) * std / sqrt(n)`
with the sample standard deviation (ddof=1). The gap between two groups uses Welch's interval (unequal variances,
Welch-Satterthwaite degrees of freedom). The t quantile is computed here (regularized incomplete beta by continued
fraction, then bisection) so that scipy is not a dependency.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Sequence

CONFIDENCE = 0.95
INTERVAL_METHOD = "student_t"


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 500):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c if abs(1.0 + aa / c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c if abs(1.0 + aa / c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return h


def _regularized_beta(a: float, b: float, x: float) -> float:
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _betacf(a, b, x) / a
    return 1.0 - math.exp(log_front) * _betacf(b, a, 1.0 - x) / b


def t_cdf(t: float, df: float) -> float:
    """Cumulative distribution function of Student's t.

    Args:
        t: the value.
        df: degrees of freedom (> 0, need not be an integer).
    """
    tail = 0.5 * _regularized_beta(df / 2.0, 0.5, df / (df + t * t))
    return 1.0 - tail if t >= 0 else tail


def t_quantile(p: float, df: float) -> float:
    """Inverse of `t_cdf` for `0.5 <= p < 1` (bisection to 1e-12).

    Args:
        p: probability, e.g. 0.975 for a two-sided 95 % interval.
        df: degrees of freedom (> 0).

    Example:
        >>> round(t_quantile(0.975, 10), 4)
        2.2281
    """
    if not 0.5 <= p < 1.0:
        raise ValueError(f"t_quantile needs 0.5 <= p < 1, got {p}")
    if df <= 0:
        raise ValueError(f"t_quantile needs df > 0, got {df}")
    low, high = 0.0, 1.0
    while t_cdf(high, df) < p:
        high *= 2.0
    for _ in range(200):
        mid = 0.5 * (low + high)
        if t_cdf(mid, df) < p:
            low = mid
        else:
            high = mid
        if high - low < 1e-12:
            break
    return 0.5 * (low + high)


@dataclass(frozen=True)
class Summary:
    """Statistics of one sample of returns.

    Attributes:
        n: number of episodes.
        mean: mean return (nan when n = 0).
        std: sample standard deviation, ddof=1 (nan when n < 2).
        ci95_low: lower end of the 95 % t-interval of the mean (nan when n < 2).
        ci95_high: upper end (nan when n < 2).
    """

    n: int
    mean: float
    std: float
    ci95_low: float
    ci95_high: float

    def as_dict(self) -> dict[str, Any]:
        """The fields as a dict (nan kept; the JSON writer turns it into null)."""
        return asdict(self)


def _mean_var(values: Sequence[float]) -> tuple[int, float, float]:
    n = len(values)
    if n == 0:
        return 0, math.nan, math.nan
    mean = math.fsum(values) / n
    var = math.fsum((v - mean) ** 2 for v in values) / (n - 1) if n > 1 else math.nan
    return n, mean, var


def summarize(values: Sequence[float]) -> Summary:
    """Mean, sample std and 95 % t-interval of `values`.

    Args:
        values: one number per episode.

    Example:
        >>> summarize([1.0, 2.0, 3.0]).mean
        2.0
    """
    n, mean, var = _mean_var([float(v) for v in values])
    if n < 2:
        return Summary(n, mean, math.nan, math.nan, math.nan)
    std = math.sqrt(var)
    half = t_quantile(0.5 + CONFIDENCE / 2.0, n - 1) * std / math.sqrt(n)
    return Summary(n, mean, std, mean - half, mean + half)


@dataclass(frozen=True)
class Gap:
    """Difference of two group means (`first - second`) with Welch's 95 % interval.

    Attributes:
        value: mean of the first group minus mean of the second.
        ci95_low: lower end of Welch's interval (nan when a group has fewer than 2 episodes).
        ci95_high: upper end.
        df: Welch-Satterthwaite degrees of freedom (nan when undefined).
    """

    value: float
    ci95_low: float
    ci95_high: float
    df: float

    def as_dict(self) -> dict[str, Any]:
        """The fields as a dict."""
        return asdict(self)


def welch_gap(first: Sequence[float], second: Sequence[float]) -> Gap:
    """`mean(first) - mean(second)` with Welch's 95 % interval; for the generalization gap, train minus test.

    Args:
        first: returns of the first group.
        second: returns of the second group.
    """
    n1, m1, v1 = _mean_var([float(v) for v in first])
    n2, m2, v2 = _mean_var([float(v) for v in second])
    value = m1 - m2
    if n1 < 2 or n2 < 2:
        return Gap(value, math.nan, math.nan, math.nan)
    s1, s2 = v1 / n1, v2 / n2
    se = math.sqrt(s1 + s2)
    if se == 0.0:
        return Gap(value, value, value, math.inf)
    df = (s1 + s2) ** 2 / (s1 * s1 / (n1 - 1) + s2 * s2 / (n2 - 1))
    half = t_quantile(0.5 + CONFIDENCE / 2.0, df) * se
    return Gap(value, value - half, value + half, df)
