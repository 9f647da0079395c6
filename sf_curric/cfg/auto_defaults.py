"""Defaults chosen for the machine a run starts on: workers, envs per worker, batch shape and torch threads.

`choose_defaults` is a pure function of the core count and the env's step cost (seconds per env step and column:
a gymnasium env, an EnvPool view, or a multi-agent game whose agents are columns); the train command applies its
choice with `apply_auto_defaults` to every flag the user did not type and `register_env_defaults` did not set (it
replaces the built-in per-env layout), and logs it with the reason. A layout flag that is typed (or registered) is
kept, and the others are chosen as the rules below give them under it: `--serial_mode` picks the mode; a
`--num_workers` above 1 without `--serial_mode` means worker processes (in serial mode workers only multiply the
envs); `--num_envs_per_worker` and `--num_batches_per_epoch` keep the chosen mode and workers. When the step cost
cannot be measured, a warning says so and the layout stays the static one. `--auto_defaults=False` keeps the
static defaults of `--help`.

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
from typing import Any, Callable, Mapping, NamedTuple

import numpy as np

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
# Flags `choose_defaults` decides. A typed (or registered) one is kept and the others are chosen around it.
LAYOUT_FLAGS = ("serial_mode", "num_workers", "num_envs_per_worker", "num_batches_per_epoch")
AUTO_FLAGS = (*LAYOUT_FLAGS, "num_torch_threads")
# the flags whose choice depends on the env's step cost (the workers follow the mode, the minibatches the envs)
COST_FLAGS = ("serial_mode", "num_envs_per_worker")


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


def _mode(cores: int, cheap: bool, fixed: Mapping[str, Any], cost: str) -> tuple[bool, str]:
    """Serial mode or not, and why: a given --serial_mode, else a given --num_workers above 1 (worker processes
    asked for: in serial mode workers only multiply the envs), else the machine's rule."""
    if "serial_mode" in fixed:
        return bool(fixed["serial_mode"]), f"--serial_mode={fixed['serial_mode']} given, {cost}"
    if fixed.get("num_workers", 1) > 1:
        return False, f"--num_workers={fixed['num_workers']} given: worker processes, {cost}"
    if cores <= 2 and cheap:
        return True, f"{cores} core(s), {cost}: serial mode (a worker process would only share the learner's core)"
    if cores == 1:
        return True, f"1 core, {cost}: serial mode"
    if cores == 2:
        return False, f"2 cores, {cost}: 1 worker process steps envs while the learner trains"
    return False, f"{cores} cores, {cost}: 1 core for the learner, {min(cores - 1, 64)} worker processes"


def choose_defaults(
    cores: int,
    step_seconds: float,
    rollout: int,
    batch_size: int,
    env_envs: int | None = None,
    fixed: Mapping[str, Any] | None = None,
    agents: int = 1,
) -> AutoChoice:
    """Workers, envs, batch count and torch threads for `cores` cores and an env step of `step_seconds`.

    One training iteration uses one rollout of every env (`num_batches_per_epoch` minibatches of `batch_size`),
    so that every worker has a slot in each batch. Flags in `fixed` keep their value; the others are what the
    rules give under them (a typed `--serial_mode=True` on 16 cores: the serial layout's envs, not 15 workers).

    Args:
        cores: CPU cores available to the run (>= 1).
        step_seconds: seconds one env step costs per column (agent).
        rollout: the run's `--rollout`.
        batch_size: the run's `--batch_size` (minibatch size).
        env_envs: the env's own default `--num_envs_per_worker` (per-env defaults), kept in serial mode when it is
            larger: its hyperparameters assume that many samples per iteration.
        fixed: layout flags the user typed or registered, by name (without dashes).
        agents: columns per env (a multi-agent game's agents): the env count is rounded up to a multiple.

    Returns:
        AutoChoice with the flag values and a one-line reason.

    Example:
        >>> choose_defaults(cores=16, step_seconds=5e-6, rollout=32, batch_size=256).values["num_workers"]
        15
    """
    if cores < 1 or step_seconds < 0 or rollout < 1 or batch_size < 1 or agents < 1:
        raise ValueError("choose_defaults needs cores >= 1, step_seconds >= 0, rollout, batch_size, agents >= 1")
    fixed = dict(fixed or {})
    cheap = step_seconds < CHEAP_STEP_S
    cost = f"env step {step_seconds * 1e6:.0f} us ({'cheaper' if cheap else 'dearer'} than inference)"
    serial, why = _mode(cores, cheap, fixed, cost)
    if serial:
        workers, envs = 1, (max(16, env_envs or 0) if cheap else 8)
    else:
        workers, envs = max(1, min(cores - 1, 64)), _envs_per_worker(step_seconds)
    workers = fixed.get("num_workers", workers)
    envs = fixed.get("num_envs_per_worker", -(-envs // agents) * agents)  # whole games: every agent is a column
    threads = 1 if cores < 8 else min(4, cores // 8)
    if threads > 1:
        why += f", {threads} learner threads"
    batches = max(1, round(workers * envs * rollout / batch_size))
    if (batches * batch_size) % rollout != 0:  # the batch must hold whole rollouts: keep the static default
        batches = 1
    values = {
        "serial_mode": serial,
        "num_workers": workers,
        "num_envs_per_worker": envs,
        "num_batches_per_epoch": fixed.get("num_batches_per_epoch", batches),
        "num_torch_threads": threads,
    }
    return AutoChoice(values, why)


class StepCost(NamedTuple):
    """What one env step costs the run.

    Attributes:
        seconds: seconds per env step and column (a game's step divided by its agents: each is a column).
        agents: columns per env (1, or a multi-agent game's agents).
    """

    seconds: float
    agents: int


def _time_steps(reset: Callable[[], Any], step: Callable[[], bool], budget_s: float) -> float:
    """Seconds per `step()` (which says whether the episode ended), at least 5 steps, at most `budget_s` or 2000."""
    reset()
    steps, start = 0, time.perf_counter()
    while steps < 5 or (time.perf_counter() - start < budget_s and steps < 2000):
        steps += 1
        if step():
            reset()
    return (time.perf_counter() - start) / steps


def _game_step_seconds(game: Any, budget_s: float) -> float:
    """A multi-agent game (`MultiAgentEnv`) stepped with random legal actions of the agents to act."""
    obs: dict[str, np.ndarray] = {}
    game.action_space.seed(0)

    def reset() -> None:
        obs.clear()
        obs.update(game.reset(seed=0))

    def random_action(agent: str) -> Any:
        mask = obs[agent][-game.mask_size :].astype(np.int8) if game.mask_size and agent in obs else None
        return game.action_space.sample(mask) if mask is not None and mask.any() else game.action_space.sample()

    def step() -> bool:
        obs.update(game.step({agent: random_action(agent) for agent in game.acting_agents()})[0])
        return game.done

    return _time_steps(reset, step, budget_s)


def measure_step_cost(cfg: argparse.Namespace, budget_s: float = MEASURE_BUDGET_S) -> StepCost:
    """The step cost of `cfg.env` with random actions (known envs are looked up, not measured): a gymnasium env,
    an EnvPool view or a multi-agent game.

    Args:
        cfg: the run's config (`make_env` reads it).
        budget_s: the measurement stops after this long (at least 5 steps are taken).
    """
    if cfg.env in KNOWN_STEP_S:
        return StepCost(KNOWN_STEP_S[cfg.env], 1)
    from sf_curric.envs.multi_agent import is_multi_agent
    from sf_curric.envs.registry import make_env

    env = make_env(cfg, {"worker_index": 0, "vector_index": 0, "env_id": -1})
    try:
        if is_multi_agent(env):
            return StepCost(_game_step_seconds(env, budget_s) / env.num_agents, env.num_agents)
        env.action_space.seed(0)

        def step() -> bool:
            _, _, terminated, truncated, _ = env.step(env.action_space.sample())
            return bool(terminated or truncated)

        return StepCost(_time_steps(lambda: env.reset(seed=0), step, budget_s), 1)
    finally:
        env.close()


def apply_auto_defaults(cfg: argparse.Namespace, cores: int | None = None) -> argparse.Namespace:
    """Fill the flags of `AUTO_FLAGS` that neither the user (`cfg.cli_args`) nor `register_env_defaults` set,
    choosing them around those that are set (`choose_defaults`'s `fixed`).

    The built-in per-env defaults' layout (e.g. CartPole's) is what `--auto_defaults=False` gives. Logs the choice
    and its reason (to the console the train command set up); when the env's step cost cannot be measured, a
    warning, and the layout stays the static one. A no-op with `--auto_defaults=False`, and when every such flag is
    given.

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
    given = set(cfg.cli_args) | set(registered_env_defaults(cfg.env))
    open_flags = [name for name in AUTO_FLAGS if name not in given]
    if not open_flags:
        return cfg
    cores = available_cores() if cores is None else cores
    cost = StepCost(0.0, 1)
    measured = bool(set(open_flags) & set(COST_FLAGS))  # else no env is made: the open flags follow the others
    if measured:
        try:
            cost = measure_step_cost(cfg)
        except Exception as e:  # the runner makes the same env next and reports a construction error properly
            first = (str(e).splitlines() or [""])[0][:160]
            log.warning("auto defaults: measuring the step cost of %s failed (%s: %s), so the sampling layout stays "
                        "the static one of --help; type --serial_mode/--num_workers/--num_envs_per_worker to choose "
                        "it", cfg.env, type(e).__name__, first)  # fmt: skip
            open_flags, measured = [name for name in open_flags if name not in LAYOUT_FLAGS], False
    fixed = {name: getattr(cfg, name) for name in LAYOUT_FLAGS if name in given}
    env_envs = get_env_defaults(cfg.env).get("num_envs_per_worker")
    choice = choose_defaults(cores, cost.seconds, cfg.rollout, cfg.batch_size, env_envs, fixed, cost.agents)
    for name in open_flags:
        setattr(cfg, name, choice.values[name])
    if not open_flags:
        return cfg
    chosen = ", ".join(f"--{name}={getattr(cfg, name)}" for name in open_flags)
    reason = choice.reason if measured else f"{cores} core(s)" + "".join(f", --{k}={v} given" for k, v in fixed.items())
    log.info("auto defaults: %s (%s; flags you type win; --auto_defaults=False: the static defaults)", chosen,
             reason)  # fmt: skip
    return cfg
