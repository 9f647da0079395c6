"""check_env passes for every built-in env and every env of sf_curric_examples/ (a new one is picked up by itself).

An example's envs are what it registers (at import or in its `register()`), else its module-level `make_env()`
with its `TASK_SPACE` if it has one, else the `TaskWrapper` classes it defines around CartPole. Examples whose
optional package is missing are skipped with the extra named.
"""

import importlib
import inspect
from pathlib import Path

import gymnasium as gym
import pytest

from sf_curric import TaskWrapper, check_env
from sf_curric.envs import registry
from sf_curric.envs.check_env import TaskEnvError
from sf_curric.envs.registry import make_env

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p.stem for p in (ROOT / "sf_curric_examples").glob("*.py") if p.stem != "__init__")
# examples whose only env is another example's (they show a trainer, not an env)
USES_ANOTHER_EXAMPLES_ENV = {"cleanrl_plr", "sb3_plr_callback", "ray_curriculum"}


def _builtin_specs():
    registry.get_env_spec("cartpole_curriculum")  # loads the built-ins
    return [s for s in registry._REGISTRY.values() if s.make_env_fn.__module__.startswith("sf_curric.envs.builtin")]


def _example_envs(module):
    """[(label, make, task_space)] of one example module."""
    specs = [s for s in registry._REGISTRY.values() if getattr(s.make_env_fn, "__module__", "") == module.__name__]
    if specs:
        return [(s.name, s.make_env_fn, s.task_space) for s in specs]
    make_env = getattr(module, "make_env", None)
    if make_env is not None and all(
        p.default is not inspect.Parameter.empty for p in inspect.signature(make_env).parameters.values()
    ):
        return [("make_env", make_env, getattr(module, "TASK_SPACE", None))]
    wrappers = [
        cls for cls in vars(module).values()
        if inspect.isclass(cls) and issubclass(cls, TaskWrapper) and cls.__module__ == module.__name__
    ]  # fmt: skip
    return [(cls.__name__, lambda cls=cls: cls(gym.make("CartPole-v1")), gym.spaces.Discrete(8)) for cls in wrappers]


def test_every_builtin_env_passes_check_env():
    specs = _builtin_specs()
    assert "cartpole_curriculum" in [s.name for s in specs]
    for spec in specs:
        if spec.name in ("tictactoe", "connect_four"):
            pytest.importorskip("pettingzoo", reason="the classic games need the pettingzoo extra")
        check_env(make_env(None, env_name=spec.name), task_space=spec.task_space, num_episodes=5)


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_example_env_passes_check_env(name):
    try:
        module = importlib.import_module(f"sf_curric_examples.{name}")
    except ImportError as e:
        pytest.skip(f"{name} needs an optional package ({e}): install its extra")
    if hasattr(module, "register"):
        module.register()
    envs = _example_envs(module)
    if name in USES_ANOTHER_EXAMPLES_ENV:
        assert not envs
        return
    assert envs, f"{name}: no env found; add it to USES_ANOTHER_EXAMPLES_ENV if it only uses another example's env"
    for label, make, task_space in envs:
        try:
            env = make()
        except (ImportError, gym.error.DependencyNotInstalled) as e:
            pytest.skip(f"{name}.{label} needs an optional package ({e})")
        try:
            check_env(env, task_space=task_space, num_episodes=5)
        except TaskEnvError as e:
            if isinstance(e.__cause__, ImportError):  # envs that import their package at the first reset
                pytest.skip(f"{name}.{label} needs an optional package ({e.__cause__})")
            raise
