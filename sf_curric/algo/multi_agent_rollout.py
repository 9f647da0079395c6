"""`MultiAgentRolloutWorker`: the rollout worker for PettingZoo games; every agent of every game is a column.

Game `g` with `N` agents fills columns `g*N .. g*N+N-1` of the trajectory slot (so `--num_envs_per_worker` counts
columns: agents, not games). One batched `act` call serves every column. A column's step is `valid` (trained on)
only when its agent acts at that step and is not a self-play opponent; an agent that finished waits, masked, with
`terminated` set and reward 0, until its game ends and every column of the game restarts together. An agent that
waits for its turn (turn-based games) keeps `terminated` False, so its return flows back through the waiting steps
to its own last move, and rewards it receives while waiting (a loss when the other player wins) are counted.

Self-play (`opponents` given): column 0 of each game is the trained agent, in a seat drawn per episode; the other
columns act with the frozen snapshot chosen for the episode, which is the episode's task (the curriculum picks it).
Only column 0 reports episodes.

The rollout loop is `RolloutWorker.collect`; this worker overrides how actions reach the games (`_env_actions`:
the opponents' columns act with their snapshots) and how the games are stepped (`_step_envs`).
"""

from __future__ import annotations

import argparse
from typing import Any, Sequence

import numpy as np
import torch
from gymnasium import spaces

from sf_curric.algo.rollout import NO_TASK, RolloutWorker, TaskSource
from sf_curric.algo.self_play import INFO_KEY as POOL_INFO_KEY
from sf_curric.cfg.validation import ConfigError
from sf_curric.curricula.feedback import EpisodeSummary, episode_end
from sf_curric.envs.multi_agent import MultiAgentEnv, is_multi_agent


class MultiAgentRolloutWorker(RolloutWorker):
    """Steps PettingZoo games (`MultiAgentEnv`s) with one shared policy and writes `[T, games * agents]` slots.

    Args:
        cfg: reads `--rollout`, `--reward_scale`, `--reward_clip`, `--seed`.
        games: the games this worker owns.
        policy: the acting policy (an `ActorCritic` or a `RemotePolicy`).
        env_ids: global column ids, `len(games) * num_agents` of them (default 0..).
        task_sampler: called at each game reset with the id of the game's first column: a task for the game
            (Syllabus's PettingZoo task wrapper: one task per game, every agent's episode reports it), or with
            `opponents` the pool slot of the episode's opponent.
        opponents: an `OpponentPolicy` (self-play), or None (every agent is trained).
    """

    def __init__(
        self,
        cfg: argparse.Namespace,
        games: Sequence[MultiAgentEnv],
        policy: Any,
        env_ids: Sequence[int] | None = None,
        task_sampler: TaskSource | None = None,
        opponents: Any = None,
    ):
        if not games:
            raise ValueError("MultiAgentRolloutWorker needs at least one game")
        n = games[0].num_agents
        super().__init__(cfg, list(games), policy, None, task_sampler)
        self.games = self.envs
        self.agents_per_game = n
        self.num_envs = len(games) * n  # columns
        self.env_ids = np.asarray(env_ids if env_ids is not None else range(self.num_envs), dtype=np.int64)
        if len(self.env_ids) != self.num_envs:
            raise ValueError(f"got {len(self.env_ids)} env_ids for {self.num_envs} columns ({len(games)} games x {n})")
        self.game_env_ids = self.env_ids[::n]
        self.opponents = opponents
        self._tasks = np.full(self.num_envs, NO_TASK, dtype=np.int64)
        self._episode_return = np.zeros(self.num_envs, dtype=np.float64)
        self._episode_length = np.zeros(self.num_envs, dtype=np.int64)
        self._alive = np.zeros(self.num_envs, dtype=bool)
        self._col_agent: list[str] = [""] * self.num_envs  # the PettingZoo agent each column plays this episode
        self._slot = np.full(self.num_envs, -1, dtype=np.int64)  # self-play: opponent snapshot of each column
        self._reporting = np.ones(self.num_envs, dtype=bool)  # columns whose episodes are reported (per rollout)
        seed = getattr(cfg, "seed", None)
        self._rng = np.random.default_rng(None if seed is None else int(seed) + 7919 * int(self.env_ids[0]))

    def _on_new_training_info(self, info: dict[str, Any]) -> dict[str, Any]:
        """A self-play pool change (`POOL_INFO_KEY`) makes the opponents re-read the pool; games get the rest."""
        info = dict(info)
        if info.pop(POOL_INFO_KEY, None) is not None and self.opponents is not None:
            self.opponents.refresh()
        return info

    def _cols(self, g: int) -> range:
        return range(g * self.agents_per_game, (g + 1) * self.agents_per_game)

    def _reset_game(self, g: int, seed: int | None = None) -> dict[str, np.ndarray]:
        game = self.games[g]
        self._give_training_info(g, game)
        cols = self._cols(g)
        code, task = NO_TASK, None
        if self.task_sampler is not None:
            code, task = self.task_sampler(int(self.game_env_ids[g]))
        n = self.agents_per_game
        seat = int(self._rng.integers(n)) if self.opponents is not None else 0
        for k, col in enumerate(cols):
            self._col_agent[col] = game.possible_agents[(k + seat) % n]
            self._tasks[col] = code
            self._slot[col] = -1 if (self.opponents is None or k == 0) else int(task)
        obs = game.reset(seed=seed, new_task=None if self.opponents is not None else task)
        for col in cols:
            self._alive[col] = self._col_agent[col] in obs
        return obs

    def _write_obs(self, out: np.ndarray, g: int, obs: dict[str, np.ndarray]) -> None:
        for col in self._cols(g):
            agent = self._col_agent[col]
            if self._alive[col] and agent in obs:
                out[col] = obs[agent]
            else:
                out[col] = 0

    def reset(self) -> None:
        """First reset of every game (seeded with `cfg.seed + id of its first column` when `--seed` is set)."""
        seed = getattr(self.cfg, "seed", None)
        self._obs = np.zeros((self.num_envs, *self.obs_space.shape), dtype=self.obs_space.dtype)
        for g, game in enumerate(self.games):
            game_seed = None if seed is None else int(seed) + int(self.game_env_ids[g])
            if game_seed is not None:
                game.action_space.seed(game_seed)
            self._write_obs(self._obs, g, self._reset_game(g, game_seed))
        self._rnn_states = self.policy.initial_rnn_states(self.num_envs)
        self._episode_return[:] = 0.0
        self._episode_length[:] = 0

    def _summary(self, col: int, term: bool, info: dict) -> EpisodeSummary:
        agent = self._col_agent[col]
        ret, length = float(self._episode_return[col]), int(self._episode_length[col])
        completion, reported = episode_end(info)
        extra = dict(reported or {})
        extra["agent"] = {agent: {"return": ret, "length": float(length)}}
        if self.opponents is not None:  # the opponent's pool slot is the episode's task
            extra["selfplay"] = {"win": float(ret > 0), "loss": float(ret < 0), "draw": float(ret == 0)}
        return EpisodeSummary(
            int(self.env_ids[col]), ret, length, int(self._tasks[col]), bool(term), completion, extra
        )  # fmt: skip

    def _reporting_columns(self) -> np.ndarray:
        """`[columns]` bool: the columns whose episodes are reported and trained on (self-play: the agent's only)."""
        reporting = np.ones(self.num_envs, dtype=bool)
        if self.opponents is not None:
            reporting[:] = False
            reporting[:: self.agents_per_game] = True
        return reporting

    def _begin_rollout(self, traj: dict[str, torch.Tensor], policy_version: int) -> dict[str, np.ndarray]:
        self._reporting = self._reporting_columns()  # opponents may be set after construction (worker.py)
        return super()._begin_rollout(traj, policy_version)

    def _env_actions(self, actions: torch.Tensor, obs: np.ndarray) -> Any:
        env_actions = np.asarray(self.policy.to_env_actions(actions))
        if self.opponents is not None:  # opponent columns act with their frozen snapshots, one pass per snapshot
            rows = np.nonzero(self._slot >= 0)[0]
            if len(rows):
                env_actions[rows] = self.opponents.act(self._slot[rows], obs[rows])
        return env_actions.tolist() if isinstance(self.action_space, spaces.Discrete) else env_actions

    def _step_envs(
        self, views: dict[str, np.ndarray], t: int, actions: Any, next_states: torch.Tensor | None
    ) -> tuple[list[int], list[Any]]:
        """Step every game once (see `RolloutWorker._step_envs`): a column's step is `valid` when its agent acts and
        is trained; an agent that finished waits, masked, until its game ends and every column restarts."""
        truncated_ids: list[int] = []
        truncated_obs: list[Any] = []
        for g, game in enumerate(self.games):
            cols = self._cols(g)
            acting = set(game.acting_agents())
            agent_cols = {self._col_agent[c]: c for c in cols}
            for c in cols:
                views["valid"][t, c] = self._alive[c] and self._col_agent[c] in acting and self._reporting[c]
            obs, rew, term, trunc, info = game.step({a: actions[agent_cols[a]] for a in acting})
            for c in cols:
                ended = self._record_agent_step(views, t, c, obs, rew, term, trunc, info, acting)
                if ended is not None:
                    truncated_ids.append(c)
                    truncated_obs.append(ended)
            if game.done:
                obs = self._reset_game(g)
                if next_states is not None:
                    next_states[list(cols)] = 0.0
            self._write_obs(views["obs"][t + 1], g, obs)
        return truncated_ids, truncated_obs

    def _record_agent_step(
        self, views: dict[str, np.ndarray], t: int, c: int, obs: dict, rew: dict, term: dict, trunc: dict,
        info: dict, acting: set,
    ) -> Any:  # fmt: skip
        """Column `c`'s reward and episode end at step `t`; returns its final observation when its episode was
        truncated (its value bootstraps it), else None."""
        rewards, terminated, truncated = views["rewards"], views["terminated"], views["truncated"]
        agent = self._col_agent[c]
        if not self._alive[c]:  # finished earlier: waits for the game to end, masked
            rewards[t, c], terminated[t, c], truncated[t, c] = 0.0, True, False
            return None
        r = rew.get(agent, 0.0)
        rewards[t, c] = r
        self._episode_return[c] += r
        self._episode_length[c] += agent in acting
        ended_term, ended_trunc = term.get(agent, False), trunc.get(agent, False)
        terminated[t, c] = ended_term
        truncated[t, c] = ended_trunc and not ended_term
        if not (ended_term or ended_trunc):
            return None
        self._alive[c] = False
        if self._reporting[c]:
            self.outbox.append(self._summary(c, ended_term, info.get(agent, {})))
        self._episode_return[c] = 0.0
        self._episode_length[c] = 0
        return obs[agent] if truncated[t, c] and agent in obs else None


def build_rollout_worker(
    cfg: argparse.Namespace,
    env_configs: Sequence[dict],
    policy: Any,
    env_ids: Sequence[int],
    task_sampler: TaskSource | None = None,
    opponents: Any = None,
    make_env_fn: Any = None,
) -> Any:
    """The rollout worker for `env_configs` (one per column): a `RolloutWorker` over gymnasium envs, or, when the
    env is a PettingZoo game, a `MultiAgentRolloutWorker` over `len(env_configs) / N` games.

    Args:
        cfg: the run's config.
        env_configs: one per column, in column order.
        policy: the acting policy.
        env_ids: global column ids.
        task_sampler: see `RolloutWorker`.
        opponents: self-play `OpponentPolicy` (multi-agent only).
        make_env_fn: `make_env` (default: the registry's).
    """
    if make_env_fn is None:
        from sf_curric.envs.registry import make_env as make_env_fn
    first = make_env_fn(cfg, env_configs[0])
    if not is_multi_agent(first):
        if opponents is not None:
            raise ConfigError(f"self-play needs a multi-agent (PettingZoo) env; {cfg.env!r} is a single-agent env")
        envs = [first] + [make_env_fn(cfg, c) for c in env_configs[1:]]
        return RolloutWorker(cfg, envs, policy, env_ids, task_sampler)
    n = first.num_agents
    if len(env_configs) % n:
        first.close()
        raise ConfigError(
            f"env {cfg.env!r} has {n} agents and each agent is a column: make --num_envs_per_worker a multiple of "
            f"{n} (it is {len(env_configs)} columns here)"
        )
    games = [first] + [make_env_fn(cfg, c) for c in env_configs[n::n]]
    return MultiAgentRolloutWorker(cfg, games, policy, env_ids, task_sampler, opponents)
