"""Env registry: gymnasium ids unregistered, register_env with several make_env_fn signatures, errors."""

import argparse
import subprocess
import sys

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
    message = "env 'NoSuchPkg/Game-v0' needs the no_such_env_package_xyz package: pip install \"sf_curric[nosuch]\""
    assert registry.env_problem("NoSuchPkg/Game-v0") == message
    with pytest.raises(ValueError, match=r"sf_curric\[nosuch\]"):
        registry.get_env_spec("NoSuchPkg/Game-v0")
