"""DomainRandomization: every task equally likely."""

from __future__ import annotations

from typing import Any, List

import numpy as np

from sf_curric.curricula.curriculum import Curriculum


class DomainRandomization(Curriculum):
    """Samples tasks uniformly at random: over the task list of a finite space, uniformly inside a Box.

    Args:
        task_space: task space or gymnasium space.
        **kwargs: base `Curriculum` options (`seed`, `record_stats`, ...).

    Example:
        >>> DomainRandomization(Discrete(200), seed=1).sample(3)
    """

    def _sample_distribution(self) -> List[float]:
        n = self.num_tasks
        if n is None:
            raise NotImplementedError("DomainRandomization over a continuous space has no task list")
        return [1.0 / n] * n

    def _sample_tasks(self, k: int) -> list:
        return self._uniform_tasks(k)

    def metrics(self) -> dict:
        if self.num_tasks is None:
            return {}
        n = self.num_tasks
        out = {"curriculum/entropy": float(np.log(n)), "curriculum/num_active_tasks": float(n)}
        for i in range(min(n, self.max_logged_tasks)):
            out[f"curriculum/task_{self._task_label(i)}_prob"] = 1.0 / n
        if self.stat_recorder is not None:
            out.update(self.stat_recorder.metrics(self.max_logged_tasks))
        return out


# Syllabus spells the uniform curriculum both ways
Uniform = DomainRandomization


def build(ctx: Any) -> DomainRandomization:
    """`--curriculum=dr` (sf_curric/curricula/builtin.py)."""
    return DomainRandomization(ctx.task_space, seed=ctx.seed)
