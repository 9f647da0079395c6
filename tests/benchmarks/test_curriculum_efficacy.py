"""The curriculum efficacy benchmark, tiny scale: a real sweep (launcher child processes) whose runs evaluate during
training, then the table, the JSON, the plots, the numbers recomputed from the eval episodes, and a resumed
invocation that trains nothing. The benchmark runs `sf_curric.report`, the `report` extra: those tests run in
CI's second step."""

from __future__ import annotations

import csv
import importlib.util
import json
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from scipy import stats

from tests.sweeps.helpers import needs_report_extra

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("curriculum_efficacy", ROOT / "benchmarks" / "curriculum_efficacy.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file executes
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def dry_run(bench, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("efficacy")
    work, results = tmp / "work", tmp / "results"
    data = bench.main(["--dry_run", f"--work_dir={work}", f"--results_dir={results}"])
    return data, work, results


def _episode_returns(eval_dir: Path, group: str) -> list[float]:
    with open(eval_dir / "eval_episodes.csv") as f:
        return [float(row["episode_return"]) for row in csv.DictReader(f) if row["group"] == group]


def _t_interval(values: list[float]) -> tuple[float, float, float]:
    values = np.asarray(values, float)
    mean = values.mean()
    half = stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
    return mean, mean - half, mean + half


@needs_report_extra  # the benchmark ends with sf_curric.report
def test_json_table_and_plots(bench, dry_run):
    data, _, results = dry_run
    scale = bench.SCALES["tiny"]
    assert data["complete"] and data["missing_runs"] == []
    saved = json.loads((results / "curriculum_efficacy_tiny.json").read_text())
    assert saved["scale"] == "tiny" and saved["setting"]["num_levels"] == scale.num_levels
    assert set(saved["summary"]) == {"dr", "plr"}
    for method in ("dr", "plr"):
        assert [c["target_steps"] for c in saved["curves"][method]] == list(scale.eval_points)
        for seed in scale.seeds:
            points = saved["runs"][method][str(seed)]
            assert [p["target_steps"] for p in points] == list(scale.eval_points)
            assert all(p["env_steps"] >= p["target_steps"] for p in points)
            assert all(p["train_n"] == scale.num_levels and p["test_n"] == 8 for p in points)
    parts = saved["table"].split("\n\n")
    curve_table, final_table, mix_table = parts[0], parts[1], parts[-1]
    held_out, hand = parts[2], parts[3]  # per-method final return and minus DR, random and hand-designed levels
    assert held_out.startswith("held-out random levels") and hand.startswith("hand-designed mazes")
    for table, group in ((held_out, "test"), (hand, "hand")):
        row = table.splitlines()[3].split()  # plr
        assert row[0] == "plr" and float(row[2]) == pytest.approx(saved["summary"]["plr"][group]["mean"], abs=1e-3)
        assert float(row[5]) == pytest.approx(saved["minus_dr"]["plr"][group]["value"], abs=1e-3)
    assert all(p["hand_n"] == 6 for pts in saved["runs"]["dr"].values() for p in pts)  # the 6 hand-drawn mazes
    mix = saved["level_mix"]
    assert mix["runs"] == len(scale.seeds) and "level type" in mix_table
    for shares in (mix["uniform"], mix["plr_mean"]):  # every draw goes to some level type
        assert sum(shares.values()) == pytest.approx(1.0)
    lines = final_table.splitlines()
    assert lines[2].startswith("dr ") and lines[3].startswith("plr ") and "PLR - DR" in lines[4]
    rows = curve_table.splitlines()[2:]
    assert len(rows) == len(scale.eval_points)
    for row, dr, plr in zip(rows, saved["curves"]["dr"], saved["curves"]["plr"]):
        cells = row.split()
        assert cells[0] == f"{dr['target_steps']:,}"
        assert float(cells[1]) == pytest.approx(dr["test"]["mean"], abs=1e-3)
        assert float(cells[4]) == pytest.approx(plr["test"]["mean"], abs=1e-3)
    for group in ("test", "train", "hand"):
        img = cv2.imread(str(results / f"curriculum_efficacy_tiny_{group}.png"))
        assert img is not None and img.shape == (500, 800, 3)
        assert (img != 255).any(axis=2).mean() > 0.01  # something is drawn


@needs_report_extra  # the benchmark ends with sf_curric.report
def test_numbers_come_from_the_eval_episodes(bench, dry_run):
    data, work, _ = dry_run
    scale = bench.SCALES["tiny"]
    final = scale.eval_points[-1]
    finals = {}
    for method in ("dr", "plr"):
        per_seed = {"train": [], "test": []}
        for seed in scale.seeds:
            eval_dir = bench.eval_dirs(work, method, seed, scale)[final]  # the evaluation during training
            for group in ("train", "test"):
                returns = _episode_returns(eval_dir, group)
                assert len(returns) == 8
                per_seed[group].append(float(np.mean(returns)))
            point = data["runs"][method][str(seed)][-1]
            assert point["test_mean"] == pytest.approx(per_seed["test"][-1], abs=1e-12)
            assert point["train_mean"] == pytest.approx(per_seed["train"][-1], abs=1e-12)
        for group in ("train", "test"):
            mean, low, high = _t_interval(per_seed[group])
            s = data["summary"][method][group]
            assert s["n"] == len(scale.seeds)
            assert (s["mean"], s["ci95_low"], s["ci95_high"]) == pytest.approx((mean, low, high), abs=1e-9)
        finals[method] = per_seed["test"]
    diff = data["plr_minus_dr_test"]
    assert diff["value"] == pytest.approx(np.mean(finals["plr"]) - np.mean(finals["dr"]), abs=1e-12)
    welch = stats.ttest_ind(finals["plr"], finals["dr"], equal_var=False).confidence_interval(0.95)
    if np.isfinite(diff["ci95_low"]):
        assert (diff["ci95_low"], diff["ci95_high"]) == pytest.approx((welch.low, welch.high), abs=1e-6)


@needs_report_extra  # the benchmark ends with sf_curric.report
def test_second_invocation_resumes_without_training(bench, dry_run, capsys):
    data, work, results = dry_run
    again = bench.main(["--dry_run", f"--work_dir={work}", f"--results_dir={results}"])
    assert "0 of 4 runs to do" in capsys.readouterr().out
    assert again["summary"] == data["summary"] and again["runs"] == data["runs"]


def test_step_factor_scales_a_methods_budget_and_maps_its_evaluations_back(bench, tmp_path):
    """`--step_factor accel=2.5`: ACCEL trains 2.5x the env steps, is evaluated every 2.5x eval_every, and its k-th
    evaluation is reported at the k-th point (equal trained-on steps); other methods are unchanged."""
    parser = bench.build_parser()
    args = parser.parse_args(
        ["--scale=small", "--methods", "dr", "plr", "accel", "--step_factor", "accel=2.5", "--accel_args=--x=1"]
    )
    _, scale = bench.scale_from_args(parser, args)
    assert scale.eval_every_of("dr") == 20_000 and scale.steps_of("dr") == 60_000
    assert scale.eval_every_of("accel") == 50_000 and scale.steps_of("accel") == 150_000
    sweep = bench._SWEEP.efficacy_sweep(scale, "x")
    commands = {e.name: e.cmd for e in sweep.experiments}
    assert "--train_for_env_steps=150000 --eval_every_env_steps=50000" in commands["accel"]
    assert "--train_for_env_steps=60000 --eval_every_env_steps=20000" in commands["dr"]
    assert commands["accel"].endswith("--curriculum=accel --x=1") and "--x=1" not in commands["dr"]
    for folder in ("000000050176", "000000100352", "000000150016"):  # evaluations at the first iteration past each
        (bench.run_dir(tmp_path, "accel", 10) / "eval_in_training" / folder).mkdir(parents=True)
        (bench.run_dir(tmp_path, "accel", 10) / "eval_in_training" / folder / "eval.json").write_text("{}")
    assert sorted(bench.eval_dirs(tmp_path, "accel", 10, scale)) == [20_000, 40_000, 60_000]
    for bad in (["--step_factor", "accel=0.5"], ["--step_factor", "ppo=2"], ["--step_factor", "accel"]):
        with pytest.raises(SystemExit):
            bench.scale_from_args(parser, parser.parse_args(["--scale=small", "--methods", "dr", "plr", "accel", *bad]))
