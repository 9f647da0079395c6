"""A damaged checkpoint (100 bytes XORed inside a tensor, issue 28) is never used: resume reports it in one line and
continues from the newest good one; enjoy, eval and export refuse it in one line naming the file (real processes);
a damaged eval snapshot never becomes the best checkpoint."""

import math
import shutil
import subprocess
import sys

import pytest

from sf_curric.tracking.best_by_eval import BestByEval
from sf_curric.train import run
from sf_curric.utils.checkpoint import DAMAGED_SUFFIX, list_checkpoints, load_checkpoint
from sf_curric.utils.logs import close_log_file
from tests.faults.helpers import REPO, flip_bytes_inside_tensor


def _train_args(train_dir, steps, *extra):
    return [
        "--env=CartPole-v1", f"--train_dir={train_dir}", "--experiment=exp", "--serial_mode=True", "--num_workers=1",
        "--num_envs_per_worker=2", "--rollout=8", "--batch_size=16", "--device=cpu", f"--train_for_env_steps={steps}",
        "--num_torch_threads=1", *extra,
    ]  # fmt: skip


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Two sessions, so the experiment holds two checkpoints (64 and 128 env steps)."""
    root = tmp_path_factory.mktemp("trained")
    for steps in (64, 128):
        run(_train_args(root, steps))
        close_log_file()
    return root


@pytest.fixture
def damaged(trained, tmp_path):
    """A copy of the trained folder whose newest checkpoint has 100 bytes XORed inside a tensor."""
    train_dir = tmp_path / "td"
    shutil.copytree(trained, train_dir)
    older, newest = list_checkpoints(train_dir / "exp" / "checkpoint_p0")
    flip_bytes_inside_tensor(newest, record_suffix="/data/0")
    return train_dir, older, newest


def _cli(module, args):
    return subprocess.run([sys.executable, "-m", module, *args], cwd=REPO, capture_output=True, text=True, timeout=180)


def test_resume_reports_the_damaged_newest_and_continues_from_the_newest_good_one(damaged):
    train_dir, older, newest = damaged
    out = _cli("sf_curric.train", _train_args(train_dir, 192))
    assert out.returncode == 0, out.stderr[-2000:]
    assert "Traceback" not in out.stderr
    reports = [line for line in out.stderr.splitlines() if "is damaged" in line]
    assert len(reports) == 1 and newest.name in reports[0] and "SHA-256 does not match" in reports[0]
    assert f"resumed from {older}" in out.stderr
    assert newest.with_name(newest.name + DAMAGED_SUFFIX).exists()  # kept for a look, out of the checkpoint set
    log_file = (train_dir / "exp" / "sf_log.txt").read_text()
    assert newest.name in log_file and "is damaged" in log_file


@pytest.mark.parametrize("module", ["sf_curric.enjoy", "sf_curric.eval", "sf_curric.export"])
def test_enjoy_eval_and_export_refuse_it_in_one_line(damaged, module, tmp_path):
    train_dir, _, newest = damaged
    args = [f"--train_dir={train_dir}", "--experiment=exp"]
    args += {
        "sf_curric.enjoy": ["--no_render=True", "--max_num_episodes=1"],
        "sf_curric.eval": ["--max_num_episodes=1"],
        "sf_curric.export": ["--format=torchscript", f"--export_path={tmp_path / 'policy.pt'}"],
    }[module]
    out = _cli(module, args)
    assert out.returncode == 2, out.stdout + out.stderr
    assert "Traceback" not in out.stderr
    last = out.stderr.strip().splitlines()[-1]
    assert "error: " in last and f"{newest} is damaged" in last and "SHA-256" in last
    assert newest.exists() and not (tmp_path / "policy.pt").exists()


def test_a_damaged_eval_snapshot_never_becomes_the_best(damaged, tmp_path):
    train_dir, _, newest = damaged
    best_dir = tmp_path / "ckpt"
    best_dir.mkdir()
    best = BestByEval("test", best=0.5)
    assert best.consider({"test": 0.9}, newest, best_dir, iteration=16, env_steps=128) is None
    assert best.best == 0.5 and list(best_dir.iterdir()) == []
    good = list_checkpoints(train_dir / "exp" / "checkpoint_p0")[0]
    path = best.consider({"test": 0.9}, good, best_dir, iteration=8, env_steps=64)
    assert path is not None and math.isclose(best.best, 0.9) and load_checkpoint(path)["best_eval_return"] == 0.9
