"""Build the run's curriculum: the one way from a config to a `Curriculum`.

`--curriculum=name` looks `name` up in the table (`sf_curric.curricula.registry`). Without `--curriculum`, the one
given to `register_env(..., curriculum=...)` is used: a name (the same table), a `Curriculum` instance, or a factory
function; an instance and a factory become build functions too, so every curriculum is built, and checked, the
same way.
"""

from __future__ import annotations

import argparse
import inspect
from typing import Any, Callable, Dict

from sf_curric.curricula.curriculum import Curriculum
from sf_curric.curricula.entry import BuildContext
from sf_curric.curricula.registry import CURRICULA, CURRICULUM_ARGS, get_entry
from sf_curric.errors import ConfigError

Build = Callable[[BuildContext], Any]


def curriculum_option(cfg: argparse.Namespace, name: str) -> Any:
    """The value of `--curriculum_seed` / `--curriculum_prefetch` (its declared default when `cfg` predates it)."""
    if hasattr(cfg, name):
        return getattr(cfg, name)
    return next(kwargs["default"] for flag, kwargs in CURRICULUM_ARGS if flag == f"--{name}")


def _factory_values(ctx: BuildContext) -> Dict[str, Any]:
    """What a curriculum factory given to register_env may ask for, by parameter name."""
    cfg = ctx.cfg
    return {
        "task_space": ctx.task_space,
        "cfg": cfg,
        "num_envs": ctx.num_envs,
        "num_processes": ctx.num_envs,
        "num_steps": cfg.rollout,
        "gamma": cfg.gamma,
        "gae_lambda": cfg.gae_lambda,
        "seed": ctx.seed,
    }


def from_factory(factory: Callable[..., Any]) -> Build:
    """The build function of a curriculum factory given to `register_env`: its parameters are filled by name
    (task_space, cfg, num_envs, num_processes, num_steps, gamma, gae_lambda, seed); an unnamed first parameter gets
    the task space (`lambda space: DomainRandomization(space)`)."""

    def build(ctx: BuildContext) -> Any:
        values = _factory_values(ctx)
        try:
            params = list(inspect.signature(factory).parameters.values())
        except (TypeError, ValueError):
            return factory(ctx.task_space)
        kwargs: Dict[str, Any] = {}
        for i, p in enumerate(params):
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                continue
            if p.name in values:
                kwargs[p.name] = values[p.name]
            elif i == 0 and p.default is p.empty and p.kind is not p.KEYWORD_ONLY:
                kwargs[p.name] = ctx.task_space
            elif p.default is p.empty:
                raise ConfigError(
                    f"curriculum factory {getattr(factory, '__name__', factory)!r} needs {p.name!r}; it may take "
                    f"{sorted(values)} by name"
                )
        return factory(**kwargs)

    return build


def _choice_build(choice: Any, env_name: str) -> tuple[Build, bool]:
    """`(build function, needs a task space)` of a `--curriculum` name or a `register_env(curriculum=...)` value."""
    if isinstance(choice, str):
        entry = get_entry(choice)
        return entry.build, entry.needs_task_space
    if isinstance(choice, Curriculum):
        return (lambda ctx: choice), False
    if callable(choice):
        return from_factory(choice), True
    raise ConfigError(f"register_env({env_name!r}, curriculum={choice!r}): pass a name, a Curriculum or a factory")


def build_curriculum(
    cfg: argparse.Namespace,
    num_envs: int,
    action_space: Any = None,
    env_spec: Any = None,
    make_env: Callable[[argparse.Namespace], Any] | None = None,
) -> Curriculum | None:
    """The run's curriculum: `--curriculum` when given, else the one registered with the env, else None.

    Args:
        cfg: the run's config (`--curriculum`, `--curriculum_seed`, the `--plr_*` flags and the option flags).
        num_envs: envs in the run (PLR's number of actors).
        action_space: the env's action space (PLR's policy strategies need a Discrete one).
        env_spec: the registry entry of `cfg.env` (`sf_curric.envs.registry.get_env_spec`), or None.
        make_env: `make_env(cfg)`, for curricula that look at an env (ACCEL's `mutate`).

    Example:
        >>> curriculum = build_curriculum(cfg, num_envs=16, env_spec=get_env_spec(cfg.env))
    """
    task_space = getattr(env_spec, "task_space", None)
    registered = getattr(env_spec, "curriculum", None)
    choice = cfg.curriculum if cfg.curriculum is not None else registered
    if choice is None or choice == "none":
        return None
    build, needs_task_space = _choice_build(choice, cfg.env)
    if needs_task_space and task_space is None:
        if isinstance(registered, Curriculum):
            task_space = registered.task_space
        else:
            raise ConfigError(
                f"--curriculum={choice} needs a task space: register the env with "
                f"register_env({cfg.env!r}, make_env_fn, task_space=...) or drop --curriculum"
                if isinstance(choice, str)
                else f"env {cfg.env!r} has a curriculum factory but no task_space: pass task_space=..."
            )
    seed = curriculum_option(cfg, "curriculum_seed")
    seed = cfg.seed if seed is None else seed
    ctx = BuildContext(task_space, cfg, num_envs, action_space, seed, env_spec, make_env, CURRICULA)
    try:
        curriculum = build(ctx)
    except ConfigError:
        raise
    except ValueError as e:  # e.g. --constant_task outside the task space: bad input, one line that names it
        raise ConfigError(str(e)) from None
    if not isinstance(curriculum, Curriculum):
        raise ConfigError(f"the curriculum of {cfg.env!r} is a {type(curriculum).__name__}, not a sf_curric Curriculum")
    sampler = getattr(curriculum, "task_sampler", None)
    if sampler is not None and getattr(sampler, "num_actors", num_envs) < num_envs:
        raise ConfigError(
            f"the registered PLR curriculum has num_processes={sampler.num_actors} but the run has {num_envs} envs: "
            f"construct it with num_processes >= {num_envs}"
        )
    return curriculum
