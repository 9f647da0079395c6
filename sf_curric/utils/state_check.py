"""Range checks for state read back from a checkpoint: a loaded value must be a value of the kind the freshly
built object holds at the same place (a tampered or damaged file that still unpickles is refused in one line,
never half-loaded into a run).

The rules, for `check_like(loaded, fresh)`:
- numbers stay numbers (a bool stays a bool) and finite where the fresh value is; an int that is not negative in
  the fresh object is not negative when loaded (counters, sizes); what a number must be beyond that is the owner's
  check (e.g. `SimpleBoxCurriculum.check_state`);
- arrays keep their dtype kind and shape, and float arrays that are finite stay finite;
- tuples keep their length, lists and dicts may change length (their elements are checked against the fresh
  ones where there are some; floats anywhere must be finite unless the fresh value at that place is not);
- a curriculum's attribute dict (`{"class": ..., "state": {...}}`, what `Curriculum.state_dict` writes) holds only
  attributes the fresh curriculum has, of the same class.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np


class StateMismatch(ValueError):
    """A loaded value that the fresh object cannot hold; the message says where and why."""


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _is_float(value: Any) -> bool:
    return isinstance(value, (float, np.floating))


def _fail(where: str, why: str) -> None:
    raise StateMismatch(f"{where}: {why}")


def _check_finite_anywhere(loaded: Any, where: str) -> None:
    """With nothing to compare against: floats must be finite (nothing we save is NaN/Inf where it is free-form)."""
    if _is_float(loaded) and not math.isfinite(loaded):
        _fail(where, f"{loaded} is not finite")
    elif isinstance(loaded, np.ndarray) and loaded.dtype.kind == "f" and not np.all(np.isfinite(loaded)):
        _fail(where, "holds values that are not finite")
    elif isinstance(loaded, Mapping):
        for key, value in loaded.items():
            _check_finite_anywhere(value, f"{where}.{key}")
    elif isinstance(loaded, (list, tuple)):
        for i, value in enumerate(loaded):
            _check_finite_anywhere(value, f"{where}[{i}]")


def _check_number(loaded: Any, fresh: Any, where: str) -> None:
    if isinstance(fresh, (bool, np.bool_)):
        if not isinstance(loaded, (bool, np.bool_)):
            _fail(where, f"{loaded!r} is not a bool")
    elif not (_is_int(loaded) or _is_float(loaded)):
        _fail(where, f"{loaded!r} is not a number")
    elif _is_int(fresh) and _is_int(loaded) and fresh >= 0 and loaded < 0:
        _fail(where, f"{loaded} is negative")  # counters and sizes (an int that becomes a float is not checked)
    elif math.isnan(loaded) and not math.isnan(fresh):
        _fail(where, "is NaN")
    elif math.isfinite(fresh) and not math.isfinite(loaded):
        _fail(where, f"{loaded} is not finite")


def _check_array(loaded: Any, fresh: np.ndarray, where: str) -> None:
    if not isinstance(loaded, np.ndarray):
        _fail(where, f"a {type(loaded).__name__}, not an array")
    if loaded.dtype.kind != fresh.dtype.kind or loaded.shape != fresh.shape:
        _fail(where, f"an array {loaded.dtype}{list(loaded.shape)}, not {fresh.dtype}{list(fresh.shape)}")
    if fresh.dtype.kind == "f" and np.all(np.isfinite(fresh)) and not np.all(np.isfinite(loaded)):
        _fail(where, "holds values that are not finite")


def _check_mapping(loaded: Any, fresh: Mapping, where: str) -> None:
    if not isinstance(loaded, Mapping):
        _fail(where, f"a {type(loaded).__name__}, not a dict")
    curriculum_state = set(fresh) == {"class", "state"} and isinstance(fresh.get("state"), Mapping)
    if curriculum_state:
        if loaded.get("class") != fresh["class"]:
            _fail(where, f"a {loaded.get('class')!r} curriculum state, not a {fresh['class']!r} one")
        unknown = sorted(str(k) for k in loaded.get("state", {}) if k not in fresh["state"])
        if unknown:
            _fail(where, f"attributes this curriculum does not have: {', '.join(unknown[:5])}")
    for key, value in loaded.items():
        if key in fresh:
            check_like(value, fresh[key], f"{where}.{key}")
        else:
            _check_finite_anywhere(value, f"{where}.{key}")


def check_like(loaded: Any, fresh: Any, where: str) -> None:
    """Raise `StateMismatch` unless `loaded` can stand where the fresh object holds `fresh` (rules: module doc).

    Args:
        loaded: a value read from a checkpoint.
        fresh: the value at the same place in the state of a freshly built object.
        where: a name for the message, e.g. "curriculum.state.max_range".

    Example:
        >>> check_like({"env_steps": -5}, {"env_steps": 0}, "checkpoint")
        Traceback (most recent call last):
        StateMismatch: checkpoint.env_steps: -5 is negative
    """
    if fresh is None:
        _check_finite_anywhere(loaded, where)
    elif isinstance(fresh, (bool, np.bool_, int, float, np.integer, np.floating)):
        _check_number(loaded, fresh, where)
    elif isinstance(fresh, str):
        if not isinstance(loaded, str):
            _fail(where, f"{loaded!r} is not a string")
    elif isinstance(fresh, np.ndarray):
        _check_array(loaded, fresh, where)
    elif isinstance(fresh, Mapping):
        _check_mapping(loaded, fresh, where)
    elif isinstance(fresh, tuple):
        if not isinstance(loaded, tuple) or len(loaded) != len(fresh):
            _fail(where, f"{loaded!r} is not a tuple of {len(fresh)}")
        for i, (value, ref) in enumerate(zip(loaded, fresh)):
            check_like(value, ref, f"{where}[{i}]")
    elif isinstance(fresh, list):
        if not isinstance(loaded, list):
            _fail(where, f"a {type(loaded).__name__}, not a list")
        for i, value in enumerate(loaded):
            if fresh:
                check_like(value, fresh[min(i, len(fresh) - 1)], f"{where}[{i}]")
            else:
                _check_finite_anywhere(value, f"{where}[{i}]")
    else:
        _check_finite_anywhere(loaded, where)  # tensors and other objects: their owners' load checks them
