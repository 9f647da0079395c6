"""Sample Factory's --recurrence (BPTT sequences), --shuffle_minibatches and --value_bootstrap: each against an
independent computation."""

import pytest
import torch

from sf_curric.algo.learner import Learner, learner_cfg
from sf_curric.algo.learner_batch import LearnerBatch
from sf_curric.algo.minibatches import episode_starts, split_batch
from sf_curric.algo.ppo import compute_gae
from sf_curric.model import ActorCritic
from tests.algo.test_learner import (
    ACTIONS,
    OBS,
    _bandit_traj,
    _one_torch_thread,  # noqa: F401 (autouse)
    memory_rollout,
    memory_success,
)


def _recurrent_batch(model, steps=8, envs=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    dones = torch.rand(steps, envs, generator=g) < 0.2
    return LearnerBatch(
        obs=torch.randn(steps + 1, envs, 4, generator=g), actions=torch.randint(0, 2, (steps, envs), generator=g),
        log_probs=torch.zeros(steps, envs), values=torch.zeros(steps + 1, envs), rewards=torch.zeros(steps, envs),
        terminated=dones, truncated=torch.zeros_like(dones), final_values=torch.zeros(steps, envs),
        rnn_states=torch.randn(envs, model.rnn_state_size, generator=g),
    )  # fmt: skip


@pytest.mark.parametrize("share", [True, False])
@pytest.mark.parametrize("rnn_type", ["gru", "lstm"])
def test_sequences_of_recurrence_steps_continue_the_whole_rollout(rnn_type, share):
    # with the same weights, sequences of 2 steps starting from the states the rollout reaches give exactly what one
    # pass over the whole rollout gives
    cfg = learner_cfg(use_rnn=True, rnn_type=rnn_type, rnn_size=8, recurrence=2, batch_size=2,
                      actor_critic_share_weights=share)  # fmt: skip
    model = ActorCritic(OBS, ACTIONS, cfg)
    batch = _recurrent_batch(model)
    split = split_batch(model, batch, cfg, None)
    assert (split.items, split.count) == (4 * 3, 12)  # 4 sequences per column, 1 per minibatch (batch_size // 2)
    steps_index = torch.arange(8)[:, None].expand(8, 3)
    env_index = torch.arange(3)[None, :].expand(8, 3)
    prepared = split.prepare((steps_index, env_index))
    whole = model.evaluate(batch.obs[:8], batch.actions, batch.rnn_states, episode_starts(batch.terminated))
    out, (t, b), _ = split.take(torch.arange(split.items), prepared)
    torch.testing.assert_close(out.log_probs, whole.log_probs[t, b])
    torch.testing.assert_close(out.values, whole.values[t, b])
    assert torch.equal(t[:, 4], torch.tensor([2, 3])) and torch.equal(b[:, 4], torch.tensor([1, 1]))  # k=1, env 1


def test_recurrent_learner_learns_the_memory_task_with_sequences_of_one_episode():
    torch.manual_seed(6)
    cfg = learner_cfg(device="cpu", use_rnn=True, rnn_size=16, learning_rate=3e-3, batch_size=48, num_epochs=4,
                      recurrence=3)  # fmt: skip
    learner = Learner(cfg, OBS, ACTIONS)
    for _ in range(25):
        learner.train(memory_rollout(learner.model), 0)
    assert memory_success(learner.model) > 0.9


def test_recurrence_must_divide_the_rollout():
    from sf_curric.cfg.validation import ConfigError, validate_cfg
    from sf_curric.command_line import parse_args

    with pytest.raises(ConfigError, match="--recurrence=5 must divide --rollout=32"):
        validate_cfg(parse_args(["--env=CartPole-v1", "--use_rnn=True", "--recurrence=5"]))
    validate_cfg(parse_args(["--env=CartPole-v1", "--use_rnn=True", "--recurrence=8", "--batch_size=64"]))


def test_unshuffled_minibatches_are_sample_factorys_fixed_env_by_env_slices():
    cfg = learner_cfg(batch_size=4, shuffle_minibatches=False)
    model = ActorCritic(OBS, ACTIONS, cfg)
    batch = _recurrent_batch(model, steps=4, envs=3)._replace(rnn_states=None)
    split = split_batch(model, batch, cfg, None)
    flat = torch.arange(12).reshape(4, 3)  # flat index t * B + b
    (prepared,) = split.prepare((flat,))
    minibatches = [prepared[idx].tolist() for idx in split.order().tensor_split(split.count)]
    assert minibatches == [[0, 3, 6, 9], [1, 4, 7, 10], [2, 5, 8, 11]]  # each env's 4 steps, in order
    assert [prepared[idx].tolist() for idx in split.order().tensor_split(split.count)] == minibatches  # every epoch
    shuffled = split_batch(model, batch, learner_cfg(batch_size=4), None)
    orders = {tuple(shuffled.order().tolist()) for _ in range(5)}
    assert len(orders) > 1


def test_value_bootstrap_false_ends_the_return_at_a_time_limit():
    torch.manual_seed(0)
    results = {}
    for bootstrap in (True, False):
        learner = Learner(learner_cfg(device="cpu", value_bootstrap=bootstrap, num_epochs=1), OBS, ACTIONS)
        traj = _bandit_traj(learner)
        traj["terminated"][:] = False
        traj["truncated"][3] = True  # a time limit at step 3 of every env
        traj["final_values"][3] = 5.0
        results[bootstrap] = (learner.train(traj, 0).advantages, traj)
    for bootstrap, (advantages, traj) in results.items():
        truncated = traj["truncated"] if bootstrap else torch.zeros_like(traj["truncated"])
        terminated = traj["terminated"] | (traj["truncated"] & (not bootstrap))
        expected = compute_gae(traj["rewards"], traj["values"], traj["final_values"], terminated, truncated, 0.99, 0.95)
        torch.testing.assert_close(advantages, expected)
    assert not torch.allclose(results[True][0][3], results[False][0][3])
