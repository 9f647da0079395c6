"""PLR's option names and the checks of a TaskSampler's arguments (one-line errors that name the bad value)."""

from __future__ import annotations

import warnings
from typing import Any, Dict, Sequence

import numpy as np

from sf_curric.curricula.plr.scores import POLICY_STRATEGIES, STRATEGIES
from sf_curric.curricula.plr.transforms import TRANSFORMS

SCHEDULES = ("proportionate", "fixed")
# arguments PLR's own signature already takes (passed on by Syllabus-style code), ignored silently
_PASSED_THROUGH = {"task_space", "action_space", "num_steps", "num_processes", "gae_lambda"}
# Syllabus options that change nothing here (usage warnings, torch device): ignored with one warning
IGNORABLE_OPTIONS = {"suppress_usage_warnings", "device", "observation_space"}


def _check_ignored(ignored: Dict[str, Any]) -> None:
    unknown = set(ignored) - _PASSED_THROUGH - IGNORABLE_OPTIONS
    if unknown:
        raise TypeError(f"TaskSampler got unknown options {sorted(unknown)}; see the TaskSampler docstring")
    skipped = sorted(set(ignored) & IGNORABLE_OPTIONS)
    if skipped:
        warnings.warn(f"PLR/TaskSampler ignores the Syllabus options {skipped}: they change nothing here", stacklevel=4)


def check_options(
    ignored: Dict[str, Any],
    tasks: Sequence[Any],
    num_actors: int,
    strategy: str,
    replay_schedule: str,
    score_transform: str,
    staleness_transform: str,
    temperature: float,
    staleness_temperature: float,
    rho: float,
    nu: float | None,
    replay_prob: float | None,
    alpha: float,
    staleness_coef: float,
    num_actions: int | None,
) -> float:
    """Raise ValueError (TypeError for unknown options) on bad TaskSampler arguments; returns the resolved `nu`."""
    _check_ignored(ignored)
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown PLR strategy {strategy!r}; use one of {STRATEGIES}")
    if replay_schedule not in SCHEDULES:
        raise ValueError(f"unknown replay_schedule {replay_schedule!r}; use one of {SCHEDULES}")
    for name, value in (("score_transform", score_transform), ("staleness_transform", staleness_transform)):
        if value not in TRANSFORMS:
            raise ValueError(f"unknown {name} {value!r}; use one of {TRANSFORMS}")
    if strategy == "gae" and score_transform == "power":
        raise ValueError("strategy 'gae' gives signed scores, which the power transform cannot take; use 'rank'")
    if temperature <= 0 or staleness_temperature <= 0:
        raise ValueError("temperature and staleness_temperature must be > 0")
    if not 0.0 <= rho <= 1.0:
        raise ValueError(f"rho is a fraction of levels, it must be in [0, 1], got {rho}")
    if nu is not None and replay_prob is not None and not np.isclose(nu, 1.0 - replay_prob):
        raise ValueError(f"nu={nu} and replay_prob={replay_prob} disagree (nu = 1 - replay_prob); give only one")
    if replay_prob is not None:
        nu = 1.0 - replay_prob
    nu = 0.5 if nu is None else float(nu)
    if not 0.0 <= nu <= 1.0:
        raise ValueError(f"nu must be a probability in [0, 1], got {nu}")
    if not 0.0 < alpha <= 1.0:
        raise ValueError(f"alpha must be in (0, 1], got {alpha}")
    if not 0.0 <= staleness_coef <= 1.0:
        raise ValueError(f"staleness_coef must be in [0, 1], got {staleness_coef}")
    if strategy in POLICY_STRATEGIES and (num_actions is None or num_actions < 2):
        raise ValueError(f"strategy {strategy!r} needs num_actions >= 2 (pass the Discrete action space)")
    if len(tasks) == 0:
        raise ValueError("TaskSampler needs at least one task")
    if num_actors < 1:
        raise ValueError(f"num_actors must be >= 1, got {num_actors}")
    return nu
