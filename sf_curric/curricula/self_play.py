"""Self-play curricula: each episode's task is the pool slot of the frozen opponent the trained agent plays.

The pool (`sf_curric.algo.self_play`) stores a snapshot of the trained policy every `--selfplay_snapshot_every` env
steps into slot `add_agent()` (a ring of `max_agents` slots: the oldest snapshot is replaced when it is full);
these curricula only choose among the stored slots:

- `SelfPlay`: always the newest snapshot.
- `FictitiousSelfPlay`: uniform over the stored snapshots.
- `PrioritizedFictitiousSelfPlay`: weighted by how often the trained agent loses to each. With
  `weighting="softmax"` (Syllabus's PFSP) `p_i = softmax(l)_i` over the stored slots, `l_i` = fraction of the
  games against slot i that the agent lost (0 before the first game); with `weighting="hard"` (AlphaStar's
  `f_hard`) `p_i` proportional to `(1 - w_i) ** p`, `w_i` = fraction of games won (uniform if all are 0).

An episode counts as a loss when the trained agent's return is negative and as a win when it is positive (zero-sum
games with rewards +1 / -1 / 0 at the end, such as tictactoe and budget_duel). A slot's statistics restart when a
new snapshot replaces it (Syllabus keeps them).
"""

from __future__ import annotations

from typing import Any, Dict, List

import numpy as np
from gymnasium.spaces import Discrete

from sf_curric.curricula.curriculum import Curriculum

PFSP_WEIGHTINGS = ("softmax", "hard")  # PrioritizedFictitiousSelfPlay: Syllabus's, AlphaStar's


class SelfPlay(Curriculum):
    """The opponent of every episode is the newest snapshot of the trained policy.

    Args:
        max_agents: pool slots (the task space is `Discrete(max_agents)`).
        seed: seed of the sampling RNG.
        **kwargs: base `Curriculum` options.

    Example:
        >>> curriculum = SelfPlay(max_agents=5, seed=0)
        >>> curriculum.add_agent()  # the pool stored a snapshot in slot 0
        0
        >>> curriculum.sample(2)
        [0, 0]
    """

    def __init__(self, max_agents: int = 10, seed: int | None = None, **kwargs: Any):
        if max_agents < 1:
            raise ValueError(f"max_agents={max_agents} must be >= 1 (--selfplay_pool_size)")
        super().__init__(Discrete(int(max_agents)), seed=seed, **kwargs)
        self.max_agents = int(max_agents)
        self.stored = np.zeros(self.max_agents, dtype=bool)
        self.latest = -1
        self.num_added = 0
        self.games = np.zeros(self.max_agents, dtype=np.int64)
        self.wins = np.zeros(self.max_agents, dtype=np.int64)
        self.losses = np.zeros(self.max_agents, dtype=np.int64)

    def add_agent(self, slot: int | None = None) -> int:
        """A new snapshot was stored: in `slot`, by default the next slot of the ring. Returns the slot."""
        slot = self.num_added % self.max_agents if slot is None else int(slot)
        self.stored[slot] = True
        self.games[slot] = self.wins[slot] = self.losses[slot] = 0
        self.latest = slot
        self.num_added += 1
        return slot

    @property
    def num_stored(self) -> int:
        """Snapshots in the pool."""
        return int(self.stored.sum())

    def loss_rates(self) -> np.ndarray:
        """Fraction of games the trained agent lost against each slot (0 where none was played)."""
        return self.losses / np.maximum(self.games, 1)

    def win_rates(self) -> np.ndarray:
        """Fraction of games the trained agent won against each slot (0 where none was played)."""
        return self.wins / np.maximum(self.games, 1)

    def _weights_over_stored(self) -> np.ndarray:
        weights = np.zeros(self.max_agents)
        weights[self.latest] = 1.0
        return weights

    def _sample_distribution(self) -> List[float]:
        if self.latest < 0:
            raise ValueError("the self-play pool is empty: add_agent() a snapshot before sampling")
        weights = self._weights_over_stored()
        return (weights / weights.sum()).tolist()

    def update_on_episode(
        self, episode_return: float, length: int = 0, task: Any = None, progress: Any = None, env_id: int | None = None
    ) -> None:
        super().update_on_episode(episode_return, length, task, progress, env_id)
        if task is None:
            return
        slot = int(task)
        self.games[slot] += 1
        self.wins[slot] += episode_return > 0
        self.losses[slot] += episode_return < 0

    def metrics(self) -> Dict[str, float]:
        out: Dict[str, float] = {"curriculum/num_opponents": float(self.num_stored)}
        if self.latest < 0:
            return out
        probs = np.asarray(self._sample_distribution())
        played = self.games > 0
        if played.any():
            out["curriculum/win_rate"] = float(self.wins[played].sum() / self.games[played].sum())
        for slot in np.nonzero(self.stored)[0][: self.max_logged_tasks]:
            out[f"curriculum/opponent_{slot}_prob"] = float(probs[slot])
            out[f"curriculum/opponent_{slot}_loss_rate"] = float(self.loss_rates()[slot])
        return out


class FictitiousSelfPlay(SelfPlay):
    """The opponent of every episode is drawn uniformly from the stored snapshots."""

    def _weights_over_stored(self) -> np.ndarray:
        return self.stored.astype(np.float64)


class PrioritizedFictitiousSelfPlay(SelfPlay):
    """The opponent is drawn from the stored snapshots, weighted by how often the trained agent loses to each.

    Args:
        max_agents: pool slots.
        weighting: "softmax" (Syllabus: softmax of the loss rates) or "hard" (AlphaStar: `(1 - win rate) ** p`).
        p: exponent of the "hard" weighting.
        seed: seed of the sampling RNG.
        **kwargs: base `Curriculum` options.
    """

    def __init__(
        self, max_agents: int = 10, weighting: str = "softmax", p: float = 2.0, seed: int | None = None, **kwargs: Any
    ):
        if weighting not in PFSP_WEIGHTINGS:
            raise ValueError(f"weighting={weighting!r}: use softmax (Syllabus) or hard (AlphaStar)")
        super().__init__(max_agents, seed=seed, **kwargs)
        self.weighting = weighting
        self.p = float(p)

    def _weights_over_stored(self) -> np.ndarray:
        stored = self.stored
        weights = np.zeros(self.max_agents)
        if self.weighting == "softmax":
            logits = self.loss_rates()[stored]
            e = np.exp(logits - logits.max())
            weights[stored] = e / e.sum()
        else:
            hard = (1.0 - self.win_rates()[stored]) ** self.p
            weights[stored] = hard if hard.sum() > 0 else 1.0
        return weights


SELF_PLAY_ARGS: list[tuple[str, dict[str, Any]]] = [
    (
        "--selfplay_snapshot_every",
        {"type": int, "default": 20000, "help": "self-play: env steps between snapshots of the policy into the pool."},
    ),
    (
        "--selfplay_pool_size",
        {"type": int, "default": 10, "help": "self-play: snapshots kept (the oldest is replaced when full)."},
    ),
    (
        "--pfsp_weighting",
        {
            "type": str,
            "default": "softmax",
            "choices": PFSP_WEIGHTINGS,
            "help": "prioritized_fictitious_self_play: softmax of loss rates (Syllabus) or (1-win rate)^p (AlphaStar).",
        },
    ),
    ("--pfsp_p", {"type": float, "default": 2.0, "help": "prioritized_fictitious_self_play: p of the hard weighting."}),
]


def builder(cls: type) -> Any:
    """The build function of `--curriculum=self_play` and its variants (sf_curric/curricula/builtin.py)."""

    def build(ctx: Any) -> SelfPlay:
        kwargs: Dict[str, Any] = {"max_agents": ctx.option("selfplay_pool_size"), "seed": ctx.seed}
        if cls is PrioritizedFictitiousSelfPlay:
            kwargs.update(weighting=ctx.option("pfsp_weighting"), p=ctx.option("pfsp_p"))
        return cls(**kwargs)

    return build
