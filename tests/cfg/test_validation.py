"""Invalid values and combinations are refused at start with one line that names the fix."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sf_curric.cfg.validation import ConfigError, validate_cfg
from sf_curric.command_line import parse_args

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "flags, fix",
    [
        (["--learning_rate=-1"], "--learning_rate=-1.0 must be positive"),
        (["--batch_size=100"], "not a multiple of --rollout=32"),
        (["--gamma=1.5"], "--gamma=1.5 must be in (0, 1]"),
        (["--num_envs_per_worker=0"], "--num_envs_per_worker=0 must be at least 1"),
        (["--plr_rho=2"], "--plr_rho=2.0 must be in [0, 1]"),
        (["--use_rnn", "--batch_size=48", "--rollout=32", "--num_batches_per_epoch=2"], "whole env columns"),
    ],
)
def test_invalid_values_name_the_fix(flags, fix):
    cfg = parse_args(["--env=CartPole-v1", *flags])
    with pytest.raises(ConfigError) as e:
        validate_cfg(cfg)
    assert fix in str(e.value) and "\n" not in str(e.value)


def test_unknown_env_lists_the_closest_names():
    with pytest.raises(ConfigError, match="closest names: CartPole-v1"):
        validate_cfg(parse_args(["--env=CartPol-v1"]))
    with pytest.raises(ConfigError, match="--env=NAME"):
        validate_cfg(parse_args([]))


def test_defaults_are_valid():
    validate_cfg(parse_args(["--env=CartPole-v1"]))
    validate_cfg(parse_args(["--env=Pendulum-v1"]))


def _train(tmp_path, *flags):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "sf_curric.train", f"--train_dir={tmp_path}", "--experiment=bad", *flags],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--env=CartPol-v1"], "unknown env 'CartPol-v1': closest names: CartPole-v1"),
        (["--env=CartPole-v1", "--learning_rate=-0.1"], "--learning_rate=-0.1 must be positive"),
        (["--env=CartPole-v1", "--restart_behavior=keep"], "invalid choice: 'keep'"),
    ],
)
def test_command_line_errors_are_one_line_with_exit_code_2(tmp_path, flags, message):
    result = _train(tmp_path, *flags)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip() and not line.startswith("usage")]
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "bad").exists()  # nothing was created
