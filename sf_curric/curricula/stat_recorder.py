"""Per-task episode statistics: running mean and standard deviation of return and length."""

from __future__ import annotations

from collections import deque
from typing import Any, Dict

import numpy as np

from sf_curric.curricula.task_space import TaskSpace, as_task_space


class StatRecorder:
    """Records episode returns and lengths per task of a finite task space.

    With `window=None` the statistics cover every episode (Welford's running algorithm); with `window=N`
    they cover each task's last N episodes.

    Args:
        task_space: a finite task space (or gymnasium space) whose tasks are recorded.
        window: number of recent episodes per task to average over, or None for all episodes.
        eps: floor of the standard deviation used by `normalize`.

    Example:
        >>> rec = StatRecorder(Discrete(3))
        >>> rec.record(10.0, 100, task=2)
        >>> rec.mean_return(2)
        10.0
    """

    def __init__(self, task_space: Any, window: int | None = None, eps: float = 1e-2) -> None:
        self.task_space: TaskSpace = as_task_space(task_space)
        if not self.task_space.is_finite:
            raise ValueError(f"StatRecorder needs a finite task space, got {self.task_space!r}")
        if window is not None and window < 1:
            raise ValueError(f"StatRecorder window must be >= 1 or None, got {window}")
        n = self.task_space.num_tasks
        self.window = window
        self.eps = float(eps)
        self.count = np.zeros(n, dtype=np.int64)
        self._mean = np.zeros((2, n))  # row 0: return, row 1: length
        self._m2 = np.zeros((2, n))
        self._recent: Dict[int, deque] = {}

    def _index(self, task: Any) -> int:
        if isinstance(task, (int, np.integer)) and not self.task_space.contains(task):
            return int(self.task_space.encode(self.task_space.decode(task)))
        return int(self.task_space.encode(task))

    def record(self, episode_return: float, length: int, task: Any, env_id: int | None = None) -> None:
        """Add one finished episode of `task`.

        Args:
            episode_return: undiscounted return of the episode.
            length: number of steps of the episode.
            task: the task (or its encoding) the episode ran.
            env_id: unused, accepted for Syllabus compatibility.
        """
        i = self._index(task)
        x = np.array([float(episode_return), float(length)])
        self.count[i] += 1
        if self.window is None:
            delta = x - self._mean[:, i]
            self._mean[:, i] += delta / self.count[i]
            self._m2[:, i] += delta * (x - self._mean[:, i])
            return
        recent = self._recent.setdefault(i, deque(maxlen=self.window))
        recent.append(x)
        values = np.array(recent)
        self._mean[:, i] = values.mean(axis=0)
        self._m2[:, i] = values.var(axis=0) * len(values)

    def _std(self, row: int, i: int) -> float:
        n = self.count[i] if self.window is None else min(self.count[i], self.window)
        return float(np.sqrt(self._m2[row, i] / n)) if n > 0 else 0.0

    def mean_return(self, task: Any) -> float:
        """Mean episode return of `task` (0 before its first episode)."""
        return float(self._mean[0, self._index(task)])

    def std_return(self, task: Any) -> float:
        """Population standard deviation of the episode return of `task`."""
        return self._std(0, self._index(task))

    def mean_length(self, task: Any) -> float:
        """Mean episode length of `task`."""
        return float(self._mean[1, self._index(task)])

    def std_length(self, task: Any) -> float:
        """Population standard deviation of the episode length of `task`."""
        return self._std(1, self._index(task))

    def num_episodes(self, task: Any) -> int:
        """Number of episodes recorded for `task`."""
        return int(self.count[self._index(task)])

    def normalize(self, reward: Any, task: Any) -> Any:
        """Scale a reward (or an array of rewards) by the return standard deviation of its task.

        Args:
            reward: a float or array of rewards from episodes of `task`.
            task: the task the rewards came from.
        """
        return np.asarray(reward, dtype=np.float64) / max(self.std_return(task), self.eps)

    @property
    def mean_returns(self) -> np.ndarray:
        """Mean return of every task, in task-index order."""
        return self._mean[0].copy()

    def metrics(self, max_tasks: int = 16) -> Dict[str, float]:
        """Per-task mean return and length of the first `max_tasks` tasks that have episodes."""
        out: Dict[str, float] = {}
        for i in np.flatnonzero(self.count)[:max_tasks]:
            out[f"curriculum/task_{i}_mean_return"] = float(self._mean[0, i])
            out[f"curriculum/task_{i}_mean_length"] = float(self._mean[1, i])
        return out

    def log_metrics(self, writer: Any, step: int | None = None) -> None:
        """Write `metrics()` to a tensorboard-style writer (anything with `add_scalar`)."""
        for key, value in self.metrics().items():
            writer.add_scalar(key, value, step)

    def state_dict(self) -> Dict[str, Any]:
        """Everything needed to continue recording after a restart."""
        return {
            "count": self.count.copy(),
            "mean": self._mean.copy(),
            "m2": self._m2.copy(),
            "recent": {i: [x.copy() for x in d] for i, d in self._recent.items()},
        }

    def load_state_dict(self, state: Dict[str, Any]) -> None:
        """Restore the state produced by `state_dict`."""
        self.count = np.array(state["count"], dtype=np.int64)
        self._mean = np.array(state["mean"], dtype=np.float64)
        self._m2 = np.array(state["m2"], dtype=np.float64)
        self._recent = {int(i): deque(xs, maxlen=self.window) for i, xs in state["recent"].items()}
