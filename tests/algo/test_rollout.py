"""RolloutWorker: immediate resets, truncation bootstrap, reward scale/clip, episode stats, training info, seeds."""

from types import SimpleNamespace

import gymnasium as gym
import numpy as np
import pytest
import torch

from sf_curric.algo.rollout import EpisodeSummary, RolloutWorker, allocate_trajectory
from sf_curric.envs.training_info import TrainingInfoInterface


class ScriptedEnv(gym.Env, TrainingInfoInterface):
    """obs = [steps into the episode, env index]; reward = steps into the episode (1, 2, 3, ...).

    Episodes terminate after `term_len` steps, or are truncated after `trunc_len` steps when that comes first.
    """

    observation_space = gym.spaces.Box(-1e6, 1e6, (2,), np.float32)
    action_space = gym.spaces.Discrete(2)

    def __init__(self, index, term_len, trunc_len=10**9):
        TrainingInfoInterface.__init__(self)
        self.index, self.term_len, self.trunc_len = index, term_len, trunc_len
        self.t = 0
        self.resets = []  # (training_info at reset, task, seed)
        self.actions = []

    def _obs(self):
        return np.array([self.t, self.index], np.float32)

    def reset(self, seed=None, options=None, new_task=None):
        super().reset(seed=seed)
        self.resets.append((dict(self.training_info), new_task, seed))
        self.t = 0
        return self._obs(), {}

    def step(self, action):
        self.actions.append(int(action))
        self.t += 1
        terminated = self.t >= self.term_len
        truncated = self.t >= self.trunc_len
        info = {}
        if terminated or truncated:
            info = {"episode_extra_stats": {"score": self.t, "nested": {"x": 2.0}}, "task_completion": 0.5}
        return self._obs(), float(self.t), terminated, truncated, info


class ValuePolicy:
    """value(obs) = 10 * obs[0] + obs[1]; action = 1 always."""

    def act(self, obs, rnn_states=None, deterministic=False):
        obs = torch.as_tensor(obs, dtype=torch.float32)
        n = obs.shape[0]
        values = 10 * obs[:, 0] + obs[:, 1]
        return SimpleNamespace(
            actions=torch.ones(n, dtype=torch.int64), log_probs=torch.full((n,), -0.5), values=values, rnn_states=None
        )

    def to_env_actions(self, actions):
        return actions.numpy()

    def initial_rnn_states(self, n):
        return None


def _cfg(**kw):
    base = dict(rollout=6, reward_scale=1.0, reward_clip=1000.0, seed=None)
    base.update(kw)
    return SimpleNamespace(**base)


def _worker(envs, **cfg_kw):
    cfg = _cfg(**cfg_kw)
    worker = RolloutWorker(cfg, envs, ValuePolicy(), env_ids=[10 + i for i in range(len(envs))])
    traj = allocate_trajectory(cfg.rollout, len(envs), envs[0].observation_space, envs[0].action_space)
    return worker, traj


def test_termination_resets_immediately_without_bootstrap():
    envs = [ScriptedEnv(0, term_len=4), ScriptedEnv(1, term_len=3)]
    worker, traj = _worker(envs)
    episodes = worker.collect(traj, policy_version=7)
    obs = traj["obs"].numpy()
    # env 0: t = 0 1 2 3 | 0 1 2 ; env 1: t = 0 1 2 | 0 1 2 | 0
    assert obs[:, 0, 0].tolist() == [0, 1, 2, 3, 0, 1, 2]
    assert obs[:, 1, 0].tolist() == [0, 1, 2, 0, 1, 2, 0]
    assert traj["terminated"][:, 0].tolist() == [False, False, False, True, False, False]
    assert traj["terminated"][:, 1].tolist() == [False, False, True, False, False, True]
    assert not traj["truncated"].any() and not traj["final_values"].any()
    assert traj["rewards"][:, 0].tolist() == [1, 2, 3, 4, 1, 2]
    # values[t] = value(obs[t]); values[T] bootstraps from obs[T]
    np.testing.assert_allclose(traj["values"].numpy(), 10 * obs[..., 0] + obs[..., 1])
    assert (traj["policy_version"] == 7).all() and traj["env_ids"].tolist() == [10, 11]
    assert (traj["tasks"] == -1).all() and (traj["actions"] == 1).all()
    assert [(e.env_id, e.episode_return, e.episode_length, e.terminated) for e in episodes] == [
        (11, 6.0, 3, True),
        (10, 10.0, 4, True),
        (11, 6.0, 3, True),
    ]
    assert episodes[0].extra_stats == {"score": 3, "nested": {"x": 2.0}} and episodes[0].task_completion == 0.5
    assert all(isinstance(e, EpisodeSummary) for e in episodes)


def test_truncation_bootstraps_from_the_final_observation():
    envs = [ScriptedEnv(3, term_len=100, trunc_len=2)]
    worker, traj = _worker(envs, rollout=5)
    episodes = worker.collect(traj)
    assert traj["truncated"][:, 0].tolist() == [False, True, False, True, False]
    assert not traj["terminated"].any()
    # final obs of a truncated episode is [2, 3]: value 23; obs[t+1] is already the next episode's first obs
    assert traj["final_values"][:, 0].tolist() == [0, 23, 0, 23, 0]
    assert traj["obs"][:, 0, 0].tolist() == [0, 1, 0, 1, 0, 1]
    assert [e.terminated for e in episodes] == [False, False]


def test_episodes_continue_across_rollouts():
    envs = [ScriptedEnv(0, term_len=5)]
    worker, traj = _worker(envs, rollout=3)
    assert worker.collect(traj) == []
    first_last_obs = traj["obs"][3].clone()
    episodes = worker.collect(traj)
    assert torch.equal(traj["obs"][0], first_last_obs)
    assert [(e.episode_return, e.episode_length) for e in episodes] == [(15.0, 5)]


def test_reward_scale_and_clip_apply_to_training_rewards_not_to_returns():
    envs = [ScriptedEnv(0, term_len=4)]
    worker, traj = _worker(envs, rollout=4, reward_scale=0.5, reward_clip=1.2)
    episodes = worker.collect(traj)
    np.testing.assert_allclose(traj["rewards"][:, 0].numpy(), [0.5, 1.0, 1.2, 1.2])
    assert episodes[0].episode_return == 10.0


def test_training_info_reaches_each_env_before_its_next_reset():
    envs = [ScriptedEnv(0, term_len=2), ScriptedEnv(1, term_len=5)]
    worker, traj = _worker(envs, rollout=4)
    worker.set_training_info({"approx_total_training_steps": 100})
    worker.collect(traj)  # first resets get it; env 0 resets twice more (after steps 2 and 4)
    assert [r[0] for r in envs[0].resets] == [{"approx_total_training_steps": 100}] * 3
    worker.set_training_info({"approx_total_training_steps": 200})
    assert envs[1].training_info == {"approx_total_training_steps": 100}  # not before its reset
    worker.collect(traj)  # env 1 ends its episode at step 5 (the first step of this rollout)
    assert envs[1].resets[-1][0] == {"approx_total_training_steps": 200}
    assert envs[0].resets[-1][0] == {"approx_total_training_steps": 200}


def test_task_sampler_sets_tasks_at_every_reset():
    counter = iter(range(100))

    def sampler(env_id):
        k = next(counter)
        return k, f"task{k}"

    envs = [ScriptedEnv(0, term_len=2)]
    worker = RolloutWorker(_cfg(rollout=5), envs, ValuePolicy(), task_sampler=sampler)
    traj = allocate_trajectory(5, 1, envs[0].observation_space, envs[0].action_space)
    episodes = worker.collect(traj)
    assert [r[1] for r in envs[0].resets] == ["task0", "task1", "task2"]
    assert traj["tasks"][:, 0].tolist() == [0, 0, 1, 1, 2]
    assert [e.task for e in episodes] == [0, 1]


def test_envs_are_seeded_by_seed_plus_env_id():
    envs = [ScriptedEnv(0, term_len=3), ScriptedEnv(1, term_len=3)]
    worker = RolloutWorker(_cfg(seed=100), envs, ValuePolicy(), env_ids=[4, 9])
    worker.reset()
    assert [e.resets[0][2] for e in envs] == [104, 109]


def test_same_seed_same_trajectory_with_the_real_model():
    from sf_curric.algo.learner import Learner
    from sf_curric.command_line import default_cfg

    def rollout_once():
        cfg = default_cfg("CartPole-v1", seed=3, rollout=16)
        torch.manual_seed(3)
        envs = [gym.make("CartPole-v1") for _ in range(4)]
        model = Learner(cfg, envs[0].observation_space, envs[0].action_space).model
        worker = RolloutWorker(cfg, envs, model)
        traj = allocate_trajectory(16, 4, worker.obs_space, worker.action_space)
        worker.collect(traj)
        return traj

    a, b = rollout_once(), rollout_once()
    for key in a:
        assert torch.equal(a[key], b[key]), key
    assert a["obs"].shape == (17, 4, 4) and a["actions"].dtype == torch.int64


def test_recurrent_model_states_are_recorded_and_zeroed_on_reset():
    from sf_curric.algo.learner import Learner
    from sf_curric.command_line import default_cfg

    cfg = default_cfg("CartPole-v1", rollout=8, use_rnn=True, rnn_size=8, normalize_input=False)
    envs = [ScriptedEnv(0, term_len=4), ScriptedEnv(1, term_len=50)]
    model = Learner(cfg, envs[0].observation_space, envs[0].action_space).model
    worker = RolloutWorker(cfg, envs, model)
    traj = allocate_trajectory(8, 2, worker.obs_space, worker.action_space, model.rnn_state_size)
    worker.collect(traj)
    assert not traj["rnn_states"].any()  # first rollout starts from zeros
    worker.collect(traj)
    # env 0 ended an episode at the last step of the first rollout: its state was zeroed; env 1's was not
    assert not traj["rnn_states"][0].any()
    assert traj["rnn_states"][1].abs().sum() > 0


def test_unsupported_spaces_are_clear_errors():
    with pytest.raises(ValueError, match="FlattenObservation"):
        allocate_trajectory(4, 2, gym.spaces.Dict({"a": gym.spaces.Discrete(2)}), gym.spaces.Discrete(2))
    with pytest.raises(ValueError, match="Discrete, MultiDiscrete or Box"):
        allocate_trajectory(4, 2, gym.spaces.Box(0, 1, (2,)), gym.spaces.MultiBinary(3))
