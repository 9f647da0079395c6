"""Curricula: task spaces, the `Curriculum` interface, the built-in curricula and Prioritized Level Replay.

Example:
    >>> from gymnasium.spaces import Discrete
    >>> from sf_curric.curricula import PrioritizedLevelReplay
    >>> plr = PrioritizedLevelReplay(Discrete(200), num_steps=128, num_processes=16, seed=0)
"""

from importlib import import_module
from typing import Any

# public name -> module that defines it (imported on first use, so `import sf_curric.curricula` is cheap)
_EXPORTS = {
    "TaskSpace": "task_space",
    "DiscreteTaskSpace": "task_space",
    "BoxTaskSpace": "task_space",
    "MultiDiscreteTaskSpace": "task_space",
    "TupleTaskSpace": "task_space",
    "as_task_space": "task_space",
    "Curriculum": "curriculum",
    "register_curriculum": "registry",
    "BuildContext": "entry",
    "LearnerFeedback": "learner_feedback",
    "StatRecorder": "stat_recorder",
    "DomainRandomization": "domain_randomization",
    "Uniform": "domain_randomization",
    "Constant": "constant",
    "SequentialCurriculum": "sequential",
    "SimpleBoxCurriculum": "simple_box",
    "AnnealingBoxCurriculum": "annealing_box",
    "LearningProgress": "learning_progress",
    "PerformanceCurriculum": "performance",
    "PrioritizedLevelReplay": "plr.plr",
    "TaskSampler": "plr.task_sampler",
    "SelfPlay": "self_play",
    "FictitiousSelfPlay": "self_play",
    "PrioritizedFictitiousSelfPlay": "self_play",
    "RobustPLR": "plr.plr",
    "ACCEL": "accel",
    "Learnability": "learnability",
    "TeacherStudent": "teacher_student",
    "MasteringRate": "mastering_rate",
    "TaskGraph": "mastering_rate",
    "CentralizedPrioritizedLevelReplay": "plr.syllabus_names",
    "DirectPrioritizedLevelReplay": "plr.syllabus_names",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'sf_curric.curricula' has no attribute {name!r}")
    return getattr(import_module(f"sf_curric.curricula.{_EXPORTS[name]}"), name)


def __dir__() -> list:
    return sorted(__all__)
