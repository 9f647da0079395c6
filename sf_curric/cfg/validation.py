"""Refuse invalid flag values and combinations at start, with one line that names the fix."""

from __future__ import annotations

import argparse
import math
import os
from typing import Any, Callable

from sf_curric.cfg.population import check_population
from sf_curric.errors import ConfigError  # defined below every package; users catch it from here too


def discount_checks(cfg: Any) -> list[tuple[bool, str]]:
    """`(ok, one-line message)` for --gamma and --gae_lambda: the one range check, used here at start and by the
    learner (`sf_curric.algo.learner`)."""
    return [
        (0.0 < cfg.gamma <= 1.0, f"--gamma={cfg.gamma} must be in (0, 1], e.g. --gamma=0.99"),
        (0.0 <= cfg.gae_lambda <= 1.0, f"--gae_lambda={cfg.gae_lambda} must be in [0, 1], e.g. --gae_lambda=0.95"),
    ]


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise ConfigError(message)


def total_envs(cfg: argparse.Namespace) -> int:
    """Number of envs the run steps: `num_workers * num_envs_per_worker`.

    Args:
        cfg: the run's config.
    """
    return cfg.num_workers * cfg.num_envs_per_worker


def _check_env(cfg: argparse.Namespace) -> None:
    from sf_curric.envs.registry import env_problem, get_env_spec

    _check(bool(cfg.env), "no env given: pass --env=NAME (a registered name or a gymnasium id, e.g. CartPole-v1)")
    problem = env_problem(cfg.env)  # an unknown name, or a package the env needs (with its extra)
    if problem:
        raise ConfigError(problem)
    # a registered env whose maker can check its packages (env lists: sf_curric.envs.builtin.env_list)
    check_dependencies = getattr(getattr(get_env_spec(cfg.env), "make_env_fn", None), "check_dependencies", None)
    if check_dependencies is not None:
        try:
            check_dependencies()
        except ConfigError as e:  # EnvDependencyError: which package, and the extra that installs it
            raise ConfigError(f"--env={cfg.env}: {e}") from None
    _check(
        not cfg.env_kwargs or get_env_spec(cfg.env) is None,
        f"--env_kwargs applies to gymnasium ids; {cfg.env!r} is registered with sf_curric.register_env: read your "
        "settings from cfg in its make_env_fn",
    )
    _check(cfg.obs_text_words >= 0, f"--obs_text_words={cfg.obs_text_words} must not be negative")
    _check(cfg.obs_text_vocab >= 2, f"--obs_text_vocab={cfg.obs_text_vocab} must be at least 2")


def _check_device(cfg: argparse.Namespace) -> None:
    if cfg.device == "gpu":
        import torch

        _check(torch.cuda.is_available(), "--device=gpu but torch sees no CUDA device: use --device=cpu or auto")


def _check_positive(cfg: argparse.Namespace) -> None:
    for name in (
        "rollout",
        "batch_size",
        "num_batches_per_epoch",
        "num_epochs",
        "num_workers",
        "num_envs_per_worker",
        "worker_num_splits",
        "num_batches_to_accumulate",
        "keep_checkpoints",
        "stats_avg",
        "train_for_env_steps",
        "train_for_seconds",
        "obs_embedding_size",
    ):
        value = getattr(cfg, name)
        _check(value >= 1, f"--{name}={value} must be at least 1")
    for name in (
        "learning_rate",
        "adam_eps",
        "ppo_clip_ratio",
        "reward_scale",
        "reward_clip",
        "save_every_sec",
        "progress_interval_sec",
        "training_info_interval_sec",
        "experiment_summaries_interval",
        "image_obs_scale",
    ):
        value = getattr(cfg, name)
        _check(value > 0, f"--{name}={value} must be positive")
    for name in (
        "value_loss_coeff",
        "exploration_loss_coeff",
        "max_grad_norm",
        "ppo_clip_value",
        "target_kl",
        "worker_stall_timeout_sec",
        "summaries_every_env_steps",
    ):
        value = getattr(cfg, name)
        _check(value >= 0, f"--{name}={value} must not be negative")
    for ok, message in discount_checks(cfg):
        _check(ok, message)


def _check_seeds(cfg: argparse.Namespace) -> None:
    # numpy's and torch's global seeds take 0 .. 2**32-1 (each env is seeded with seed + its index, which may be more)
    for name in ("seed", "curriculum_seed"):
        value = getattr(cfg, name, None)
        _check(value is None or 0 <= value < 2**32, f"--{name}={value} must be in 0 .. {2**32 - 1} (or left out)")


def _space_bytes(space: Any) -> int:
    """Bytes of one observation (or action) of `space` as stored per step (at least 4)."""
    from gymnasium import spaces

    if isinstance(space, spaces.Dict):
        return sum(_space_bytes(s) for s in space.spaces.values())
    if isinstance(space, spaces.Tuple):
        return sum(_space_bytes(s) for s in space.spaces)
    shape = getattr(space, "shape", None) or (1,)
    itemsize = max(4, getattr(getattr(space, "dtype", None), "itemsize", 4) or 4)
    return int(math.prod(shape)) * itemsize


def _available_memory() -> int | None:
    """Bytes of memory available to a new allocation now (Linux: MemAvailable), else the physical memory."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):  # not POSIX
        return None


# The trajectory of a batch is held about this many times: the sampler's buffers, the learner's batch with its
# advantages and returns, the minibatches (measured: 2e8 CartPole steps took 19 GiB, about 4 x 24 bytes a step).
_BATCH_COPIES = 4


def check_batch_memory(cfg: argparse.Namespace, obs_space: Any, action_space: Any) -> None:
    """Refuse a layout whose batch of trajectories (`--rollout` steps of every env) cannot fit in the memory
    available now: a one-line error at start instead of an allocation traceback, or the kernel's OOM killer, later.

    Args:
        cfg: the run's config.
        obs_space: the env's observation space.
        action_space: the env's action space.
    """
    memory = _available_memory()
    step_bytes = _space_bytes(obs_space) + _space_bytes(action_space) + 40  # log-prob, value, reward, flags, ...
    needed = (cfg.rollout + 1) * total_envs(cfg) * step_bytes * _BATCH_COPIES
    if memory is not None and needed > memory:
        raise ConfigError(
            f"a batch of --rollout={cfg.rollout} steps x {total_envs(cfg)} envs (--num_workers x "
            f"--num_envs_per_worker) needs about {needed / 2**30:.1f} GiB ({step_bytes} bytes per env step, held "
            f"{_BATCH_COPIES} times), more than the {memory / 2**30:.1f} GiB available: lower --rollout, "
            f"--num_envs_per_worker or --num_workers"
        )


def _check_finite(cfg: argparse.Namespace) -> None:
    # "inf" and "nan" parse as floats; no flag means anything with them (a NaN would pass every range check)
    for name, value in sorted(vars(cfg).items()):
        if isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(f"--{name}={value} must be a finite number")


def _check_batch(cfg: argparse.Namespace) -> None:
    samples = cfg.batch_size * cfg.num_batches_per_epoch
    _check(
        samples % cfg.rollout == 0,
        f"--batch_size * --num_batches_per_epoch = {samples} is not a multiple of --rollout={cfg.rollout}: "
        f"change --batch_size or --rollout",
    )
    if cfg.use_rnn:
        length = cfg.rollout if cfg.recurrence == -1 else cfg.recurrence
        _check(
            length >= 1 and cfg.rollout % length == 0,
            f"--recurrence={cfg.recurrence} must divide --rollout={cfg.rollout} (or be -1: the whole rollout)",
        )
        _check(
            cfg.batch_size % length == 0,
            f"--batch_size={cfg.batch_size} must be a multiple of the sequence length {length} with --use_rnn "
            f"(minibatches hold whole sequences: --recurrence, or --rollout when it is -1)",
        )


def _check_curriculum(cfg: argparse.Namespace) -> None:
    _check(0.0 <= cfg.plr_rho <= 1.0, f"--plr_rho={cfg.plr_rho} must be in [0, 1]")
    _check(0.0 <= cfg.plr_nu <= 1.0, f"--plr_nu={cfg.plr_nu} must be in [0, 1]")
    _check(0.0 < cfg.plr_alpha <= 1.0, f"--plr_alpha={cfg.plr_alpha} must be in (0, 1]")
    _check(cfg.plr_temperature > 0, f"--plr_temperature={cfg.plr_temperature} must be positive")
    _check(0.0 <= cfg.plr_staleness_coef <= 1.0, f"--plr_staleness_coef={cfg.plr_staleness_coef} must be in [0, 1]")
    _check(0.0 <= cfg.plr_eps <= 1.0, f"--plr_eps={cfg.plr_eps} must be in [0, 1]")


_CHECKS: list[Callable[[argparse.Namespace], None]] = [
    _check_env,
    check_population,
    _check_finite,
    _check_positive,
    _check_seeds,
    _check_batch,
    _check_device,
    _check_curriculum,
]


def add_check(check: Callable[[argparse.Namespace], None]) -> None:
    """Add a validation rule (a component's own constraints); it raises ConfigError with a one-line fix.

    Args:
        check: function of `cfg` that raises `ConfigError` when the config is invalid.
    """
    _CHECKS.append(check)


def validate_cfg(cfg: argparse.Namespace) -> None:
    """Raise `ConfigError` (one line that names the fix) for the first invalid value or combination.

    Args:
        cfg: the resolved config.

    Example:
        >>> from sf_curric.command_line import default_cfg
        >>> validate_cfg(default_cfg("CartPole-v1"))
    """
    for check in _CHECKS:
        check(cfg)
