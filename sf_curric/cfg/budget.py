"""The training budget: when a run stops, how far along it is, and how long it still has.

A run stops at whichever budget it reaches first: `--train_for_env_steps` env steps or `--train_for_seconds` seconds
of training, both counted over every session of the experiment (a resumed run continues both counters, as it
continues its env steps). Typing `--train_for_seconds` without `--train_for_env_steps` makes the seconds the only
budget: the default step budget (or an env's own) is lifted, so `--train_for_seconds=3600` trains for an hour.

Progress, the one clock of everything that depends on the budget (the linear learning-rate and clip schedules,
`training_progress` in the training info that envs and curricula receive, the progress line's percentage and ETA),
is `max(env_steps / train_for_env_steps, train_seconds / train_for_seconds)`: it reaches 1 exactly when the run
stops, whichever budget stops it.
"""

from __future__ import annotations

import argparse
import math
from typing import Any

# --train_for_env_steps when --train_for_seconds alone is the budget (no env-step limit)
NO_STEP_LIMIT = 10**18


def apply_seconds_budget(cfg: argparse.Namespace) -> argparse.Namespace:
    """Lift the step budget when the user typed `--train_for_seconds` but not `--train_for_env_steps`.

    Args:
        cfg: the resolved config (`cfg.cli_args`: the flags typed now).

    Returns:
        `cfg`, changed in place.
    """
    typed = getattr(cfg, "cli_args", {})
    if "train_for_seconds" in typed and "train_for_env_steps" not in typed:
        cfg.train_for_env_steps = NO_STEP_LIMIT
    return cfg


def training_progress(cfg: Any, env_steps: float, train_seconds: float) -> float:
    """The fraction of the budget used, in [0, 1]: the larger of the env-step and seconds fractions.

    Args:
        cfg: reads `--train_for_env_steps` and `--train_for_seconds`.
        env_steps: env steps of the experiment so far.
        train_seconds: training seconds of the experiment so far (every session).

    Example:
        >>> training_progress(argparse.Namespace(train_for_env_steps=1000, train_for_seconds=60), 250, 30.0)
        0.5
    """
    by_steps = env_steps / max(1, cfg.train_for_env_steps)
    by_seconds = train_seconds / max(1e-9, cfg.train_for_seconds)
    return min(1.0, max(0.0, by_steps, by_seconds))


def eta_seconds(cfg: Any, env_steps: float, train_seconds: float, fps: float) -> float:
    """Seconds until the first budget is reached, at `fps` env steps per second (inf when unknown).

    Args:
        cfg: reads `--train_for_env_steps` and `--train_for_seconds`.
        env_steps: env steps so far.
        train_seconds: training seconds so far (every session).
        fps: the current env steps per second.
    """
    remaining = [cfg.train_for_seconds - train_seconds]
    if fps > 0:
        remaining.append((cfg.train_for_env_steps - env_steps) / fps)
    return max(0.0, min(remaining))


def format_eta(seconds: float) -> str:
    """`HH:MM:SS`, with the days in front when there are any (`6d 07:18:15`); `-` beyond 10,000 days.

    Args:
        seconds: what `eta_seconds` returned.

    Example:
        >>> format_eta(6 * 86400 + 7 * 3600 + 18 * 60 + 15)
        '6d 07:18:15'
    """
    if not math.isfinite(seconds) or seconds >= 10_000 * 86400:
        return "-"
    whole = int(round(seconds))
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    clock = f"{hours:02d}:{minutes:02d}:{secs:02d}"
    return f"{days}d {clock}" if days else clock
