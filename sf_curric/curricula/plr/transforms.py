"""PLR's transforms from per-task values (scores or staleness) to unnormalized replay weights over seen tasks."""

from __future__ import annotations

import numpy as np

TRANSFORMS = ("rank", "power", "softmax", "eps_greedy", "max", "constant")


def transform_weights(
    transform: str, temperature: float, values: np.ndarray, seen: np.ndarray, eps: float, power_offset: float
) -> np.ndarray:
    """Unnormalized weights over seen tasks (0 elsewhere).

    Args:
        transform: one of `TRANSFORMS`.
        temperature: temperature beta of the transform.
        values: per-task values `[n]`.
        seen: boolean mask `[n]` of the tasks seen so far.
        eps: epsilon of the eps_greedy transform.
        power_offset: added to the values by the power transform (the reference code's 1e-3 without staleness).
    """
    num_tasks = len(values)
    weights = np.zeros(num_tasks, dtype=np.float64)
    if not seen.any():
        return weights
    if transform == "constant":
        weights[seen] = 1.0
    elif transform == "max":
        top = values[seen].max()
        weights[seen & (values == top)] = 1.0
    elif transform == "eps_greedy":
        idx = np.flatnonzero(seen)
        weights[seen] = eps / num_tasks
        weights[idx[np.argmax(values[idx])]] += 1.0 - eps
    elif transform == "rank":
        idx = np.flatnonzero(seen)
        order = idx[np.argsort(values[idx], kind="stable")][::-1]  # best first; ties: higher index first
        ranks = np.empty(num_tasks, dtype=np.float64)
        ranks[order] = np.arange(1, len(order) + 1)
        weights[seen] = 1.0 / ranks[seen] ** (1.0 / temperature)
    elif transform == "power":
        base = values[seen] + power_offset
        if np.any(base < 0):
            raise ValueError("the power transform needs non-negative scores; use score_transform='rank'")
        weights[seen] = base if temperature == 1.0 else base ** (1.0 / temperature)
    elif transform == "softmax":
        v = values[seen] / temperature
        weights[seen] = np.exp(v - v.max())
    return weights
