"""TeacherStudent: sample tasks by absolute learning progress (Matiisen et al. 2017, "Teacher-Student Curriculum
Learning"), with the improvements of Willems, Lahlou & Bengio 2020 ("Mastering Rate based Curriculum Learning").

The defaults are that paper's improved teacher, "gProp Linreg": the learning progress of a task is the slope of a
linear regression over its last 10 (teacher step, mean return) points, the attention is its absolute value, and the
distribution is the attention normalized, mixed with 10 % uniform. `lp_estimator="window"` with
`converter="greedy_amax"` is Matiisen et al.'s Window algorithm with epsilon-greedy sampling.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sf_curric.curricula.teacher import TEACHER_ARGS, TeacherCurriculum, config_errors, teacher_options


class TeacherStudent(TeacherCurriculum):
    """Attention = |learning progress| per task; see `TeacherCurriculum` for the options and the step clock.

    Args:
        task_space: a finite task space.
        **kwargs: `TeacherCurriculum` options (defaults: linreg estimator over 10 points, greedy_prop with eps 0.1,
            one teacher step per 2048 env steps) and base `Curriculum` options.

    Example:
        >>> teacher = TeacherStudent(Discrete(3), seed=0)
        >>> teacher.update_on_episode(0.8, 2048, task=0)   # 2048 env steps: one teacher step
    """

    def __init__(self, task_space: Any, **kwargs: Any) -> None:
        kwargs.setdefault("converter", "greedy_prop")
        super().__init__(task_space, **kwargs)
        self._start()

    def _attention(self) -> np.ndarray:
        return np.abs(self.learning_progress)


TEACHER_STUDENT_ARGS = TEACHER_ARGS


def build(ctx: Any) -> TeacherStudent:
    """`--curriculum=teacher_student` (sf_curric/curricula/builtin.py)."""
    with config_errors("--curriculum=teacher_student"):
        return TeacherStudent(ctx.task_space, **teacher_options(ctx, "greedy_prop"))
