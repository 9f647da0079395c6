"""`sf_curric.report`'s statistics against scipy over random sweep structures (methods, runs per method, logging
steps per run): the bootstrap intervals equal scipy.stats.bootstrap's percentile intervals drawn from the same
resamples (rliable draws them from numpy's global generator, which the report seeds from its own: `stats`' module
docstring), the probability of improvement equals the Mann-Whitney U statistic over n*m and its interval the
percentiles of that statistic over independent resamples of both methods, the IQM scipy's 25 % trimmed mean; each
run's final value and its curve average reach its own method's statistics once. rliable is the `report` extra, in
`test-heavy`: these tests run in CI's second step."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from sf_curric.report import tag_report
from sf_curric.sweeps.events import RunCurves
from sf_curric.sweeps.stats import bootstrap_interval, converse, probability_of_improvement, summarize

from .helpers import REPORT_EXTRA

pytestmark = REPORT_EXTRA

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
REPS = 400
TAG = "eval/test/return"
scores = st.lists(st.floats(-1e3, 1e3, allow_nan=False) | st.integers(-3, 3).map(float), min_size=1, max_size=9)


def _iqm(x, axis=-1):
    return stats.trim_mean(x, proportiontocut=0.25, axis=axis)


def _mean(x, axis=-1):
    return np.mean(x, axis=axis)


def _global_seed(seed: int) -> int:
    """The seed the report's generator `default_rng(seed)` hands numpy's global one for its first interval."""
    return int(np.random.default_rng(seed).integers(2**32))


@SETTINGS
@given(values=scores, seed=st.integers(0, 2**16))
def test_summary_intervals_equal_scipy_bootstrap(values, seed):
    values = np.asarray(values)
    ours = summarize(values, REPS, np.random.default_rng(seed))
    assert ours["runs"] == len(values)
    assert ours["mean"] == pytest.approx(np.mean(values), rel=1e-9, abs=1e-9)
    assert ours["iqm"] == pytest.approx(float(_iqm(values, None)), rel=1e-9, abs=1e-9)
    if len(values) < 3:
        assert ours["mean_low"] is ours["iqm_high"] is None  # too few runs for an interval
        return
    # one bootstrap gives both intervals: scipy draws the same resamples from a legacy generator of the same seed
    for key, statistic in (("mean", _mean), ("iqm", _iqm)):
        res = stats.bootstrap((values,), statistic, n_resamples=REPS, method="percentile", vectorized=True,
                              random_state=np.random.RandomState(_global_seed(seed)))  # fmt: skip
        low, high = res.confidence_interval.low, res.confidence_interval.high
        assert ours[f"{key}_low"] == pytest.approx(low, abs=1e-9)
        assert ours[f"{key}_high"] == pytest.approx(high, abs=1e-9)
        assert ours[f"{key}_low"] <= ours[key] + 1e-9 and ours[key] <= ours[f"{key}_high"] + 1e-9


def _mann_whitney_share(a: np.ndarray, b: np.ndarray) -> float:
    return stats.mannwhitneyu(a, b).statistic / (len(a) * len(b))  # U of a: pairs with a > b, ties counted half


@SETTINGS
@given(x=scores, y=scores, seed=st.integers(0, 2**16))
def test_probability_of_improvement_equals_mann_whitney_and_its_bootstrap(x, y, seed):
    x, y = np.asarray(x), np.asarray(y)
    ours = probability_of_improvement(x, y, REPS, np.random.default_rng(seed))
    assert ours["p"] == pytest.approx(_mann_whitney_share(x, y), abs=1e-12)
    if min(len(x), len(y)) < 3:
        assert ours["low"] is ours["high"] is None
        return
    draws = np.random.RandomState(_global_seed(seed))  # each resample: the runs of x, then those of y
    boot, boot_converse = [], []
    for _ in range(REPS):
        xi, yi = draws.randint(0, len(x), len(x)), draws.randint(0, len(y), len(y))
        boot.append(_mann_whitney_share(x[xi], y[yi]))
        boot_converse.append(_mann_whitney_share(y[yi], x[xi]))
    low, high = np.percentile(boot, [2.5, 97.5])
    assert (ours["low"], ours["high"]) == (pytest.approx(low, abs=1e-12), pytest.approx(high, abs=1e-12))
    assert 0.0 <= ours["low"] <= ours["p"] <= ours["high"] <= 1.0
    # the report's P(Y > X) (the mirror of P(X > Y)) is Y's own statistic over the same resamples
    expected = {"p": _mann_whitney_share(y, x), **dict(zip(("low", "high"), np.percentile(boot_converse, [2.5, 97.5])))}
    assert converse(ours) == {k: pytest.approx(v, abs=1e-12) for k, v in expected.items()}


@st.composite
def sweeps(draw):
    """Runs of 1-4 methods, 1-6 runs each, each logging at its own steps (its own start, stride and length)."""
    runs = []
    for m in range(draw(st.integers(1, 4))):
        for seed in range(draw(st.integers(1, 6))):
            start, stride = draw(st.integers(0, 50)), draw(st.integers(1, 40))
            length = draw(st.integers(2, 12))
            steps = start + stride * np.arange(length)
            values = np.asarray(draw(st.lists(st.floats(-50, 50), min_size=length, max_size=length)))
            runs.append(RunCurves(f"m{m}_seed_{seed}", f"m{m}", seed, {TAG: (steps, values)}))
    return runs


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(runs=sweeps(), points=st.integers(1, 9))
def test_tag_report_per_method_numbers_match_an_independent_computation(runs, points):
    rep = tag_report(runs, TAG, points, 50, np.random.default_rng(0))
    start = max(r.scalars[TAG][0][0] for r in runs)
    end = min(r.scalars[TAG][0][-1] for r in runs)
    grid = np.linspace(start, end, points) if end > start else np.array([end], float)
    np.testing.assert_allclose(rep["grid"], grid)
    methods = sorted({r.method for r in runs})
    assert list(rep["methods"]) == methods
    finals, overs = {}, {}
    for m in methods:
        mine = [r for r in runs if r.method == m]
        finals[m] = np.array([r.scalars[TAG][1][-1] for r in mine])
        curves = np.stack([np.interp(grid, *r.scalars[TAG]) for r in mine])
        overs[m] = curves.mean(axis=1)
        got = rep["methods"][m]
        assert got["runs"] == [r.name for r in mine]
        for when, values in (("final", finals[m]), ("over_training", overs[m])):
            s = got[when]
            assert s["runs"] == len(mine)
            assert s["mean"] == pytest.approx(values.mean(), rel=1e-9, abs=1e-9)
            assert s["iqm"] == pytest.approx(float(_iqm(values, None)), rel=1e-9, abs=1e-9)
            lo, hi = values.min() - 1e-9, values.max() + 1e-9
            if len(mine) < 3:  # too few runs: point estimates only
                assert s["mean_low"] is s["mean_high"] is s["iqm_low"] is s["iqm_high"] is None
            else:
                assert lo <= s["mean_low"] <= s["mean_high"] <= hi and lo <= s["iqm_low"] <= s["iqm_high"] <= hi
        np.testing.assert_allclose(got["curve"]["mean"], curves.mean(axis=0), rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(got["curve"]["iqm"], _iqm(curves, 0), rtol=1e-9, atol=1e-9)
        if len(mine) >= 3:  # the band: inside the runs' range at every point
            low, high = np.array(got["curve"]["iqm_low"]), np.array(got["curve"]["iqm_high"])
            assert (curves.min(axis=0) - 1e-9 <= low).all() and (low <= high).all()
            assert (high <= curves.max(axis=0) + 1e-9).all()
    assert len(rep["improvement"]) == 2 * len(methods) * (len(methods) - 1)
    for poi in rep["improvement"]:
        scores_by_method = finals if poi["when"] == "final" else overs
        x, y = scores_by_method[poi["x"]], scores_by_method[poi["y"]]
        assert poi["p"] == pytest.approx(stats.mannwhitneyu(x, y).statistic / (len(x) * len(y)), abs=1e-12)


def test_bootstrap_interval_of_one_run_is_that_run():
    low, high = bootstrap_interval(np.array([[4.0]]), lambda s: np.array([s.mean()]), 50, np.random.default_rng(0))
    assert (low.tolist(), high.tolist()) == ([4.0], [4.0])


def test_the_report_leaves_numpys_global_generator_as_it_was():
    np.random.seed(7)
    expected = np.random.random(3)
    np.random.seed(7)
    summarize(np.arange(5.0), 50, np.random.default_rng(0))
    assert np.random.random(3).tolist() == expected.tolist()
