"""The machine-dependent defaults: the pure choice (cores, step cost -> flags) and how it meets typed flags."""

import pytest

from sf_curric.cfg import env_defaults
from sf_curric.cfg.auto_defaults import (
    AUTO_FLAGS,
    apply_auto_defaults,
    available_cores,
    choose_defaults,
    measure_step_seconds,
)
from sf_curric.cfg.experiment import save_config
from sf_curric.cfg.validation import validate_cfg
from sf_curric.command_line import parse_args

CHEAP = 6e-6  # CartPole
DEAR = 300e-6  # ALE Breakout (3.2k steps/s)
VERY_DEAR = 3e-3  # a simulator


@pytest.mark.parametrize(
    "cores, step_s, expected",
    [
        # (serial_mode, num_workers, num_envs_per_worker, num_batches_per_epoch, num_torch_threads)
        (1, CHEAP, (True, 1, 16, 2, 1)),
        (2, CHEAP, (True, 1, 16, 2, 1)),
        (1, DEAR, (True, 1, 8, 1, 1)),
        (2, DEAR, (False, 1, 8, 1, 1)),
        (2, VERY_DEAR, (False, 1, 4, 1, 1)),  # 4 envs x 32 steps = 128 samples: one batch of at least that
        (4, CHEAP, (False, 3, 16, 6, 1)),
        (4, DEAR, (False, 3, 8, 3, 1)),
        (8, CHEAP, (False, 7, 16, 14, 1)),
        (16, CHEAP, (False, 15, 16, 30, 2)),
        (16, VERY_DEAR, (False, 15, 4, 8, 2)),  # 15 * 4 * 32 = 1920 samples: round(7.5) = 8 batches of 256
        (128, CHEAP, (False, 64, 16, 128, 4)),  # workers capped at 64, threads at 4
    ],
)
def test_choice_for_cores_and_step_cost(cores, step_s, expected):
    choice = choose_defaults(cores, step_s, rollout=32, batch_size=256)
    assert tuple(choice.values[name] for name in AUTO_FLAGS) == expected
    assert f"{cores} core" in choice.reason or (cores == 1 and "1 core" in choice.reason)


def test_batch_holds_whole_rollouts():
    # 3 workers x 16 envs x 24 steps = 1152 samples, round(4.5) = 4 minibatches of 256 = 1024: not whole rollouts
    # of 24 steps, so the choice falls back to one minibatch
    assert choose_defaults(4, CHEAP, rollout=24, batch_size=256).values["num_batches_per_epoch"] == 1
    assert choose_defaults(4, CHEAP, rollout=16, batch_size=64).values["num_batches_per_epoch"] == 3 * 16 * 16 // 64


def test_bad_arguments_raise():
    with pytest.raises(ValueError):
        choose_defaults(0, CHEAP, 32, 256)
    with pytest.raises(ValueError):
        choose_defaults(2, -1.0, 32, 256)


def test_available_cores_is_positive():
    assert available_cores() >= 1


def _cfg(*argv):
    return parse_args(["--env=CartPole-v1", "--train_dir=/nonexistent_sf_curric_test", *argv])


def test_cartpole_on_two_cores_runs_serial_and_is_valid():
    # CartPole's own defaults: 64 envs x 32 steps = 2048 samples in 4 minibatches of 512, kept in one process
    cfg = apply_auto_defaults(_cfg(), cores=2)
    assert (cfg.serial_mode, cfg.num_workers, cfg.num_envs_per_worker, cfg.num_batches_per_epoch) == (True, 1, 64, 4)
    validate_cfg(cfg)


def test_serial_layout_keeps_an_envs_larger_env_count():
    # a cheap env whose per-env defaults ask for 64 envs keeps them in serial mode; fewer than 16 are raised to 16
    assert choose_defaults(2, CHEAP, rollout=32, batch_size=512, env_envs=64).values["num_envs_per_worker"] == 64
    assert choose_defaults(2, CHEAP, rollout=32, batch_size=256, env_envs=8).values["num_envs_per_worker"] == 16
    assert choose_defaults(4, CHEAP, rollout=32, batch_size=512, env_envs=64).values["num_envs_per_worker"] == 16


def test_typed_flags_win():
    cfg = apply_auto_defaults(_cfg("--num_torch_threads=3"), cores=16)
    assert cfg.num_torch_threads == 3
    assert (cfg.serial_mode, cfg.num_workers, cfg.num_envs_per_worker) == (False, 15, 16)  # the rest: the machine's


@pytest.mark.parametrize("typed", ["--num_workers=2", "--serial_mode=True", "--num_envs_per_worker=5"])
def test_typed_layout_flag_keeps_the_static_layout(typed):
    static = _cfg("--auto_defaults=False", typed)
    cfg = apply_auto_defaults(_cfg(typed), cores=16)
    layout = ("serial_mode", "num_workers", "num_envs_per_worker", "num_batches_per_epoch")
    assert [getattr(cfg, n) for n in layout] == [getattr(static, n) for n in layout]
    assert cfg.num_torch_threads == 2  # threads still follow the machine


def test_auto_defaults_false_keeps_static_defaults():
    static = _cfg("--auto_defaults=False")
    before = {name: getattr(static, name) for name in AUTO_FLAGS}
    after = apply_auto_defaults(static, cores=16)
    assert {name: getattr(after, name) for name in AUTO_FLAGS} == before


def test_registered_env_defaults_win(monkeypatch):
    monkeypatch.setitem(env_defaults._user_defaults, "CartPole-v1", {"num_envs_per_worker": 4})
    cfg = apply_auto_defaults(_cfg(), cores=16)
    assert cfg.num_envs_per_worker == 4 and cfg.num_workers == 1  # a registered layout is kept whole


def test_resumed_experiment_keeps_its_saved_choice(tmp_path):
    cfg = parse_args(["--env=CartPole-v1", f"--train_dir={tmp_path}", "--experiment=e"])
    save_config(cfg)  # an experiment started earlier
    resumed = apply_auto_defaults(parse_args(["--env=CartPole-v1", f"--train_dir={tmp_path}", "--experiment=e"]), 16)
    assert resumed.num_workers == cfg.num_workers and resumed.serial_mode == cfg.serial_mode


def test_unknown_env_is_left_to_validation():
    cfg = parse_args(["--env=NoSuchEnv-v0"])
    assert apply_auto_defaults(cfg, cores=16).num_workers == cfg.num_workers


def test_step_cost_is_measured_for_unknown_envs():
    cfg = parse_args(["--env=Acrobot-v1"])
    step_s = measure_step_seconds(cfg, budget_s=0.05)
    assert 0 < step_s < 0.01
