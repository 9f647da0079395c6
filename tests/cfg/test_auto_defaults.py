"""The machine-dependent defaults: the pure choice (cores, step cost -> flags) and how it meets typed flags."""

import pytest

from sf_curric.cfg import env_defaults
from sf_curric.cfg.auto_defaults import (
    AUTO_FLAGS,
    apply_auto_defaults,
    available_cores,
    choose_defaults,
    measure_step_cost,
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


def _console(capsys):
    """The console log the train command sets up before the auto defaults, on the captured stderr (set up in the
    test's call phase: a handler made during fixture setup would write to setup's stream, closed by then)."""
    from sf_curric.utils.logs import setup_logging

    setup_logging("info")
    return capsys


@pytest.fixture
def own_registry(monkeypatch):
    """Envs registered here (and `envpool:` names, registered on first use) are gone after the test."""
    from sf_curric.envs import registry

    registry._load_builtin_envs()
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))


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


LAYOUT = ("serial_mode", "num_workers", "num_envs_per_worker", "num_batches_per_epoch")


@pytest.mark.parametrize(
    "cores, typed, expected",
    [
        # issue 32: the README's --serial_mode=True on 2 cores keeps the serial layout auto had chosen (64 envs)
        (2, "--serial_mode=True", (True, 1, 64, 4)),
        # on 16 cores it asks for serial mode: the serial layout's envs, not 15 workers' worth
        (16, "--serial_mode=True", (True, 1, 64, 4)),
        (2, "--serial_mode=False", (False, 1, 16, 1)),  # 1 worker process x 16 envs = 512 samples: 1 batch of 512
        (16, "--num_envs_per_worker=5", (False, 15, 5, 5)),  # 15 x 5 x 32 = 2400 samples: round(4.7) = 5
        (2, "--num_envs_per_worker=32", (True, 1, 32, 2)),
        (2, "--num_workers=3", (False, 3, 16, 3)),  # worker processes asked for: parallel, envs by step cost
        (2, "--num_workers=1", (True, 1, 64, 4)),  # one worker contradicts nothing: the auto layout stays
        (16, "--num_batches_per_epoch=7", (False, 15, 16, 7)),
    ],
)
def test_typed_layout_flag_keeps_the_auto_choices_it_does_not_contradict(cores, typed, expected):
    cfg = apply_auto_defaults(_cfg(typed), cores=cores)
    assert tuple(getattr(cfg, n) for n in LAYOUT) == expected
    assert cfg.num_torch_threads == (2 if cores == 16 else 1)  # threads follow the machine
    if typed != "--num_batches_per_epoch=7":
        validate_cfg(cfg)


def test_auto_defaults_false_keeps_static_defaults():
    static = _cfg("--auto_defaults=False")
    before = {name: getattr(static, name) for name in AUTO_FLAGS}
    after = apply_auto_defaults(static, cores=16)
    assert {name: getattr(after, name) for name in AUTO_FLAGS} == before


def test_registered_env_defaults_win(monkeypatch):
    monkeypatch.setitem(env_defaults._user_defaults, "CartPole-v1", {"num_envs_per_worker": 4})
    cfg = apply_auto_defaults(_cfg(), cores=16)
    assert cfg.num_envs_per_worker == 4  # a registered flag is kept, like a typed one; the rest is the machine's
    assert (cfg.serial_mode, cfg.num_workers, cfg.num_batches_per_epoch) == (False, 15, 4)  # 1920 / 512


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
    cost = measure_step_cost(cfg, budget_s=0.05)
    assert 0 < cost.seconds < 0.01 and cost.agents == 1


@pytest.mark.parametrize("agents", [2, 3])
def test_a_game_gets_whole_games_per_worker(agents):
    for cores in (1, 2, 4, 16):
        for step_s in (CHEAP, DEAR):
            envs = choose_defaults(cores, step_s, 32, 256, agents=agents).values["num_envs_per_worker"]
            assert envs % agents == 0 and envs >= 4


@pytest.mark.parametrize(
    "env, agents",
    [
        ("tictactoe", 2),  # PettingZoo's turn-based game (AEC, legal-action mask): issue 32's IndexError
        ("budget_duel", 2),  # the built-in parallel game
        ("envpool:CartPole-v1", 1),  # EnvPool's C++ CartPole through the single-env view
    ],
)
def test_every_env_kind_gets_auto_defaults(env, agents, capsys, own_registry):
    console = _console(capsys)
    if env == "tictactoe":
        pytest.importorskip("pettingzoo")
    if env.startswith("envpool:"):
        pytest.importorskip("envpool")
    cfg = parse_args([f"--env={env}", "--train_dir=/nonexistent_sf_curric_test"])
    cost = measure_step_cost(cfg, budget_s=0.05)
    assert 0 < cost.seconds < 0.01 and cost.agents == agents
    cfg = apply_auto_defaults(cfg, cores=4)
    assert "auto defaults: --serial_mode=False, --num_workers=3" in console.readouterr().err
    assert cfg.num_envs_per_worker % agents == 0
    validate_cfg(cfg)


def broken_env():
    """An env that can be made but not stepped (the auto defaults cannot measure it)."""
    import gymnasium as gym

    class Broken(gym.Env):
        observation_space = gym.spaces.Box(-1, 1, (2,))
        action_space = gym.spaces.Discrete(2)

        def reset(self, seed=None, options=None):
            return self.observation_space.sample(), {}

        def step(self, action):
            raise IndexError("invalid index to scalar variable.")

    return Broken()


def test_a_failed_measurement_is_a_warning_and_keeps_the_static_layout(capsys, own_registry):
    console = _console(capsys)
    from sf_curric.envs.registry import register_env

    register_env("test_auto_defaults_broken", broken_env)
    cfg = parse_args(["--env=test_auto_defaults_broken", "--train_dir=/nonexistent_sf_curric_test"])
    static = {name: getattr(cfg, name) for name in LAYOUT}
    cfg = apply_auto_defaults(cfg, cores=16)
    err = console.readouterr().err
    warning = [line for line in err.splitlines() if "WARNING" in line]
    assert len(warning) == 1 and "IndexError: invalid index to scalar variable." in warning[0]
    assert "test_auto_defaults_broken" in warning[0]
    assert {name: getattr(cfg, name) for name in LAYOUT} == static
    assert cfg.num_torch_threads == 2  # the threads depend on the cores only


def test_no_env_is_made_when_the_open_flags_do_not_depend_on_the_step_cost(capsys, own_registry):
    console = _console(capsys)
    from sf_curric.envs.registry import register_env

    register_env("test_auto_defaults_broken", broken_env)  # measuring it would warn
    argv = ["--env=test_auto_defaults_broken", "--serial_mode=True", "--num_envs_per_worker=4", "--rollout=16"]
    cfg = apply_auto_defaults(parse_args(argv), cores=2)
    err = console.readouterr().err
    assert "WARNING" not in err and "--serial_mode=True given" in err
    assert (cfg.num_workers, cfg.num_batches_per_epoch) == (1, 1)  # serial: one worker; 4 x 16 = 64 samples
