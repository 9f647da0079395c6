"""Sweep expansion: names, command lines, seeds, folders."""

import sys

import pytest

from sf_curric.cfg.validation import ConfigError
from sf_curric.launch import load_run_description
from sf_curric.sweeps import Experiment, ParamGrid, ParamList, RunDescription


def test_grid_times_seeds(tmp_path):
    desc = RunDescription(
        "sw",
        [
            Experiment(
                "cp", "python -m sf_curric.train --env=CartPole-v1", ParamGrid([("learning_rate", [1e-3, 3e-4])])
            ),
            Experiment("plain", "python -m sf_curric.train --env=CartPole-v1"),
        ],
        seeds=[1, 2],
    )
    runs = desc.generate_runs(tmp_path, python=sys.executable, threads=3)
    assert [r.name for r in runs] == [
        "cp_lr_0.001_seed_1",
        "cp_lr_0.001_seed_2",
        "cp_lr_0.0003_seed_1",
        "cp_lr_0.0003_seed_2",
        "plain_seed_1",
        "plain_seed_2",
    ]
    assert [r.method for r in runs] == ["cp_lr_0.001"] * 2 + ["cp_lr_0.0003"] * 2 + ["plain"] * 2
    first = runs[0]
    assert first.argv[0] == sys.executable
    assert "--learning_rate=0.001" in first.argv and "--seed=1" in first.argv and "--num_torch_threads=3" in first.argv
    assert f"--train_dir={tmp_path / 'sw' / 'cp'}" in first.argv and "--experiment=cp_lr_0.001_seed_1" in first.argv
    assert first.exp_dir == tmp_path / "sw" / "cp" / "cp_lr_0.001_seed_1"


def test_seed_in_the_grid_and_explicit_threads(tmp_path):
    desc = RunDescription(
        "sw", [Experiment("e", "python x.py --num_torch_threads=2", ParamList([{"seed": 5, "a_b": "x y"}]))]
    )
    (run,) = desc.generate_runs(tmp_path, threads=4)
    assert run.name == "e_ab_x-y_seed_5" and run.seed == 5 and run.method == "e_ab_x-y"
    assert "--num_torch_threads=4" not in run.argv and "--a_b=x y" in run.argv


def test_duplicate_names_and_bad_files(tmp_path):
    desc = RunDescription("sw", [Experiment("e", "python x.py"), Experiment("e", "python y.py")], seeds=[0])
    with pytest.raises(ValueError, match="both named"):
        desc.generate_runs(tmp_path)
    bad = tmp_path / "bad.py"
    bad.write_text("X = 1\n")
    with pytest.raises(ConfigError, match="RUN_DESCRIPTION"):
        load_run_description(str(bad))
    with pytest.raises(ConfigError, match="no such file"):
        load_run_description(str(tmp_path / "missing.py"))
