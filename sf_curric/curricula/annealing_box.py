"""AnnealingBoxCurriculum: a task that moves linearly from a start value to an end value over training steps, or
over the run's budget."""

from __future__ import annotations

from typing import Any, Dict, Sequence, Union

import numpy as np

from sf_curric.curricula.curriculum import Curriculum
from sf_curric.curricula.task_space import BoxTaskSpace


class AnnealingBoxCurriculum(Curriculum):
    """Anneals every dimension of a Box task linearly from `start_values` to `end_values`.

    Progress is `approx_total_training_steps` from the trainer's `set_training_info` once it has been
    received, otherwise the sum of the lengths of the episodes reported with `update_on_episode`. With
    `total_steps=None` the schedule spans the run's budget instead: progress is the trainer's `training_progress`
    (env steps or seconds, whichever budget ends the run, `sf_curric.cfg.budget`), 0 until it arrives.

    Args:
        task_space: a Box task space; start and end values must lie inside it.
        start_values: task at step 0.
        end_values: task from `total_steps` on.
        total_steps: steps to reach the end, one number or one per dimension; None: the end of the run's budget.
        **kwargs: base `Curriculum` options.

    Example:
        >>> c = AnnealingBoxCurriculum(Box(0, 1, shape=(1,)), start_values=[0.0], end_values=[1.0], total_steps=100)
        >>> c.set_training_info({"approx_total_training_steps": 25}); c.sample(1)
        [array([0.25])]
    """

    def __init__(
        self,
        task_space: Any,
        start_values: Sequence[float],
        end_values: Sequence[float],
        total_steps: Union[int, Sequence[int], None],
        **kwargs: Any,
    ) -> None:
        super().__init__(task_space, **kwargs)
        if not isinstance(self.task_space, BoxTaskSpace):
            raise ValueError(f"AnnealingBoxCurriculum needs a Box task space, got {self.task_space!r}")
        shape = self.task_space.shape
        self.start_values = np.asarray(start_values, dtype=np.float64).reshape(shape)
        self.end_values = np.asarray(end_values, dtype=np.float64).reshape(shape)
        for name, values in (("start_values", self.start_values), ("end_values", self.end_values)):
            if not self.task_space.contains(values):
                raise ValueError(f"{name} {values.tolist()} are outside {self.task_space!r}")
        self.over_budget = total_steps is None
        steps = np.asarray(1 if total_steps is None else total_steps, dtype=np.float64)
        self.total_steps_to_end = np.broadcast_to(steps, shape).copy()
        if np.any(self.total_steps_to_end <= 0):
            raise ValueError(f"total_steps must be > 0, got {total_steps}")

    @property
    def current_step(self) -> int:
        """Training steps used for the schedule."""
        return self.approx_total_training_steps if self.training_info else self.total_steps

    def current_values(self) -> np.ndarray:
        """The task the schedule gives now."""
        if self.over_budget:
            fraction = min(1.0, max(0.0, float(self.training_info.get("training_progress", 0.0))))
        else:
            fraction = np.minimum(self.current_step, self.total_steps_to_end) / self.total_steps_to_end
        return self.start_values + (self.end_values - self.start_values) * fraction

    def _sample_tasks(self, k: int) -> list:
        values = self.current_values()
        return [values.copy() for _ in range(k)]

    def _uniform_tasks(self, k: int) -> list:
        return self._sample_tasks(k)

    def metrics(self) -> Dict[str, float]:
        """The current task values (first 8 dimensions) and the schedule's step."""
        out = {"curriculum/schedule_step": float(self.current_step)}
        for i, value in enumerate(self.current_values().reshape(-1)[:8]):
            out[f"curriculum/task_value_{i}"] = float(value)
        return out
