"""Learner feedback for the curriculum: the trajectory and the learner's `TrainResult` -> one `LearnerFeedback`.

The learner already computed values, advantages, return targets, next values and episode ends (ppo.py), and the
rollout workers stored the acting policy's logits in the trajectory when the curriculum asked for them
(`Curriculum.needs_action_logits`, see `allocate_trajectory`). This module only packs them, on the CPU as numpy,
and calls the curriculum's one learner-side hook, `update_on_learner_batch`: no model, no second forward pass.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from sf_curric.curricula.curriculum import Curriculum
from sf_curric.curricula.learner_feedback import LearnerFeedback


def _numpy(x: torch.Tensor | None) -> np.ndarray | None:
    # a copy: trajectory slots are refilled by the next rollouts, and a curriculum may keep what it was given
    return None if x is None else x.detach().cpu().numpy().copy()


def learner_feedback(traj: dict[str, torch.Tensor], result: Any) -> LearnerFeedback:
    """The curriculum's view of one training batch.

    Args:
        traj: the batch's trajectory (docs/architecture.md layout; `action_logits` when the rollouts stored them).
        result: the learner's `TrainResult` for this batch. A result without `dones` / `returns` (built by hand)
            falls back to the trajectory's `terminated | truncated` and `advantages + values`.

    Example:
        >>> feedback = learner_feedback(batch.traj, learner.train(batch.traj, env_steps))
    """
    advantages, values = _numpy(result.advantages), _numpy(result.values)
    dones = result.dones
    if dones is None:
        dones = traj["terminated"].bool() | traj["truncated"].bool()
    return LearnerFeedback(
        tasks=_numpy(traj["tasks"]),
        env_ids=_numpy(traj["env_ids"]),
        dones=_numpy(dones),
        rewards=_numpy(traj["rewards"]),
        values=values,
        advantages=advantages,
        returns=advantages + values if result.returns is None else _numpy(result.returns),
        next_values=_numpy(result.next_values),
        action_logits=_numpy(traj.get("action_logits")),
        valid=_numpy(result.valid),
    )


def deliver_learner_batch(curriculum: Curriculum, traj: dict[str, torch.Tensor], result: Any) -> bool:
    """Give one training batch to `curriculum.update_on_learner_batch`, unless the learner's numbers are not finite.

    Args:
        curriculum: a curriculum that overrides `update_on_learner_batch` (`requires_learner_updates`).
        traj: the batch's trajectory.
        result: the learner's `TrainResult` for it.

    Returns:
        False when the batch was left out: non-finite values or advantages (a batch the learner skipped) would
        poison PLR's scores for good.
    """
    if not (bool(torch.isfinite(result.advantages).all()) and bool(torch.isfinite(result.values).all())):
        return False
    curriculum.update_on_learner_batch(learner_feedback(traj, result))
    return True
