"""`MultiAgentEnv`: one PettingZoo game as seen by the trainer (its agents become columns of the batch).

`make_env` wraps whatever a `make_env_fn` returns that is a PettingZoo env: a `ParallelEnv` as is, an `AECEnv`
through PettingZoo's own `aec_to_parallel` when its metadata says `is_parallelizable`, and a turn-based `AECEnv`
(board games such as tictactoe or connect_four) step by step, only the agent to move acting. The adapter gives
the rollout worker one interface for all three:

- `reset(seed, new_task)` -> `{agent: obs}` for every agent of the new game;
- `acting_agents()` -> the agents that act at this step (every live agent, or the one to move);
- `step({agent: action})` -> `(obs, rewards, terminated, truncated, infos)` dicts, `rewards` for every agent
  alive before the step (also those that waited), `obs` for the agents alive after it;
- `done` -> the game is over (every agent terminated or truncated).

All agents share one policy, so they must have the same observation and action spaces. A Dict observation with
`observation` and `action_mask` (PettingZoo classic) is flattened to `[observation..., action_mask...]`.
"""

from __future__ import annotations

import inspect
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from sf_curric.errors import install_command

MISSING_EXTRA = f"PettingZoo envs need the pettingzoo package: {install_command('pettingzoo')}"


def _pettingzoo_classes() -> tuple[type, type] | None:
    try:
        from pettingzoo.utils.env import AECEnv, ParallelEnv
    except ImportError:
        return None
    return ParallelEnv, AECEnv


def is_pettingzoo_env(env: Any) -> bool:
    """Whether `env` is a PettingZoo ParallelEnv or AECEnv, or follows their API without subclassing them (the
    built-in games do, so they need no pettingzoo package)."""
    if isinstance(env, gym.Env) or isinstance(env, MultiAgentEnv):
        return False
    classes = _pettingzoo_classes()
    if classes is not None and isinstance(env, classes):
        return True
    return hasattr(env, "possible_agents") and callable(getattr(env, "observation_space", None))


def is_multi_agent(env: Any) -> bool:
    """Whether `env` is a `MultiAgentEnv` (what `make_env` returns for PettingZoo envs)."""
    return isinstance(env, MultiAgentEnv)


def _flat_space(space: spaces.Space) -> spaces.Box:
    if isinstance(space, spaces.Dict) and "observation" in space.spaces:
        parts = [space["observation"]] + ([space["action_mask"]] if "action_mask" in space.spaces else [])
        lows = np.concatenate([np.broadcast_to(p.low, p.shape).ravel().astype(np.float32) for p in parts])
        highs = np.concatenate([np.broadcast_to(p.high, p.shape).ravel().astype(np.float32) for p in parts])
        return spaces.Box(lows, highs, dtype=np.float32)
    if isinstance(space, spaces.Box):
        return space
    raise ValueError(
        f"multi-agent observation space {space} is not supported: use a Box, or a Dict with 'observation' "
        "(and 'action_mask')"
    )


class MultiAgentEnv:
    """Adapter of one PettingZoo env (see the module docstring).

    Args:
        env: a PettingZoo `ParallelEnv` or `AECEnv`.

    Example:
        >>> game = MultiAgentEnv(tictactoe_v3.env())
        >>> obs = game.reset(seed=0); game.acting_agents()
        ['player_1']
    """

    def __init__(self, env: Any):
        aec = callable(getattr(type(env), "last", None))  # PettingZoo's AEC API (else its parallel API)
        if aec and getattr(env, "metadata", {}).get("is_parallelizable", False):
            if _pettingzoo_classes() is None:
                raise ImportError(MISSING_EXTRA)
            from pettingzoo.utils.conversions import aec_to_parallel

            env, aec = aec_to_parallel(env), False
        self.env = env  # `.env`: training info finds a TrainingInfoInterface down this chain
        self.turn_based = aec
        self.possible_agents: list[str] = list(env.possible_agents)
        self.num_agents = len(self.possible_agents)
        first = self.possible_agents[0]
        raw_obs, action_space = env.observation_space(first), env.action_space(first)
        for agent in self.possible_agents[1:]:
            if env.observation_space(agent) != raw_obs or env.action_space(agent) != action_space:
                raise ValueError(
                    f"agents {first!r} and {agent!r} have different spaces: sf_curric trains one shared policy, "
                    "pad the spaces to one shape (e.g. supersuit's pad_observations_v0 / pad_action_space_v0)"
                )
        self._flatten = isinstance(raw_obs, spaces.Dict)
        # the last `mask_size` entries of an observation are the legal-action mask (PettingZoo classic), else 0
        self.mask_size = (
            int(np.prod(raw_obs["action_mask"].shape)) if self._flatten and "action_mask" in raw_obs.spaces else 0
        )
        self.observation_space = _flat_space(raw_obs)
        self.action_space = action_space
        self.alive: list[str] = []
        params = inspect.signature(env.reset).parameters.values()
        self._takes_new_task = any(p.name == "new_task" or p.kind is p.VAR_KEYWORD for p in params)

    def _obs(self, raw: Any) -> np.ndarray:
        if not self._flatten:
            return np.asarray(raw, dtype=self.observation_space.dtype)
        parts = [np.asarray(raw["observation"]).ravel()]
        if "action_mask" in raw:
            parts.append(np.asarray(raw["action_mask"]).ravel())
        return np.concatenate(parts).astype(np.float32)

    @property
    def done(self) -> bool:
        """Every agent of the current game terminated or was truncated."""
        return not self.alive

    def reset(self, seed: int | None = None, new_task: Any = None) -> dict[str, np.ndarray]:
        """Start a game; `new_task` goes to the env's `reset(new_task=)` (or `options={"new_task": ...}`)."""
        kwargs: dict[str, Any] = {} if seed is None else {"seed": seed}
        if new_task is not None:
            if self._takes_new_task:
                kwargs["new_task"] = new_task
            else:
                kwargs["options"] = {"new_task": new_task}
        if self.turn_based:
            self.env.reset(**kwargs)
            self.alive = list(self.env.agents)
            return {agent: self._obs(self.env.observe(agent)) for agent in self.alive}
        observations, _ = self.env.reset(**kwargs)
        self.alive = list(self.env.agents)
        return {agent: self._obs(o) for agent, o in observations.items()}

    def acting_agents(self) -> list[str]:
        """Agents that act at this step: all live ones, or in a turn-based game the one to move."""
        if self.turn_based:
            return [self.env.agent_selection] if self.alive else []
        return list(self.alive)

    def step(self, actions: dict[str, Any]) -> tuple[dict, dict, dict, dict, dict]:
        """Step the game with the actions of `acting_agents()`."""
        before = list(self.alive)
        if self.turn_based:
            env = self.env
            env.step(actions[env.agent_selection])
            rewards = {a: float(env.rewards.get(a, 0.0)) for a in before}
            terms = {a: bool(env.terminations.get(a, False)) for a in before}
            truncs = {a: bool(env.truncations.get(a, False)) for a in before}
            infos = {a: env.infos.get(a, {}) for a in before}
            # agents that died mid-game must be stepped with None until a live agent is to move
            while env.agents and (env.terminations[env.agent_selection] or env.truncations[env.agent_selection]):
                if all(terms[a] or truncs[a] for a in before):
                    break
                env.step(None)
            self.alive = [a for a in before if not (terms[a] or truncs[a])]
            obs = {a: self._obs(env.observe(a)) for a in before}
            return obs, rewards, terms, truncs, infos
        observations, rew, term, trunc, info = self.env.step(actions)
        rewards = {a: float(rew.get(a, 0.0)) for a in before}
        terms = {a: bool(term.get(a, False)) for a in before}
        truncs = {a: bool(trunc.get(a, False)) for a in before}
        infos = {a: info.get(a, {}) for a in before}
        gone = [a for a in before if a not in self.env.agents]  # removed without a flag: count it as terminated
        for a in gone:
            if not truncs[a]:
                terms[a] = True
        self.alive = [a for a in before if not (terms[a] or truncs[a])]
        return {a: self._obs(o) for a, o in observations.items()}, rewards, terms, truncs, infos

    def close(self) -> None:
        """Close the PettingZoo env."""
        self.env.close()
