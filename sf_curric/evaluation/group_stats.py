"""Per-group and per-task statistics of finished evaluation episodes: the one computation behind `sf_curric.eval`,
evaluation during training and the end-of-training table.

Every episode counts once. A group may name the same task several times (the end-of-training table of an env
without tasks plays `[None] * n`, all labelled "default"; a finite task space smaller than the episode count
repeats its tasks): its episodes are pooled under that one label, never counted once per mention.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from sf_curric.evaluation.episodes import EpisodeRecord
from sf_curric.evaluation.stats import summarize
from sf_curric.evaluation.tasks import TaskGroup


def group_summaries(groups: Sequence[TaskGroup], records: Sequence[EpisodeRecord]) -> tuple[dict, list]:
    """Summaries of each group's returns and of each distinct task's returns.

    Args:
        groups: the task groups, in table order.
        records: every finished episode (`record.job.group` names its group).

    Returns:
        `(summary, per_task)`: summary maps a group name to `{num_tasks, n, mean, std, ci95_low, ci95_high,
        mean_length}` (num_tasks: distinct tasks that played at least one episode); per_task lists
        `{group, task, n, mean, std}` for each distinct task label, in the order the group first names it.

    Example:
        >>> summary, _ = group_summaries([TaskGroup("default", [None] * 3, ["default"] * 3)], records)
        >>> summary["default"]["n"] == len(records)
        True
    """
    summary, per_task = {}, []
    for group in groups:
        mine = [r for r in records if r.job.group == group.name]
        by_label: dict[str, list[float]] = {label: [] for label in group.labels}  # one entry per distinct label
        for r in mine:
            by_label.setdefault(r.job.task_label, []).append(r.episode_return)
        lengths = [r.episode_length for r in mine]
        summary[group.name] = {
            "num_tasks": sum(1 for returns in by_label.values() if returns),
            **summarize([r.episode_return for r in mine]).as_dict(),
            "mean_length": float(np.mean(lengths)) if lengths else float("nan"),
        }
        for label, returns in by_label.items():
            if returns:
                s = summarize(returns)
                per_task.append({"group": group.name, "task": label, "n": s.n, "mean": s.mean, "std": s.std})
    return summary, per_task


def group_returns(records: Sequence[EpisodeRecord], group: str) -> list[float]:
    """The returns of one group's episodes, in record order.

    Args:
        records: every finished episode.
        group: the group's name.
    """
    return [r.episode_return for r in records if r.job.group == group]
