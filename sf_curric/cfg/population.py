"""Multi-policy training and population-based training: Sample Factory's flags (names, types, defaults and meanings of
SF 2.1.1), their checks, and each policy's share of the run's config.

`--num_policies=N` trains N policies side by side, each on its own 1/N of the run's envs (SF's synchronous
assignment, env i -> policy i % N, made permanent: see docs/multi_policy.md for where SF's asynchronous re-sampling
differs). `--with_pbt=True` adds SF's population-based training over them (`sf_curric.algo.pbt`).
"""

from __future__ import annotations

import argparse
import copy

from sf_curric.errors import ConfigError
from sf_curric.flags import FlagSpec, bool_flag

POPULATION_ARGS: list[FlagSpec] = [
    (
        "--num_policies",
        {
            "type": int,
            "default": 1,
            "help": "Number of policies to train jointly (Sample Factory's flag): each gets its own 1/N of the envs "
            "(--num_workers or --num_envs_per_worker must divide by N), its own learner, checkpoint_p<i> folder and "
            "tensorboard/p<i> summaries; curricula run per policy.",
        },
    ),
    (
        "--policy_index",
        {
            "type": int,
            "default": 0,
            "help": "Which policy of a --num_policies run enjoy, eval and export load (Sample Factory's enjoy flag).",
        },
    ),
    ("--with_pbt", bool_flag(False, "Population-based training over the --num_policies policies (Sample Factory's).")),
    (
        "--pbt_mix_policies_in_one_env",
        bool_flag(
            True,
            "Multi-agent envs with --num_policies > 1: each policy's games seat its trained agent against another "
            "policy drawn per episode (False: every agent of a game acts with the game's one policy).",
        ),
    ),
    (
        "--pbt_period_env_steps",
        {
            "type": int,
            "default": 5_000_000,
            "help": "Every this many env steps of a policy, PBT may replace its weights with a better policy's and "
            "perturb its hyper-parameters.",
        },
    ),
    (
        "--pbt_start_mutation",
        {
            "type": int,
            "default": 20_000_000,
            "help": "PBT leaves a policy alone until it has trained this many env steps (initial diversification).",
        },
    ),
    (
        "--pbt_replace_fraction",
        {
            "type": float,
            "default": 0.3,
            "help": "Fraction of the population (rounded up) counted as best and as worst: a worst policy takes a "
            "best one's weights.",
        },
    ),
    ("--pbt_mutation_rate", {"type": float, "default": 0.15, "help": "Probability that a hyper-parameter mutates."}),
    (
        "--pbt_replace_reward_gap",
        {
            "type": float,
            "default": 0.1,
            "help": "Relative gap in the target objective needed to replace a worst policy's weights.",
        },
    ),
    (
        "--pbt_replace_reward_gap_absolute",
        {
            "type": float,
            "default": 1e-6,
            "help": "Absolute gap in the target objective needed to replace a worst policy's weights.",
        },
    ),
    ("--pbt_optimize_gamma", bool_flag(False, "PBT also perturbs --gamma (experimental in Sample Factory).")),
    (
        "--pbt_target_objective",
        {
            "type": str,
            "default": "true_objective",
            "help": "Per-policy statistic PBT maximizes: true_objective is an episode's `true_objective` from "
            "info['episode_extra_stats'] when the env reports one, else its return; any other name is an "
            "episode_extra_stats key.",
        },
    ),
    (
        "--pbt_perturb_min",
        {"type": float, "default": 1.1, "help": "A mutated float is multiplied or divided by U[min, max]."},
    ),
    (
        "--pbt_perturb_max",
        {"type": float, "default": 1.5, "help": "A mutated float is multiplied or divided by U[min, max]."},
    ),
]

# features of a single-policy run that do not take part in multi-policy training yet: (flag, is it on?)
_SINGLE_POLICY_ONLY = {
    "--eval_every_env_steps": lambda cfg: getattr(cfg, "eval_every_env_steps", 0) > 0,
    "--with_wandb": lambda cfg: bool(getattr(cfg, "with_wandb", False)),
    "--baseline_curriculum": lambda cfg: getattr(cfg, "baseline_curriculum", None) is not None,
}


def check_population(cfg: argparse.Namespace) -> None:
    """Refuse a population config that cannot run, with a one-line fix."""
    n = cfg.num_policies
    if n < 1:
        raise ConfigError(f"--num_policies={n} must be >= 1")
    if not 1.0 <= cfg.pbt_perturb_min <= cfg.pbt_perturb_max:
        raise ConfigError(
            f"--pbt_perturb_min={cfg.pbt_perturb_min} and --pbt_perturb_max={cfg.pbt_perturb_max} must satisfy "
            "1 <= min <= max (a mutation multiplies or divides by a factor between them)"
        )
    if not 0.0 < cfg.pbt_replace_fraction <= 0.5:
        raise ConfigError(f"--pbt_replace_fraction={cfg.pbt_replace_fraction} must be in (0, 0.5]")
    if not 0.0 <= cfg.pbt_mutation_rate <= 1.0:
        raise ConfigError(f"--pbt_mutation_rate={cfg.pbt_mutation_rate} must be in [0, 1]")
    if n == 1:
        return
    envs_split = (not cfg.serial_mode and cfg.num_workers % n == 0) or cfg.num_envs_per_worker % n == 0
    if cfg.serial_mode and (cfg.num_workers * cfg.num_envs_per_worker) % n == 0:
        envs_split = True
    if not envs_split:
        raise ConfigError(
            f"--num_policies={n}: each policy gets its own 1/{n} of the envs, so --num_workers={cfg.num_workers} or "
            f"--num_envs_per_worker={cfg.num_envs_per_worker} must divide by {n}"
        )
    for flag, on in _SINGLE_POLICY_ONLY.items():
        if on(cfg):
            raise ConfigError(f"{flag} does not work with --num_policies={n} yet: leave it out or train one policy")
    if getattr(cfg, "curriculum", None) in ("self_play", "fictitious_self_play", "prioritized_fictitious_self_play"):
        raise ConfigError(
            f"--curriculum={cfg.curriculum} keeps its own pool of opponents: use --num_policies=1 with it (with "
            f"--num_policies={n} the policies play each other)"
        )


def policy_suffix(cfg: argparse.Namespace) -> str:
    """ "" for policy 0 (a one-policy run's names), "_p<i>" for `--policy_index=i`: what enjoy, eval and export add
    to the names of the files they write, so that two policies' outputs never overwrite each other."""
    policy_id = getattr(cfg, "policy_index", 0)
    return f"_p{policy_id}" if policy_id else ""


def policy_config(cfg: argparse.Namespace, policy_id: int) -> argparse.Namespace:
    """Policy `policy_id`'s config in a `--num_policies` run: its 1/N of the envs and its own seed (policy 0 keeps
    `--seed`, so a one-policy run is unchanged). A copy: PBT changes hyper-parameters in it, not in the run's.

    Example:
        >>> cfg = argparse.Namespace(num_policies=2, num_workers=4, num_envs_per_worker=8, serial_mode=False, seed=1)
        >>> (policy_config(cfg, 1).num_workers, policy_config(cfg, 1).seed)
        (2, 2)
    """
    n = cfg.num_policies
    sub = copy.copy(cfg)
    sub.policy_index = policy_id
    if n > 1:
        if not cfg.serial_mode and cfg.num_workers % n == 0:
            sub.num_workers = cfg.num_workers // n
        elif cfg.num_envs_per_worker % n == 0:
            sub.num_envs_per_worker = cfg.num_envs_per_worker // n
        else:  # serial mode: the envs are one pool
            sub.num_workers, sub.num_envs_per_worker = 1, cfg.num_workers * cfg.num_envs_per_worker // n
    if cfg.seed is not None:
        sub.seed = cfg.seed + policy_id
    return sub
