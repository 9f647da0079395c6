"""`python -m sf_curric.train --env=cartpole_curriculum` trains with SimpleBoxCurriculum and the range grows."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sf_curric.utils.checkpoint import list_checkpoints, load_checkpoint
from tests.algo.runner_helpers import read_scalars

ROOT = Path(__file__).resolve().parents[2]
# mean return on the hardest tasks (ranges reaching +-0.18..0.2), measured on the 2-core machine under load:
# 20k steps serial, seeds 1/2/3: 323 / 500 / 152 (a random policy: ~20); the former README demo (300k steps, parallel):
# 442 without a seed, 500 with --seed=1. The bars sit below every measurement and far above a policy that learned
# nothing.
HARDEST_SHORT = 100.0
HARDEST_DEMO = 300.0


def _train(tmp_path, *extra, timeout=240):
    cmd = [
        sys.executable, "-m", "sf_curric.train", "--env=cartpole_curriculum", f"--train_dir={tmp_path}",
        "--experiment=cp", "--seed=1", "--serial_mode=True", "--experiment_summaries_interval=1", *extra,
    ]  # fmt: skip
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-3000:]
    state = load_checkpoint(list_checkpoints(tmp_path / "cp" / "checkpoint_p0")[-1])
    return state, read_scalars(tmp_path / "cp")


def test_cartpole_curriculum_range_grows_in_a_short_run(tmp_path):
    # a lower bar than the default (returns above 100 three times in a row) so that a short run shows growth
    state, scalars = _train(
        tmp_path, "--train_for_env_steps=8192", "--simple_box_success_threshold=0.2",
        "--simple_box_required_successes=3", "--final_eval_episodes=0",
    )  # fmt: skip
    curriculum = state["curriculum"]["curriculum"]
    assert curriculum["class"] == "SimpleBoxCurriculum"
    low, high = curriculum["state"]["max_range"]
    assert high > 0.04 + 1e-9 and low < -0.04 - 1e-9, (low, high)
    highs = [value for _, value in scalars["curriculum/range_high"]]
    assert highs[0] == pytest.approx(0.04) and highs[-1] == pytest.approx(high, rel=1e-5)
    assert np.all(np.diff(highs) >= -1e-9)
    assert state["cfg"]["curriculum"] is None and state["cfg"]["env"] == "cartpole_curriculum"


@pytest.mark.slow
def test_cartpole_curriculum_default_settings_grow_the_range(tmp_path, request):
    if "slow" not in (request.config.getoption("markexpr") or ""):
        pytest.skip("a long learning run: opt in with -m slow")
    state, _ = _train(tmp_path, "--train_for_env_steps=100000", timeout=900)
    low, high = state["curriculum"]["curriculum"]["state"]["max_range"]
    assert high > 0.04 + 1e-9


def _final_table(tmp_path, *extra, timeout=300):
    """Train the demo env, return (log text, final_eval.json)."""
    import json

    cmd = [
        sys.executable, "-m", "sf_curric.train", "--env=cartpole_curriculum", f"--train_dir={tmp_path}",
        "--experiment=demo", "--seed=1", *extra,
    ]  # fmt: skip
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout + proc.stderr, json.loads((tmp_path / "demo" / "final_eval.json").read_text())


def _check_table(log, data, hardest_at_least):
    groups = data["groups"]
    assert list(groups) == ["easiest", "hardest", "whole space"]
    assert all(g["n"] == 50 for g in groups.values())
    assert "evaluation of the final policy, 50 episodes per group" in log
    for name, g in groups.items():  # the printed table holds the numbers of the JSON
        assert any(line.startswith(name) and f"{g['mean']:.2f}" in line for line in log.splitlines()), name
    assert "curriculum: SimpleBoxCurriculum range [-0.040, 0.040]" in log  # the progress lines show the range
    assert groups["hardest"]["mean"] >= hardest_at_least, groups


def test_demo_ends_with_an_evaluation_table_short_run(tmp_path):
    # 20k steps in serial mode (~20 s on an idle machine)
    log, data = _final_table(tmp_path, "--serial_mode=True", "--train_for_env_steps=20000")
    _check_table(log, data, hardest_at_least=HARDEST_SHORT)


@pytest.mark.slow
def test_cartpole_example_300k_ends_with_an_evaluation_table(tmp_path, request):
    if "slow" not in (request.config.getoption("markexpr") or ""):
        pytest.skip("the former README demo (docs/examples.md), ~3 minutes: opt in with -m slow")
    log, data = _final_table(tmp_path, "--train_for_env_steps=300000", timeout=900)
    _check_table(log, data, hardest_at_least=HARDEST_DEMO)
    assert "range [-0.200, 0.200]" in log  # the curriculum reached the whole task space
