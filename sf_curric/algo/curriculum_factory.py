"""Build the run's curriculum from `--curriculum` and its option flags, or from the one given to `register_env`.

`build_curriculum` is what `CurriculumHost` (curriculum_host.py) is built on; it is also usable on its own, e.g.
to inspect what a command line would train with.
"""

from __future__ import annotations

import argparse
import ast
import inspect
import logging
from typing import Any, Callable, Dict

from sf_curric.algo.curriculum_args import CURRICULUM_OPTION_ARGS
from sf_curric.curricula.curriculum import Curriculum

log = logging.getLogger(__name__)

_OPTION_DEFAULTS = {flag[2:]: spec["default"] for flag, spec in CURRICULUM_OPTION_ARGS}


def curriculum_option(cfg: argparse.Namespace, name: str) -> Any:
    return getattr(cfg, name, _OPTION_DEFAULTS.get(name))


def _config_error(message: str) -> Exception:
    from sf_curric.cfg.validation import ConfigError

    return ConfigError(message)


def _literal(text: str) -> Any:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _plr(
    task_space: Any, cfg: argparse.Namespace, num_envs: int, action_space: Any, seed: int | None, robust: bool = False
) -> Curriculum:
    from sf_curric.curricula.plr.plr import PrioritizedLevelReplay, RobustPLR
    from sf_curric.curricula.plr.scores import POLICY_STRATEGIES

    return (RobustPLR if robust else PrioritizedLevelReplay)(
        task_space,
        num_steps=cfg.rollout,
        num_processes=num_envs,
        gamma=cfg.gamma,
        gae_lambda=cfg.gae_lambda,
        action_space=action_space if cfg.plr_strategy in POLICY_STRATEGIES else None,
        seed=seed,
        strategy=cfg.plr_strategy,
        score_transform=cfg.plr_score_transform,
        temperature=cfg.plr_temperature,
        staleness_coef=cfg.plr_staleness_coef,
        staleness_transform=cfg.plr_staleness_transform,
        rho=cfg.plr_rho,
        nu=cfg.plr_nu,
        alpha=cfg.plr_alpha,
        replay_schedule=cfg.plr_replay_schedule,
        eps=cfg.plr_eps,
    )


def _named_curriculum(
    name: str, task_space: Any, cfg: argparse.Namespace, num_envs: int, action_space: Any, seed: int | None
) -> Curriculum:
    """The curriculum `--curriculum=name` over `task_space`, configured by its flags."""
    from sf_curric import curricula

    if name == "dr":
        return curricula.DomainRandomization(task_space, seed=seed)
    if name in ("plr", "robust_plr"):
        return _plr(task_space, cfg, num_envs, action_space, seed, robust=name == "robust_plr")
    if name == "learnability":
        return curricula.Learnability(
            task_space,
            window=curriculum_option(cfg, "learnability_window"),
            topk=curriculum_option(cfg, "learnability_topk"),
            uniform_mix=curriculum_option(cfg, "learnability_uniform_mix"),
            success_threshold=curriculum_option(cfg, "learnability_success_threshold"),
            seed=seed,
        )
    if name == "accel":
        return _accel(task_space, cfg, num_envs, seed)
    if name == "simple_box":
        return curricula.SimpleBoxCurriculum(
            task_space,
            steps=curriculum_option(cfg, "simple_box_steps"),
            success_threshold=curriculum_option(cfg, "simple_box_success_threshold"),
            required_successes=curriculum_option(cfg, "simple_box_required_successes"),
            seed=seed,
        )
    if name == "learning_progress":
        return curricula.LearningProgress(
            task_space,
            ema_alpha=curriculum_option(cfg, "lp_ema_alpha"),
            p_theta=curriculum_option(cfg, "lp_p_theta"),
            uniform_mix=curriculum_option(cfg, "lp_uniform_mix"),
            seed=seed,
        )
    if name == "performance":
        threshold = curriculum_option(cfg, "perf_promote_threshold")
        if threshold is None:
            raise _config_error("--curriculum=performance needs --perf_promote_threshold (e.g. the return to reach)")
        return curricula.PerformanceCurriculum(
            task_space,
            promote_threshold=threshold,
            window=curriculum_option(cfg, "perf_window"),
            metric=curriculum_option(cfg, "perf_metric"),
            demote_threshold=curriculum_option(cfg, "perf_demote_threshold"),
            replay_easier=curriculum_option(cfg, "perf_replay_easier"),
            seed=seed,
        )
    if name == "constant":
        task = curriculum_option(cfg, "constant_task")
        if task is None:
            raise _config_error("--curriculum=constant needs --constant_task (a task of the env's task space, e.g. 3)")
        return curricula.Constant(_literal(task), task_space, seed=seed)
    if name == "sequential":
        return _sequential(task_space, cfg, num_envs, action_space, seed)
    raise _config_error(f"unknown --curriculum={name!r}: use none, dr, plr, robust_plr, accel, learnability, "
                        "sequential, simple_box, learning_progress, performance or constant")  # fmt: skip


def _accel(task_space: Any, cfg: argparse.Namespace, num_envs: int, seed: int | None) -> Curriculum:
    """ACCEL with the env's `mutate` (from register_env or a method of the env) and, as the generator, the env's
    `generate_level` when it has one, else uniform draws from its task space."""
    from sf_curric.curricula.accel import ACCEL
    from sf_curric.envs.registry import get_env_spec

    spec = get_env_spec(cfg.env)
    mutate = getattr(spec, "mutate", None)
    generator = getattr(spec, "generate_level", None)
    if mutate is None or generator is None:
        from sf_curric.envs.registry import make_env

        env = make_env(cfg)
        inner = getattr(env, "unwrapped", env)
        mutate = mutate or getattr(env, "mutate", None) or getattr(inner, "mutate", None)
        generator = generator or getattr(inner, "generate_level", None)
        env.close()
    if mutate is None:
        raise _config_error(
            f"--curriculum=accel needs a level mutation: register_env({cfg.env!r}, ..., mutate=fn) or define "
            "mutate(level, rng, num_edits) on the TaskEnv"
        )
    if generator is None:
        from sf_curric.curricula.task_space import as_task_space

        tasks = as_task_space(task_space).tasks
        if tasks is None:
            raise _config_error("--curriculum=accel needs a finite task space or register_env(..., generate_level=fn)")

        def generator(rng: Any) -> Any:
            return tasks[int(rng.random() * len(tasks))]

    return ACCEL(
        generator,
        mutate,
        buffer_size=curriculum_option(cfg, "accel_buffer_size"),
        num_edits=curriculum_option(cfg, "accel_num_edits"),
        replay_prob=curriculum_option(cfg, "accel_replay_prob"),
        staging=max(1024, 4 * num_envs * curriculum_option(cfg, "curriculum_prefetch")),
        num_processes=num_envs,
        strategy=curriculum_option(cfg, "accel_strategy"),
        temperature=curriculum_option(cfg, "accel_temperature"),
        staleness_coef=curriculum_option(cfg, "accel_staleness_coef"),
        seed=seed,
    )


def _sequential(task_space: Any, cfg: argparse.Namespace, num_envs: int, action_space: Any, seed: int | None):
    from sf_curric.curricula import SequentialCurriculum

    stages_text, conditions_text = (
        curriculum_option(cfg, "sequential_stages"),
        curriculum_option(cfg, "sequential_conditions"),
    )
    if not stages_text:
        raise _config_error("--curriculum=sequential needs --sequential_stages (e.g. '0;[1,2];dr')")
    stages: list = []
    for item in (s.strip() for s in stages_text.split(";")):
        if item in ("dr", "plr", "robust_plr", "learnability", "learning_progress", "performance", "simple_box"):
            stages.append(_named_curriculum(item, task_space, cfg, num_envs, action_space, seed))
        else:
            stages.append(_literal(item))
    conditions = [c.strip() for c in conditions_text.split(";")] if conditions_text else []
    try:
        return SequentialCurriculum(stages, conditions, task_space, seed=seed)
    except ValueError as e:
        raise _config_error(f"--sequential_stages/--sequential_conditions: {e}") from None


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
            raise _config_error(
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
    seed = cfg.curriculum_seed if getattr(cfg, "curriculum_seed", None) is not None else cfg.seed
    choice = cfg.curriculum if cfg.curriculum is not None else registered
    if choice is None or choice == "none":
        return None
    from sf_curric.algo.self_play import SELF_PLAY_CURRICULA, build_self_play_curriculum

    if choice in SELF_PLAY_CURRICULA:  # the task is the opponent's pool slot: no env task space needed
        return build_self_play_curriculum(cfg, seed)
    if isinstance(choice, str):
        if task_space is None:
            if isinstance(registered, Curriculum):
                task_space = registered.task_space
            else:
                raise _config_error(
                    f"--curriculum={choice} needs a task space: register the env with "
                    f"register_env({cfg.env!r}, make_env_fn, task_space=...) or drop --curriculum"
                )
        try:
            curriculum = _named_curriculum(choice, task_space, cfg, num_envs, action_space, seed)
        except ValueError as e:  # e.g. --constant_task outside the task space: bad input, one line that names it
            raise _config_error(str(e)) from None
    elif isinstance(choice, Curriculum):
        curriculum = choice
    elif callable(choice):
        if task_space is None:
            raise _config_error(f"env {cfg.env!r} has a curriculum factory but no task_space: pass task_space=...")
        curriculum = _call_factory(choice, _factory_values(task_space, cfg, num_envs, seed))
        if not isinstance(curriculum, Curriculum):
            raise _config_error(f"the curriculum factory of {cfg.env!r} returned {type(curriculum).__name__}, "
                                "not a sf_curric Curriculum")  # fmt: skip
    else:
        raise _config_error(f"register_env(curriculum=...) got {choice!r}: pass a name, a Curriculum or a factory")
    sampler = getattr(curriculum, "task_sampler", None)
    if sampler is not None and getattr(sampler, "num_actors", num_envs) < num_envs:
        raise _config_error(
            f"the registered PLR curriculum has num_processes={sampler.num_actors} but the run has {num_envs} envs: "
            f"construct it with num_processes >= {num_envs}"
        )
    return curriculum
