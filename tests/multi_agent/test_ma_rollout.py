"""Multi-agent rollouts: every agent a column; per-agent steps, episodes, rewards and masks counted exactly."""

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from sf_curric.algo.learner import Learner
from sf_curric.algo.multi_agent_rollout import MultiAgentRolloutWorker, build_rollout_worker
from sf_curric.algo.rollout import allocate_trajectory
from sf_curric.command_line import default_cfg
from sf_curric.envs.multi_agent import MultiAgentEnv
from sf_curric.envs.registry import make_env
from tests.multi_agent import envs


class ValuePolicy:
    """value(obs) = 10 * obs[0] + obs[1]; action 1."""

    def act(self, obs, rnn_states=None, deterministic=False):
        obs = torch.as_tensor(obs, dtype=torch.float32)
        n = obs.shape[0]
        return SimpleNamespace(
            actions=torch.ones(n, dtype=torch.int64), log_probs=torch.zeros(n), values=10 * obs[:, 0] + obs[:, 1],
            rnn_states=None,
        )  # fmt: skip

    def to_env_actions(self, actions):
        return actions.numpy()

    def initial_rnn_states(self, n):
        return None


def expected_column(k, steps):
    """Independent schedule of agent k's column over `steps` steps from the first reset (game cycle of 4)."""
    p = np.arange(steps) % 4
    alive = p <= k + 1
    ends = p == k + 1
    return {
        "valid": alive,
        "rewards": np.where(alive, envs.REWARD_BASE * (k + 1) + p, 0.0),
        "terminated": np.where(alive, ends & (k < 2), True),
        "truncated": alive & ends & (k == 2),
    }


def _worker(games=2, rollout=6):
    cfg = SimpleNamespace(rollout=rollout, reward_scale=1.0, reward_clip=1e6, seed=None)
    return MultiAgentRolloutWorker(cfg, [MultiAgentEnv(envs.CountingGame(g)) for g in range(games)], ValuePolicy())


def test_serial_rollouts_count_every_agents_steps_rewards_and_episodes_exactly():
    worker = _worker(games=2, rollout=6)
    space = worker.obs_space
    trajs, episodes = [], []
    for _ in range(3):  # 18 steps: rollouts end mid-game, state carries over
        traj = allocate_trajectory(6, worker.num_envs, space, worker.action_space)
        episodes += worker.collect(traj)
        trajs.append({k: v.clone() for k, v in traj.items()})
    assert worker.num_envs == 6 and trajs[0]["env_ids"].tolist() == list(range(6))
    for col in range(6):
        k = col % 3
        want = expected_column(k, 18)
        for key in ("valid", "rewards", "terminated", "truncated"):
            got = np.concatenate([tr[key][:, col].numpy() for tr in trajs])
            np.testing.assert_array_equal(got, want[key], err_msg=f"column {col} {key}")
        got_obs = np.concatenate([tr["obs"][:-1, col].numpy() for tr in trajs])
        p = np.arange(18) % 4
        alive = p <= k + 1
        np.testing.assert_array_equal(got_obs[alive, 0], p[alive])  # an acting agent sees its own step...
        assert (got_obs[~alive] == 0).all()  # ...a finished one zeros
    # a2 is truncated at in-game step 3: bootstrapped from its final observation [4, 2, g] -> 10 * 4 + 2
    final = np.concatenate([tr["final_values"].numpy() for tr in trajs])
    assert (final[3::4, 2] == 42).all() and (final[3::4, 5] == 42).all()
    # one episode per agent per finished game: 18 steps = 4 full games + 2 steps, a0 also ended in game 5
    by_col = {}
    for ep in episodes:
        by_col.setdefault(ep.env_id, []).append(ep)
    assert {c: len(v) for c, v in by_col.items()} == {0: 5, 1: 4, 2: 4, 3: 5, 4: 4, 5: 4}
    for col, eps in by_col.items():
        k = col % 3
        assert all(ep.episode_return == envs.episode_return(k) and ep.episode_length == k + 2 for ep in eps)
        assert all(ep.terminated == (k < 2) for ep in eps)
        assert all(ep.extra_stats["agent"][f"a{k}"]["return"] == envs.episode_return(k) for ep in eps)


def test_training_info_reaches_the_game_before_its_next_reset():
    worker = _worker(games=1, rollout=4)
    traj = allocate_trajectory(4, 3, worker.obs_space, worker.action_space)
    worker.collect(traj)
    worker.set_training_info({"approx_total_training_steps": 123})
    episodes = worker.collect(traj)  # the game reset at the end of the first collect: info arrives at the next one
    episodes += worker.collect(traj)
    game = worker.games[0].env
    assert game.resets[0] == {} and game.resets[-1] == {"approx_total_training_steps": 123}
    assert episodes[-1].extra_stats["ti"] == 123


def test_num_envs_per_worker_must_be_a_multiple_of_the_agents():
    cfg = default_cfg("test_ma_counting", num_workers=1, num_envs_per_worker=4, rollout=4, device="cpu")
    configs = [{"worker_index": 0, "vector_index": i, "env_id": i} for i in range(4)]
    with pytest.raises(ValueError, match="multiple of 3"):
        build_rollout_worker(cfg, configs, ValuePolicy(), list(range(4)))


def test_parallel_mode_counts_agents_exactly_from_worker_processes():
    from sf_curric.algo.parallel.sampler import ParallelSampler

    cfg = default_cfg(
        "test_ma_counting", num_workers=2, num_envs_per_worker=6, rollout=8, batch_size=96, num_batches_per_epoch=1,
        num_epochs=1, device="cpu", seed=1,
    )  # fmt: skip
    probe = make_env(cfg)
    learner = Learner(cfg, probe.observation_space, probe.action_space)
    sampler = ParallelSampler(cfg, learner)
    ends = episodes = 0
    infos_seen = set()
    try:
        for i in range(5):
            if i == 1:
                sampler.set_training_info({"approx_total_training_steps": 77})
            batch = sampler.get_batch()
            infos_seen |= {ep.extra_stats["ti"] for ep in batch.episodes}
            traj = batch.traj
            assert batch.env_steps == traj["rewards"].numel()
            k = traj["env_ids"].numpy() % 3
            obs = traj["obs"][:-1].numpy()
            valid = traj["valid"].numpy()
            # an acting agent's step: the reward of its in-game step; a finished agent's: masked, 0, terminated
            alive_reward = envs.REWARD_BASE * (k[None, :] + 1) + obs[..., 0]
            np.testing.assert_array_equal(traj["rewards"].numpy()[valid], alive_reward[valid])
            assert (obs[..., 1][valid] == np.broadcast_to(k, valid.shape)[valid]).all()
            assert (traj["rewards"].numpy()[~valid] == 0).all() and traj["terminated"].numpy()[~valid].all()
            # every end of an agent's episode in the batch is reported once, with its exact return and length
            ended = valid & (traj["terminated"].numpy() | traj["truncated"].numpy())
            ends += int(ended.sum())
            episodes += len(batch.episodes)
            for ep in batch.episodes:
                assert ep.episode_return == envs.episode_return(ep.env_id % 3)
                assert ep.episode_length == ep.env_id % 3 + 2
            learner.train(traj, batch.env_steps)
            sampler.on_weights_updated()
    finally:
        sampler.close()
    assert ends == episodes > 0
    assert 77 in infos_seen  # training info reached the games in the worker processes


def test_turn_based_pettingzoo_game_masks_the_waiting_player():
    pytest.importorskip("pettingzoo")
    cfg = SimpleNamespace(rollout=40, reward_scale=1.0, reward_clip=1e6, seed=3, env="tictactoe")
    game = make_env(None, env_name="tictactoe")
    learner = Learner(default_cfg("tictactoe", device="cpu"), game.observation_space, game.action_space)
    worker = MultiAgentRolloutWorker(cfg, [game], learner.model)
    traj = allocate_trajectory(40, 2, worker.obs_space, worker.action_space)
    episodes = worker.collect(traj)
    valid = traj["valid"].numpy()
    assert (valid.sum(axis=1) == 1).all()  # exactly one player moves at each step
    by_col = {0: [], 1: []}
    for ep in episodes:
        by_col[ep.env_id].append(ep)
    assert len(by_col[0]) == len(by_col[1]) > 0  # both players' episodes end with the game
    for a, b in zip(by_col[0], by_col[1]):
        assert a.episode_return + b.episode_return in (0.0, -1.0)  # zero-sum, or an illegal move (-1, 0)
    # a player's episode length is its own number of moves: the moves of both sum to the game's steps
    moves = sum(ep.episode_length for ep in episodes)
    ended = traj["terminated"].numpy().any(axis=1)
    last_end = int(np.nonzero(ended)[0][-1]) + 1
    assert moves == int(valid[:last_end].sum())


class TaskCountingGame(envs.CountingGame):
    def reset(self, seed=None, options=None):
        self.task = (options or {}).get("new_task")
        return super().reset(seed, options)


def test_one_task_per_game_reaches_reset_and_every_agents_episode():
    issued = []

    def task_sampler(env_id):
        issued.append(env_id)
        return len(issued) + 100, f"task{len(issued)}"

    cfg = SimpleNamespace(rollout=8, reward_scale=1.0, reward_clip=1e6, seed=None)
    games = [MultiAgentEnv(TaskCountingGame(g)) for g in range(2)]
    worker = MultiAgentRolloutWorker(cfg, games, ValuePolicy(), env_ids=range(10, 16), task_sampler=task_sampler)
    traj = allocate_trajectory(8, 6, worker.obs_space, worker.action_space)
    episodes = worker.collect(traj)
    assert issued[:2] == [10, 13]  # sampled for each game's first column, one per game reset
    assert len(issued) == 2 + 2 * 2  # 8 steps = 2 games of 4 steps each
    tasks = traj["tasks"].numpy()
    assert (tasks[:, 0:3] == tasks[:, [0]]).all() and (tasks[:, 3:6] == tasks[:, [3]]).all()  # the game's task
    assert tasks[0, 0] == 101 and tasks[0, 3] == 102 and tasks[4, 0] == 103
    assert games[0].env.task == "task5" and games[1].env.task == "task6"
    first_game = [ep for ep in episodes if ep.env_id < 13 and ep.task == 101]
    assert sorted(ep.env_id for ep in first_game) == [10, 11, 12]  # each agent's episode reports the game's task


def test_per_agent_returns_become_custom_metrics():
    from sf_curric.algo.runner import EpisodeStats

    worker = _worker(games=1, rollout=8)
    traj = allocate_trajectory(8, 3, worker.obs_space, worker.action_space)
    stats = EpisodeStats(100)
    stats.add(worker.collect(traj))
    for k in range(3):
        assert list(stats.custom[f"custom/agent/a{k}/return"]) == [envs.episode_return(k)] * 2
        assert list(stats.custom[f"custom/agent/a{k}/length"]) == [k + 2.0] * 2
    assert stats.num_episodes == 6
