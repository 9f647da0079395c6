"""Env registry: gymnasium ids unregistered, register_env with several make_env_fn signatures, errors."""

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

import gymnasium as gym
import pytest

from sf_curric.envs.registry import (
    env_exists,
    get_env_spec,
    make_env,
    register_env,
    registered_env_names,
    unknown_env_message,
)
from sf_curric.errors import install_command
from tests.algo.runner_helpers import read_scalars

ROOT = Path(__file__).resolve().parents[2]


def _cfg(env):
    return argparse.Namespace(env=env)


def test_gymnasium_ids_work_without_registration():
    env = make_env(_cfg("CartPole-v1"))
    assert env.spec.id == "CartPole-v1"
    assert get_env_spec("CartPole-v1") is None and env_exists("CartPole-v1")


def test_sample_factory_signature_gets_every_argument():
    seen = {}

    def make_sf_env(full_env_name, cfg=None, env_config=None, render_mode=None):
        seen.update(name=full_env_name, cfg=cfg, env_config=env_config, render_mode=render_mode)
        return gym.make("CartPole-v1", render_mode=render_mode)

    register_env("test_reg_sf", make_sf_env, task_space="ts", curriculum="plr")
    cfg = _cfg("test_reg_sf")
    make_env(cfg, {"env_id": 3}, render_mode="rgb_array")
    assert seen == {"name": "test_reg_sf", "cfg": cfg, "env_config": {"env_id": 3}, "render_mode": "rgb_array"}
    spec = get_env_spec("test_reg_sf")
    assert (spec.task_space, spec.curriculum) == ("ts", "plr")
    assert "test_reg_sf" in registered_env_names()


def test_sample_factory_env_config_reads_as_attributes():
    # Sample Factory's factories read `env_config.env_id` (its AttrDict), e.g. sf_examples' envpool integrations
    seen = {}

    def make_sf_env(full_env_name, cfg=None, env_config=None, render_mode=None):
        seen["indices"] = (env_config.worker_index, env_config.vector_index, env_config.env_id)
        seen["as_dict"] = env_config["env_id"]
        return gym.make("CartPole-v1")

    register_env("test_reg_sf_attrs", make_sf_env)
    make_env(_cfg("test_reg_sf_attrs"), {"worker_index": 1, "vector_index": 2, "env_id": 7})
    assert seen == {"indices": (1, 2, 7), "as_dict": 7}
    with pytest.raises(AttributeError, match="missing"):
        register_env("test_reg_sf_missing", lambda env_config: env_config.missing)
        make_env(_cfg("test_reg_sf_missing"), {"env_id": 0})


def test_simpler_signatures_are_matched_by_name():
    register_env("test_reg_noargs", lambda: gym.make("CartPole-v1"))
    assert isinstance(make_env(_cfg("test_reg_noargs")), gym.Env)

    got = {}

    def with_config(env_config):
        got["env_config"] = env_config
        return gym.make("CartPole-v1")

    register_env("test_reg_config", with_config)
    make_env(_cfg("test_reg_config"), {"env_id": 7})
    assert got["env_config"] == {"env_id": 7}

    def with_kwargs(**kwargs):
        got["kwargs"] = sorted(kwargs)
        return gym.make("CartPole-v1")

    register_env("test_reg_kwargs", with_kwargs)
    make_env(_cfg("test_reg_kwargs"))
    assert got["kwargs"] == ["cfg", "env_config", "full_env_name", "render_mode"]

    def positional(a, b):  # unknown names: Sample Factory's positional order
        got["positional"] = (a, b)
        return gym.make("CartPole-v1")

    register_env("test_reg_pos", positional)
    cfg = _cfg("test_reg_pos")
    make_env(cfg)
    assert got["positional"] == ("test_reg_pos", cfg)


def test_unknown_env_names_the_closest_ones():
    register_env("my_special_env", lambda: gym.make("CartPole-v1"))
    with pytest.raises(ValueError) as e:
        make_env(_cfg("my_specal_env"))
    assert "closest names: my_special_env" in str(e.value)
    assert "CartPole-v1" in unknown_env_message("cartpole-v1")
    assert "register_env" in unknown_env_message("zzzzzzzzzzzzqqqq")


def test_registration_errors_name_the_fix():
    with pytest.raises(TypeError, match="must be callable"):
        register_env("bad", "not a function")
    register_env("test_reg_returns_junk", lambda: "junk")
    with pytest.raises(TypeError, match="must return a gymnasium.Env"):
        make_env(_cfg("test_reg_returns_junk"))
    with pytest.raises(ValueError, match="--env=NAME"):
        make_env(_cfg(None))


def test_package_env_ids_are_found_without_importing_the_package_first():
    pytest.importorskip("minigrid")
    code = (
        "import sys\n"
        "from sf_curric.envs.registry import env_exists, make_env\n"
        "assert 'minigrid' not in sys.modules\n"
        "assert env_exists('MiniGrid-Empty-5x5-v0')\n"
        "env = make_env(None, env_name='MiniGrid-Empty-5x5-v0')\n"
        "print(type(env.unwrapped).__name__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "EmptyEnv"


def test_missing_env_package_names_the_extra(monkeypatch):
    from sf_curric.envs import dependencies, registry

    monkeypatch.setattr(dependencies, "PACKAGE_IDS", (("NoSuchPkg/", "no_such_env_package_xyz", "nosuch"),))
    assert not registry.env_exists("NoSuchPkg/Game-v0")
    message = f"env 'NoSuchPkg/Game-v0' needs the no_such_env_package_xyz package: {install_command('nosuch')}"
    assert registry.env_problem("NoSuchPkg/Game-v0") == message
    with pytest.raises(ValueError, match=re.escape(install_command("nosuch"))):
        registry.get_env_spec("NoSuchPkg/Game-v0")


_MY_ENVS_MODULE = """
import gymnasium as gym

gym.register(id="ShortCartPole-v0", entry_point="gymnasium.envs.classic_control:CartPoleEnv", max_episode_steps=50)
"""


def test_module_colon_env_id_imports_the_module_in_every_process(tmp_path):
    """`--env=module:EnvId` is gymnasium's own form: the module's import registers the id (in the workers too)."""
    (tmp_path / "my_envs_reg_test.py").write_text(_MY_ENVS_MODULE)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(tmp_path)]))
    argv = [
        sys.executable, "-m", "sf_curric.train", "--env=my_envs_reg_test:ShortCartPole-v0", "--experiment=mod",
        f"--train_dir={tmp_path}", "--serial_mode=False", "--num_workers=2", "--num_envs_per_worker=4",
        "--auto_defaults=False", "--train_for_env_steps=2048", "--device=cpu",
    ]  # fmt: skip
    out = subprocess.run(argv, capture_output=True, text=True, timeout=180, env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    lengths = [value for _, value in read_scalars(tmp_path / "mod" / "tensorboard")["charts/episodic_length"]]
    assert 0 < max(lengths) <= 50  # the module's time limit, not CartPole-v1's 500


def test_module_colon_env_id_errors_name_the_fix(tmp_path, monkeypatch):
    (tmp_path / "my_envs_reg_errors.py").write_text(_MY_ENVS_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert env_exists("my_envs_reg_errors:ShortCartPole-v0")
    assert get_env_spec("my_envs_reg_errors:ShortCartPole-v0") is None
    assert make_env(_cfg("my_envs_reg_errors:ShortCartPole-v0")).spec.max_episode_steps == 50
    with pytest.raises(ValueError, match="cannot import module 'no_such_module_xyz'.*PYTHONPATH"):
        get_env_spec("no_such_module_xyz:Foo-v0")
    with pytest.raises(ValueError, match="registered no gymnasium id 'ShortCartPol-v0'; closest ids: ShortCartPole-v0"):
        get_env_spec("my_envs_reg_errors:ShortCartPol-v0")
    assert not env_exists("no_such_module_xyz:Foo-v0")
