"""Constant: always the same task."""

from __future__ import annotations

from typing import Any, List

from sf_curric.curricula.curriculum import Curriculum
from sf_curric.curricula.entry import literal
from sf_curric.errors import ConfigError


class Constant(Curriculum):
    """Always returns `default_task` (a baseline, or a stage of a SequentialCurriculum).

    Args:
        default_task: the task to return; must belong to the task space.
        task_space: task space or gymnasium space.
        require_step_updates: advertise step updates (useful only to exercise a sync layer).
        **kwargs: base `Curriculum` options.

    Example:
        >>> Constant(3, Discrete(10)).sample(2)
        [3, 3]
    """

    def __init__(self, default_task: Any, task_space: Any, require_step_updates: bool = False, **kwargs: Any) -> None:
        super().__init__(task_space, **kwargs)
        if not self.task_space.contains(default_task):
            raise ValueError(f"Constant task {default_task!r} is not in {self.task_space!r}; pick a task of the space")
        self.default_task = self.task_space.decode(self.task_space.encode(default_task))
        self._require_step_updates = bool(require_step_updates)
        self._default_index = int(self.task_space.encode(default_task)) if self.task_space.is_finite else None

    @property
    def requires_step_updates(self) -> bool:
        return self._require_step_updates

    def _sample_distribution(self) -> List[float]:
        if self._default_index is None:
            raise NotImplementedError("Constant over a continuous space has no task list")
        dist = [0.0] * self.num_tasks
        dist[self._default_index] = 1.0
        return dist

    def _sample_tasks(self, k: int) -> list:
        return [self.default_task for _ in range(k)]


CONSTANT_ARGS: list[tuple[str, dict[str, Any]]] = [
    ("--constant_task", {"type": str, "default": None, "help": "constant: the task, as a Python literal (e.g. 3)."}),
]


def build(ctx: Any) -> Constant:
    """`--curriculum=constant` (sf_curric/curricula/builtin.py)."""
    task = ctx.option("constant_task")
    if task is None:
        raise ConfigError("--curriculum=constant needs --constant_task (a task of the env's task space, e.g. 3)")
    return Constant(literal(task), ctx.task_space, seed=ctx.seed)
