"""Missing packages of gymnasium envs, found before an env is built: one line that names the extra to install.

gymnasium registers every id (LunarLander, Ant, phys2d/CartPole, ...) whether or not the package its env needs is
installed, and raises at `gym.make` (`DependencyNotInstalled`, or a bare `ModuleNotFoundError` for jax). Importing the
id's entry-point module raises the same error without building anything, so the trainer can say at start which
sf_curric extra installs it. Ids that a package registers when imported (`ALE/...`, `MiniGrid-...`) are in
`PACKAGE_IDS`: without the package they are not known at all.
"""

from __future__ import annotations

import importlib

import gymnasium as gym

from sf_curric.errors import ConfigError, install_command

# an entry point's module prefix -> (what it needs, the sf_curric extra that installs it)
ENTRY_POINT_NEEDS = (
    ("gymnasium.envs.box2d", "Box2D", "box2d"),
    ("gymnasium.envs.mujoco", "MuJoCo", "mujoco"),
    ("gymnasium.envs.phys2d", "jax", "jax"),
    ("gymnasium.envs.tabular", "jax", "jax"),
)

# gymnasium ids that a package registers when imported: (id prefix, module to import, sf_curric extra)
PACKAGE_IDS = (
    ("ALE/", "ale_py", "atari"),
    ("MiniGrid-", "minigrid", "minigrid"),
    ("BabyAI-", "minigrid", "minigrid"),
    ("dm_control/", "shimmy", "shimmy"),
)


class EnvDependencyError(ConfigError):
    """An env needs a package that is not installed; the message is one line naming the extra to install."""


def install_hint(what: str, extra: str) -> str:
    """`needs X: pip install -e "<checkout>[extra]"` (the wording of every missing-package message)."""
    return f"needs {what}: {install_command(extra)}"


def package_for_id(name: str) -> tuple[str, str] | None:
    """`(module, extra)` of the package that registers the gymnasium id `name` when imported, or None."""
    for prefix, module, extra in PACKAGE_IDS:
        if name.startswith(prefix):
            return module, extra
    return None


def register_package_envs(name: str) -> None:
    """Register the gymnasium ids of the package that provides `name` (e.g. `ALE/Pong-v5` needs `import ale_py`,
    `MiniGrid-...` needs `import minigrid`); nothing for other names or ids already registered.

    Raises:
        EnvDependencyError: the package is not installed (one line naming the sf_curric extra that installs it).
    """
    package = package_for_id(name)
    if package is None or name in gym.registry:
        return
    module_name, extra = package
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        raise EnvDependencyError(f"env {name!r} {install_hint(f'the {module_name} package', extra)}") from None
    gym.register_envs(module)


def missing_dependency(name: str) -> str | None:
    """One line saying what the registered gymnasium id `name` needs and which extra installs it (None: nothing
    is missing, or `name` is not a gymnasium id).

    Args:
        name: a gymnasium id, e.g. "LunarLander-v3".

    Example:
        >>> missing_dependency("LunarLander-v3")  # without Box2D
        'env \\'LunarLander-v3\\' needs Box2D: pip install -e "<checkout>[box2d]"'
    """
    spec = gym.registry.get(name)
    if spec is None or not isinstance(spec.entry_point, str):
        return None
    module = spec.entry_point.split(":")[0]
    try:
        importlib.import_module(module)
    except (gym.error.DependencyNotInstalled, ImportError) as e:
        for prefix, what, extra in ENTRY_POINT_NEEDS:
            if module.startswith(prefix):
                return f"env {name!r} {install_hint(what, extra)}"
        return f"env {name!r} cannot be built: {str(e).splitlines()[0] if str(e) else type(e).__name__}"
    return None
