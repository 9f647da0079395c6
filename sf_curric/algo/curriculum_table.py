"""The one table of `--curriculum` names: each name -> the function that builds it and the flags it reads.

`--curriculum`'s choices, its option flags in `--help`, the names `--sequential_stages` accepts and whether a
run needs the self-play opponent pool all come from this table. A new curriculum is its class plus one
`register_curriculum` call (the built-in ones are registered at the bottom of this file):

    >>> from sf_curric import register_curriculum
    >>> register_curriculum(
    ...     "favour_hard",
    ...     lambda ctx: FavourHardTasks(ctx.task_space, boost=ctx.option("favour_hard_boost"), seed=ctx.seed),
    ...     flags=[("--favour_hard_boost", {"type": float, "default": 1.0, "help": "favour_hard: ..."})],
    ... )

Register before the command line is parsed (e.g. next to `register_env`, before `sf_curric.run()`).
"""

from __future__ import annotations

import argparse
import ast
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from sf_curric.algo import curriculum_args as builtin_flags
from sf_curric.cfg.validation import ConfigError
from sf_curric.model.args import FlagSpec


@dataclass(frozen=True)
class BuildContext:
    """What a curriculum's build function gets: the env's task space and the run's config.

    Attributes:
        task_space: the env's task space (None for curricula registered with `needs_task_space=False`).
        cfg: the run's config.
        num_envs: envs in the run (PLR's number of actors).
        action_space: the env's action space.
        seed: the curriculum's seed (`--curriculum_seed`, else `--seed`).
    """

    task_space: Any
    cfg: argparse.Namespace
    num_envs: int
    action_space: Any
    seed: int | None

    def option(self, name: str) -> Any:
        """The value of flag `--name` (declare it in the entry's `flags`)."""
        return getattr(self.cfg, name)

    def build(self, name: str) -> Any:
        """The curriculum `name` over the same task space (e.g. a stage of a sequential curriculum)."""
        return get_entry(name).build(self)


@dataclass(frozen=True)
class CurriculumEntry:
    """One row of the table.

    Attributes:
        name: the `--curriculum` value.
        build: `build(ctx: BuildContext) -> Curriculum`.
        flags: the `(flag, add_argument kwargs)` specs it reads; a spec shared by several entries is one object.
        needs_task_space: False when the curriculum brings its own tasks (self-play: opponent slots).
        self_play: the run keeps an opponent pool of policy snapshots (`sf_curric.algo.self_play`).
        stage: usable by name as a stage of `--sequential_stages`.
    """

    name: str
    build: Callable[[BuildContext], Any]
    flags: Sequence[FlagSpec] = ()
    needs_task_space: bool = True
    self_play: bool = False
    stage: bool = False


CURRICULA: dict[str, CurriculumEntry] = {}


def register_curriculum(
    name: str,
    build: Callable[[BuildContext], Any],
    flags: Sequence[FlagSpec] = (),
    *,
    needs_task_space: bool = True,
    self_play: bool = False,
    stage: bool = False,
) -> CurriculumEntry:
    """Make `--curriculum=name` build `build(ctx)`; its `flags` join the parser's curriculum group.

    Args:
        name: the `--curriculum` value (not "none").
        build: function of a `BuildContext` returning a `Curriculum`; read flags with `ctx.option("flag_name")`.
        flags: `(flag, add_argument kwargs)` specs the curriculum reads (a flag already defined is not redefined).
        needs_task_space: False for curricula that bring their own tasks.
        self_play: the run keeps an opponent pool (self-play curricula).
        stage: usable by name in `--sequential_stages`.
    """
    if name == "none" or not name.isidentifier():
        raise ValueError(f"curriculum name {name!r}: use an identifier other than 'none' (e.g. 'my_curriculum')")
    entry = CurriculumEntry(name, build, tuple(flags), needs_task_space, self_play, stage)
    CURRICULA[name] = entry
    return entry


def unregister_curriculum(name: str) -> None:
    """Remove `name` from the table (tests that register a curriculum of their own)."""
    CURRICULA.pop(name, None)


def curriculum_names() -> tuple[str, ...]:
    """`--curriculum`'s choices: "none" and every registered name."""
    return ("none", *CURRICULA)


def curriculum_flags() -> list[FlagSpec]:
    """The option flags of every curriculum, each once, in table order (after `--curriculum_prefetch`)."""
    specs, seen = list(builtin_flags.PREFETCH_ARGS), {flag for flag, _ in builtin_flags.PREFETCH_ARGS}
    for entry in CURRICULA.values():
        for flag, kwargs in entry.flags:
            if flag not in seen:
                seen.add(flag)
                specs.append((flag, kwargs))
    return specs


def get_entry(name: str) -> CurriculumEntry:
    """The table row of `name`; a ConfigError listing the names when there is none."""
    if name not in CURRICULA:
        raise ConfigError(f"unknown --curriculum={name!r}: use one of {', '.join(curriculum_names())}")
    return CURRICULA[name]


def is_self_play_curriculum(name: Any) -> bool:
    """Whether `--curriculum=name` plays against an opponent pool."""
    return isinstance(name, str) and name in CURRICULA and CURRICULA[name].self_play


def literal(text: str) -> Any:
    """A Python literal from a flag (`'3'` -> 3, `'[1,2]'` -> [1, 2]); other text stays a string."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


# ---- the built-in curricula (classes in sf_curric.curricula; imported when built) ----


def _dr(ctx: BuildContext) -> Any:
    from sf_curric.curricula import DomainRandomization

    return DomainRandomization(ctx.task_space, seed=ctx.seed)


def _plr(ctx: BuildContext, robust: bool = False) -> Any:
    from sf_curric.curricula.plr.plr import PrioritizedLevelReplay, RobustPLR
    from sf_curric.curricula.plr.scores import POLICY_STRATEGIES

    cfg = ctx.cfg
    return (RobustPLR if robust else PrioritizedLevelReplay)(
        ctx.task_space,
        num_steps=cfg.rollout,
        num_processes=ctx.num_envs,
        gamma=cfg.gamma,
        gae_lambda=cfg.gae_lambda,
        action_space=ctx.action_space if cfg.plr_strategy in POLICY_STRATEGIES else None,
        seed=ctx.seed,
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


def _learnability(ctx: BuildContext) -> Any:
    from sf_curric.curricula import Learnability

    return Learnability(
        ctx.task_space,
        window=ctx.option("learnability_window"),
        topk=ctx.option("learnability_topk"),
        uniform_mix=ctx.option("learnability_uniform_mix"),
        success_threshold=ctx.option("learnability_success_threshold"),
        seed=ctx.seed,
    )


def _simple_box(ctx: BuildContext) -> Any:
    from sf_curric.curricula import SimpleBoxCurriculum

    return SimpleBoxCurriculum(
        ctx.task_space,
        steps=ctx.option("simple_box_steps"),
        success_threshold=ctx.option("simple_box_success_threshold"),
        required_successes=ctx.option("simple_box_required_successes"),
        seed=ctx.seed,
    )


def _learning_progress(ctx: BuildContext) -> Any:
    from sf_curric.curricula import LearningProgress

    return LearningProgress(
        ctx.task_space,
        ema_alpha=ctx.option("lp_ema_alpha"),
        p_theta=ctx.option("lp_p_theta"),
        uniform_mix=ctx.option("lp_uniform_mix"),
        seed=ctx.seed,
    )


def _teacher_options(ctx: BuildContext, converter: str) -> dict[str, Any]:
    return {
        "lp_estimator": ctx.option("teacher_lp_estimator"),
        "lp_window": ctx.option("teacher_lp_window"),
        "lp_alpha": ctx.option("teacher_lp_alpha"),
        "converter": ctx.option("teacher_converter") or converter,
        "eps": ctx.option("teacher_eps"),
        "tau": ctx.option("teacher_tau"),
        "update_every": ctx.option("teacher_update_every"),
        "seed": ctx.seed,
    }


def _teacher_student(ctx: BuildContext) -> Any:
    from sf_curric.curricula.teacher_student import TeacherStudent

    try:
        return TeacherStudent(ctx.task_space, **_teacher_options(ctx, "greedy_prop"))
    except ValueError as e:
        raise ConfigError(f"--curriculum=teacher_student: {e}") from None


def _mastering_rate(ctx: BuildContext) -> Any:
    """Mastering Rate over the env's curriculum graph: an env list registered with `register_env_list` (the mr_*
    envs) brings its graph and return estimates; any other finite task space is a chain in task order."""
    from sf_curric.curricula.mastering_rate import MasteringRate
    from sf_curric.envs.registry import get_env_spec

    spec = get_env_spec(ctx.cfg.env)
    env_curriculum = getattr(getattr(spec, "make_env_fn", None), "env_curriculum", None)
    edges = getattr(env_curriculum, "edges", None)
    min_return = ctx.option("mr_min_return")
    max_return = ctx.option("mr_max_return")
    try:
        return MasteringRate(
            ctx.task_space,
            edges=edges,
            min_returns=min_return if min_return is not None else getattr(env_curriculum, "min_return", 0.0),
            max_returns=max_return if max_return is not None else getattr(env_curriculum, "max_return", 0.5),
            mr_window=ctx.option("mr_window"),
            power=ctx.option("mr_power"),
            potential_prop=ctx.option("mr_potential_prop"),
            pred_share=ctx.option("mr_pred_share"),
            succ_share=ctx.option("mr_succ_share"),
            **_teacher_options(ctx, "prop"),
        )
    except ValueError as e:
        raise ConfigError(f"--curriculum=mastering_rate: {e}") from None


def _performance(ctx: BuildContext) -> Any:
    from sf_curric.curricula import PerformanceCurriculum

    threshold = ctx.option("perf_promote_threshold")
    if threshold is None:
        raise ConfigError("--curriculum=performance needs --perf_promote_threshold (e.g. the return to reach)")
    return PerformanceCurriculum(
        ctx.task_space,
        promote_threshold=threshold,
        window=ctx.option("perf_window"),
        metric=ctx.option("perf_metric"),
        demote_threshold=ctx.option("perf_demote_threshold"),
        replay_easier=ctx.option("perf_replay_easier"),
        seed=ctx.seed,
    )


def _constant(ctx: BuildContext) -> Any:
    from sf_curric.curricula import Constant

    task = ctx.option("constant_task")
    if task is None:
        raise ConfigError("--curriculum=constant needs --constant_task (a task of the env's task space, e.g. 3)")
    return Constant(literal(task), ctx.task_space, seed=ctx.seed)


def _sequential(ctx: BuildContext) -> Any:
    from sf_curric.curricula import SequentialCurriculum

    stages_text, conditions_text = ctx.option("sequential_stages"), ctx.option("sequential_conditions")
    if not stages_text:
        raise ConfigError("--curriculum=sequential needs --sequential_stages (e.g. '0;[1,2];dr')")
    stages: list = []
    for item in (s.strip() for s in stages_text.split(";")):
        stages.append(ctx.build(item) if item in CURRICULA and CURRICULA[item].stage else literal(item))
    conditions = [c.strip() for c in conditions_text.split(";")] if conditions_text else []
    try:
        return SequentialCurriculum(stages, conditions, ctx.task_space, seed=ctx.seed)
    except ValueError as e:
        raise ConfigError(f"--sequential_stages/--sequential_conditions: {e}") from None


def _self_play(class_name: str) -> Callable[[BuildContext], Any]:
    def build(ctx: BuildContext) -> Any:
        from sf_curric.curricula import self_play

        cls = getattr(self_play, class_name)
        kwargs: dict[str, Any] = {"max_agents": ctx.option("selfplay_pool_size"), "seed": ctx.seed}
        if cls is self_play.PrioritizedFictitiousSelfPlay:
            kwargs.update(weighting=ctx.option("pfsp_weighting"), p=ctx.option("pfsp_p"))
        return cls(**kwargs)

    return build


def _accel(ctx: BuildContext) -> Any:
    """ACCEL with the env's `mutate` (from register_env or a method of the env) and, as the generator, the env's
    `generate_level` when it has one, else uniform draws from its task space."""
    from sf_curric.curricula.accel import ACCEL
    from sf_curric.envs.registry import get_env_spec

    cfg = ctx.cfg
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
        raise ConfigError(
            f"--curriculum=accel needs a level mutation: register_env({cfg.env!r}, ..., mutate=fn) or define "
            "mutate(level, rng, num_edits) on the TaskEnv"
        )
    if generator is None:
        from sf_curric.curricula.task_space import as_task_space

        tasks = as_task_space(ctx.task_space).tasks
        if tasks is None:
            raise ConfigError("--curriculum=accel needs a finite task space or register_env(..., generate_level=fn)")

        def generator(rng: Any) -> Any:
            return tasks[int(rng.random() * len(tasks))]

    return ACCEL(
        generator,
        mutate,
        buffer_size=ctx.option("accel_buffer_size"),
        num_edits=ctx.option("accel_num_edits"),
        replay_prob=ctx.option("accel_replay_prob"),
        staging=max(1024, 4 * ctx.num_envs * ctx.option("curriculum_prefetch")),
        num_processes=ctx.num_envs,
        strategy=ctx.option("accel_strategy"),
        temperature=ctx.option("accel_temperature"),
        staleness_coef=ctx.option("accel_staleness_coef"),
        seed=ctx.seed,
    )


register_curriculum("dr", _dr, stage=True)
register_curriculum("plr", _plr, builtin_flags.PLR_ARGS, stage=True)
register_curriculum("sequential", _sequential, builtin_flags.SEQUENTIAL_ARGS)
register_curriculum("simple_box", _simple_box, builtin_flags.SIMPLE_BOX_ARGS, stage=True)
register_curriculum("learning_progress", _learning_progress, builtin_flags.LEARNING_PROGRESS_ARGS, stage=True)
register_curriculum("performance", _performance, builtin_flags.PERFORMANCE_ARGS, stage=True)
register_curriculum("constant", _constant, builtin_flags.CONSTANT_ARGS)
register_curriculum("robust_plr", lambda ctx: _plr(ctx, robust=True), builtin_flags.PLR_ARGS, stage=True)
register_curriculum("accel", _accel, builtin_flags.ACCEL_ARGS)
register_curriculum("learnability", _learnability, builtin_flags.LEARNABILITY_ARGS, stage=True)
register_curriculum("teacher_student", _teacher_student, builtin_flags.TEACHER_ARGS, stage=True)
register_curriculum(
    "mastering_rate", _mastering_rate, [*builtin_flags.TEACHER_ARGS, *builtin_flags.MASTERING_RATE_ARGS], stage=True
)
for _name, _cls in (
    ("self_play", "SelfPlay"),
    ("fictitious_self_play", "FictitiousSelfPlay"),
    ("prioritized_fictitious_self_play", "PrioritizedFictitiousSelfPlay"),
):
    register_curriculum(_name, _self_play(_cls), builtin_flags.SELF_PLAY_ARGS, needs_task_space=False, self_play=True)
