"""benchmarks/minigrid_curricula.py: the tiny setting as a real sweep (launcher child processes) with its table,
JSON and plots, a resumed invocation that trains nothing, and the statistics against scipy on made-up curves."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

ROOT = Path(__file__).resolve().parents[2]
pytest.importorskip("minigrid")


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("minigrid_curricula", ROOT / "benchmarks" / "minigrid_curricula.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_tiny_sweep_writes_tables_json_and_plots_then_resumes(bench, tmp_path, capsys):
    argv = [
        "--curriculum=tiny", f"--work_dir={tmp_path / 'tiny_sweep'}", f"--results_dir={tmp_path / 'results'}",
        "--methods", "mastering_rate", "direct", "--trainer_flags=--policy_initialization=xavier_uniform",
    ]  # fmt: skip
    result = bench.main(argv)
    target = "MiniGrid-UnlockPickup-v0"  # tiny: the first 2 envs of mr_blockedunlockpickup
    assert result["target"] == target and set(result["methods"]) == {"mastering_rate", "direct"}
    for method in ("mastering_rate", "direct"):
        run = result["methods"][method]["runs"][1]
        assert run["numbers"]["finished"] and run["env_steps"] >= 4096
    direct_curves = result["methods"]["direct"]["runs"][1]["curves"]
    assert list(direct_curves) == [target]  # direct training runs the target env only
    saved = json.loads((tmp_path / "results" / "tiny_sweep.json").read_text())  # named after --work_dir
    assert saved["env_ids"] == ["MiniGrid-Unlock-v0", target]
    for suffix in (".txt", "_target.png", "_tasks.png"):
        assert (tmp_path / "results" / f"tiny_sweep{suffix}").stat().st_size > 0
    cfg = json.loads((tmp_path / "tiny_sweep" / "direct" / "direct_seed_1" / "config.json").read_text())
    assert cfg["policy_initialization"] == "xavier_uniform"  # --trainer_flags come after the setting's flags
    capsys.readouterr()
    bench.main(argv)
    assert "0 of 2 runs to do" in capsys.readouterr().out


def test_frames_to_master_and_intervals_against_scipy(bench):
    steps = [10_000 * i for i in range(1, 11)]
    runs = {}
    for seed, reach in ((1, 3), (2, 5), (3, 6), (4, None)):  # seed 4 never reaches 0.5
        values = [0.9 if reach is not None and i >= reach else 0.1 * seed / 4 for i in range(10)]
        run = {"curves": {"T": {"steps": steps, "values": values}}, "env_steps": steps[-1]}
        run["numbers"] = bench.run_numbers(run, "T", budget=100_000)
        runs[seed] = run
    assert [runs[s]["numbers"]["frames_to_0.5"] for s in (1, 2, 3, 4)] == [40_000, 60_000, 70_000, None]
    st = bench.method_stats(runs)
    assert st["mastered_0.5"] == 3 and st["finished"] == 4
    frames = np.array([40_000, 60_000, 70_000], float)
    low, high = stats.t.interval(0.95, len(frames) - 1, loc=frames.mean(), scale=stats.sem(frames))
    assert st["frames_to_0.5"]["mean"] == pytest.approx(frames.mean())
    assert (st["frames_to_0.5"]["ci95_low"], st["frames_to_0.5"]["ci95_high"]) == pytest.approx((low, high))
    finals = np.array([0.9, 0.9, 0.9, 0.1])
    assert st["final_return"]["ci95_high"] == pytest.approx(
        stats.t.interval(0.95, 3, loc=finals.mean(), scale=stats.sem(finals))[1]
    )


def test_peer_runs_join_as_one_more_method(bench, tmp_path):
    # a run as benchmarks/automatic_curriculum_peer.py writes it: each env's recent mean return every log row
    target = "MiniGrid-UnlockPickup-v0"
    rows = [
        {"frames": 20480 * i, "target_return": 0.0, "returns": {"MiniGrid-Unlock-v0": 0.9, target: 0.1 * i}}
        for i in range(1, 11)
    ]
    path = tmp_path / "peer_s7.json"
    path.write_text(json.dumps({"args": {"seed": 7}, "rows": rows}))
    setting = bench._SWEEP.SETTINGS["tiny"]
    result = bench.collect(setting, tmp_path / "no_runs", ["mastering_rate"], [path])
    peer = result["methods"][bench.PEER_METHOD]
    assert list(peer["runs"]) == [7] and peer["runs"][7]["env_steps"] == 204800
    assert peer["runs"][7]["numbers"]["frames_to_0.5"] == 5 * 20480  # first row at or above 0.5: 0.1 * 5
    assert peer["runs"][7]["numbers"]["final_return"] == pytest.approx(1.0)
    assert peer["stats"]["mastered_0.8"] == 1 and result["methods"]["mastering_rate"]["stats"] is None
    path.write_text(json.dumps({"args": {"seed": 7}, "env_ids": ["MiniGrid-Unlock-v0"], "rows": rows}))
    with pytest.raises(SystemExit, match="not this setting's"):  # a run of another curriculum
        bench.collect(setting, tmp_path / "no_runs", ["mastering_rate"], [path])
