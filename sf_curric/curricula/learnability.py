"""Learnability: sample levels by p·(1 − p), p the recent success rate on the level ("No Regrets", arXiv 2408.15099).

A level the agent always solves (p = 1) or never solves (p = 0) teaches little; one it solves half the time
(p = 0.5, weight 0.25) teaches most. Syllabus calls this curriculum `Learnability`.
"""

from __future__ import annotations

from collections import deque
from typing import Any, Dict, List

import numpy as np

from sf_curric.curricula.curriculum import Curriculum


class Learnability(Curriculum):
    """Samples each task with probability ∝ p·(1 − p), p = successes / episodes over its last `window` episodes.

    Tasks with no episode yet count as p = 0.5 (the highest weight), so every task gets tried. Only the `topk`
    highest weights are kept (the paper's buffer of the most learnable levels), and `uniform_mix` of the draws are
    uniform over all tasks (the paper samples the rest from the generator). When every weight is 0, draws are
    uniform.

    An episode is a success when the env reports `task_completion >= success_threshold`, or, when it reports none,
    when its return is above `success_return`.

    Args:
        task_space: a finite task space (e.g. `Discrete(200)` level seeds).
        window: episodes per task in the success estimate.
        topk: keep only the k most learnable tasks (0 or None: all).
        uniform_mix: share of draws uniform over all tasks.
        success_threshold: `task_completion` at or above this is a success.
        success_return: without `task_completion`, a return above this is a success.
        **kwargs: base `Curriculum` options (`seed`, ...).

    Example:
        >>> curriculum = Learnability(Discrete(200), seed=0)
        >>> curriculum.update_on_episode(0.7, 12, task=3, progress=1.0)
    """

    def __init__(
        self,
        task_space: Any,
        window: int = 20,
        topk: int | None = None,
        uniform_mix: float = 0.05,
        success_threshold: float = 1.0,
        success_return: float = 0.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(task_space, **kwargs)
        if not self.task_space.is_finite:
            raise ValueError(f"Learnability needs a finite task space (e.g. Discrete(n) level seeds), got {task_space}")
        if window < 1:
            raise ValueError(f"learnability window must be >= 1 episode, got {window}")
        if not 0.0 <= uniform_mix <= 1.0:
            raise ValueError(f"learnability uniform_mix must be in [0, 1], got {uniform_mix}")
        self.window = int(window)
        self.topk = int(topk) if topk else 0
        self.uniform_mix = float(uniform_mix)
        self.success_threshold = float(success_threshold)
        self.success_return = float(success_return)
        self.outcomes: Dict[int, deque] = {}  # task index -> recent successes (1) and failures (0)

    def success_rates(self) -> np.ndarray:
        """p per task (0.5 for tasks with no episode yet)."""
        p = np.full(self.num_tasks, 0.5)
        for index, outcomes in self.outcomes.items():
            p[index] = float(np.mean(outcomes))
        return p

    def learnability(self) -> np.ndarray:
        """p·(1 − p) per task."""
        p = self.success_rates()
        return p * (1.0 - p)

    def _sample_weights(self) -> np.ndarray:
        n = self.num_tasks
        scores = self.learnability()
        if self.topk and self.topk < n:
            keep = np.argsort(-scores, kind="stable")[: self.topk]  # ties: the lower index is kept
            kept = np.zeros(n)
            kept[keep] = scores[keep]
            scores = kept
        total = scores.sum()
        prioritized = scores / total if total > 0 else np.full(n, 1.0 / n)
        return (1.0 - self.uniform_mix) * prioritized + self.uniform_mix / n

    def _sample_distribution(self) -> List[float]:
        return self._sample_weights().tolist()

    def record_outcome(self, task: Any, success: bool) -> None:
        """Record one episode's success or failure on `task` (what `update_on_episode` calls)."""
        index = int(self.task_space.encode(task))
        self.outcomes.setdefault(index, deque(maxlen=self.window)).append(1.0 if success else 0.0)

    def update_on_episode(
        self, episode_return: float, length: int = 0, task: Any = None, progress: Any = None, env_id: int | None = None
    ) -> None:
        super().update_on_episode(episode_return, length, task, progress, env_id)
        if task is None:
            return
        if progress is not None:
            success = float(progress) >= self.success_threshold
        else:
            success = float(episode_return) > self.success_return
        self.record_outcome(task, success)

    def metrics(self) -> Dict[str, float]:
        out = super().metrics()
        if self.outcomes:
            rates = np.array([np.mean(o) for o in self.outcomes.values()])
            out["curriculum/mean_success_rate"] = float(rates.mean())
            out["curriculum/mean_learnability"] = float((rates * (1 - rates)).mean())
            out["curriculum/tasks_with_episodes"] = float(len(self.outcomes))
        return out


LEARNABILITY_ARGS: list[tuple[str, dict[str, Any]]] = [
    (
        "--learnability_window",
        {"type": int, "default": 20, "help": "learnability: recent episodes per level in its success rate p."},
    ),
    (
        "--learnability_topk",
        {"type": int, "default": 0, "help": "learnability: sample only the k most learnable levels (0: all)."},
    ),  # fmt: skip
    (
        "--learnability_uniform_mix",
        {"type": float, "default": 0.05, "help": "learnability: share of draws uniform over all levels."},
    ),
    (
        "--learnability_success_threshold",
        {"type": float, "default": 1.0, "help": "learnability: task_completion at or above this is a success."},
    ),
]


def build(ctx: Any) -> Learnability:
    """`--curriculum=learnability` (sf_curric/curricula/builtin.py)."""
    return Learnability(
        ctx.task_space,
        window=ctx.option("learnability_window"),
        topk=ctx.option("learnability_topk"),
        uniform_mix=ctx.option("learnability_uniform_mix"),
        success_threshold=ctx.option("learnability_success_threshold"),
        seed=ctx.seed,
    )
