"""`python -m sf_curric.train --env=cartpole_curriculum` trains with SimpleBoxCurriculum and the range grows."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sf_curric.utils.checkpoint import list_checkpoints, load_checkpoint
from tests.algo.runner_helpers import read_scalars

ROOT = Path(__file__).resolve().parents[2]


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
    # a lower bar than the default (returns above 150 three times in a row) so that a short run shows growth
    state, scalars = _train(
        tmp_path, "--train_for_env_steps=8192", "--simple_box_success_threshold=0.3",
        "--simple_box_required_successes=3",
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
