"""`sf_curric.report` on held-out `eval/*` scalars as evaluation during training logs them (sparse, at each run's
own env steps, written after later training scalars, an evaluation point logged again by a resumed session),
checked against an independent numpy computation on synthetic event files written here."""

import csv
import json

import numpy as np
import pytest
from tensorboardX import SummaryWriter

from sf_curric.report import report

from .helpers import REPORT_EXTRA
from .test_report_numbers import _bootstrap, _iqm, _poi

pytestmark = REPORT_EXTRA

LEVEL = {"dr": 0.5, "plr": 0.6}
SEEDS = range(8)
EVERY = 2048


def _write(root):
    """Returns (method, seed) -> (eval steps, eval/test/return values that count: a resumed session's wins)."""
    truth = {}
    for method, level in LEVEL.items():
        for seed in SEEDS:
            rng = np.random.default_rng(10 * seed + len(method))
            # due at each multiple, run at the first iteration after it: a few steps later, different per run
            steps = np.arange(1, 5) * EVERY + 64 * (seed % 3)
            values = level * np.arange(1, 5) / 4 + rng.normal(0, 0.05, 4)
            success = np.clip(values + 0.1, 0, 1)
            event_dir = root / method / f"{method}_seed_{seed}" / "tensorboard"
            sessions = [range(0, 3), range(2, 4)] if seed % 2 else [range(0, 4)]  # odd seeds: resumed, point 2 again
            for n, indices in enumerate(sessions):
                writer = SummaryWriter(str(event_dir), filename_suffix=f".{n}")
                for i in indices:
                    again = n == 1 and i == 2
                    if again:
                        values[i] += 0.01  # the resumed session's evaluation of the same point
                    for t in range(4):  # the training return, logged before the evaluation of earlier steps returns
                        writer.add_scalar("charts/episodic_return", float(i + t), int(steps[i] + 256 * t))
                    writer.add_scalar("eval/test/return", float(values[i]), int(steps[i]))
                    writer.add_scalar("eval/test/terminated", float(success[i]), int(steps[i]))
                    writer.add_scalar("eval/test/episodes", 200.0, int(steps[i]))
                    writer.add_scalar("eval/test/return_std", 0.3, int(steps[i]))
                    writer.add_scalar("eval/gap", 0.1, int(steps[i]))
                writer.close()
            truth[(method, seed)] = (steps, values.copy())
    return truth


@pytest.fixture(scope="module")
def eval_sweep(tmp_path_factory):
    root = tmp_path_factory.mktemp("eval_sweep")
    truth = _write(root)
    return root, truth, {r["tag"]: r for r in report([str(root), "--reps=2000", "--points=7"])}


def test_eval_outcomes_are_reported_not_bookkeeping(eval_sweep):
    _, _, reports = eval_sweep
    assert set(reports) == {"charts/episodic_return", "eval/test/return", "eval/test/terminated", "eval/gap"}


def test_eval_return_statistics_equal_numpy(eval_sweep):
    root, truth, reports = eval_sweep
    rep = reports["eval/test/return"]
    grid = np.linspace(max(s[0][0] for s in truth.values()), min(s[0][-1] for s in truth.values()), 7)
    np.testing.assert_allclose(rep["grid"], grid)
    rng = np.random.default_rng(5)
    finals, overs = {}, {}
    for method in LEVEL:
        curves = np.stack([np.interp(grid, *truth[(method, s)]) for s in SEEDS])
        finals[method] = np.array([truth[(method, s)][1][-1] for s in SEEDS])
        overs[method] = curves.mean(axis=1)
        got = rep["methods"][method]
        assert got["final_steps"] == [int(truth[(method, s)][0][-1]) for s in SEEDS]
        for when, values in (("final", finals[method]), ("over_training", overs[method])):
            s = got[when]
            assert (s["runs"], s["mean"], s["iqm"]) == pytest.approx((8, values.mean(), _iqm(values)), rel=1e-6)
            spread = values.max() - values.min()
            for key, f in (("mean", np.mean), ("iqm", _iqm)):
                low, high = _bootstrap(values, f, rng)
                assert s[f"{key}_low"] == pytest.approx(low, abs=0.04 * spread)
                assert s[f"{key}_high"] == pytest.approx(high, abs=0.04 * spread)
        np.testing.assert_allclose(got["curve"]["iqm"], _iqm(curves.T), rtol=1e-6)
        np.testing.assert_allclose(got["curve"]["mean"], curves.mean(axis=0), rtol=1e-6)
        for i in range(len(grid)):  # the curve's band: the same bootstrap of the IQM at each grid point
            low, high = _bootstrap(curves[:, i], _iqm, rng)
            spread = np.ptp(curves[:, i])
            assert got["curve"]["iqm_low"][i] == pytest.approx(low, abs=0.04 * spread + 1e-9)
            assert got["curve"]["iqm_high"][i] == pytest.approx(high, abs=0.04 * spread + 1e-9)
    for poi in rep["improvement"]:
        scores = finals if poi["when"] == "final" else overs
        assert poi["p"] == pytest.approx(_poi(scores[poi["x"]], scores[poi["y"]]), abs=1e-9)


def test_eval_table_curves_and_plot(eval_sweep, capsys):
    root, _, reports = eval_sweep
    report([str(root), "--reps=200", "--points=7", "--tags", "eval/test/return", f"--out={root / 'again'}"])
    printed = capsys.readouterr().out
    assert "eval/test/return: mean and IQM over seeds" in printed and "P(plr > dr) final" in printed
    out = root / "report"
    with open(out / "curves.csv") as f:
        rows = [r for r in csv.DictReader(f) if r["tag"] == "eval/test/return"]
    assert len(rows) == 2 * 7
    plr = [r for r in rows if r["method"] == "plr"]
    band = reports["eval/test/return"]["methods"]["plr"]["curve"]
    assert [float(r["iqm_low"]) for r in plr] == pytest.approx(band["iqm_low"])
    assert [float(r["iqm_high"]) for r in plr] == pytest.approx(band["iqm_high"])
    assert any(r["tag"] == "eval/test/return" for r in json.loads((out / "report.json").read_text()))
    assert (out / "eval_test_return.png").stat().st_size > 5000
