"""Windows of the last `--stats_avg` episodes (returns, lengths, task completion, custom metrics) for the progress
line, tensorboard and the best checkpoint."""

from __future__ import annotations

import math
from collections import deque
from typing import Any

import numpy as np

from sf_curric.curricula.feedback import EpisodeSummary
from sf_curric.utils.flat_stats import flatten_stats


class EpisodeStats:
    """Windows of the last `--stats_avg` episodes: returns, lengths, task completion, custom metrics."""

    def __init__(self, window: int):
        self.window = window
        self.returns: deque[float] = deque(maxlen=window)
        self.lengths: deque[int] = deque(maxlen=window)
        self.task_completion: deque[float] = deque(maxlen=window)
        self.custom: dict[str, deque[float]] = {}
        self.num_episodes = 0
        self.num_nonfinite_returns = 0  # episodes whose return was NaN/Inf: counted, kept out of the averages

    def add(self, episodes: list[EpisodeSummary]) -> None:
        for ep in episodes:
            self.num_episodes += 1
            if not math.isfinite(ep.episode_return):
                self.num_nonfinite_returns += 1
                continue
            self.returns.append(ep.episode_return)
            self.lengths.append(ep.episode_length)
            if ep.task_completion is not None:
                self.task_completion.append(ep.task_completion)
            if ep.extra_stats:
                flat: dict[str, float] = {}
                flatten_stats("custom", ep.extra_stats, flat)
                for key, value in flat.items():
                    self.custom.setdefault(key, deque(maxlen=self.window)).append(value)

    def avg_return(self) -> float:
        return float(np.mean(self.returns)) if self.returns else float("nan")

    def state_dict(self) -> dict[str, Any]:
        return {"returns": list(self.returns), "lengths": list(self.lengths), "num_episodes": self.num_episodes}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.returns.extend(state.get("returns", []))
        self.lengths.extend(state.get("lengths", []))
        self.num_episodes = int(state.get("num_episodes", 0))
