"""The eval curve's band: a percentile-bootstrap interval of each group's mean return, inside the returns' range
(the normal approximation drew CartPole's band above the maximum return of 500); written as PNG and PDF."""

from types import SimpleNamespace

import numpy as np
import pytest

from sf_curric.tracking.curve import plot_eval_curve
from sf_curric.tracking.eval_process import BOOTSTRAP_REPS, return_intervals


def _records(group_returns):
    return [SimpleNamespace(job=SimpleNamespace(group=g), episode_return=r) for g, rs in group_returns.items()
            for r in rs]  # fmt: skip


def test_intervals_are_the_bootstrap_of_the_mean_and_stay_in_range():
    returns = {"train": [500.0] * 18 + [120.0, 300.0], "test": [9.0, 11.0, 500.0], "one": [42.0]}
    got = return_intervals(_records(returns), seed=7)
    assert set(got) == {"train", "test"}  # one episode: no interval
    for group, (low, high) in got.items():
        values = np.array(returns[group])
        assert values.min() <= low <= values.mean() <= high <= values.max()
        # an independent percentile bootstrap of the mean
        samples = values[np.random.default_rng(1).integers(0, len(values), (20000, len(values)))].mean(axis=1)
        expected = np.percentile(samples, [2.5, 97.5])
        assert (low, high) == pytest.approx(tuple(expected), abs=0.05 * np.ptp(values))
    normal_high = np.mean(returns["train"]) + 1.96 * np.std(returns["train"], ddof=1) / np.sqrt(20)
    assert got["train"][1] <= 500.0 < normal_high  # what the old band did wrong
    assert BOOTSTRAP_REPS >= 1000


def test_curve_is_written_as_png_and_pdf(tmp_path):
    history = [
        {"env_steps": 1000 * i, "scalars": {"eval/test/return": 400.0 + 20 * i, "eval/test/episodes": 20.0},
         "intervals": {"test": [380.0 + 20 * i, 420.0 + 20 * i]}}
        for i in range(1, 5)
    ]  # fmt: skip
    history.append({"env_steps": 5000, "scalars": {"eval/test/return": 500.0}})  # an old line: no interval
    png = plot_eval_curve(history, tmp_path / "eval_curve.png", "demo: evaluation during training")
    assert png.stat().st_size > 5000 and png.with_suffix(".pdf").stat().st_size > 3000
    assert not list(tmp_path.glob(".*tmp*"))
