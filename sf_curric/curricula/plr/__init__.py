"""Prioritized Level Replay: one `TaskSampler` (scores, staleness, replay schedule) and one curriculum class."""

from sf_curric.curricula.plr.plr import PrioritizedLevelReplay, RobustPLR
from sf_curric.curricula.plr.task_sampler import TaskSampler

__all__ = ["PrioritizedLevelReplay", "RobustPLR", "TaskSampler"]
