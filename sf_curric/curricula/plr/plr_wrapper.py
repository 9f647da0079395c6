"""Seed 004's module path (`syllabus.curricula.plr.plr_wrapper`): the one `PrioritizedLevelReplay`, re-exported."""

from sf_curric.curricula.plr.plr import PrioritizedLevelReplay

__all__ = ["PrioritizedLevelReplay"]
