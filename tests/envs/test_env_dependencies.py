"""A gymnasium env whose package is missing stops at start with one line naming the sf_curric extra (exit 2), and
`--env_kwargs` reaches gymnasium.make."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from sf_curric.envs.registry import env_problem, make_env
from sf_curric.errors import install_command

ROOT = Path(__file__).resolve().parents[2]
MISSING = [  # (env, the module it needs, what the message names)
    ("LunarLander-v3", "Box2D", f"needs Box2D: {install_command('box2d')}"),
    ("Ant-v5", "mujoco", f"needs MuJoCo: {install_command('mujoco')}"),
    ("phys2d/CartPole-v1", "jax", f"needs jax: {install_command('jax')}"),
    ("ALE/Pong-v5", "ale_py", f"needs the ale_py package: {install_command('atari')}"),
    ("dm_control/cartpole-balance-v0", "shimmy", f"needs the shimmy package: {install_command('shimmy')}"),
]


@pytest.mark.parametrize("env,module,message", MISSING)
def test_missing_package_names_the_extra(env, module, message):
    if importlib.util.find_spec(module) is not None:
        pytest.skip(f"{module} is installed here")
    assert env_problem(env) == f"env {env!r} {message}"


def test_the_command_line_says_it_in_one_line_with_exit_status_2(tmp_path):
    env, module, message = MISSING[0]
    if importlib.util.find_spec(module) is not None:
        pytest.skip(f"{module} is installed here")
    run = subprocess.run(
        [sys.executable, "-m", "sf_curric.train", f"--env={env}", f"--train_dir={tmp_path}", "--experiment=x"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 2 and run.stderr.strip().splitlines() == [f"sf_curric.train: error: env {env!r} {message}"]


def test_known_and_unknown_envs():
    assert env_problem("CartPole-v1") is None
    assert "closest names: CartPole-v1" in env_problem("CartPol-v1")


def test_env_kwargs_reach_gymnasium_make():
    from sf_curric.command_line import parse_args

    cfg = parse_args(["--env=FrozenLake-v1", '--env_kwargs={"is_slippery": false, "map_name": "8x8"}'])
    env = make_env(cfg)
    assert env.unwrapped.spec.kwargs["is_slippery"] is False and env.observation_space["obs"].n == 64
    with pytest.raises(SystemExit):
        parse_args(["--env=FrozenLake-v1", "--env_kwargs=[1, 2]"])
