"""`--curriculum=plr` and `--curriculum=robust_plr`: PLR's flags and how the trainer builds it from them."""

from __future__ import annotations

from typing import Any

from sf_curric.curricula.plr.options import SCHEDULES
from sf_curric.curricula.plr.plr import PrioritizedLevelReplay, RobustPLR
from sf_curric.curricula.plr.scores import POLICY_STRATEGIES, STRATEGIES
from sf_curric.curricula.plr.transforms import TRANSFORMS

PLR_ARGS: list[tuple[str, dict[str, Any]]] = [  # plr and robust_plr
    (
        "--plr_strategy",
        {"type": str, "default": "value_l1", "choices": STRATEGIES, "help": "PLR score of a task."},
    ),
    (
        "--plr_score_transform",
        {
            "type": str,
            "default": "rank",
            "choices": TRANSFORMS,
            "help": "PLR transform from scores to replay weights.",
        },
    ),
    ("--plr_temperature", {"type": float, "default": 0.1, "help": "PLR score transform temperature."}),
    ("--plr_staleness_coef", {"type": float, "default": 0.1, "help": "PLR weight of staleness in the mix."}),
    (
        "--plr_staleness_transform",
        {"type": str, "default": "power", "choices": TRANSFORMS, "help": "PLR transform of staleness."},
    ),
    ("--plr_rho", {"type": float, "default": 1.0, "help": "PLR: fraction of tasks seen before replay starts."}),
    ("--plr_nu", {"type": float, "default": 0.5, "help": "PLR replay probability with --plr_replay_schedule=fixed."}),
    ("--plr_alpha", {"type": float, "default": 1.0, "help": "PLR score EMA weight of the newest score."}),
    (
        "--plr_replay_schedule",
        {
            "type": str,
            "default": "proportionate",
            "choices": SCHEDULES,
            "help": "PLR replay probability: proportionate to tasks seen, or fixed at --plr_nu.",
        },
    ),
    ("--plr_eps", {"type": float, "default": 0.05, "help": "PLR epsilon of the eps_greedy transform."}),
]


def build(ctx: Any, robust: bool = False) -> PrioritizedLevelReplay:
    """`--curriculum=plr` (sf_curric/curricula/builtin.py): the run's rollout length, discount, GAE lambda and env
    count, and the `--plr_*` flags."""
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


def build_robust(ctx: Any) -> RobustPLR:
    """`--curriculum=robust_plr`: PLR that trains only on replayed levels, from the same flags."""
    return build(ctx, robust=True)
