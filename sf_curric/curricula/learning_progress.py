"""LearningProgress: sample the tasks whose success rate is changing fastest (arXiv 2106.14876), online."""

from __future__ import annotations

from typing import Any, Dict, List

import numpy as np

from sf_curric.curricula.curriculum import Curriculum


class LearningProgress(Curriculum):
    """Online bidirectional learning-progress curriculum over a finite task space.

    Each task-progress report p (a float in [0, 1] or a bool) updates a fast and a slow moving average:
    `p_fast <- a p + (1 - a) p_fast`, `p_slow <- a p_fast + (1 - a) p_slow`. Learning progress is
    `|f(p_fast) - f(p_slow)|` with the reweighting `f(p) = p (1 - theta) / (p + theta (1 - 2p))` that boosts
    small changes at low success rates. Tasks with positive progress are weighted by the sigmoid of their
    z-scored progress, the others get 0; with no progress anywhere the distribution is uniform. A share
    `uniform_mix` of the probability stays uniform so that every task is tried again now and then.

    Args:
        task_space: a finite task space.
        ema_alpha: weight `a` of the newest report in the moving averages.
        p_theta: reweighting parameter theta.
        uniform_mix: share of the distribution that stays uniform (0 for the paper's formula).
        **kwargs: base `Curriculum` options.

    Example:
        >>> lp = LearningProgress(Discrete(20), seed=0)
        >>> lp.update_task_progress(3, 1.0)
    """

    def __init__(
        self, task_space: Any, ema_alpha: float = 0.1, p_theta: float = 0.1, uniform_mix: float = 0.05, **kwargs: Any
    ) -> None:
        super().__init__(task_space, **kwargs)
        if not self.task_space.is_finite:
            raise ValueError(f"LearningProgress needs a finite task space, got {self.task_space!r}")
        if not 0.0 < ema_alpha <= 1.0 or not 0.0 < p_theta < 1.0 or not 0.0 <= uniform_mix <= 1.0:
            raise ValueError("need 0 < ema_alpha <= 1, 0 < p_theta < 1 and 0 <= uniform_mix <= 1")
        self.ema_alpha = float(ema_alpha)
        self.p_theta = float(p_theta)
        self.uniform_mix = float(uniform_mix)
        self.p_fast = np.zeros(self.num_tasks)
        self.p_slow = np.zeros(self.num_tasks)
        self.num_reports = np.zeros(self.num_tasks, dtype=np.int64)
        self._weights_cache: np.ndarray | None = None
        self._cdf_cache: np.ndarray | None = None

    def _index(self, task: Any) -> int:
        if isinstance(task, (int, np.integer)) and not self.task_space.contains(task):
            return int(task)  # an encoded task
        return int(self.task_space.encode(task))

    def update_task_progress(self, task: Any, progress: Any, env_id: int | None = None) -> None:
        """Blend a progress report (failures included) into the task's fast and slow averages."""
        super().update_task_progress(task, progress, env_id)
        if task is None:
            return
        i, a = self._index(task), self.ema_alpha
        self.p_fast[i] = a * float(progress) + (1.0 - a) * self.p_fast[i]
        self.p_slow[i] = a * self.p_fast[i] + (1.0 - a) * self.p_slow[i]
        self.num_reports[i] += 1
        self._weights_cache = self._cdf_cache = None

    def _reweight(self, p: np.ndarray) -> np.ndarray:
        theta = self.p_theta
        return p * (1.0 - theta) / (p + theta * (1.0 - 2.0 * p))

    def learning_progress(self) -> np.ndarray:
        """|f(p_fast) - f(p_slow)| per task."""
        return np.abs(self._reweight(self.p_fast) - self._reweight(self.p_slow))

    def _sample_distribution(self) -> List[float]:
        return self._sample_weights().tolist()

    def _sample_weights(self) -> np.ndarray:
        if self._weights_cache is None:
            self._weights_cache = self._compute_weights()
        return self._weights_cache

    def _sample_cdf(self) -> np.ndarray:
        if self._cdf_cache is None:
            self._cdf_cache = np.cumsum(self._sample_weights())
        return self._cdf_cache

    def _compute_weights(self) -> np.ndarray:
        n = self.num_tasks
        lp = self.learning_progress()
        positive = lp > 0
        if not positive.any():
            return np.full(n, 1.0 / n)
        sub = lp[positive]
        std = sub.std()
        z = (sub - sub.mean()) / (std if std > 0 else 1.0)
        weights = 1.0 / (1.0 + np.exp(-z))
        dist = np.zeros(n)
        dist[positive] = weights / weights.sum()
        return (1.0 - self.uniform_mix) * dist + self.uniform_mix / n

    def metrics(self) -> Dict[str, float]:
        """Base metrics plus the mean learning progress and the mean fast success rate."""
        out = super().metrics()
        out["curriculum/mean_learning_progress"] = float(self.learning_progress().mean())
        out["curriculum/mean_success_rate"] = float(self.p_fast.mean())
        return out


LEARNING_PROGRESS_ARGS: list[tuple[str, dict[str, Any]]] = [
    ("--lp_ema_alpha", {"type": float, "default": 0.1, "help": "learning_progress: weight of the newest report."}),
    ("--lp_p_theta", {"type": float, "default": 0.1, "help": "learning_progress: reweighting parameter theta."}),
    ("--lp_uniform_mix", {"type": float, "default": 0.05, "help": "learning_progress: uniform share of sampling."}),
]


def build(ctx: Any) -> LearningProgress:
    """`--curriculum=learning_progress` (sf_curric/curricula/builtin.py)."""
    return LearningProgress(
        ctx.task_space,
        ema_alpha=ctx.option("lp_ema_alpha"),
        p_theta=ctx.option("lp_p_theta"),
        uniform_mix=ctx.option("lp_uniform_mix"),
        seed=ctx.seed,
    )
