"""Build the run's curriculum from `--curriculum` and its option flags, or from the one given to `register_env`.

Names are looked up in the one table of curricula, `sf_curric.algo.curriculum_table`.

`build_curriculum` is what `CurriculumHost` (curriculum_host.py) is built on; it is also usable on its own, e.g.
to inspect what a command line would train with.
"""

from __future__ import annotations

import argparse
import inspect
import logging
from typing import Any, Callable, Dict

from sf_curric.algo.curriculum_table import BuildContext, get_entry
from sf_curric.cfg.arguments import flag_value
from sf_curric.cfg.validation import ConfigError
from sf_curric.curricula.curriculum import Curriculum

log = logging.getLogger(__name__)


def curriculum_option(cfg: argparse.Namespace, name: str) -> Any:
    """The value of curriculum flag `--name` (its declared default when `cfg` predates the flag)."""
    return flag_value(cfg, name)


# values a curriculum factory given to register_env may ask for, by parameter name
def _factory_values(task_space: Any, cfg: argparse.Namespace, num_envs: int, seed: int | None) -> Dict[str, Any]:
    return {
        "task_space": task_space,
        "cfg": cfg,
        "num_envs": num_envs,
        "num_processes": num_envs,
        "num_steps": cfg.rollout,
        "gamma": cfg.gamma,
        "gae_lambda": cfg.gae_lambda,
        "seed": seed,
    }


def _call_factory(factory: Callable[..., Any], values: Dict[str, Any]) -> Any:
    try:
        params = list(inspect.signature(factory).parameters.values())
    except (TypeError, ValueError):
        return factory(values["task_space"])
    kwargs: Dict[str, Any] = {}
    for i, p in enumerate(params):
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if p.name in values:
            kwargs[p.name] = values[p.name]
        elif i == 0 and p.default is p.empty and p.kind is not p.KEYWORD_ONLY:
            kwargs[p.name] = values["task_space"]  # e.g. `lambda space: DomainRandomization(space)`
        elif p.default is p.empty:
            raise ConfigError(
                f"curriculum factory {getattr(factory, '__name__', factory)!r} needs {p.name!r}; it may take "
                f"{sorted(values)} by name"
            )
    return factory(**kwargs)


def build_curriculum(
    cfg: argparse.Namespace, num_envs: int, action_space: Any = None, env_spec: Any = None
) -> Curriculum | None:
    """The run's curriculum: `--curriculum` when given, else the one registered with the env, else None.

    A curriculum instance or factory given to `register_env(..., curriculum=...)` is used unless `--curriculum`
    names one; a factory's parameters are filled by name (task_space, cfg, num_envs, num_processes, num_steps,
    gamma, gae_lambda, seed; an unnamed first parameter gets the task space).

    Args:
        cfg: the run's config (`--curriculum`, `--curriculum_seed`, the `--plr_*` flags and the option flags).
        num_envs: envs in the run (PLR's number of actors).
        action_space: the env's action space (PLR's policy strategies need a Discrete one).
        env_spec: the registry entry of `cfg.env` (looked up when None).

    Example:
        >>> curriculum = build_curriculum(cfg, num_envs=16)
    """
    if env_spec is None:
        from sf_curric.envs.registry import get_env_spec

        env_spec = get_env_spec(cfg.env)
    task_space = getattr(env_spec, "task_space", None)
    registered = getattr(env_spec, "curriculum", None)
    seed = cfg.curriculum_seed if cfg.curriculum_seed is not None else cfg.seed
    choice = cfg.curriculum if cfg.curriculum is not None else registered
    if choice is None or choice == "none":
        return None
    if isinstance(choice, str):
        entry = get_entry(choice)
        if entry.needs_task_space and task_space is None:
            if isinstance(registered, Curriculum):
                task_space = registered.task_space
            else:
                raise ConfigError(
                    f"--curriculum={choice} needs a task space: register the env with "
                    f"register_env({cfg.env!r}, make_env_fn, task_space=...) or drop --curriculum"
                )
        try:
            curriculum = entry.build(BuildContext(task_space, cfg, num_envs, action_space, seed))
        except ConfigError:
            raise
        except ValueError as e:  # e.g. --constant_task outside the task space: bad input, one line that names it
            raise ConfigError(str(e)) from None
    elif isinstance(choice, Curriculum):
        curriculum = choice
    elif callable(choice):
        if task_space is None:
            raise ConfigError(f"env {cfg.env!r} has a curriculum factory but no task_space: pass task_space=...")
        curriculum = _call_factory(choice, _factory_values(task_space, cfg, num_envs, seed))
        if not isinstance(curriculum, Curriculum):
            raise ConfigError(f"the curriculum factory of {cfg.env!r} returned {type(curriculum).__name__}, "
                                "not a sf_curric Curriculum")  # fmt: skip
    else:
        raise ConfigError(f"register_env(curriculum=...) got {choice!r}: pass a name, a Curriculum or a factory")
    sampler = getattr(curriculum, "task_sampler", None)
    if sampler is not None and getattr(sampler, "num_actors", num_envs) < num_envs:
        raise ConfigError(
            f"the registered PLR curriculum has num_processes={sampler.num_actors} but the run has {num_envs} envs: "
            f"construct it with num_processes >= {num_envs}"
        )
    return curriculum
