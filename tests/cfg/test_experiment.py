"""config.json: save, load, resume merge (command line > saved > defaults), restart and overwrite."""

import json

import pytest

from sf_curric.cfg.experiment import (
    config_path,
    load_config,
    prepare_experiment_dir,
    resolve_config,
    save_config,
)
from sf_curric.cfg.validation import ConfigError
from sf_curric.command_line import parse_args


def _args(tmp_path, *extra):
    return [f"--train_dir={tmp_path}", "--experiment=exp", *extra]


def test_save_and_load_round_trip(tmp_path):
    cfg = parse_args(_args(tmp_path, "--env=CartPole-v1", "--gamma=0.9"))
    path = save_config(cfg)
    assert path == config_path(cfg) and path.name == "config.json"
    saved = load_config(path)
    assert saved["gamma"] == 0.9 and saved["env"] == "CartPole-v1"
    assert saved["encoder_mlp_layers"] == [64, 64]
    assert saved["cli_args"]["gamma"] == 0.9
    assert not list(path.parent.glob("*.tmp"))


def test_resume_keeps_saved_values_and_command_line_wins(tmp_path):
    first = parse_args(_args(tmp_path, "--env=CartPole-v1", "--gamma=0.9", "--rollout=16"))
    save_config(first)
    # resume without --env: everything comes from config.json, except what is typed now
    resumed = resolve_config(parse_args(_args(tmp_path, "--rollout=8")))
    assert resumed.env == "CartPole-v1"
    assert resumed.gamma == 0.9
    assert resumed.rollout == 8
    assert resumed.learning_rate == 2.5e-3  # the per-env default saved by the first run
    assert resumed.cli_args == {"train_dir": str(tmp_path), "experiment": "exp", "rollout": 8}


def test_flags_unknown_to_the_saved_config_keep_their_defaults(tmp_path):
    cfg = parse_args(_args(tmp_path, "--env=CartPole-v1"))
    save_config(cfg)
    data = json.loads(config_path(cfg).read_text())
    del data["keep_checkpoints"]  # a flag added after this experiment was saved
    data["flag_removed_since"] = 1
    config_path(cfg).write_text(json.dumps(data))
    resumed = resolve_config(parse_args(_args(tmp_path)))
    assert resumed.keep_checkpoints == parse_args([]).keep_checkpoints
    assert not hasattr(resumed, "flag_removed_since")


def test_resume_with_another_env_is_refused(tmp_path):
    save_config(parse_args(_args(tmp_path, "--env=CartPole-v1")))
    with pytest.raises(ConfigError, match="restart_behavior=restart"):
        resolve_config(parse_args(_args(tmp_path, "--env=Acrobot-v1")))


def test_restart_ignores_the_saved_config(tmp_path):
    save_config(parse_args(_args(tmp_path, "--env=CartPole-v1", "--gamma=0.9")))
    cfg = resolve_config(parse_args(_args(tmp_path, "--env=CartPole-v1", "--restart_behavior=restart")))
    assert cfg.gamma == 0.99  # CartPole's per-env default, not the saved 0.9


def test_unreadable_config_is_a_one_line_error(tmp_path):
    cfg = parse_args(_args(tmp_path, "--env=CartPole-v1"))
    config_path(cfg).parent.mkdir(parents=True)
    config_path(cfg).write_text("{not json")
    with pytest.raises(ConfigError) as e:
        resolve_config(cfg)
    assert "\n" not in str(e.value) and "config.json" in str(e.value)
    assert config_path(cfg).read_text() == "{not json"


def test_restart_moves_the_old_folder_aside_and_overwrite_deletes_it(tmp_path):
    cfg = parse_args(_args(tmp_path, "--env=CartPole-v1", "--restart_behavior=restart"))
    exp = prepare_experiment_dir(cfg)
    (exp / "marker").write_text("old run")
    prepare_experiment_dir(cfg)
    backups = [p for p in tmp_path.iterdir() if p.name.startswith("exp_old_")]
    assert len(backups) == 1 and (backups[0] / "marker").read_text() == "old run"
    assert not (exp / "marker").exists()

    (exp / "marker").write_text("to delete")
    cfg.restart_behavior = "overwrite"
    with pytest.raises(ConfigError, match="not an sf_curric experiment folder"):  # no config.json: not ours
        prepare_experiment_dir(cfg)
    assert (exp / "marker").exists()
    (exp / "config.json").write_text("{}")
    prepare_experiment_dir(cfg)
    assert exp.is_dir() and not (exp / "marker").exists()
    cfg.restart_behavior = "resume"
    (exp / "marker").write_text("kept")
    prepare_experiment_dir(cfg)
    assert (exp / "marker").read_text() == "kept"
