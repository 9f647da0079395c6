"""The report for a paper: readable labels and titles, legends from the experiments' names, bands inside the
metric's range, PNG and PDF; and with fewer than 3 seeds a warning instead of intervals that say nothing."""

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from tensorboardX import SummaryWriter

from sf_curric.report import report
from sf_curric.sweeps.plots import metric_label, plot_curves

from .helpers import needs_report_extra


def _write_run(root: Path, experiment: str, params: dict, seed: int, values: np.ndarray, tag: str) -> None:
    method = experiment + "".join(f"_lr_{v}" for v in params.values())
    exp_dir = root / experiment / f"{method}_seed_{seed}"
    info = {"name": exp_dir.name, "experiment": experiment, "method": method, "seed": seed,
            "params": {**params, "seed": seed}, "argv": []}  # fmt: skip
    exp_dir.mkdir(parents=True)
    (exp_dir / "sweep_run.json").write_text(json.dumps(info))
    writer = SummaryWriter(str(exp_dir / "tensorboard"))
    for i, value in enumerate(values):
        writer.add_scalar(tag, float(value), (i + 1) * 1000)
    writer.close()


@pytest.fixture(scope="module")
def two_seed_sweep(tmp_path_factory):
    root = tmp_path_factory.mktemp("lr_sweep")
    for lr, level in ((0.001, 100.0), (0.01, 200.0)):
        for seed in (1, 2):
            _write_run(root, "lr", {"learning_rate": lr}, seed, level * np.arange(1, 11) / 10 + seed,
                       "charts/episodic_return")  # fmt: skip
    return root


@needs_report_extra
def test_fewer_than_three_seeds_warn_and_give_no_interval(two_seed_sweep, capsys):
    [rep] = report([str(two_seed_sweep), "--reps=200", "--points=5"])
    printed = capsys.readouterr().out
    assert printed.count("fewer than 3 seeds") == 2  # once per method, before the tables
    assert printed.index("warning: lr_lr_0.001: 2 run(s)") < printed.index("charts/episodic_return: mean")
    final = rep["methods"]["lr_lr_0.01"]["final"]
    assert final["runs"] == 2 and final["mean"] == pytest.approx(201.5)  # the point estimates stay
    assert final["mean_low"] is None and final["iqm_high"] is None
    poi = next(p for p in rep["improvement"] if p["x"] == "lr_lr_0.01" and p["when"] == "final")
    assert poi["p"] == 1.0 and poi["low"] is None and poi["high"] is None
    assert "P(lr_lr_0.01 > lr_lr_0.001) final: 1.000 [no interval: < 3 runs]" in printed
    out = two_seed_sweep / "report"
    assert json.loads((out / "report.json").read_text())[0]["warnings"] == rep["warnings"]
    with open(out / "summary.csv") as f:
        row = next(csv.DictReader(f))
    assert row["mean_low"] == "" and row["mean"] != ""
    for suffix in (".png", ".pdf"):
        assert (out / f"charts_episodic_return{suffix}").stat().st_size > 5000


@needs_report_extra
def test_figure_names_what_it_shows(two_seed_sweep, monkeypatch):
    import matplotlib.pyplot as plt

    figures = []
    monkeypatch.setattr(plt, "close", figures.append)  # keep the figure to read it back
    report([str(two_seed_sweep), "--reps=200", "--points=5", f"--out={two_seed_sweep / 'again'}"])
    ax = figures[-1].axes[0]
    assert ax.get_ylabel() == "training return\n(IQM over runs, 95% bootstrap CI)"
    assert ax.get_title() == "lr_sweep0: training return"  # the sweep folder's name, then the metric
    assert ax.get_xlabel() == "env steps"
    legend = sorted(t.get_text() for t in ax.get_legend().get_texts())
    assert legend == ["lr (learning_rate=0.001) (n=2, no interval)", "lr (learning_rate=0.01) (n=2, no interval)"]
    plt.close("all")


@needs_report_extra
def test_bands_stay_inside_the_metric_range(tmp_path, monkeypatch):
    """Success rates in [0, 1], most runs at 1.0: a percentile-bootstrap band never leaves [min, max] of the runs."""
    rng = np.random.default_rng(0)
    for seed in range(6):
        _write_run(tmp_path, "plr", {}, seed, np.minimum(1.0, rng.uniform(0.7, 1.6, 8)), "eval/test/success")
    [rep] = report([str(tmp_path), "--reps=500", "--points=8"])
    curve = rep["methods"]["plr"]["curve"]
    assert all(0.0 <= low <= iqm <= high <= 1.0 for low, iqm, high in zip(curve["iqm_low"], curve["iqm"],
                                                                          curve["iqm_high"]))  # fmt: skip
    assert max(curve["iqm_high"]) == 1.0  # reaches the bound, does not pass it


def test_metric_labels():
    assert metric_label("eval/test/return") == "return on held-out tasks"
    assert metric_label("eval/hand_designed/success") == "success rate on hand designed tasks"
    assert metric_label("eval/gap").startswith("generalization gap")
    assert metric_label("custom/my_stat") == "custom/my_stat"


def test_plot_without_bands_is_a_line(tmp_path):
    curves = {"dr": {"steps": [1, 2], "iqm": [0.1, 0.2], "iqm_low": [None, None], "iqm_high": [None, None],
                     "runs": 1, "label": "dr"}}  # fmt: skip
    png, pdf = plot_curves(curves, "eval/test/return", tmp_path / "x.png")
    assert png.stat().st_size > 3000 and pdf.suffix == ".pdf" and pdf.stat().st_size > 3000
