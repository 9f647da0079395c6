"""Defaults chosen for the machine a run starts on: workers, envs per worker, batch shape and torch threads.

`choose_defaults` is a pure function of the core count and the env's step cost (seconds per `env.step`); the
train command applies its choice with `apply_auto_defaults` to every flag the user did not type and
`register_env_defaults` did not set (it replaces the built-in per-env layout), and logs it with the reason.
`--auto_defaults=False` keeps the static defaults of `--help`.

Why these rules (measured on CartPole-v1 and pixel Breakout, see docs/performance.md):

- The learner needs one core of its own; the rest step envs. A rollout worker also runs its CPU copy of the
  policy, whose forward pass costs about `INFERENCE_S_PER_STEP` per env step for the default MLP: for envs
  cheaper than that (`CHEAP_STEP_S`), more envs per worker make the batched forward pass cheaper per step.
- On one or two cores with a cheap env, a worker process buys nothing: the learner's core is the bottleneck, and
  starting the process costs ~2 s, so serial mode (envs, inference and learning in one process) is faster from
  the first step to the end. With an expensive env on two cores, one worker process steps envs while the learner
  trains.
- More than one torch thread in the learner only pays when cores are left after the workers (>= 8 cores).
"""

from __future__ import annotations

import argparse
import logging
import os
import time
from dataclasses import dataclass, field
from typing import Any

from sf_curric.cfg.arguments import flag_value

log = logging.getLogger("sf_curric")

# An env step cheaper than this is "cheap": the policy's forward pass, not the env, dominates a worker's time.
CHEAP_STEP_S = 50e-6
# Seconds one env step costs in the worker's forward pass of the default MLP (batch of 8-32 envs), measured on CPU.
INFERENCE_S_PER_STEP = 15e-6
# Measuring an unknown env's step cost takes at most this long (after the env is made).
MEASURE_BUDGET_S = 0.25
# Known step costs (seconds per env.step, gymnasium 1.x on one CPU core): these envs are not measured at start.
KNOWN_STEP_S = {
    "CartPole-v1": 6e-6,
    "cartpole_curriculum": 8e-6,
}
# Flags `choose_defaults` decides; typing one of the layout flags keeps the whole static layout.
LAYOUT_FLAGS = ("serial_mode", "num_workers", "num_envs_per_worker", "num_batches_per_epoch")
AUTO_FLAGS = (*LAYOUT_FLAGS, "num_torch_threads")


@dataclass(frozen=True)
class AutoChoice:
    """What `choose_defaults` picked and why.

    Attributes:
        values: flag name -> value (the flags of `AUTO_FLAGS`).
        reason: one line for the start-up log.
    """

    values: dict[str, Any] = field(default_factory=dict)
    reason: str = ""


def available_cores() -> int:
    """CPU cores this process may run on (CPU affinity, e.g. under taskset or a container), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _envs_per_worker(step_seconds: float) -> int:
    """Enough envs that the batched forward pass is cheap per step; an even number (two splits of envs)."""
    if step_seconds < CHEAP_STEP_S:
        return 16
    if step_seconds < 1e-3:
        return 8
    return 4


def choose_defaults(
    cores: int, step_seconds: float, rollout: int, batch_size: int, env_envs: int | None = None
) -> AutoChoice:
    """Workers, envs, batch count and torch threads for `cores` cores and an env step of `step_seconds`.

    One training iteration uses one rollout of every env (`num_batches_per_epoch` minibatches of `batch_size`),
    so that every worker has a slot in each batch.

    Args:
        cores: CPU cores available to the run (>= 1).
        step_seconds: seconds one `env.step` takes.
        rollout: the run's `--rollout`.
        batch_size: the run's `--batch_size` (minibatch size).
        env_envs: the env's own default `--num_envs_per_worker` (per-env defaults), kept in serial mode when it is
            larger: its hyperparameters assume that many samples per iteration.

    Returns:
        AutoChoice with the flag values and a one-line reason.

    Example:
        >>> choose_defaults(cores=16, step_seconds=5e-6, rollout=32, batch_size=256).values["num_workers"]
        15
    """
    if cores < 1 or step_seconds < 0 or rollout < 1 or batch_size < 1:
        raise ValueError("choose_defaults needs cores >= 1, step_seconds >= 0, rollout, batch_size >= 1")
    cheap = step_seconds < CHEAP_STEP_S
    cost = f"env step {step_seconds * 1e6:.0f} us ({'cheaper' if cheap else 'dearer'} than inference)"
    if cores <= 2 and cheap:
        serial, workers, envs = True, 1, max(16, env_envs or 0)
        why = f"{cores} core(s), {cost}: serial mode (a worker process would only share the learner's core)"
    elif cores == 1:
        serial, workers, envs = True, 1, 8
        why = f"1 core, {cost}: serial mode"
    elif cores == 2:
        serial, workers, envs = False, 1, _envs_per_worker(step_seconds)
        why = f"2 cores, {cost}: 1 worker process steps envs while the learner trains"
    else:
        serial, workers, envs = False, min(cores - 1, 64), _envs_per_worker(step_seconds)
        why = f"{cores} cores, {cost}: 1 core for the learner, {workers} worker processes"
    threads = 1 if cores < 8 else min(4, cores // 8)
    if threads > 1:
        why += f", {threads} learner threads"
    samples = workers * envs * rollout
    batches = max(1, round(samples / batch_size))
    if (batches * batch_size) % rollout != 0:  # the batch must hold whole rollouts: keep the static default
        batches = 1
    values = {
        "serial_mode": serial,
        "num_workers": workers,
        "num_envs_per_worker": envs,
        "num_batches_per_epoch": batches,
        "num_torch_threads": threads,
    }
    return AutoChoice(values, why)


def measure_step_seconds(cfg: argparse.Namespace, budget_s: float = MEASURE_BUDGET_S) -> float:
    """Seconds per `env.step` of `cfg.env` with random actions (known envs are looked up, not measured).

    Args:
        cfg: the run's config (`make_env` reads it).
        budget_s: the measurement stops after this long (at least 5 steps are taken).
    """
    if cfg.env in KNOWN_STEP_S:
        return KNOWN_STEP_S[cfg.env]
    from sf_curric.envs.registry import make_env

    env = make_env(cfg, {"worker_index": 0, "vector_index": 0, "env_id": -1})
    try:
        env.reset(seed=0)
        env.action_space.seed(0)
        steps, start = 0, time.perf_counter()
        while steps < 5 or (time.perf_counter() - start < budget_s and steps < 2000):
            _, _, terminated, truncated, _ = env.step(env.action_space.sample())
            steps += 1
            if terminated or truncated:
                env.reset()
        return (time.perf_counter() - start) / steps
    finally:
        env.close()


def apply_auto_defaults(cfg: argparse.Namespace, cores: int | None = None) -> argparse.Namespace:
    """Fill the flags of `AUTO_FLAGS` that neither the user (`cfg.cli_args`) nor `register_env_defaults` set.

    The built-in per-env defaults' layout (e.g. CartPole's) is what `--auto_defaults=False` gives.

    Logs the choice and its reason (to the console the train command set up). A no-op with `--auto_defaults=False`,
    and when every such flag is given.

    Args:
        cfg: the resolved, validated config (a resumed experiment keeps the choice saved in its config).
        cores: CPU cores (default: `available_cores()`).

    Returns:
        `cfg`, changed in place.
    """
    from sf_curric.cfg.env_defaults import get_env_defaults, registered_env_defaults
    from sf_curric.cfg.experiment import config_path
    from sf_curric.envs.registry import env_exists

    if not flag_value(cfg, "auto_defaults") or not cfg.env or not env_exists(cfg.env):
        return cfg  # an unknown env is reported by the validation, with its fix
    if cfg.restart_behavior == "resume" and config_path(cfg).exists():
        return cfg  # the saved config holds the choice made when the experiment started
    if cfg.rollout < 1 or cfg.batch_size < 1:
        return cfg  # invalid: the validation says so
    fixed = set(cfg.cli_args) | set(registered_env_defaults(cfg.env))
    open_flags = [name for name in AUTO_FLAGS if name not in fixed]
    if fixed & set(LAYOUT_FLAGS):  # the user chose (part of) the layout: the rest of it stays as --help says
        open_flags = [name for name in open_flags if name not in LAYOUT_FLAGS]
    if not open_flags:
        return cfg
    cores = available_cores() if cores is None else cores
    step_s = 0.0  # the torch threads alone depend on the cores only: no env is made then
    try:
        if set(open_flags) & set(LAYOUT_FLAGS):
            step_s = measure_step_seconds(cfg)
    except Exception as e:  # the runner makes the same env next and reports its error properly
        log.debug("auto defaults skipped: making or stepping %s failed (%s)", cfg.env, e)
        return cfg
    env_envs = get_env_defaults(cfg.env).get("num_envs_per_worker")
    choice = choose_defaults(cores, step_s, cfg.rollout, cfg.batch_size, env_envs)
    for name in open_flags:
        setattr(cfg, name, choice.values[name])
    chosen = ", ".join(f"--{name}={getattr(cfg, name)}" for name in open_flags)
    reason = choice.reason if step_s > 0 else f"{cores} core(s)"
    log.info("auto defaults: %s (%s; flags you type win; --auto_defaults=False: the static defaults)", chosen,
             reason)  # fmt: skip
    return cfg
