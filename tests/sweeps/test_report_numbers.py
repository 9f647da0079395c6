"""`sf_curric.report` against an independent numpy computation, on synthetic event files written here."""

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from tensorboardX import SummaryWriter

from sf_curric.report import report

from .helpers import REPORT_EXTRA

pytestmark = REPORT_EXTRA

METHODS = {"dr": 10.0, "plr": 12.0}  # base level of each method's synthetic curves
SEEDS = range(8)


def _curve(method: str, seed: int, steps: np.ndarray) -> np.ndarray:
    rng = np.random.default_rng(100 * seed + len(method))
    return METHODS[method] * steps / steps[-1] + rng.normal(0, 2.0, len(steps))


def _write_sweep(root: Path) -> dict:
    """Runs named like the launcher's (`<method>_seed_<n>`), some split over two event files (a resumed run), with
    different logging steps per run; returns the values written."""
    truth = {}
    for method in METHODS:
        for seed in SEEDS:
            steps = np.arange(1, 21) * (1000 + 37 * seed)
            train, test = _curve(method, seed, steps), _curve(method, seed + 50, steps) - 1.0
            truth[(method, seed)] = (steps, train, test)
            event_dir = root / method / f"{method}_seed_{seed}" / "tensorboard"
            halves = [(0, 10), (10, 20)] if seed % 2 else [(0, 20)]
            for n, (a, b) in enumerate(halves):
                writer = SummaryWriter(str(event_dir), filename_suffix=f".{n}")
                for i in range(a, b):
                    writer.add_scalar("charts/episodic_return", train[i], int(steps[i]))
                    writer.add_scalar("eval/test/episodic_return", test[i], int(steps[i]))
                    writer.add_scalar("losses/value_loss", 0.0, int(steps[i]))
                writer.close()
    return truth


def _iqm(x: np.ndarray, axis=None):
    x = np.sort(x, axis=-1)
    n = x.shape[-1]
    return x[..., n // 4 : n - n // 4].mean(axis=-1)  # n = 8: the middle 4 runs


def _bootstrap(x: np.ndarray, f, rng, reps=20000) -> tuple[float, float]:
    samples = x[rng.integers(0, len(x), (reps, len(x)))]
    return tuple(np.percentile(f(samples, axis=-1), [2.5, 97.5]))


def _poi(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    # x: (..., n), y: (..., m): share of pairs with x > y, ties half
    gt = x[..., :, None] > y[..., None, :]
    eq = x[..., :, None] == y[..., None, :]
    return (gt + 0.5 * eq).mean(axis=(-2, -1))


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    root = tmp_path_factory.mktemp("sweep")
    truth = _write_sweep(root)
    reports = report([str(root), "--reps=2000", "--points=11"])
    return root, truth, {r["tag"]: r for r in reports}


@pytest.mark.parametrize("tag,index", [("charts/episodic_return", 1), ("eval/test/episodic_return", 2)])
def test_final_and_over_training_statistics(sweep, tag, index):
    root, truth, reports = sweep
    rep = reports[tag]
    assert set(reports) == {"charts/episodic_return", "eval/test/episodic_return"}  # no losses: not asked for
    start = max(truth[k][0][0] for k in truth)
    end = min(truth[k][0][-1] for k in truth)
    grid = np.linspace(start, end, 11)
    np.testing.assert_allclose(rep["grid"], grid)
    rng = np.random.default_rng(1)
    finals, overs = {}, {}
    for method in METHODS:
        finals[method] = np.array([truth[(method, s)][index][-1] for s in SEEDS])
        curves = np.stack([np.interp(grid, truth[(method, s)][0], truth[(method, s)][index]) for s in SEEDS])
        overs[method] = curves.mean(axis=1)
        got = rep["methods"][method]
        for when, values in (("final", finals[method]), ("over_training", overs[method])):
            s = got[when]
            assert s["runs"] == 8
            assert s["mean"] == pytest.approx(values.mean(), rel=1e-6)
            assert s["iqm"] == pytest.approx(_iqm(values), rel=1e-6)
            # bootstrap intervals: the same percentile method, other random draws: equal up to Monte-Carlo error
            spread = values.max() - values.min()
            for key, f in (("mean", np.mean), ("iqm", _iqm)):
                low, high = _bootstrap(values, f, rng)
                assert s[f"{key}_low"] == pytest.approx(low, abs=0.04 * spread)
                assert s[f"{key}_high"] == pytest.approx(high, abs=0.04 * spread)
                assert s[f"{key}_low"] <= s[key] <= s[f"{key}_high"]
        for i in range(len(grid)):
            assert got["curve"]["iqm"][i] == pytest.approx(_iqm(curves[:, i]), rel=1e-6)
            assert got["curve"]["mean"][i] == pytest.approx(curves[:, i].mean(), rel=1e-6)
    for poi in rep["improvement"]:
        scores = finals if poi["when"] == "final" else overs
        x, y = scores[poi["x"]], scores[poi["y"]]
        assert poi["p"] == pytest.approx(_poi(x, y), abs=1e-9)
        boot = _poi(x[rng.integers(0, 8, (20000, 8))], y[rng.integers(0, 8, (20000, 8))])
        low, high = np.percentile(boot, [2.5, 97.5])
        assert poi["low"] == pytest.approx(low, abs=0.04) and poi["high"] == pytest.approx(high, abs=0.04)
    pairs = {(p["x"], p["y"], p["when"]) for p in rep["improvement"]}
    assert pairs == {(a, b, w) for a in METHODS for b in METHODS if a != b for w in ("final", "over_training")}


def test_files_written(sweep):
    root, _, reports = sweep
    out = root / "report"
    assert json.loads((out / "report.json").read_text())[0]["tag"] == "charts/episodic_return"
    with open(out / "summary.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 2 * 2 * 2  # tags x methods x (final, over_training)
    row = next(r for r in rows if r["method"] == "plr" and r["when"] == "final" and r["tag"].startswith("charts"))
    assert float(row["iqm"]) == pytest.approx(reports["charts/episodic_return"]["methods"]["plr"]["final"]["iqm"])
    with open(out / "curves.csv") as f:
        assert len(list(csv.DictReader(f))) == 2 * 2 * 11
    for png in ("charts_episodic_return.png", "eval_test_episodic_return.png"):
        assert (out / png).stat().st_size > 5000


def test_bad_input_is_one_line(tmp_path, capsys):
    with pytest.raises(SystemExit):
        report([str(tmp_path)])
    assert "no tensorboard event files" in capsys.readouterr().err
