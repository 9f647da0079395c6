"""Env registry: `register_env(name, make_env_fn, ...)`, and `make_env(cfg, env_config)` for the trainer.

Any gymnasium id works without registration, and so does gymnasium's `module:EnvId` form (the module is imported
first, so that its import registers `EnvId`, as `gym.make("module:EnvId")` does). A `make_env_fn` may use Sample
Factory's signature `(full_env_name, cfg, env_config, render_mode)` or any simpler one: parameters are matched by
name.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import inspect
from dataclasses import dataclass
from typing import Any, Callable

import gymnasium as gym

from sf_curric.envs.args import env_flag
from sf_curric.envs.dependencies import EnvDependencyError, missing_dependency, register_package_envs
from sf_curric.envs.envpool_env import envpool_problem, is_envpool_name
from sf_curric.envs.frames import wrap_frames
from sf_curric.envs.observation_space import with_policy_observations

# Parameter names a make_env_fn may use, and what each receives.
_NAME_PARAMS = ("full_env_name", "env_name", "name")
_POSITIONAL_ORDER = ("full_env_name", "cfg", "env_config", "render_mode")


class EnvConfig(dict):
    """The `env_config` a make_env_fn gets: a dict whose keys also read as attributes (`env_config.env_id`), as
    Sample Factory's AttrDict does, so SF's env factories run unchanged."""

    def __getattr__(self, key: str) -> Any:
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None


@dataclass(frozen=True)
class EnvSpec:
    """What `register_env` stored for one name."""

    name: str
    make_env_fn: Callable[..., gym.Env]
    task_space: Any = None
    curriculum: Any = None
    mutate: Any = None
    generate_level: Any = None
    level_sets: Any = None
    vector_env: Any = None


_REGISTRY: dict[str, EnvSpec] = {}
_builtins_loaded = False


def _load_builtin_envs() -> None:
    # Built-in envs (e.g. cartpole_curriculum), listed in sf_curric.envs.builtin; imported on first lookup so that
    # importing the registry stays cheap. A name the user registered first keeps the user's registration.
    global _builtins_loaded
    if _builtins_loaded:
        return
    _builtins_loaded = True
    from sf_curric.envs.builtin import builtin_envs

    for name, make_env_fn, kwargs in builtin_envs():
        if name not in _REGISTRY:
            register_env(name, make_env_fn, **kwargs)


def register_env(
    name: str,
    make_env_fn: Callable[..., gym.Env],
    task_space: Any = None,
    curriculum: Any = None,
    mutate: Any = None,
    generate_level: Any = None,
    level_sets: Any = None,
    vector_env: Any = None,
) -> None:
    """Make `name` usable as `--env=name`.

    Args:
        name: the env name users type.
        make_env_fn: builds one env (a gymnasium.Env, or a PettingZoo ParallelEnv/AECEnv whose agents become
            columns of the batch, see docs/multi_agent.md). Parameters are matched by name: `full_env_name` (or
            `env_name`/`name`), `cfg`, `env_config` (a dict with `worker_index`, `vector_index`, `env_id`),
            `render_mode`; a function with none of them is called without arguments.
        task_space: the env's task space, when it has tasks (for curricula).
        curriculum: the default curriculum for this env (a `--curriculum` name or a Curriculum factory).
        mutate: `mutate(level, rng, num_edits) -> level`, the edit ACCEL applies to replayed levels.
        generate_level: `generate_level(rng) -> level`, ACCEL's source of new levels (default: the task space).
        level_sets: named lists of held-out levels, `{"hand_designed": [...]}`, for `--eval_level_set=NAME`.
        vector_env: `vector_env(num_envs)` -> the env's batched form, a gymnasium VectorEnv with autoreset disabled
            that takes tasks per column (`sf_curric.algo.vector_rollout`); a rollout worker then steps its envs in
            one call (`--batched_envs=False`: one make_env_fn env per column).

    Example:
        >>> register_env("my_cartpole", lambda: gym.make("CartPole-v1"))
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"register_env needs a non-empty string name, got {name!r}")
    if not callable(make_env_fn):
        raise TypeError(f"register_env({name!r}, ...): make_env_fn must be callable, got {type(make_env_fn).__name__}")
    _REGISTRY[name] = EnvSpec(name, make_env_fn, task_space, curriculum, mutate, generate_level, level_sets, vector_env)


def registered_env_names() -> list[str]:
    """Names registered with `register_env` (built-in ones included)."""
    _load_builtin_envs()
    return sorted(_REGISTRY)


def _gymnasium_ids() -> list[str]:
    return list(gym.registry.keys())


def _split_module_id(name: str) -> tuple[str, str] | None:
    """`("my_envs", "Foo-v0")` for gymnasium's `my_envs:Foo-v0` form, None for every other name."""
    if is_envpool_name(name) or name.count(":") != 1:
        return None
    module_name, env_id = name.split(":")
    return (module_name, env_id) if module_name and env_id else None


def _import_env_module(name: str) -> None:
    """Import the module of a `module:EnvId` name, whose import registers `EnvId` with gymnasium.

    Raises:
        ValueError: the module cannot be imported, or it registers no `EnvId` (one line naming the fix).
    """
    module_name, env_id = _split_module_id(name)
    try:
        importlib.import_module(module_name)
    except ImportError as e:
        raise ValueError(
            f"env {name!r}: cannot import module {module_name!r} ({e}): install it or add its folder to PYTHONPATH"
        ) from None
    if env_id not in gym.registry:
        close = difflib.get_close_matches(env_id, _gymnasium_ids(), n=3, cutoff=0.5)
        hint = f"closest ids: {', '.join(close)}" if close else "register it there with gymnasium.register(id=...)"
        raise ValueError(f"env {name!r}: importing {module_name!r} registered no gymnasium id {env_id!r}; {hint}")


def env_exists(name: str) -> bool:
    """True when `name` is registered here or is a gymnasium id (importing ale_py/minigrid for their ids).

    Args:
        name: an `--env` value.
    """
    _load_builtin_envs()
    if name in _REGISTRY:
        return True
    if is_envpool_name(name):
        return envpool_problem(name) is None
    try:
        if _split_module_id(name):
            _import_env_module(name)
            return True
        register_package_envs(name)
    except ValueError:
        return False
    return name in gym.registry


def env_problem(name: str) -> str | None:
    """Why `--env=name` cannot be built, in one line that names the fix (None: nothing known to be wrong): an
    unknown name (with the closest known ones), or a package the env needs (with the sf_curric extra that installs
    it).

    Args:
        name: an `--env` value.
    """
    _load_builtin_envs()
    if name in _REGISTRY:
        return None
    if is_envpool_name(name):
        return envpool_problem(name)
    if _split_module_id(name):  # gymnasium's `module:EnvId`: the module's import registers the id
        try:
            _import_env_module(name)
        except ValueError as e:
            return str(e)
        return missing_dependency(_split_module_id(name)[1])
    try:
        register_package_envs(name)
    except EnvDependencyError as e:
        return str(e)
    if name not in gym.registry:
        return unknown_env_message(name) + " (fix --env)"
    return missing_dependency(name)


def unknown_env_message(name: str) -> str:
    """One line saying that `name` is unknown, with the closest known names.

    Args:
        name: the unknown `--env` value.
    """
    if is_envpool_name(name):
        return envpool_problem(name) or f"env {name!r} is available"
    if _split_module_id(name):
        try:
            _import_env_module(name)
        except ValueError as e:
            return str(e)
        return f"env {name!r} is available"
    candidates = registered_env_names() + _gymnasium_ids()
    close = difflib.get_close_matches(name, candidates, n=5, cutoff=0.5)
    if not close:  # case and separators often differ: compare lower-cased names too
        lowered = {c.lower(): c for c in candidates}
        close = [lowered[c] for c in difflib.get_close_matches(name.lower(), list(lowered), n=5, cutoff=0.4)]
    hint = f"closest names: {', '.join(close)}" if close else "register it with sf_curric.register_env(name, fn)"
    return f"unknown env {name!r}: {hint}"


def get_env_spec(name: str) -> EnvSpec | None:
    """The registered spec of `name`, or None for a plain gymnasium id.

    Args:
        name: an `--env` value.

    Raises:
        ValueError: when `name` is neither registered nor a gymnasium id (lists the closest names).
    """
    _load_builtin_envs()
    if name in _REGISTRY:
        return _REGISTRY[name]
    if is_envpool_name(name):  # envpool:<task id>, registered on first use (in each process)
        problem = envpool_problem(name)
        if problem:
            raise ValueError(problem)
        from sf_curric.envs.envpool_env import make_envpool_env

        register_env(name, make_envpool_env)
        return _REGISTRY[name]
    if _split_module_id(name):  # gym.make imports the module again in every process that makes the env
        _import_env_module(name)
        return None
    register_package_envs(name)
    if name in gym.registry:
        return None
    raise ValueError(unknown_env_message(name))


def _call_make_env_fn(fn: Callable[..., Any], name: str, cfg: Any, env_config: Any, render_mode: Any) -> Any:
    env_config = EnvConfig(env_config) if isinstance(env_config, dict) else env_config
    values = {"full_env_name": name, "cfg": cfg, "env_config": env_config, "render_mode": render_mode}
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):  # builtins without a signature: assume Sample Factory's
        return fn(name, cfg, env_config, render_mode)
    kwargs: dict[str, Any] = {}
    unmatched_positional = []
    takes_var_kwargs = False
    for p in params:
        if p.kind is p.VAR_KEYWORD:
            takes_var_kwargs = True
        elif p.kind is p.VAR_POSITIONAL:
            continue
        elif p.name in _NAME_PARAMS:
            kwargs[p.name] = name
        elif p.name in values:
            kwargs[p.name] = values[p.name]
        elif p.default is p.empty:
            if p.kind is p.KEYWORD_ONLY:
                raise TypeError(f"make_env_fn {fn.__name__}: cannot fill keyword-only parameter {p.name!r}")
            unmatched_positional.append(p)
    if unmatched_positional:
        # Unknown names: Sample Factory's positional order (full_env_name, cfg, env_config, render_mode).
        positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        if len(positional) > len(_POSITIONAL_ORDER):
            raise TypeError(
                f"make_env_fn {fn.__name__} takes {len(positional)} positional parameters: use at most "
                f"(full_env_name, cfg, env_config, render_mode)"
            )
        args = [values[key] for key in _POSITIONAL_ORDER[: len(positional)]]
        return fn(*args)
    if takes_var_kwargs:
        for key, value in values.items():
            kwargs.setdefault(key, value)
    return fn(**kwargs)


def make_env(
    cfg: Any,
    env_config: dict[str, Any] | None = None,
    render_mode: str | None = None,
    env_name: str | None = None,
) -> gym.Env:
    """Build one env of `cfg.env` (or `env_name`), its observations in the form the policy takes (a Box, or a flat
    Dict: see `sf_curric.envs.observation_space`).

    Args:
        cfg: the run's config (`cfg.env` names the env).
        env_config: per-env facts such as `{"worker_index": 0, "vector_index": 3, "env_id": 3}`.
        render_mode: gymnasium render mode, e.g. "rgb_array" for videos.
        env_name: overrides `cfg.env`.

    Example:
        >>> env = make_env(None, env_name="CartPole-v1")
    """
    name = env_name or getattr(cfg, "env", None)
    if not name:
        raise ValueError("no env given: pass --env=NAME (a registered name or a gymnasium id)")
    spec = get_env_spec(name)
    text_words, text_vocab = env_flag(cfg, "obs_text_words"), env_flag(cfg, "obs_text_vocab")
    if spec is None:  # a pixel env gets --env_frameskip / --env_framestack here (a registered one reads them itself)
        env = wrap_frames(_make_gymnasium_env(name, render_mode, env_flag(cfg, "env_kwargs")), cfg)
        return with_policy_observations(env, text_words, text_vocab)
    env = _call_make_env_fn(spec.make_env_fn, name, cfg, env_config, render_mode)
    from sf_curric.envs.multi_agent import MultiAgentEnv, is_pettingzoo_env

    if is_pettingzoo_env(env):  # its agents become columns of the batch (docs/multi_agent.md)
        return MultiAgentEnv(env)
    if not isinstance(env, gym.Env):
        raise TypeError(
            f"make_env_fn of {name!r} returned {type(env).__name__}: it must return a gymnasium.Env "
            f"or a PettingZoo ParallelEnv/AECEnv (wrap old gym envs with gymnasium's compatibility wrappers)"
        )
    return with_policy_observations(env, text_words, text_vocab)


def _make_gymnasium_env(name: str, render_mode: str | None, kwargs: dict[str, Any]) -> gym.Env:
    """`gym.make`, with a missing package (Box2D, MuJoCo, jax, ...) as one line naming the extra that installs it."""
    try:
        return gym.make(name, render_mode=render_mode, **kwargs)
    except (gym.error.DependencyNotInstalled, ImportError) as e:
        problem = missing_dependency(name) or f"env {name!r} cannot be built: {str(e).splitlines()[0]}"
        raise EnvDependencyError(problem) from None
