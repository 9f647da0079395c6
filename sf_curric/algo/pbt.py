"""Population-based training over the policies of a `--num_policies` run, with Sample Factory 2.1.1's rules
(sample_factory/pbt/population_based_training.py; Jaderberg et al. 2017, "Population Based Training of Neural
Networks").

Every `--pbt_period_env_steps` of a policy's env steps, once it has trained `--pbt_start_mutation` of them, the
population is ranked by `--pbt_target_objective` (the mean over each policy's last `--stats_avg` episodes). A policy
among the best `ceil(--pbt_replace_fraction * N)` is left alone. One among the worst takes the weights (and Adam
state) of a random best one when the gap is larger than `--pbt_replace_reward_gap` (relative) and
`--pbt_replace_reward_gap_absolute`. Every policy but 0 then perturbs the hyper-parameters it ends up with (its own or
the better one's): each mutates with probability `--pbt_mutation_rate`, multiplied or divided by U[`--pbt_perturb_min`,
`--pbt_perturb_max`] (gamma: 1 - gamma is, by U[1.01, 1.2]), or, at 1 %, goes back to its default. Policy 0 is never
mutated (the reference), though it may be replaced. At start, policies 1..N-1 begin from a perturbation of the
defaults. Each policy's hyper-parameters are kept in `policy_<i:02d>_cfg.json` (a resumed run continues with them) and
logged as `zz_pbt/cfg_<name>`; a replacement is logged as `zz_pbt/replaced_by` (the policy whose weights it took).

Where we differ: draws use a `random.Random` seeded from `--seed` (SF uses the global `random`), and there is no
reward-shaping mutation (SF mutates a Doom env's reward-shaping scheme; gymnasium envs have none).
"""

from __future__ import annotations

import argparse
import copy
import json
import logging
import math
import random
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np

log = logging.getLogger("sf_curric")

HYPERPARAMS_TO_TUNE = (
    "learning_rate",
    "exploration_loss_coeff",
    "value_loss_coeff",
    "max_grad_norm",
    "ppo_clip_ratio",
    "ppo_clip_value",
)
_EPS = 1e-8
_SUMMARY_EVERY_SEC = 5 * 60  # SF also logs the hyper-parameters this often when nothing changed


def perturb_float(x: float, amount: float, rng: random.Random) -> float:
    """`x / amount` or `x * amount`, each with probability 1/2 (SF's `perturb_float`)."""
    return x / amount if rng.random() < 0.5 else x * amount


def perturb_exponential_decay(x: float, rng: random.Random) -> float:
    """A discount-like value near 1: perturb `1 - x` by U[1.01, 1.2] (SF's `perturb_exponential_decay`)."""
    return max(_EPS, 1.0 - perturb_float(1.0 - x, rng.uniform(1.01, 1.2), rng))


def policy_cfg_file(exp_dir: Path, policy_id: int) -> Path:
    """Where policy `policy_id`'s hyper-parameters are kept (SF's name)."""
    return Path(exp_dir) / f"policy_{policy_id:02d}_cfg.json"


def target_objective(runner: Any, name: str) -> float | None:
    """The mean of `name` over a policy's last `--stats_avg` episodes; None before any episode reported it.

    `true_objective` is an episode's `true_objective` in `info["episode_extra_stats"]` when the env reports one, else
    its return (SF's definition); any other name is an `episode_extra_stats` key.
    """
    custom = runner.stats.custom
    if name == "true_objective":
        values = custom.get("custom/true_objective") or runner.stats.returns
    else:
        values = custom.get(f"custom/{name}") or custom.get(name)
    return float(np.mean(values)) if values else None


class PopulationBasedTraining:
    """SF's PBT over `runners` (one `sf_curric.algo.runner.Runner` per policy, set up, in policy order).

    Args:
        cfg: the run's config (`--pbt_*`, `--num_policies`, `--seed`).
        exp_dir: the experiment folder (for `policy_<i:02d>_cfg.json`).

    Example:
        >>> pbt = PopulationBasedTraining(cfg, exp_dir)
        >>> pbt.start(runners)             # initial hyper-parameters, applied to each policy's config
        >>> pbt.after_iteration(runners)   # after each round of training iterations
    """

    def __init__(self, cfg: argparse.Namespace, exp_dir: Path):
        self.cfg = cfg
        self.exp_dir = Path(exp_dir)
        self.n = cfg.num_policies
        self.rng = random.Random(None if cfg.seed is None else f"pbt-{cfg.seed}")  # a str seed is hashed stably
        self.names = HYPERPARAMS_TO_TUNE + (("gamma",) if cfg.pbt_optimize_gamma else ())
        self.defaults = {name: getattr(cfg, name) for name in self.names}
        self.policy_cfg: list[dict[str, Any]] = [dict(self.defaults) for _ in range(self.n)]
        self.last_update = [0] * self.n
        self.replacements = 0  # weights copied from a better policy, this session
        self._last_summaries = 0.0

    # ---- start -------------------------------------------------------------------------------------------------

    def start(self, runners: Sequence[Any]) -> None:
        """Load each policy's saved hyper-parameters, or perturb the defaults (policies 1..N-1); apply them."""
        for policy_id in range(self.n):
            path = policy_cfg_file(self.exp_dir, policy_id)
            if path.exists():
                saved = json.loads(path.read_text())
                self.policy_cfg[policy_id] = {name: saved.get(name, self.defaults[name]) for name in self.names}
            elif policy_id > 0:  # policy 0 keeps the defaults at the start
                self.policy_cfg[policy_id] = self._perturb(self.policy_cfg[policy_id])
            self._apply(runners[policy_id])
        for runner in runners:  # the period counts from 0 env steps in each session, as in SF
            self._write_summaries(runner)

    # ---- each iteration ------------------------------------------------------------------------------------------

    def after_iteration(self, runners: Sequence[Any]) -> None:
        """Update every policy whose period has come (SF's `on_training_step`)."""
        cfg = self.cfg
        for runner in runners:
            policy_id = runner.policy_id
            if runner.env_steps < cfg.pbt_start_mutation:
                continue
            if runner.env_steps - self.last_update[policy_id] > cfg.pbt_period_env_steps:
                self._update_policy(policy_id, runners)
                self._write_summaries(runner)
                self.last_update[policy_id] = runner.env_steps
        now = time.monotonic()
        if now - self._last_summaries > _SUMMARY_EVERY_SEC:
            for runner in runners:
                self._write_summaries(runner)
            self._last_summaries = now

    def _update_policy(self, policy_id: int, runners: Sequence[Any]) -> None:
        cfg = self.cfg
        objectives = [target_objective(r, cfg.pbt_target_objective) for r in runners]
        if any(value is None for value in objectives):  # not enough data yet (SF waits too)
            return
        ranked = [p for _, p in sorted(zip(objectives, range(self.n)), reverse=True)]
        replace_number = math.ceil(cfg.pbt_replace_fraction * self.n)
        best, worst = ranked[:replace_number], ranked[-replace_number:]
        if policy_id in best:
            return
        replacement = policy_id
        if policy_id in worst:
            candidate = self.rng.choice(best)
            delta = objectives[candidate] - objectives[policy_id]
            relative = abs(delta / (objectives[candidate] + _EPS))  # SF's: not meant for negative objectives
            if abs(delta) > cfg.pbt_replace_reward_gap_absolute and relative > cfg.pbt_replace_reward_gap:
                replacement = candidate
        if policy_id == 0:  # the reference is never mutated, though it may be replaced
            self.policy_cfg[0] = dict(self.policy_cfg[replacement])
        else:
            self.policy_cfg[policy_id] = self._perturb(self.policy_cfg[replacement])
        if replacement != policy_id:
            _copy_weights(runners[replacement], runners[policy_id])
            self.replacements += 1
            if runners[policy_id].writer is not None:  # which policy it came from, when (SF only logs it)
                runners[policy_id].writer.add_scalar("zz_pbt/replaced_by", replacement, runners[policy_id].env_steps)
            log.info(
                "PBT: policy %d (%s %.3f) takes the weights of policy %d (%.3f)",
                policy_id, cfg.pbt_target_objective, objectives[policy_id], replacement, objectives[replacement],
            )  # fmt: skip
        self._apply(runners[policy_id])

    # ---- hyper-parameters ----------------------------------------------------------------------------------------

    def _perturb(self, params: dict[str, Any]) -> dict[str, Any]:
        return {name: self._perturb_param(name, value) for name, value in params.items()}

    def _perturb_param(self, name: str, value: Any) -> Any:
        cfg, rng = self.cfg, self.rng
        if rng.random() > cfg.pbt_mutation_rate:
            return value
        default = self.defaults[name]
        if value != default and rng.random() < 0.01:
            return default
        if name == "gamma":
            return perturb_exponential_decay(float(value), rng)
        if isinstance(value, bool):
            return not value
        return perturb_float(float(value), rng.uniform(cfg.pbt_perturb_min, cfg.pbt_perturb_max), rng)

    def _apply(self, runner: Any) -> None:
        """Set the policy's hyper-parameters in its config (its learner reads them at every training step)."""
        params = self.policy_cfg[runner.policy_id]
        for name, value in params.items():
            setattr(runner.cfg, name, value)
        path = policy_cfg_file(self.exp_dir, runner.policy_id)
        path.write_text(json.dumps(params, indent=1, sort_keys=True) + "\n")

    def _write_summaries(self, runner: Any) -> None:
        if runner.writer is None:
            return
        for name, value in self.policy_cfg[runner.policy_id].items():
            runner.writer.add_scalar(f"zz_pbt/cfg_{name}", float(value), runner.env_steps)


def _copy_weights(source: Any, target: Any) -> None:
    """Policy `target` continues from `source`'s weights, normalizers and Adam state (SF loads the model and the
    optimizer, not the env-step count); its workers get them as a new weights version."""
    target.learner.model.load_state_dict(source.learner.model.state_dict())
    target.learner.optimizer.load_state_dict(copy.deepcopy(source.learner.optimizer.state_dict()))
    target.learner.version += 1
    target.sampler.on_weights_updated()
