"""`LearnerFeedback`: one training batch as the learner saw it, handed to `Curriculum.update_on_learner_batch`.

The learner computes values, advantages, return targets and episode ends once (sf_curric/algo/ppo.py), and the
rollout workers store the acting policy's logits in the trajectory when the curriculum asks for them; the trainer's
curriculum host packs them with the trajectory's tasks and env ids into this record (`LearnerFeedback.of_batch`), so
a curriculum never recomputes them and never needs the model. Arrays are numpy: the curriculum side imports no torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np


def _numpy(x: Any) -> np.ndarray | None:
    """A numpy copy of a (CPU or GPU) tensor or an array: trajectory slots are refilled by the next rollouts, and a
    curriculum may keep what it was given."""
    if x is None:
        return None
    if hasattr(x, "detach"):
        return x.detach().cpu().numpy().copy()
    return np.array(x)


@dataclass(frozen=True)
class LearnerFeedback:
    """One `[T, B]` training batch: T steps of B env columns, time first.

    Attributes:
        tasks: `[T, B]` int64, encoded task of the episode each step belongs to.
        env_ids: `[B]` int64, global env index of each column (stable across batches: PLR carries an episode cut
            by the end of a rollout by this id).
        dones: `[T, B]` bool, the episode ended at step t (`terminated | truncated`).
        rewards: `[T, B]` rewards the learner trained on (after `--reward_scale` / `--reward_clip`).
        values: `[T, B]` baseline values the learner used (return units): the acting policy's with GAE, the
            current value function's with V-trace.
        advantages: `[T, B]` advantages the learner used (GAE or V-trace), before normalization.
        returns: `[T, B]` return targets of the value loss (`advantages + values` with GAE, V-trace's `vs`).
        next_values: `[T, B]` value of the state after step t (the final observation's where truncated, 0 where
            terminated), or None when the learner did not report it.
        action_logits: `[T, B, A]` logits of the policy that acted, stored in the trajectory; only when the
            curriculum's `needs_action_logits` is true, else None.
        valid: `[T, B]` bool, False for samples the learner left out (multi-agent waits, self-play opponents,
            Robust PLR's `train_mask`); None when every sample was trained on.

    Example:
        >>> class MyCurriculum(Curriculum):  # overriding the hook is what asks the trainer for these
        ...     def update_on_learner_batch(self, feedback: LearnerFeedback) -> None:
        ...         self.last_mean_value = float(feedback.values.mean())
    """

    tasks: np.ndarray
    env_ids: np.ndarray
    dones: np.ndarray
    rewards: np.ndarray
    values: np.ndarray
    advantages: np.ndarray
    returns: np.ndarray
    next_values: np.ndarray | None = None
    action_logits: np.ndarray | None = None
    valid: np.ndarray | None = None

    @classmethod
    def of_batch(cls, traj: Mapping[str, Any], result: Any) -> LearnerFeedback:
        """The curriculum's view of one training batch.

        Args:
            traj: the batch's trajectory (docs/architecture.md layout; `action_logits` when the rollouts stored them).
            result: the learner's `TrainResult` for this batch. A result without `dones` / `returns` (built by hand)
                falls back to the trajectory's `terminated | truncated` and `advantages + values`.

        Example:
            >>> feedback = LearnerFeedback.of_batch(batch.traj, learner.train(batch.traj, env_steps))
        """
        advantages, values = _numpy(result.advantages), _numpy(result.values)
        dones = _numpy(result.dones)
        if dones is None:
            dones = _numpy(traj["terminated"]).astype(bool) | _numpy(traj["truncated"]).astype(bool)
        return cls(
            tasks=_numpy(traj["tasks"]),
            env_ids=_numpy(traj["env_ids"]),
            dones=dones,
            rewards=_numpy(traj["rewards"]),
            values=values,
            advantages=advantages,
            returns=advantages + values if result.returns is None else _numpy(result.returns),
            next_values=_numpy(result.next_values),
            action_logits=_numpy(traj.get("action_logits")),
            valid=_numpy(result.valid),
        )

    def is_finite(self) -> bool:
        """Whether values and advantages are finite: a batch the learner skipped (NaN/Inf) would poison PLR's scores
        for good, so the host does not deliver it."""
        return bool(np.isfinite(self.values).all() and np.isfinite(self.advantages).all())

    @property
    def episode_starts(self) -> np.ndarray:
        """`[T, B]` bool: step t is the first of an episode that started inside this batch (step t-1 ended one)."""
        starts = np.zeros_like(self.dones)
        starts[1:] = self.dones[:-1]
        return starts
