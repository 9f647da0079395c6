"""Nested episode statistics (`info["episode_extra_stats"]`) as flat `prefix/key` scalars, for the training
statistics and the evaluations during training alike."""

from __future__ import annotations

from typing import Any

import numpy as np


def flatten_stats(prefix: str, value: Any, out: dict[str, float]) -> None:
    """Add every number of `value` (nested dicts allowed) to `out` as `prefix/key/...`; other values are skipped.

    Example:
        >>> out = {}; flatten_stats("custom", {"level": {"score": 3}}, out); out
        {'custom/level/score': 3.0}
    """
    if isinstance(value, dict):
        for key, sub in value.items():
            flatten_stats(f"{prefix}/{key}", sub, out)
    elif isinstance(value, (int, float, np.integer, np.floating, bool, np.bool_)):
        out[prefix] = float(value)
