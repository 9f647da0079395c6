"""The training budget: a finite default, --train_for_seconds alone is the only budget, progress is the larger share
of either budget, and the ETA says days."""

import argparse

import pytest

from sf_curric.algo.args import DEFAULT_ENV_STEPS
from sf_curric.cfg.budget import NO_STEP_LIMIT, eta_seconds, format_eta, training_progress
from sf_curric.cfg.experiment import resolve_config, save_config
from sf_curric.command_line import build_parser, parse_args


def _budget(steps, seconds):
    return argparse.Namespace(train_for_env_steps=steps, train_for_seconds=seconds)


def test_an_env_without_defaults_gets_a_finite_budget_and_help_says_why():
    assert parse_args(["--env=Acrobot-v1"]).train_for_env_steps == DEFAULT_ENV_STEPS == 1_000_000
    assert parse_args(["--env=CartPole-v1"]).train_for_env_steps == 300_000  # its per-env default wins
    text = build_parser().format_help()
    assert "zoo's PPO budget for most classic-control" in " ".join(text.split())  # why this default


@pytest.mark.parametrize(
    "typed,steps,seconds",
    [
        ([], DEFAULT_ENV_STEPS, 10**10),
        (["--train_for_seconds=600"], NO_STEP_LIMIT, 600),  # the seconds alone: the step budget is lifted
        (["--train_for_seconds=600", "--train_for_env_steps=5000"], 5000, 600),  # both: whichever comes first
        (["--train_for_env_steps=5000"], 5000, 10**10),
    ],
)
def test_typed_seconds_alone_is_the_only_budget(tmp_path, typed, steps, seconds):
    cfg = resolve_config(parse_args(["--env=Acrobot-v1", f"--train_dir={tmp_path}", *typed]))
    assert (cfg.train_for_env_steps, cfg.train_for_seconds) == (steps, seconds)


def test_a_resumed_run_keeps_its_budget_and_a_typed_seconds_budget_lifts_the_saved_steps(tmp_path):
    argv = ["--env=Acrobot-v1", f"--train_dir={tmp_path}", "--experiment=b"]
    save_config(resolve_config(parse_args([*argv, "--train_for_env_steps=7000"])))
    assert resolve_config(parse_args(argv)).train_for_env_steps == 7000
    resumed = resolve_config(parse_args([*argv, "--train_for_seconds=60"]))
    assert (resumed.train_for_env_steps, resumed.train_for_seconds) == (NO_STEP_LIMIT, 60)


def test_progress_is_the_larger_share_of_either_budget():
    assert training_progress(_budget(1000, 100), 250, 10.0) == pytest.approx(0.25)
    assert training_progress(_budget(1000, 100), 250, 60.0) == pytest.approx(0.6)
    assert training_progress(_budget(NO_STEP_LIMIT, 100), 10**9, 30.0) == pytest.approx(0.3)
    assert training_progress(_budget(1000, 100), 5000, 500.0) == 1.0
    assert training_progress(_budget(1000, 10**10), 0, 0.0) == 0.0


def test_eta_is_the_nearer_budget_and_says_days():
    # issue 32: Acrobot alone at ~19k FPS on the old 1e10-step budget showed "ETA 07:18:15" for ~6 days
    assert format_eta(eta_seconds(_budget(10**10, 10**10), 0, 0.0, 19_000)) == "6d 02:11:56"
    assert format_eta(eta_seconds(_budget(10**6, 10**10), 50_000, 5.0, 10_000)) == "00:01:35"
    assert format_eta(eta_seconds(_budget(10**6, 60), 50_000, 5.0, 10_000)) == "00:00:55"  # the seconds end first
    assert format_eta(eta_seconds(_budget(10**6, 10**10), 0, 0.0, 0.0)) == "-"  # no FPS yet, no seconds budget
    assert format_eta(86400) == "1d 00:00:00"
    assert format_eta(59.6) == "00:01:00"
