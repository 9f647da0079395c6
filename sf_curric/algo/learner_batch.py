"""`LearnerBatch`: the trajectory fields the learner trains on, named and on the learner's device.

Samplers hand the runner trajectory dicts (docs/architecture.md layout, shared memory in parallel mode); the learner
takes from them only what PPO reads, once, into this record, so `ppo_train` names every input it uses.
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from sf_curric.model.obs_batch import ObsBatch, obs_map

# trajectory keys every batch needs; rnn_states (recurrent models), valid and train_mask are optional
REQUIRED_KEYS = ("obs", "actions", "log_probs", "values", "rewards", "terminated", "truncated", "final_values")


class LearnerBatch(NamedTuple):
    """One training batch of `T` steps of `B` env columns (shapes of docs/architecture.md).

    Attributes:
        obs: `[T+1, B, *obs_shape]` raw observations (`obs[T]` bootstraps the last step); a dict of them, one per
            key, for a Dict observation space.
        actions: `[T, B, *act_shape]` actions taken.
        log_probs: `[T, B]` log-probabilities of the actions under the policy that acted.
        values: `[T+1, B]` the acting policy's values, in return units.
        rewards: `[T, B]` rewards (after `--reward_scale` / `--reward_clip`).
        terminated: `[T, B]` bool, ended in a terminal state.
        truncated: `[T, B]` bool, cut (time limit): bootstrap from `final_values`.
        final_values: `[T, B]` value of the final observation where truncated.
        rnn_states: `[B, H]` recurrent state before `obs[0]` (recurrent models), else None.
        valid: `[T, B]` bool, samples of the trained policy (multi-agent / self-play), else None.
        train_mask: `[T, B]` bool, steps a curriculum lets the learner train on (Robust PLR, ACCEL), else None.
    """

    obs: ObsBatch
    actions: torch.Tensor
    log_probs: torch.Tensor
    values: torch.Tensor
    rewards: torch.Tensor
    terminated: torch.Tensor
    truncated: torch.Tensor
    final_values: torch.Tensor
    rnn_states: torch.Tensor | None = None
    valid: torch.Tensor | None = None
    train_mask: torch.Tensor | None = None

    @classmethod
    def from_trajectory(
        cls, traj: dict[str, torch.Tensor], device: torch.device, recurrent: bool = False
    ) -> LearnerBatch:
        """The fields PPO reads from a trajectory dict, moved to `device`.

        Args:
            traj: a trajectory dict (docs/architecture.md layout), on any device.
            device: the learner's device.
            recurrent: the model is recurrent (`rnn_states` is then required).

        Example:
            >>> batch = LearnerBatch.from_trajectory(sampler.get_batch().traj, torch.device("cpu"))
        """
        needed = REQUIRED_KEYS + (("rnn_states",) if recurrent else ())
        missing = [k for k in needed if k not in traj]
        if missing:
            raise ValueError(f"trajectory lacks {missing}: fill every key of docs/architecture.md's layout")
        fields = {k: obs_map(lambda t: t.to(device, non_blocking=True), traj[k]) for k in needed}
        if "valid" in traj:  # multi-agent / self-play: samples the loss leaves out
            fields["valid"] = traj["valid"].to(device, non_blocking=True)
        if "train_mask" in traj:  # Robust PLR / ACCEL: train only on these steps
            fields["train_mask"] = traj["train_mask"].to(device)
        return cls(**fields)
