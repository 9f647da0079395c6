"""Syllabus's other names for Prioritized Level Replay, where sf_curric's PLR does the same thing.

- `CentralizedPrioritizedLevelReplay` (Syllabus also spells it `CentralPrioritizedLevelReplay`): the learner sends
  whole `[T, B]` rollouts and the curriculum scores them. That is `PrioritizedLevelReplay.update_with_rollout`
  (what sf_curric's trainer calls), so the name is an alias. Difference: the rollout goes in as keyword arrays
  (`tasks`, `dones`, `values`, `advantages`, ...; see docs/plr.md), or as a dict with those keys through
  `update_on_demand`, not as Syllabus's rollout-storage object.
- `DirectPrioritizedLevelReplay`: the caller computes the per-step scores itself; a level's score is the mean of
  its episode's per-step scores, as in Syllabus. Differences: `update(tasks, scores, dones, actors)` takes `[T, B]`
  scores (Syllabus also accepts a `T+1`-th row, which is ignored here too), and scores may be signed, so the
  `power` score transform is refused (use `rank`, the default).
"""

from __future__ import annotations

from typing import Any

from sf_curric.curricula.plr.plr import PrioritizedLevelReplay, _numpy


class CentralizedPrioritizedLevelReplay(PrioritizedLevelReplay):
    """Syllabus's name for PLR fed with whole rollouts: exactly `PrioritizedLevelReplay`."""


CentralPrioritizedLevelReplay = CentralizedPrioritizedLevelReplay


class DirectPrioritizedLevelReplay(PrioritizedLevelReplay):
    """PLR on scores the caller computes per step (Syllabus's `DirectPrioritizedLevelReplay`).

    Example:
        >>> plr = DirectPrioritizedLevelReplay(Discrete(50), num_processes=8, seed=0)
        >>> plr.update(tasks, scores, dones)  # [T, B] each
    """

    def __init__(self, task_space: Any, *args: Any, **kwargs: Any) -> None:
        sampler_kwargs = kwargs.get("task_sampler_kwargs_dict") or {}
        strategy = kwargs.pop("strategy", sampler_kwargs.pop("strategy", None))
        if strategy not in (None, "gae"):
            raise ValueError("DirectPrioritizedLevelReplay scores with the caller's scores: drop strategy=")
        # the "gae" strategy scores an episode by the mean of a signed per-step input: here, the given scores
        super().__init__(task_space, *args, strategy="gae", **kwargs)

    def update(self, tasks: Any, scores: Any = None, dones: Any = None, actors: Any = None) -> None:  # type: ignore[override]
        """Score a `[T, B]` block: `scores[t, b]` is step t's score in column b (actor `actors[b]`)."""
        if scores is None or dones is None:
            return super().update(tasks)  # the base class's update(metrics) dict form
        tasks = _numpy(tasks)
        scores = _numpy(scores)[: tasks.shape[0]]
        self.update_with_rollout(tasks=tasks, dones=dones, advantages=scores, actor_ids=actors)
