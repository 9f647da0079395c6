"""Finite task spaces over gymnasium's Discrete and MultiDiscrete: every task is encoded as one small int."""

from __future__ import annotations

import itertools
import math
from typing import Any, Sequence, Union

import numpy as np
from gymnasium import spaces

from sf_curric.curricula.task_space_base import Encoded, TaskSpace


class DiscreteTaskSpace(TaskSpace):
    """`n` tasks, encoded as their index 0..n-1.

    Args:
        space_or_n: a `gymnasium.spaces.Discrete` or the number of tasks.
        tasks: optional task objects (hashable), one per index; defaults to `start, start+1, ...`.
        seed: seed of the RNG used by `sample`.

    Example:
        >>> space = DiscreteTaskSpace(3, tasks=["easy", "medium", "hard"])
        >>> space.encode("hard"), space.decode(0)
        (2, 'easy')
    """

    def __init__(
        self, space_or_n: Union[spaces.Discrete, int], tasks: Sequence[Any] | None = None, seed: int | None = None
    ) -> None:
        super().__init__(seed)
        if isinstance(space_or_n, spaces.Discrete):
            n, start = int(space_or_n.n), int(space_or_n.start)
        elif isinstance(space_or_n, (int, np.integer)) and not isinstance(space_or_n, bool):
            n, start = int(space_or_n), 0
        else:
            raise TypeError(f"DiscreteTaskSpace needs a gymnasium Discrete space or an int, got {space_or_n!r}")
        if tasks is None:
            tasks = list(range(start, start + n))
        tasks = list(tasks)
        if len(tasks) != n:
            raise ValueError(f"DiscreteTaskSpace got {len(tasks)} task names for {n} tasks; pass exactly {n}")
        try:
            self._index = {task: i for i, task in enumerate(tasks)}
        except TypeError as e:
            raise TypeError("DiscreteTaskSpace tasks must be hashable (ints, strings, tuples)") from e
        if len(self._index) != n:
            raise ValueError("DiscreteTaskSpace tasks must be distinct; remove the duplicates")
        self._tasks = tasks
        self.gym_space = spaces.Discrete(n)

    def __repr__(self) -> str:
        return f"DiscreteTaskSpace({len(self._tasks)})"

    def _lookup(self, task: Any) -> int | None:
        if isinstance(task, np.ndarray):
            task = task.item() if task.ndim == 0 else tuple(task.tolist())
        elif isinstance(task, np.generic):
            task = task.item()
        try:
            return self._index.get(task)
        except TypeError:  # unhashable
            return None

    def encode(self, task: Any) -> int:
        index = self._lookup(task)
        if index is None:
            raise self._not_in_space(task)
        return index

    def decode(self, encoded: Encoded) -> Any:
        if isinstance(encoded, np.ndarray) and encoded.size == 1:
            encoded = encoded.item()
        if (
            isinstance(encoded, (int, np.integer, float, np.floating))
            and not isinstance(encoded, bool)
            and float(encoded).is_integer()
            and 0 <= int(encoded) < len(self._tasks)
        ):
            return self._tasks[int(encoded)]
        raise self._bad_encoding(encoded)

    def contains(self, task: Any) -> bool:
        return self._lookup(task) is not None

    def sample(self) -> Any:
        return self._tasks[int(self._rng.integers(len(self._tasks)))]

    @property
    def num_tasks(self) -> int:
        return len(self._tasks)

    @property
    def tasks(self) -> list:
        return list(self._tasks)


class MultiDiscreteTaskSpace(TaskSpace):
    """A grid of tasks, one value per axis; a task is a tuple, encoded as its row-major flat index.

    Args:
        space_or_nvec: a `gymnasium.spaces.MultiDiscrete` (1-D) or the number of values per axis.
        tasks: optional list of value lists, one per axis (e.g. `[["red", "blue"], [1, 2, 3]]`);
            defaults to `range(n)` per axis.
        seed: seed of the RNG used by `sample`.

    Example:
        >>> space = MultiDiscreteTaskSpace([2, 3])
        >>> space.encode((1, 2)), space.decode(4)
        (5, (1, 1))
    """

    def __init__(
        self,
        space_or_nvec: Union[spaces.MultiDiscrete, Sequence[int]],
        tasks: Sequence[Sequence[Any]] | None = None,
        seed: int | None = None,
    ) -> None:
        super().__init__(seed)
        if isinstance(space_or_nvec, spaces.MultiDiscrete):
            if np.asarray(space_or_nvec.nvec).ndim != 1:
                raise ValueError("MultiDiscreteTaskSpace supports 1-D MultiDiscrete spaces only; flatten nvec first")
            nvec = [int(n) for n in space_or_nvec.nvec]
            starts = [int(s) for s in np.asarray(space_or_nvec.start).reshape(-1)]
        else:
            nvec = [int(n) for n in space_or_nvec]
            starts = [0] * len(nvec)
        if not nvec or min(nvec) < 1:
            raise ValueError(f"MultiDiscreteTaskSpace needs at least one axis with >= 1 value each, got {nvec}")
        if tasks is None:
            tasks = [list(range(s, s + n)) for s, n in zip(starts, nvec)]
        tasks = [list(axis) for axis in tasks]
        if [len(axis) for axis in tasks] != nvec:
            raise ValueError(f"MultiDiscreteTaskSpace axis values {[len(a) for a in tasks]} must match nvec {nvec}")
        self._axes = tasks
        self._axis_index = [{value: i for i, value in enumerate(axis)} for axis in tasks]
        self.nvec = tuple(nvec)
        self.gym_space = spaces.MultiDiscrete(nvec)

    def __repr__(self) -> str:
        return f"MultiDiscreteTaskSpace({list(self.nvec)})"

    def _indices(self, task: Any) -> tuple | None:
        if isinstance(task, np.ndarray):
            task = task.tolist()
        if isinstance(task, (str, bytes)):
            return None
        try:
            values = list(task)
        except TypeError:
            return None
        if len(values) != len(self.nvec):
            return None
        out = []
        for value, index in zip(values, self._axis_index):
            if isinstance(value, np.generic):
                value = value.item()
            try:
                i = index.get(value)
            except TypeError:
                return None
            if i is None:
                return None
            out.append(i)
        return tuple(out)

    def encode(self, task: Any) -> int:
        indices = self._indices(task)
        if indices is None:
            raise self._not_in_space(task)
        flat = 0
        for i, n in zip(indices, self.nvec):
            flat = flat * n + i
        return flat

    def decode(self, encoded: Encoded) -> tuple:
        if isinstance(encoded, np.ndarray) and encoded.size == 1:
            encoded = encoded.item()
        if not isinstance(encoded, (int, np.integer)) or isinstance(encoded, bool) or not 0 <= encoded < self.num_tasks:
            raise self._bad_encoding(encoded)
        flat, indices = int(encoded), []
        for n in reversed(self.nvec):
            flat, i = divmod(flat, n)
            indices.append(i)
        return tuple(axis[i] for axis, i in zip(self._axes, reversed(indices)))

    def contains(self, task: Any) -> bool:
        return self._indices(task) is not None

    def sample(self) -> tuple:
        return tuple(axis[int(self._rng.integers(len(axis)))] for axis in self._axes)

    @property
    def num_tasks(self) -> int:
        return math.prod(self.nvec)

    @property
    def tasks(self) -> list:
        return list(itertools.product(*self._axes))
