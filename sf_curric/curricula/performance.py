"""PerformanceCurriculum: move through difficulty levels by the agent's average over its last N episodes."""

from __future__ import annotations

from collections import deque
from typing import Any, Dict, List

import numpy as np

from sf_curric.curricula.curriculum import Curriculum
from sf_curric.errors import ConfigError

BUILTIN_METRICS = ("return", "progress")  # other metrics are keys of info["episode_extra_stats"]


class PerformanceCurriculum(Curriculum):
    """Difficulty levels in task order (easiest first), promoted by recent performance.

    The agent's performance on a level is the mean of `metric` over its last `window` episodes on that
    level: the episode return, the final task progress, or any entry of the env's
    `info["episode_extra_stats"]` (e.g. a win flag; nested keys as "a/b"). When the window is full and the mean reaches
    `promote_threshold` the curriculum moves one level up; with `demote_threshold` set it moves one level
    down when the mean falls to it (and forgets that lower level's window, so promotion must be earned
    again). This needs no signal from the training loop, only episode results (Sample Factory's approach
    against bots). `replay_easier` keeps a share of episodes on easier levels, spread evenly, for a smoother,
    more varied curriculum.

    Args:
        task_space: a finite task space whose task order is the difficulty order.
        promote_threshold: mean metric needed to move up.
        window: N, number of recent episodes averaged per level.
        metric: "return" (episode return), "progress" (task progress reported at episode end), or the key of
            an episode extra statistic.
        demote_threshold: mean metric at which to move down, or None never to move down.
        replay_easier: probability of sampling one of the easier levels instead of the current one.
        start_level: index of the first level.
        **kwargs: base `Curriculum` options.

    Example:
        >>> c = PerformanceCurriculum(Discrete(5), promote_threshold=0.8, window=50, metric="progress")
    """

    def __init__(
        self,
        task_space: Any,
        promote_threshold: float,
        window: int = 100,
        metric: str = "return",
        demote_threshold: float | None = None,
        replay_easier: float = 0.0,
        start_level: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(task_space, **kwargs)
        if not self.task_space.is_finite:
            raise ValueError(f"PerformanceCurriculum needs a finite task space of levels, got {self.task_space!r}")
        if not isinstance(metric, str) or not metric:
            raise ValueError(f"metric must be 'return', 'progress' or an episode_extra_stats key, got {metric!r}")
        if window < 1:
            raise ValueError(f"window must be >= 1, got {window}")
        if demote_threshold is not None and demote_threshold >= promote_threshold:
            raise ValueError("demote_threshold must be below promote_threshold")
        if not 0.0 <= replay_easier <= 1.0:
            raise ValueError(f"replay_easier is a probability, got {replay_easier}")
        if not 0 <= start_level < self.num_tasks:
            raise ValueError(f"start_level must be in [0, {self.num_tasks}), got {start_level}")
        self.promote_threshold = float(promote_threshold)
        self.demote_threshold = None if demote_threshold is None else float(demote_threshold)
        self.window = int(window)
        self.metric = metric
        self.replay_easier = float(replay_easier)
        self.level = int(start_level)
        self.history: Dict[int, deque] = {}
        self.num_promotions = 0
        self.num_demotions = 0

    def _index(self, task: Any) -> int:
        if isinstance(task, (int, np.integer)) and not self.task_space.contains(task):
            return int(task)
        return int(self.task_space.encode(task))

    def update_on_episode(
        self, episode_return: float, length: int = 0, task: Any = None, progress: Any = None, env_id: int | None = None
    ) -> None:
        """Add the episode's return or progress to its level's window (other metrics come as extra stats)."""
        super().update_on_episode(episode_return, length, task, progress, env_id)
        if task is None or self.metric not in BUILTIN_METRICS:
            return
        if self.metric == "progress":
            if progress is None:
                raise ValueError("PerformanceCurriculum(metric='progress') needs episodes reported with a progress")
            self._record(task, float(progress))
        else:
            self._record(task, float(episode_return))

    def update_on_episode_extra_stats(self, task: Any, extra_stats: Dict[str, Any], env_id: int | None = None) -> None:
        """Add the episode's `metric` entry of `info["episode_extra_stats"]` to its level's window."""
        if task is None or self.metric in BUILTIN_METRICS:
            return
        value: Any = extra_stats
        for key in self.metric.split("/"):
            if not isinstance(value, dict) or key not in value:
                raise ValueError(
                    f"episode_extra_stats has no {self.metric!r} (keys: {sorted(extra_stats)}); set the metric to "
                    "one of them, or report it in info['episode_extra_stats']"
                )
            value = value[key]
        self._record(task, float(value))

    def _record(self, task: Any, value: float) -> None:
        level = self._index(task)
        self.history.setdefault(level, deque(maxlen=self.window)).append(value)
        if level != self.level:
            return
        recent = self.history[level]
        if len(recent) < self.window:
            return
        mean = sum(recent) / len(recent)
        if mean >= self.promote_threshold and self.level < self.num_tasks - 1:
            self.level += 1
            self.num_promotions += 1
        elif self.demote_threshold is not None and mean <= self.demote_threshold and self.level > 0:
            self.level -= 1
            self.num_demotions += 1
            self.history.pop(self.level, None)

    def recent_mean(self, task: Any) -> float:
        """Mean metric over the last `window` episodes of a level (nan before any)."""
        recent = self.history.get(self._index(task))
        return float(np.mean(recent)) if recent else float("nan")

    def _sample_distribution(self) -> List[float]:
        return self._sample_weights().tolist()

    def _sample_weights(self) -> np.ndarray:
        dist = np.zeros(self.num_tasks)
        if self.level == 0 or self.replay_easier == 0.0:
            dist[self.level] = 1.0
        else:
            dist[: self.level] = self.replay_easier / self.level
            dist[self.level] = 1.0 - self.replay_easier
        return dist

    def metrics(self) -> Dict[str, float]:
        """Base metrics plus the current level and its recent mean."""
        out = super().metrics()
        recent = self.history.get(self.level)
        out["curriculum/level"] = float(self.level)
        out["curriculum/level_recent_mean"] = float(np.mean(recent)) if recent else 0.0
        return out


PERFORMANCE_ARGS: list[tuple[str, dict[str, Any]]] = [
    (
        "--perf_promote_threshold",
        {"type": float, "default": None, "help": "performance: mean metric needed to move one level up (required)."},
    ),
    ("--perf_window", {"type": int, "default": 100, "help": "performance: episodes averaged per level."}),
    (
        "--perf_metric",
        {"type": str, "default": "return", "choices": BUILTIN_METRICS, "help": "performance: the metric."},
    ),
    ("--perf_demote_threshold", {"type": float, "default": None, "help": "performance: move down at this mean."}),
    ("--perf_replay_easier", {"type": float, "default": 0.0, "help": "performance: share of easier levels."}),
]


def build(ctx: Any) -> PerformanceCurriculum:
    """`--curriculum=performance` (sf_curric/curricula/builtin.py)."""
    threshold = ctx.option("perf_promote_threshold")
    if threshold is None:
        raise ConfigError("--curriculum=performance needs --perf_promote_threshold (e.g. the return to reach)")
    return PerformanceCurriculum(
        ctx.task_space,
        promote_threshold=threshold,
        window=ctx.option("perf_window"),
        metric=ctx.option("perf_metric"),
        demote_threshold=ctx.option("perf_demote_threshold"),
        replay_easier=ctx.option("perf_replay_easier"),
        seed=ctx.seed,
    )
