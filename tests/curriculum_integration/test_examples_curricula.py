"""The custom-env example trains with PLR: its scores, tensorboard tags and checkpointed state (a brief run in a
subprocess, as a user would start it; tests/examples runs every example, the CartPole one included)."""

import os
import subprocess
import sys
from pathlib import Path

from sf_curric.utils.checkpoint import list_checkpoints, load_checkpoint
from tests.algo.runner_helpers import read_scalars

ROOT = Path(__file__).resolve().parents[2]


def _run(name, tmp_path, *extra):
    args = [
        f"--train_dir={tmp_path}", "--experiment=ex", "--serial_mode=True", "--num_workers=1",
        "--num_envs_per_worker=4", "--rollout=16", "--batch_size=64", "--num_epochs=1", "--seed=0", *extra,
    ]  # fmt: skip
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run(
        [sys.executable, str(ROOT / "sf_curric_examples" / name), *args],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    state = load_checkpoint(list_checkpoints(tmp_path / "ex" / "checkpoint_p0")[-1])
    return state, read_scalars(tmp_path / "ex")


def test_custom_env_example_trains_with_plr(tmp_path):
    state, scalars = _run("custom_env_with_curriculum.py", tmp_path, "--train_for_env_steps=1024")
    plr = state["curriculum"]["curriculum"]
    assert plr["class"] == "PrioritizedLevelReplay"
    assert plr["state"]["_sampler"]["__nested__"]["num_scored_episodes"] > 0
    for tag in ("curriculum/entropy", "curriculum/num_active_tasks", "curriculum/proportion_seen"):
        assert tag in scalars, tag
    assert any(tag.startswith("curriculum/task_return/") for tag in scalars)
