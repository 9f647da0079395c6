"""Task spaces: which tasks exist, and how each one is encoded to cross process boundaries cheaply.

A finite space (Discrete, MultiDiscrete, a Tuple of finite spaces) encodes every task as one small int, its
index in `tasks`. A continuous space (Box, or a Tuple holding one) encodes a task as a flat float array.
`decode(encode(task))` gives the task back; a task outside its space raises a ValueError naming both.
"""

from __future__ import annotations

import itertools
import math
from typing import Any, Sequence, Union

import numpy as np
from gymnasium import spaces

from sf_curric.curricula.finite_task_spaces import DiscreteTaskSpace, MultiDiscreteTaskSpace
from sf_curric.curricula.task_space_base import Encoded, TaskSpace

__all__ = [
    "Encoded",
    "TaskSpace",
    "DiscreteTaskSpace",
    "MultiDiscreteTaskSpace",
    "BoxTaskSpace",
    "TupleTaskSpace",
    "as_task_space",
]


class BoxTaskSpace(TaskSpace):
    """A continuous box of tasks; a task is an array (or a tuple of floats), encoded as a float array.

    Args:
        space_or_low: a `gymnasium.spaces.Box`, or the lower bound (scalar or array).
        high: the upper bound when `space_or_low` is not a Box.
        shape: the task shape when the bounds are scalars.
        seed: seed of the RNG used by `sample`.

    Example:
        >>> space = BoxTaskSpace(-0.3, 0.3, shape=(2,))
        >>> space.contains((-0.02, 0.02))
        True
    """

    def __init__(
        self,
        space_or_low: Union[spaces.Box, float, Sequence[float], np.ndarray],
        high: Union[float, Sequence[float], np.ndarray, None] = None,
        shape: Sequence[int] | None = None,
        seed: int | None = None,
    ) -> None:
        super().__init__(seed)
        if isinstance(space_or_low, spaces.Box):
            box = space_or_low
        else:
            if high is None:
                raise TypeError("BoxTaskSpace needs a gymnasium Box, or low and high bounds")
            box = spaces.Box(
                np.asarray(space_or_low, np.float64) if shape is None else float(space_or_low),
                np.asarray(high, np.float64) if shape is None else float(high),
                shape=None if shape is None else tuple(shape),
                dtype=np.float64,
            )
        if not (np.all(np.isfinite(box.low)) and np.all(np.isfinite(box.high))):
            raise ValueError("BoxTaskSpace needs finite bounds; clip the Box to the range of tasks you want")
        self.gym_space = box
        self.low = np.asarray(box.low, dtype=np.float64)
        self.high = np.asarray(box.high, dtype=np.float64)
        self.shape = tuple(box.shape)

    def __repr__(self) -> str:
        return f"BoxTaskSpace(low={self.low.tolist()}, high={self.high.tolist()})"

    def _as_array(self, task: Any) -> np.ndarray | None:
        try:
            arr = np.asarray(task, dtype=np.float64)
        except (TypeError, ValueError):
            return None
        if arr.shape != self.shape:
            return None
        return arr

    def contains(self, task: Any) -> bool:
        arr = self._as_array(task)
        return arr is not None and bool(np.all(arr >= self.low) & np.all(arr <= self.high))

    def encode(self, task: Any) -> np.ndarray:
        arr = self._as_array(task)
        if arr is None or not (np.all(arr >= self.low) and np.all(arr <= self.high)):
            raise self._not_in_space(task)
        return arr.copy()

    def decode(self, encoded: Encoded) -> np.ndarray:
        arr = self._as_array(encoded)
        if arr is None or not (np.all(arr >= self.low) and np.all(arr <= self.high)):
            raise self._bad_encoding(encoded)
        return arr.copy()

    def sample(self) -> np.ndarray:
        return self._rng.uniform(self.low, self.high)

    def task_name(self, index: int) -> str:
        return str(index)


class TupleTaskSpace(TaskSpace):
    """A task made of several parts, one per sub-space; a task is a tuple.

    When every part is finite the whole space is finite and a task is encoded as one int (mixed radix,
    first part most significant); otherwise a task is encoded as one flat float array, the parts'
    encodings side by side.

    Args:
        parts: task spaces or gymnasium spaces, one per part.
        seed: seed of the RNG used by `sample`.

    Example:
        >>> space = TupleTaskSpace([DiscreteTaskSpace(2), DiscreteTaskSpace(3)])
        >>> space.encode((1, 2)), space.num_tasks
        (5, 6)
    """

    def __init__(self, parts: Union[spaces.Tuple, Sequence[Union[TaskSpace, spaces.Space]]], seed=None) -> None:
        super().__init__(seed)
        if isinstance(parts, spaces.Tuple):
            parts = parts.spaces
        self.parts = [as_task_space(p) for p in parts]
        if not self.parts:
            raise ValueError("TupleTaskSpace needs at least one part")
        self.gym_space = spaces.Tuple([p.gym_space for p in self.parts])
        self._finite = all(p.is_finite for p in self.parts)
        # width of each part in the flat array encoding (finite parts take one slot)
        self._widths = [1 if p.is_finite else int(np.prod(p.shape)) for p in self.parts]

    def __repr__(self) -> str:
        return f"TupleTaskSpace([{', '.join(repr(p) for p in self.parts)}])"

    def _split(self, task: Any) -> list | None:
        if isinstance(task, (str, bytes, dict)):
            return None
        try:
            values = list(task)
        except TypeError:
            return None
        return values if len(values) == len(self.parts) else None

    def contains(self, task: Any) -> bool:
        values = self._split(task)
        return values is not None and all(p.contains(v) for p, v in zip(self.parts, values))

    def encode(self, task: Any) -> Encoded:
        values = self._split(task)
        if values is None or not all(p.contains(v) for p, v in zip(self.parts, values)):
            raise self._not_in_space(task)
        codes = [p.encode(v) for p, v in zip(self.parts, values)]
        if self._finite:
            flat = 0
            for code, p in zip(codes, self.parts):
                flat = flat * p.num_tasks + int(code)
            return flat
        return np.concatenate([np.asarray(c, dtype=np.float64).reshape(-1) for c in codes])

    def decode(self, encoded: Encoded) -> tuple:
        if self._finite:
            if isinstance(encoded, np.ndarray) and encoded.size == 1:
                encoded = encoded.item()
            if not isinstance(encoded, (int, np.integer)) or isinstance(encoded, bool):
                raise self._bad_encoding(encoded)
            if not 0 <= encoded < self.num_tasks:
                raise self._bad_encoding(encoded)
            flat, codes = int(encoded), []
            for p in reversed(self.parts):
                flat, code = divmod(flat, p.num_tasks)
                codes.append(code)
            return tuple(p.decode(c) for p, c in zip(self.parts, reversed(codes)))
        arr = np.asarray(encoded, dtype=np.float64).reshape(-1)
        if arr.size != sum(self._widths):
            raise self._bad_encoding(encoded)
        out, pos = [], 0
        for p, width in zip(self.parts, self._widths):
            chunk = arr[pos : pos + width]
            pos += width
            if p.is_finite:
                if not float(chunk[0]).is_integer():
                    raise self._bad_encoding(encoded)
                out.append(p.decode(int(chunk[0])))
            else:
                out.append(p.decode(chunk.reshape(p.shape)))
        return tuple(out)

    def sample(self) -> tuple:
        return tuple(p.sample() for p in self.parts)

    def seed(self, seed: int | None = None) -> None:
        super().seed(seed)
        children = np.random.SeedSequence(seed).spawn(len(self.parts)) if seed is not None else [None] * len(self.parts)
        for part, child in zip(self.parts, children):
            part.seed(child)

    @property
    def num_tasks(self) -> int | None:
        return math.prod(p.num_tasks for p in self.parts) if self._finite else None

    @property
    def tasks(self) -> list | None:
        return list(itertools.product(*(p.tasks for p in self.parts))) if self._finite else None


def _syllabus_task_space(
    gym_space: Any = None, tasks: Sequence[Any] | None = None, seed: int | None = None
) -> TaskSpace:
    """`TaskSpace(gym_space, tasks)` as in Syllabus: the task space that matches `gym_space`."""
    if isinstance(gym_space, (int, np.integer)) and not isinstance(gym_space, bool):
        gym_space = spaces.Discrete(int(gym_space))
    elif isinstance(gym_space, tuple) and gym_space and all(isinstance(n, (int, np.integer)) for n in gym_space):
        gym_space = spaces.MultiDiscrete(list(gym_space))
    if isinstance(gym_space, spaces.Discrete):
        space = DiscreteTaskSpace(gym_space, tasks=tasks)
    elif isinstance(gym_space, spaces.MultiDiscrete):
        space = MultiDiscreteTaskSpace(gym_space, tasks=tasks)
    elif tasks is not None:
        raise ValueError(f"task names are supported for Discrete and MultiDiscrete spaces only, not {gym_space!r}")
    elif isinstance(gym_space, (spaces.Box, spaces.Tuple)):
        space = as_task_space(gym_space)
    else:
        raise TypeError(
            f"TaskSpace(gym_space, tasks) needs a gymnasium Discrete, MultiDiscrete, Box or Tuple space, an int or a "
            f"tuple of ints, got {gym_space!r}"
        )
    if seed is not None:
        space.seed(seed)
    return space


def as_task_space(space: Any) -> TaskSpace:
    """Turn a gymnasium space, an int, a list of tasks or a task space into a task space.

    Args:
        space: a `TaskSpace` (returned as is), `Discrete`, `MultiDiscrete`, `Box`, `Tuple`, an int (that many
            tasks), a tuple of ints (a MultiDiscrete grid of those sizes), or a list of distinct hashable tasks.

    Example:
        >>> as_task_space(spaces.Discrete(200)).num_tasks
        200
    """
    if isinstance(space, TaskSpace):
        return space
    if isinstance(space, spaces.Discrete):
        return DiscreteTaskSpace(space)
    if isinstance(space, spaces.MultiDiscrete):
        return MultiDiscreteTaskSpace(space)
    if isinstance(space, spaces.Box):
        return BoxTaskSpace(space)
    if isinstance(space, spaces.Tuple):
        return TupleTaskSpace(space)
    if isinstance(space, (int, np.integer)) and not isinstance(space, bool):
        return DiscreteTaskSpace(int(space))
    if isinstance(space, tuple) and space and all(isinstance(n, (int, np.integer)) for n in space):
        return MultiDiscreteTaskSpace(list(space))  # Syllabus's shorthand: a tuple of sizes is a grid
    if isinstance(space, list) and space:
        return DiscreteTaskSpace(len(space), tasks=space)
    raise TypeError(
        f"cannot build a task space from {space!r}; pass a TaskSpace or a gymnasium Discrete, MultiDiscrete, Box or "
        "Tuple space"
    )


TaskSpace._syllabus_constructor = staticmethod(_syllabus_task_space)
