"""Checkpoints are data, never code; a checkpoint or config.json that does not fit is one line, not a traceback.

A planted checkpoint whose unpickling would run a shell command is refused by resume, enjoy and eval (real
processes); the command's marker file must never appear.
"""

import json
import os
import shutil
import subprocess
import sys

import pytest
import torch

from sf_curric.train import run
from sf_curric.utils.checkpoint import list_checkpoints
from sf_curric.utils.logs import close_log_file
from tests.faults.helpers import REPO


def _train_args(train_dir, experiment="exp", *extra):
    return [
        "--env=CartPole-v1", f"--train_dir={train_dir}", f"--experiment={experiment}", "--serial_mode=True",
        "--num_workers=1", "--num_envs_per_worker=2", "--rollout=8", "--batch_size=16", "--device=cpu",
        "--train_for_env_steps=64", "--num_torch_threads=1", *extra,
    ]  # fmt: skip


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A train_dir with one briefly trained CartPole experiment (trained once, copied per test)."""
    root = tmp_path_factory.mktemp("trained")
    run(_train_args(root))
    close_log_file()
    return root


@pytest.fixture
def train_dir(trained, tmp_path):
    shutil.copytree(trained, tmp_path / "td")
    return tmp_path / "td"


class _Payload:
    """Unpickling this calls os.system (what a hostile checkpoint does)."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _cli(module, args):
    return subprocess.run([sys.executable, "-m", module, *args], cwd=REPO, capture_output=True, text=True, timeout=180)


def _one_line(out, *expected):
    assert out.returncode == 2, out.stdout + out.stderr
    last = out.stderr.strip().splitlines()[-1]
    assert "error: " in last and "Traceback" not in out.stderr, out.stderr
    for text in expected:
        assert text in last, last
    return last


@pytest.mark.parametrize("command", ["resume", "enjoy", "eval"])
def test_planted_pickle_payload_never_runs(train_dir, tmp_path, command):
    marker = tmp_path / "pwned"
    planted = train_dir / "exp" / "checkpoint_p0" / "checkpoint_999999999_1.pth"  # sorts newest
    torch.save({"learner": _Payload(marker), "sf_curric_version": "0", "env_steps": 1}, planted)
    location = [f"--train_dir={train_dir}", "--experiment=exp"]
    if command == "resume":
        out = _cli("sf_curric.train", _train_args(train_dir, "exp", "--restart_behavior=resume"))
    elif command == "enjoy":
        out = _cli("sf_curric.enjoy", location + ["--no_render=True", "--max_num_episodes=1"])
    else:
        out = _cli("sf_curric.eval", location + ["--max_num_episodes=1"])
    _one_line(out, "refusing to load", planted.name, "posix.system")
    assert not marker.exists(), "the payload ran"
    assert planted.exists()  # never deleted for the user: they decide


def test_real_checkpoints_load_with_weights_only(trained):
    for path in list_checkpoints(trained / "exp" / "checkpoint_p0"):
        state = torch.load(path, weights_only=True)  # plain torch, no allowlist: the model part is plain tensors
        assert state["learner"]["model"]


def test_model_size_change_on_resume_is_one_line(train_dir):
    out = _cli(
        "sf_curric.train",
        _train_args(train_dir, "exp", "--restart_behavior=resume", "--encoder_mlp_layers", "17", "17"),
    )
    _one_line(out, "does not fit this run's model", "size mismatch", "--restart_behavior=restart")


def test_foreign_checkpoint_is_one_line(train_dir):
    planted = train_dir / "exp" / "checkpoint_p0" / "checkpoint_999999999_1.pth"
    torch.save({"sf_curric_version": "0", "weights": torch.zeros(3)}, planted)  # a torch file, not one of ours
    out = _cli("sf_curric.train", _train_args(train_dir, "exp", "--restart_behavior=resume"))
    _one_line(out, planted.name, "--restart_behavior=restart")


@pytest.mark.parametrize(
    "key, value, expected",
    [
        ("num_epochs", "abc", "num_epochs='abc' is not a int"),
        ("stats_avg", 8.5, "stats_avg=8.5 is not a int"),
        ("encoder_mlp_layers", "abc", "encoder_mlp_layers='abc' is not a list of int"),
        ("encoder_mlp_layers", [64, "x"], "encoder_mlp_layers=[64, 'x'] is not a list of int"),
    ],
)
def test_wrong_type_in_config_json_is_one_line(train_dir, key, value, expected):
    config = train_dir / "exp" / "config.json"
    data = json.loads(config.read_text())
    data[key] = value
    config.write_text(json.dumps(data))
    out = _cli("sf_curric.train", _train_args(train_dir, "exp", "--restart_behavior=resume"))
    _one_line(out, expected, "config.json")
