"""Statistics against textbook values and numpy/scipy; JSON and CSV files parse with standard readers."""

import csv
import json
import math

import numpy as np
import pytest

from sf_curric.evaluation.stats import summarize, t_cdf, t_quantile, welch_gap
from sf_curric.evaluation.writers import write_csv, write_json

# two-sided 95 % critical values of Student's t, from printed tables
T_TABLE = {1: 12.706, 2: 4.303, 3: 3.182, 5: 2.571, 10: 2.228, 20: 2.086, 30: 2.042, 60: 2.000, 120: 1.980}


@pytest.mark.parametrize("df,value", sorted(T_TABLE.items()))
def test_t_quantile_matches_the_table(df, value):
    assert t_quantile(0.975, df) == pytest.approx(value, abs=6e-4)


def test_t_against_scipy():
    stats = pytest.importorskip("scipy.stats")
    for df in (1, 1.5, 2.7, 4, 9, 33.3, 250, 5000):
        for p in (0.5, 0.8, 0.95, 0.975, 0.999):
            assert t_quantile(p, df) == pytest.approx(stats.t.ppf(p, df), rel=1e-9, abs=1e-9)
        for t in (-3.0, -0.2, 0.0, 1.1, 7.0):
            assert t_cdf(t, df) == pytest.approx(stats.t.cdf(t, df), rel=1e-9, abs=1e-12)


def test_summarize_against_numpy():
    values = np.random.default_rng(0).normal(3.0, 2.0, size=17)
    s = summarize(values.tolist())
    half = t_quantile(0.975, 16) * values.std(ddof=1) / math.sqrt(17)
    assert (s.n, s.mean, s.std) == (17, pytest.approx(values.mean()), pytest.approx(values.std(ddof=1)))
    assert (s.ci95_low, s.ci95_high) == (pytest.approx(values.mean() - half), pytest.approx(values.mean() + half))
    one = summarize([4.0])
    assert one.mean == 4.0 and math.isnan(one.std) and math.isnan(one.ci95_low)
    assert summarize([]).n == 0


def test_welch_gap_against_a_separate_formula():
    rng = np.random.default_rng(1)
    a, b = rng.normal(5, 1, 12), rng.normal(3, 3, 30)
    va, vb = a.var(ddof=1) / 12, b.var(ddof=1) / 30
    df = (va + vb) ** 2 / (va**2 / 11 + vb**2 / 29)
    half = t_quantile(0.975, df) * math.sqrt(va + vb)
    gap = welch_gap(a, b)
    assert gap.value == pytest.approx(a.mean() - b.mean())
    assert gap.df == pytest.approx(df)
    assert (gap.ci95_low, gap.ci95_high) == (pytest.approx(gap.value - half), pytest.approx(gap.value + half))
    scipy_stats = pytest.importorskip("scipy.stats")
    ci = scipy_stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    assert (gap.ci95_low, gap.ci95_high) == (pytest.approx(ci.low), pytest.approx(ci.high))


def test_json_and_csv_have_no_nan_tokens(tmp_path):
    data = {"mean": float("nan"), "n": np.int64(3), "values": np.array([1.5, 2.5]), "ok": np.bool_(True)}
    write_json(tmp_path / "a.json", data)
    text = (tmp_path / "a.json").read_text()
    assert "NaN" not in text
    assert json.loads(text) == {"mean": None, "n": 3, "values": [1.5, 2.5], "ok": True}

    rows = [{"group": "train", "mean": 1.25, "std": float("nan")}, {"group": "test", "mean": -2.0}]
    write_csv(tmp_path / "a.csv", rows, ["group", "mean", "std"])
    with open(tmp_path / "a.csv") as f:
        read = list(csv.DictReader(f))
    assert read == [{"group": "train", "mean": "1.25", "std": ""}, {"group": "test", "mean": "-2.0", "std": ""}]
    assert not list(tmp_path.glob(".*.tmp"))
