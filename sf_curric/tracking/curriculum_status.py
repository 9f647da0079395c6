"""`curriculum_status(host)`: what the curriculum is doing, in a few words for the progress line.

- a box curriculum (metrics `curriculum/range_low` and `range_high`): its current range;
- a level curriculum (metric `curriculum/level`, e.g. PerformanceCurriculum): its level out of the last one and the
  recent mean of the metric that promotes it (or "no episodes at this level yet", right after a promotion);
- discrete tasks: the entropy of the task distribution (and its maximum, log of the number of tasks) and the
  most likely tasks with their probabilities;
- self-play: the trained agent's win, draw and loss rates against the pool's snapshots;
- anything else: the first scalar metrics the curriculum reports.
"""

from __future__ import annotations

from typing import Any

import numpy as np

TOP_TASKS = 3
MAX_OTHER_METRICS = 2


def _short(key: str) -> str:
    return key.split("/", 1)[-1]


def curriculum_status(host: Any) -> str:
    """One short line about the curriculum of a `CurriculumHost` (empty when there is nothing to say).

    Args:
        host: a `sf_curric.algo.curriculum_host.CurriculumHost`.

    Example:
        >>> curriculum_status(host)
        'SimpleBoxCurriculum range [-0.080, 0.080]'
    """
    name = type(host.curriculum).__name__
    with host.lock:
        metrics = host.curriculum.metrics()
    if "curriculum/range_low" in metrics and "curriculum/range_high" in metrics:
        return f"{name} range [{metrics['curriculum/range_low']:.3f}, {metrics['curriculum/range_high']:.3f}]"
    if "curriculum/num_opponents" in metrics:  # self-play: the agent vs its pool (snapshots or policies)
        pool = f"{name} vs {metrics['curriculum/num_opponents']:.0f} opponent(s)"
        if "curriculum/win_rate" not in metrics:
            return f"{pool}, no game finished yet"
        rates = " ".join(f"{kind} {metrics[f'curriculum/{kind}_rate']:.2f}" for kind in ("win", "draw", "loss"))
        return f"{pool}: {rates} ({metrics['curriculum/games']:.0f} games)"
    dist = host.distribution()
    if "curriculum/level" in metrics and dist is not None:
        level = f"{name} level {int(metrics['curriculum/level'])}/{len(dist) - 1}"
        if "curriculum/level_recent_mean" not in metrics:  # just promoted (or demoted): nothing measured there yet
            return f"{level}, no episodes at this level yet"
        return f"{level}, recent mean {metrics['curriculum/level_recent_mean']:.2f}"
    if dist is not None and len(dist) > 0:
        positive = dist[dist > 0]
        entropy = max(0.0, float(-(positive * np.log(positive)).sum()))  # a one-task distribution: 0, not -0
        top = np.argsort(-dist, kind="stable")[:TOP_TASKS]
        tops = ", ".join(f"{host.task_label(int(i))} ({dist[i]:.2f})" for i in top)
        return f"{name} entropy {entropy:.2f}/{np.log(len(dist)):.2f}, top tasks {tops}"
    scalars = [f"{_short(k)} {v:.3g}" for k, v in metrics.items() if isinstance(v, (int, float))]
    return ", ".join([name, *scalars[:MAX_OTHER_METRICS]])


def curriculum_suffix(host: Any) -> str:
    """`", curriculum: <status>"` for the progress line, or "" for a run without a curriculum.

    Args:
        host: the run's `CurriculumHost`, or None.
    """
    return "" if host is None else f", curriculum: {curriculum_status(host)}"
