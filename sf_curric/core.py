"""Syllabus-compatible import path: code written for `syllabus.core` works with `sf_curric.core`.

Example:
    >>> from sf_curric.core import make_multiprocessing_curriculum, MultiProcessingSyncWrapper
"""

from sf_curric.curricula.curriculum import Curriculum
from sf_curric.curricula.task_space import TaskSpace
from sf_curric.envs.task_wrapper import TaskEnv, TaskWrapper
from sf_curric.sync import (
    CurriculumServerError,
    MultiProcessingCurriculumWrapper,
    MultiProcessingSyncWrapper,
    RayCurriculumWrapper,
    RaySyncWrapper,
    make_multiprocessing_curriculum,
    make_ray_curriculum,
)

__all__ = [
    "Curriculum",
    "CurriculumServerError",
    "MultiProcessingCurriculumWrapper",
    "MultiProcessingSyncWrapper",
    "RayCurriculumWrapper",
    "RaySyncWrapper",
    "TaskEnv",
    "TaskSpace",
    "TaskWrapper",
    "make_multiprocessing_curriculum",
    "make_ray_curriculum",
]
