"""Flags: Sample Factory-style booleans, per-env defaults below the command line, explicit-flag tracking."""

import argparse

import pytest

from sf_curric.cfg.env_defaults import get_env_defaults, register_env_defaults
from sf_curric.command_line import build_parser, default_cfg, parse_args


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["--async_rl=False"], False),
        (["--async_rl=false"], False),
        (["--async_rl", "0"], False),
        (["--async_rl=True"], True),
        (["--async_rl"], True),
        ([], True),
    ],
)
def test_boolean_flags_parse_like_sample_factory(argv, expected):
    assert parse_args(argv).async_rl is expected


def test_bad_boolean_is_an_argparse_error(capsys):
    with pytest.raises(SystemExit) as e:
        parse_args(["--serial_mode=maybe"])
    assert e.value.code == 2
    assert "--flag=True" in capsys.readouterr().err


def test_env_defaults_apply_below_the_command_line():
    cfg = parse_args(["--env=CartPole-v1", "--gamma=0.9"])
    assert cfg.gamma == 0.9  # typed by the user: wins
    assert cfg.learning_rate == get_env_defaults("CartPole-v1")["learning_rate"] == 2.5e-3  # per-env default
    assert parse_args(["--env=Acrobot-v1"]).learning_rate == build_parser().get_default("learning_rate") != 2.5e-3


def test_cli_args_hold_only_the_flags_typed():
    cfg = parse_args(["--env=CartPole-v1", "--seed=3", "--serial_mode"])
    assert cfg.cli_args == {"env": "CartPole-v1", "seed": 3, "serial_mode": True}


def test_registered_env_defaults_and_unknown_flags():
    register_env_defaults("test_args_env", rollout=7)
    assert parse_args(["--env=test_args_env"]).rollout == 7
    assert parse_args(["--env=test_args_env", "--rollout=9"]).rollout == 9
    register_env_defaults("test_args_env_bad", not_a_flag=1)
    with pytest.raises(ValueError, match="not_a_flag"):
        parse_args(["--env=test_args_env_bad"])


def test_every_required_flag_exists():
    names = {a.dest for a in build_parser()._actions}
    required = """env experiment train_dir seed device restart_behavior train_for_env_steps train_for_seconds
    batch_size rollout num_epochs num_batches_per_epoch gamma gae_lambda learning_rate ppo_clip_ratio
    value_loss_coeff exploration_loss_coeff max_grad_norm normalize_input normalize_returns save_every_sec
    keep_checkpoints reward_scale reward_clip experiment_summaries_interval serial_mode num_workers
    num_envs_per_worker worker_num_splits async_rl with_vtrace max_policy_lag training_info_interval_sec
    policy_refresh_rollouts max_env_errors curriculum plr_strategy plr_score_transform plr_temperature
    plr_staleness_coef plr_staleness_transform plr_rho plr_nu plr_alpha plr_replay_schedule plr_eps
    curriculum_seed""".split()
    assert not set(required) - names


def test_evaluation_flags_only_when_asked():
    assert not hasattr(parse_args([]), "max_num_episodes")
    assert parse_args(["--max_num_episodes=3"], evaluation=True).max_num_episodes == 3


def test_default_cfg_overrides_count_as_typed():
    cfg = default_cfg("CartPole-v1", seed=5)
    assert isinstance(cfg, argparse.Namespace) and cfg.seed == 5 and cfg.cli_args["seed"] == 5
    with pytest.raises(ValueError, match="unknown flag"):
        default_cfg("CartPole-v1", no_such_flag=1)
