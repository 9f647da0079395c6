"""Win rate of a policy against a fixed opponent in a two-player game (`MultiAgentEnv`), seats alternating.

Example:
    >>> rates = versus(model, lambda: make_env(cfg), opponent="random", games=200, seed=0)
    >>> rates["win"]
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import torch

from sf_curric.envs.multi_agent import MultiAgentEnv


@torch.no_grad()
def versus(
    model: Any,
    make_game: Callable[[], MultiAgentEnv],
    opponent: str | Callable[[np.ndarray, np.random.Generator], Any] = "random",
    games: int = 200,
    seed: int = 0,
    deterministic: bool = False,
) -> dict[str, float]:
    """Play `games` games of `model` against `opponent`; the model plays seat `g % 2` in game g.

    Args:
        model: an `ActorCritic` (feed-forward).
        make_game: builds one `MultiAgentEnv` (e.g. `lambda: make_env(cfg)`).
        opponent: "random" (uniform over the action space, or over the legal moves when the observation ends
            with an action mask) or `fn(obs, rng) -> action`.
        games: games to play.
        seed: seeds the games and the random opponent.
        deterministic: the model plays its most likely action.

    Returns:
        `{"win": ..., "loss": ..., "draw": ...}` fractions, from the model's return sign.
    """
    rng = np.random.default_rng(seed)
    game = make_game()
    outcomes = []
    for g in range(games):
        obs = game.reset(seed=seed + g)
        me = game.possible_agents[g % 2]
        total = 0.0
        game.action_space.seed(seed + g)
        while not game.done:
            actions = {}
            for agent in game.acting_agents():
                if agent == me:
                    act = model.act(obs[agent][None], None, deterministic=deterministic).actions
                    actions[agent] = np.asarray(model.to_env_actions(act))[0]
                elif opponent == "random" and game.mask_size:  # a random legal move
                    actions[agent] = int(rng.choice(np.flatnonzero(obs[agent][-game.mask_size :])))
                elif opponent == "random":
                    actions[agent] = game.action_space.sample()
                else:
                    actions[agent] = opponent(obs[agent], rng)
            obs, rewards, _, _, _ = game.step(actions)
            total += rewards.get(me, 0.0)
        outcomes.append(np.sign(total))
    game.close()
    out = np.asarray(outcomes)
    return {"win": float((out > 0).mean()), "loss": float((out < 0).mean()), "draw": float((out == 0).mean())}
