"""Curriculum state as plain data: checkpoints load with `torch.load(weights_only=True)`, which refuses deques.

A deque becomes `{"__deque__": [...], "maxlen": n}` (inside dicts, lists and tuples too) and comes back as a deque.
"""

from __future__ import annotations

from collections import deque
from typing import Any


def to_plain(value: Any) -> Any:
    """`value` with every deque replaced by its plain marker (a deep copy of the containers)."""
    if isinstance(value, deque):
        return {"__deque__": [to_plain(v) for v in value], "maxlen": value.maxlen}
    if isinstance(value, dict):
        return {k: to_plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_plain(v) for v in value]
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return tuple(to_plain(v) for v in value)
    return value


def from_plain(value: Any) -> Any:
    """Inverse of `to_plain`."""
    if isinstance(value, dict):
        if "__deque__" in value and set(value) == {"__deque__", "maxlen"}:
            return deque((from_plain(v) for v in value["__deque__"]), maxlen=value["maxlen"])
        return {k: from_plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_plain(v) for v in value]
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return tuple(from_plain(v) for v in value)
    return value
