"""Evaluation during training: eval/* logged at the right env steps (read back from the tensorboard files), the
numbers equal those of sf_curric.eval on the same policy, and the best checkpoint is the one with the best eval
return on the held-out group. The run is trained in two sessions (a resume halfway): the schedule and the best
checkpoint carry over."""

import math
import multiprocessing
import re

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from sf_curric.command_line import parse_args
from sf_curric.evaluation.evaluate import evaluate
from sf_curric.tracking.eval_process import eval_argv
from sf_curric.train import run_with_result as run
from sf_curric.utils.checkpoint import checkpoint_dir, list_checkpoints
from tests.tracking.maze_env import MAZE_ENV

EVERY = 1500
NUM_ENVS, ROLLOUT = 8, 32  # serial mode: one iteration = one rollout of every env = 256 env steps
TOTAL = 6000


def _scalars(exp_dir, tag):
    acc = EventAccumulator(str(exp_dir / "tensorboard"), size_guidance={"scalars": 0})
    acc.Reload()
    return {e.step: e.value for e in acc.Scalars(tag)} if tag in acc.Tags()["scalars"] else {}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    train_dir = tmp_path_factory.mktemp("train_dir")
    argv = [
        f"--env={MAZE_ENV}",
        f"--train_dir={train_dir}",
        "--experiment=maze",
        "--serial_mode=True",
        "--num_workers=1",
        f"--num_envs_per_worker={NUM_ENVS}",
        f"--rollout={ROLLOUT}",
        f"--batch_size={NUM_ENVS * ROLLOUT}",
        f"--eval_every_env_steps={EVERY}",
        "--eval_episodes=12",
        "--save_every_sec=1000",
        "--seed=3",
    ]
    first = run(argv + [f"--train_for_env_steps={TOTAL // 2}"])
    assert first.env_steps < TOTAL
    result = run(argv + [f"--train_for_env_steps={TOTAL}", "--restart_behavior=resume"])
    cfg = parse_args(argv)
    return train_dir / "maze", cfg, result


def test_eval_logged_at_the_right_steps(trained):
    exp_dir, _, result = trained
    per_iteration = NUM_ENVS * ROLLOUT
    # due at the first iteration boundary at or after each multiple of EVERY, up to the last iteration
    expected = sorted({math.ceil(k * EVERY / per_iteration) * per_iteration for k in range(1, TOTAL // EVERY + 1)})
    expected = [s for s in expected if s <= result.env_steps]
    for tag in ("eval/train/return", "eval/test/return", "eval/gap", "eval/test/length", "eval/test/terminated"):
        assert sorted(_scalars(exp_dir, tag)) == expected, tag
    assert (checkpoint_dir(exp_dir) / "eval_curve.png").stat().st_size > 1000
    assert not [p for p in multiprocessing.active_children() if p.name == "sf_curric-eval"]


def test_best_checkpoint_is_the_best_eval_and_reproduces_with_sf_curric_eval(trained, tmp_path):
    exp_dir, cfg, _ = trained
    test_returns = _scalars(exp_dir, "eval/test/return")
    train_returns = _scalars(exp_dir, "eval/train/return")
    best_files = list_checkpoints(checkpoint_dir(exp_dir), "best")
    assert len(best_files) == 1
    steps, value = re.match(r"best_\d{9}_(\d+)_return_(-?[\d.]+)\.pth", best_files[0].name).groups()
    best_step = max(test_returns, key=lambda s: (test_returns[s], -s))  # the first of equal returns wins
    assert int(steps) == best_step
    assert float(value) == pytest.approx(test_returns[best_step], abs=1e-3)
    # sf_curric.eval with the same flags on the best checkpoint gives the numbers logged during training
    report = evaluate(parse_args(eval_argv(cfg, tmp_path), evaluation=True), checkpoint_path=best_files[0])
    assert report.data["groups"]["test"]["mean"] == pytest.approx(test_returns[best_step], abs=1e-6)
    assert report.data["groups"]["train"]["mean"] == pytest.approx(train_returns[best_step], abs=1e-6)


def test_bad_best_group_is_one_line_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        run(["--env=CartPole-v1", f"--train_dir={tmp_path}", "--serial_mode=True", "--eval_every_env_steps=100",
             "--eval_best_group=test"])  # fmt: skip
    assert e.value.code == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if "error" in line]
    assert len(errors) == 1 and "--eval_best_group" in errors[0], errors
