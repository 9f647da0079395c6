"""The `TaskSpace` base class (import it from `sf_curric.curricula.task_space`, which also holds every kind of
task space and `as_task_space`)."""

from __future__ import annotations

from typing import Any, Callable, Union

import numpy as np
from gymnasium import spaces

Encoded = Union[int, np.ndarray]


class _TaskSpaceMeta(type):
    """Lets `TaskSpace(gym_space, tasks)` build the matching task space, as Syllabus's constructor does."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        if cls is TaskSpace and (args or set(kwargs) - {"seed"}):
            return cls._syllabus_constructor(*args, **kwargs)
        return super().__call__(*args, **kwargs)


class TaskSpace(metaclass=_TaskSpaceMeta):
    """Base class of all task spaces.

    Subclasses set `gym_space` and implement `encode`, `decode`, `contains` and `sample`.
    Use `as_task_space(x)` to turn a gymnasium space (or an int, or a list of tasks) into a task space.
    `TaskSpace(gym_space, tasks=None)` (Syllabus's constructor) returns the matching subclass: `gym_space` is a
    gymnasium space, an int (that many tasks) or a tuple of ints (a grid); `tasks` names the tasks of a Discrete
    space (one per index) or the values of each MultiDiscrete axis (one list per axis).

    Example:
        >>> TaskSpace(Discrete(3), ["easy", "medium", "hard"]).encode("hard")
        2
    """

    gym_space: spaces.Space

    def __init__(self, seed: int | None = None) -> None:
        self._rng = np.random.default_rng(seed)

    # --- the interface -------------------------------------------------------------------------------------
    def encode(self, task: Any) -> Encoded:
        """Convert a task to its compact encoding (an int for finite spaces, a float array otherwise)."""
        raise NotImplementedError

    def decode(self, encoded: Encoded) -> Any:
        """Convert an encoding produced by `encode` back to the task."""
        raise NotImplementedError

    def contains(self, task: Any) -> bool:
        """Whether `task` (not its encoding) is a member of this space."""
        raise NotImplementedError

    def sample(self) -> Any:
        """A uniformly random task (decoded), drawn from this space's own seeded RNG."""
        raise NotImplementedError

    def seed(self, seed: int | None = None) -> None:
        """Reseed the RNG used by `sample`.

        Args:
            seed: any value accepted by `numpy.random.default_rng`.
        """
        self._rng = np.random.default_rng(seed)

    @property
    def num_tasks(self) -> int | None:
        """Number of tasks, or None for a continuous space."""
        return None

    @property
    def tasks(self) -> list | None:
        """All tasks in index order for a finite space, None for a continuous space."""
        return None

    @property
    def is_finite(self) -> bool:
        """True when the space holds a countable, enumerable set of tasks."""
        return self.num_tasks is not None

    def task_name(self, index: int) -> str:
        """A short printable name of the task with this index (used for logging)."""
        return repr(self.decode(index))

    # --- helpers shared by subclasses ----------------------------------------------------------------------
    def _not_in_space(self, task: Any) -> ValueError:
        return ValueError(f"task {task!r} is not in {self!r}; pass a task from the space or widen the space")

    def _bad_encoding(self, encoded: Any) -> ValueError:
        return ValueError(f"{encoded!r} is not a valid encoding for {self!r}; pass a value returned by encode()")

    # Syllabus names
    @property
    def _n_tasks(self) -> int | None:
        return self.num_tasks

    def list_tasks(self) -> list | None:
        """Same as `tasks` (Syllabus name)."""
        return self.tasks

    # `TaskSpace(gym_space, tasks)` (Syllabus's constructor) builds the matching subclass; set by task_space.py,
    # which knows every kind
    _syllabus_constructor: Callable[..., Any]
