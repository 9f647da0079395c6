"""Per-actor buffer for PLR updates streamed one step at a time (Syllabus's `on_demand` update dict).

Each actor (a column) fills its own `num_steps` rows; when an actor's rows are full, its GAE advantages are
computed with the bootstrap value given on that step and the block is handed to the task sampler.
"""

from __future__ import annotations

import copy
from typing import Any, Dict, List

import numpy as np


def gae(rewards: np.ndarray, values: np.ndarray, dones: np.ndarray, last_values: np.ndarray, gamma: float, lam: float):
    """GAE advantages and next-state values of a [T, B] block.

    Args:
        rewards: [T, B].
        values: [T, B] V(s_t).
        dones: [T, B] the episode ended at step t (no bootstrap across it).
        last_values: [B] V(s_T), the value after the block's last step.
        gamma: discount.
        lam: GAE lambda.

    Returns:
        (advantages [T, B], next_values [T, B]) where next_values[t] = V(s_{t+1}) masked by dones[t].
    """
    num_steps = rewards.shape[0]
    not_done = 1.0 - dones.astype(np.float64)
    following = np.concatenate([values[1:], last_values[None]], axis=0)
    next_values = following * not_done
    deltas = rewards + gamma * next_values - values
    advantages = np.zeros_like(deltas)
    running = np.zeros(rewards.shape[1])
    for t in range(num_steps - 1, -1, -1):
        running = deltas[t] + gamma * lam * not_done[t] * running
        advantages[t] = running
    return advantages, next_values


class StepBuffer:
    """Collects per-step PLR inputs per actor until `num_steps` of them are available.

    Args:
        num_steps: rows per actor before a block is scored.
        num_actors: number of actors (columns).
        num_actions: width of stored action distributions (policy strategies), else None.
    """

    def __init__(self, num_steps: int, num_actors: int, num_actions: int | None = None) -> None:
        self.num_steps = int(num_steps)
        self.num_actors = int(num_actors)
        shape = (self.num_steps, self.num_actors)
        self.tasks = np.zeros(shape, dtype=np.int64)
        self.dones = np.zeros(shape, dtype=bool)
        self.rewards = np.zeros(shape)
        self.values = np.zeros(shape)
        self.log_dists = None if num_actions is None else np.zeros((*shape, num_actions))
        self.count = np.zeros(self.num_actors, dtype=np.int64)

    def add(
        self,
        actor_ids: np.ndarray,
        tasks: np.ndarray,
        dones: np.ndarray,
        rewards: np.ndarray | None,
        values: np.ndarray | None,
        log_dists: np.ndarray | None,
    ) -> np.ndarray:
        """Append one step for each of `actor_ids`; returns the positions (in `actor_ids`) of full blocks."""
        if np.any(np.bincount(actor_ids, minlength=self.num_actors) > 1):
            raise ValueError("an on_demand PLR update lists the same actor twice; send one step per actor per update")
        rows = self.count[actor_ids]
        self.tasks[rows, actor_ids] = tasks
        self.dones[rows, actor_ids] = dones
        if rewards is not None:
            self.rewards[rows, actor_ids] = rewards
        if values is not None:
            self.values[rows, actor_ids] = values
        if log_dists is not None:
            self.log_dists[rows, actor_ids] = log_dists
        self.count[actor_ids] = rows + 1
        return np.flatnonzero(self.count[actor_ids] >= self.num_steps)

    def take(self, actor_ids: np.ndarray) -> Dict[str, Any]:
        """The full [T, len(actor_ids)] blocks of these actors; their rows are emptied."""
        block = {
            "tasks": self.tasks[:, actor_ids].copy(),
            "dones": self.dones[:, actor_ids].copy(),
            "rewards": self.rewards[:, actor_ids].copy(),
            "values": self.values[:, actor_ids].copy(),
            "log_dists": None if self.log_dists is None else self.log_dists[:, actor_ids].copy(),
        }
        self.count[actor_ids] = 0
        return block

    def state_dict(self) -> Dict[str, Any]:
        """Buffered rows and counters."""
        keys: List[str] = ["tasks", "dones", "rewards", "values", "log_dists", "count"]
        return {key: copy.deepcopy(getattr(self, key)) for key in keys}

    def load_state_dict(self, state: Dict[str, Any]) -> None:
        """Restore a state produced by `state_dict`."""
        for key, value in state.items():
            setattr(self, key, copy.deepcopy(value))
