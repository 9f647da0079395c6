"""Named levels in eval: `--levels=FILE` (a level file the env's task space reads) and the per-level table.

A level group (from `--levels` or `--eval_level_set`) gets one row per level: episodes, solve rate (return > 0, as
jaxued counts a maze solved) with its 95 % Wilson interval, and the mean return. eval prints the rows under its group
table and writes them to eval.json under "levels".
"""

from __future__ import annotations

import math
from typing import Any, Sequence

from sf_curric.evaluation.policy import EvaluationError

LEVELS_GROUP = "levels"  # the task group of --levels=FILE
_Z95 = 1.959963984540054  # two-sided 95 % normal quantile


def read_levels_file(env_name: str, task_space: Any, path: str) -> dict[str, Any]:
    """The named levels of `path`, read by the env's task space (`task_space.read_level_file(path)`).

    Args:
        env_name: the env (for the error message).
        task_space: the env's registered task space.
        path: the level file.

    Raises:
        EvaluationError: the env reads no level files, or the file is malformed (one line from the reader).
    """
    reader = getattr(task_space, "read_level_file", None)
    if reader is None:
        raise EvaluationError(
            f"--levels={path}: env {env_name!r} reads no level files (its task space has no read_level_file); "
            "use --eval_level_set or --test_tasks"
        )
    try:
        return dict(reader(path))
    except ValueError as e:
        raise EvaluationError(f"--levels: {e}") from None


def wilson_interval(successes: int, n: int) -> tuple[float, float]:
    """95 % Wilson score interval of a success rate (sensible at 0 % and 100 %, unlike the normal interval).

    Args:
        successes: successful episodes.
        n: episodes (> 0).

    Example:
        >>> [round(v, 3) for v in wilson_interval(0, 10)]
        [0.0, 0.278]
    """
    if n <= 0:
        return (float("nan"), float("nan"))
    p = successes / n
    z2 = _Z95 * _Z95
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = _Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    low = 0.0 if successes == 0 else max(0.0, centre - half)  # exact ends (no rounding residue at 0 % and 100 %)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return (low, high)


def level_rows(group: str, labels: Sequence[str], records: Sequence[Any]) -> list[dict[str, Any]]:
    """One row per level of `group`: episodes, solves, solve rate with its Wilson interval, mean return and length.

    Args:
        group: the task group's name.
        labels: its levels' names, in order.
        records: `EpisodeRecord`s of the evaluation (other groups are ignored).
    """
    rows = []
    for label in labels:
        mine = [r for r in records if r.job.group == group and r.job.task_label == label]
        if not mine:
            continue
        solved = sum(1 for r in mine if r.episode_return > 0)
        low, high = wilson_interval(solved, len(mine))
        rows.append(
            {
                "group": group,
                "level": label,
                "episodes": len(mine),
                "solved": solved,
                "solve_rate": solved / len(mine),
                "solve_rate_ci95": [low, high],
                "mean_return": sum(r.episode_return for r in mine) / len(mine),
                "mean_length": sum(r.episode_length for r in mine) / len(mine),
            }
        )
    return rows


def format_level_table(rows: Sequence[dict[str, Any]]) -> str:
    """The per-level table (empty text when there are no rows)."""
    if not rows:
        return ""
    width = max(16, *(len(r["level"]) for r in rows))
    lines = [f"{'level':<{width}} {'episodes':>9} {'solve rate':>11}   95% interval (Wilson) {'mean return':>12}"]
    for r in rows:
        low, high = r["solve_rate_ci95"]
        lines.append(
            f"{r['level']:<{width}} {r['episodes']:>9} {100 * r['solve_rate']:>10.1f}%   "
            f"[{100 * low:5.1f}%, {100 * high:5.1f}%]       {r['mean_return']:>12.3f}"
        )
    return "\n".join(lines)
