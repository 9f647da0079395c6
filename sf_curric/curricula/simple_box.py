"""SimpleBoxCurriculum: a (low, high) range that widens each time the agent masters the current one."""

from __future__ import annotations

from typing import Any, Dict

import numpy as np

from sf_curric.curricula.curriculum import Curriculum
from sf_curric.curricula.task_space import BoxTaskSpace


class SimpleBoxCurriculum(Curriculum):
    """Grows a symmetric range inside a 2-D Box, e.g. CartPole's initial-state range (Syllabus README example).

    A task is a tuple `(low, high)`. The range starts at `midpoint +- step_size` (with `step_size` =
    half the full range / `steps`) and widens by `step_size` on each side after `required_successes`
    consecutive task-progress reports above `success_threshold`, until it covers the Box.

    Args:
        task_space: a Box of shape (2,), e.g. `Box(-0.3, 0.3, shape=(2,))`; task[0] is low, task[1] is high.
        steps: number of widenings from the start range to the full range.
        success_threshold: a progress report above this counts as a success.
        required_successes: consecutive successes needed to widen the range.
        **kwargs: base `Curriculum` options.

    Example:
        >>> curriculum = SimpleBoxCurriculum(Box(-0.3, 0.3, shape=(2,)), steps=5)
        >>> curriculum.sample(1)
        [(-0.06, 0.06)]
    """

    def __init__(
        self,
        task_space: Any,
        steps: int = 5,
        success_threshold: float = 0.75,
        required_successes: int = 10,
        **kwargs: Any,
    ) -> None:
        super().__init__(task_space, **kwargs)
        if not isinstance(self.task_space, BoxTaskSpace) or self.task_space.shape != (2,):
            raise ValueError(
                f"SimpleBoxCurriculum needs a Box task space of shape (2,) (low, high), got {self.task_space!r}"
            )
        if steps < 1 or required_successes < 1:
            raise ValueError("steps and required_successes must be >= 1")
        self.success_threshold = float(success_threshold)
        self.required_successes = int(required_successes)
        self.lowest = float(self.task_space.low[0])
        self.highest = float(self.task_space.high[1])
        half = (self.highest - self.lowest) / 2.0
        self.midpoint = self.lowest + half
        self.step_size = half / steps
        self.max_range = (self.midpoint - self.step_size, self.midpoint + self.step_size)
        self.consecutive_successes = 0
        self.max_reached = steps == 1

    def update_task_progress(self, task: Any, progress: Any, env_id: int | None = None) -> None:
        """Count a success (progress above the threshold) or reset the streak; widen the range when due."""
        super().update_task_progress(task, progress, env_id)
        if self.max_reached:
            return
        if float(progress) > self.success_threshold:
            self.consecutive_successes += 1
        else:
            self.consecutive_successes = 0
        if self.consecutive_successes >= self.required_successes:
            low = max(self.max_range[0] - self.step_size, self.lowest)
            high = min(self.max_range[1] + self.step_size, self.highest)
            # snap to the bounds when float steps land a hair inside them
            if np.isclose(low, self.lowest):
                low = self.lowest
            if np.isclose(high, self.highest):
                high = self.highest
            self.max_range = (low, high)
            self.consecutive_successes = 0
            self.max_reached = low == self.lowest and high == self.highest

    def _sample_tasks(self, k: int) -> list:
        return [tuple(self.max_range) for _ in range(k)]

    def _uniform_tasks(self, k: int) -> list:
        return self._sample_tasks(k)  # random start makes no sense for a single range

    def metrics(self) -> Dict[str, float]:
        """The current range and the success streak."""
        return {
            "curriculum/range_low": float(self.max_range[0]),
            "curriculum/range_high": float(self.max_range[1]),
            "curriculum/consecutive_successes": float(self.consecutive_successes),
        }


SIMPLE_BOX_ARGS: list[tuple[str, dict[str, Any]]] = [
    ("--simple_box_steps", {"type": int, "default": 5, "help": "simple_box: widenings to reach the full range."}),
    (
        "--simple_box_success_threshold",
        {"type": float, "default": 0.75, "help": "simple_box: task_completion above this counts as a success."},
    ),
    (
        "--simple_box_required_successes",
        {"type": int, "default": 10, "help": "simple_box: consecutive successes needed to widen the range."},
    ),
]


def build(ctx: Any) -> SimpleBoxCurriculum:
    """`--curriculum=simple_box` (sf_curric/curricula/builtin.py)."""
    return SimpleBoxCurriculum(
        ctx.task_space,
        steps=ctx.option("simple_box_steps"),
        success_threshold=ctx.option("simple_box_success_threshold"),
        required_successes=ctx.option("simple_box_required_successes"),
        seed=ctx.seed,
    )
