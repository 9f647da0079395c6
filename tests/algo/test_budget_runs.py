"""Budgets in real runs: --train_for_seconds alone drives the linear schedules and counts over resumed sessions,
and the progress line's ETA says days (issue 32)."""

import re

import pytest

from sf_curric.train import run_with_result
from sf_curric.utils.checkpoint import list_checkpoints, load_checkpoint
from tests.algo.runner_helpers import read_scalars, short_args

CARTPOLE_LR = 2.5e-3  # CartPole-v1's per-env default, annealed linearly


def _seconds_args(tmp_path, seconds):
    args = [a for a in short_args(tmp_path) if not a.startswith("--train_for_env_steps")]
    return [*args, f"--train_for_seconds={seconds}", "--save_every_sec=1000"]


def test_seconds_budget_anneals_the_learning_rate_and_continues_on_resume(tmp_path):
    first = run_with_result(_seconds_args(tmp_path, 3))
    assert first.reason == "seconds"
    exp = tmp_path / "exp"
    rates = [value for _, value in read_scalars(exp)["charts/learning_rate"]]
    assert rates[0] > 0.8 * CARTPOLE_LR  # the first iteration, at the start of the 3 s
    assert rates[-1] < 0.2 * CARTPOLE_LR  # the last one, near the end: the schedule followed the seconds
    log = (exp / "sf_log.txt").read_text()
    assert "(100.0%)" in log  # the last progress line: the seconds budget is used up

    # the seconds count over every session, as the env steps do: a 5 s budget trains 2 s more
    second = run_with_result(_seconds_args(tmp_path, 5))
    assert second.reason == "seconds" and second.env_steps > first.env_steps
    state = load_checkpoint(list_checkpoints(exp / "checkpoint_p0")[-1])
    assert 5.0 <= state["train_seconds"] < 7.0
    rates = [value for step, value in read_scalars(exp)["charts/learning_rate"] if step > first.env_steps]
    assert rates[0] < 0.5 * CARTPOLE_LR  # resumed at 3/5 of the budget, not at the start of the schedule


def test_the_eta_of_a_long_budget_says_days(tmp_path):
    args = [a for a in short_args(tmp_path) if not a.startswith("--train_for_env_steps")]
    result = run_with_result([*args, "--train_for_env_steps=10000000000", "--stop_when_avg_return=1", "--stats_avg=1"])
    assert result.reason == "avg_return"
    first_line = next(line for line in (tmp_path / "exp" / "sf_log.txt").read_text().splitlines() if " ETA " in line)
    days = re.search(r"ETA (\d+)d \d\d:\d\d:\d\d", first_line)
    assert days and int(days.group(1)) >= 1, first_line
    assert "(0.0%)" in first_line


@pytest.mark.parametrize("flag", ["--train_for_env_steps=0", "--train_for_seconds=0"])
def test_a_budget_of_zero_is_a_one_line_error(tmp_path, capsys, flag):
    with pytest.raises(SystemExit) as stop:
        run_with_result([*short_args(tmp_path), flag])
    assert stop.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "must be at least 1" in err
