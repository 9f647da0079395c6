"""Action heads: log-prob, entropy and sampling against torch.distributions and scipy."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats
import torch
from gymnasium import spaces
from torch.distributions import Categorical, Independent, Normal

from sf_curric.algo.learner import learner_cfg
from sf_curric.model import ActorCritic
from sf_curric.model.action_heads import make_action_head


def test_categorical_log_prob_entropy_match_torch_distributions():
    torch.manual_seed(0)
    head = make_action_head(spaces.Discrete(5), 8, 1.0)
    params = head(torch.randn(32, 8) * 3)
    actions = torch.randint(0, 5, (32,))
    log_prob, entropy = head.log_prob_entropy(params, actions)
    reference = Categorical(logits=params)
    torch.testing.assert_close(log_prob, reference.log_prob(actions))
    torch.testing.assert_close(entropy, reference.entropy())
    probs = torch.softmax(params, -1).detach().numpy()
    np.testing.assert_allclose(entropy.detach().numpy(), scipy.stats.entropy(probs, axis=-1), rtol=1e-5)


def test_categorical_samples_follow_the_probabilities():
    torch.manual_seed(1)
    head = make_action_head(spaces.Discrete(4), 2, 1.0)
    logits = torch.log(torch.tensor([0.1, 0.2, 0.3, 0.4])).expand(40_000, 4)
    actions, log_prob = head.sample(logits, deterministic=False)
    counts = np.bincount(actions.numpy(), minlength=4)
    # chi-square goodness of fit: p-value far from tiny when the sampler is right
    assert scipy.stats.chisquare(counts, 40_000 * np.array([0.1, 0.2, 0.3, 0.4])).pvalue > 1e-4
    torch.testing.assert_close(log_prob, Categorical(logits=logits).log_prob(actions))
    greedy, _ = head.sample(logits, deterministic=True)
    assert (greedy == 3).all()


def test_gaussian_log_prob_entropy_match_torch_distributions():
    torch.manual_seed(2)
    head = make_action_head(spaces.Box(-1, 1, (3,)), 8, 1.0)
    with torch.no_grad():
        head.log_std.copy_(torch.tensor([-0.5, 0.0, 0.7]))
    mean = head(torch.randn(16, 8))
    actions = torch.randn(16, 3) * 2
    log_prob, entropy = head.log_prob_entropy(mean, actions)
    reference = Independent(Normal(mean, head.log_std.exp()), 1)
    torch.testing.assert_close(log_prob, reference.log_prob(actions))
    torch.testing.assert_close(entropy, reference.entropy())
    scipy_entropy = sum(scipy.stats.norm(scale=s).entropy() for s in head.log_std.exp().detach().numpy())
    assert entropy[0].item() == pytest.approx(scipy_entropy, rel=1e-5)
    sampled, sampled_log_prob = head.sample(mean, deterministic=False)
    torch.testing.assert_close(sampled_log_prob, reference.log_prob(sampled))


def test_gaussian_samples_have_the_learned_std():
    torch.manual_seed(3)
    head = make_action_head(spaces.Box(-1, 1, (2,)), 4, 1.0)
    with torch.no_grad():
        head.log_std.copy_(torch.log(torch.tensor([0.5, 2.0])))
    samples, _ = head.sample(torch.zeros(20_000, 2), deterministic=False)
    np.testing.assert_allclose(samples.detach().std(0).numpy(), [0.5, 2.0], rtol=0.03)


def test_adaptive_stddev_gaussian_matches_torch_distributions():
    # --adaptive_stddev: means and log stds both come from the features (Sample Factory's default head)
    torch.manual_seed(6)
    head = make_action_head(spaces.Box(-1, 1, (3,)), 8, 1.0, initial_stddev=0.5, adaptive_stddev=True)
    params = head(torch.randn(16, 8))
    assert params.shape == (16, 6)
    mean, std = params[:, :3], params[:, 3:].exp()
    assert std.std(0).min() > 0  # the std differs between states
    actions = torch.randn(16, 3)
    log_prob, entropy = head.log_prob_entropy(params, actions)
    reference = Independent(Normal(mean, std), 1)
    torch.testing.assert_close(log_prob, reference.log_prob(actions))
    torch.testing.assert_close(entropy, reference.entropy())
    start = make_action_head(spaces.Box(-1, 1, (3,)), 8, 0.01, initial_stddev=0.5, adaptive_stddev=True)
    start_std = start(torch.randn(100, 8))[:, 3:].exp()
    torch.testing.assert_close(start_std.mean(), torch.tensor(0.5), atol=0.02, rtol=0)  # --initial_stddev


def test_initial_stddev_and_tanh_scale():
    head = make_action_head(spaces.Box(-1, 1, (2,)), 4, 1.0, initial_stddev=0.3)
    torch.testing.assert_close(head.log_std.exp(), torch.tensor([0.3, 0.3]))
    squashed = make_action_head(spaces.Box(-1, 1, (2,)), 4, 1.0, tanh_scale=2.0)
    with torch.no_grad():
        squashed.linear.weight.fill_(10.0)
    features = torch.randn(50, 4) * 10
    means = squashed(features)
    torch.testing.assert_close(means, torch.tanh(squashed.linear(features) / 2.0) * 2.0)
    assert means.abs().max() <= 2.0 and means.abs().max() > 1.9
    cfg = learner_cfg(continuous_tanh_scale=2.0, initial_stddev=0.3)  # the flags reach the model's head
    model_head = ActorCritic(spaces.Box(-1, 1, (3,)), spaces.Box(-1, 1, (2,)), cfg).action_head
    assert model_head.tanh_scale == 2.0 and torch.allclose(model_head.log_std.exp(), torch.tensor(0.3))
    adaptive = make_action_head(spaces.Box(-1, 1, (2,)), 4, 1.0, adaptive_stddev=True, tanh_scale=2.0)
    flat = adaptive.linear(features)
    torch.testing.assert_close(adaptive(features), torch.cat([torch.tanh(flat[:, :2] / 2) * 2, flat[:, 2:]], -1))


def test_multidiscrete_uneven_nvec_matches_sum_of_categoricals():
    torch.manual_seed(4)
    nvec = [3, 5, 2]
    head = make_action_head(spaces.MultiDiscrete(nvec), 8, 1.0)
    features = torch.randn(64, 8)
    params = head(features)
    flat = head.linear(features)
    dists = [Categorical(logits=chunk) for chunk in torch.split(flat, nvec, dim=-1)]
    actions = torch.stack([torch.randint(0, n, (64,)) for n in nvec], dim=-1)
    log_prob, entropy = head.log_prob_entropy(params, actions)
    torch.testing.assert_close(log_prob, sum(d.log_prob(actions[:, i]) for i, d in enumerate(dists)))
    torch.testing.assert_close(entropy, sum(d.entropy() for d in dists))
    sampled, sampled_log_prob = head.sample(params, deterministic=False)
    for i, n in enumerate(nvec):  # never a padded (impossible) sub-action
        assert int(sampled[:, i].max()) < n
    torch.testing.assert_close(sampled_log_prob, sum(d.log_prob(sampled[:, i]) for i, d in enumerate(dists)))


def test_multidiscrete_samples_follow_each_sub_distribution():
    torch.manual_seed(5)
    head = make_action_head(spaces.MultiDiscrete([2, 3]), 1, 1.0)
    with torch.no_grad():
        head.linear.weight.zero_()
        head.linear.bias.copy_(torch.log(torch.tensor([0.25, 0.75, 0.5, 0.3, 0.2])))
    actions, _ = head.sample(head(torch.zeros(30_000, 1)), deterministic=False)
    np.testing.assert_allclose(np.bincount(actions[:, 0].numpy()) / 30_000, [0.25, 0.75], atol=0.015)
    np.testing.assert_allclose(np.bincount(actions[:, 1].numpy()) / 30_000, [0.5, 0.3, 0.2], atol=0.015)


def test_to_env_actions_clips_box_and_adds_start():
    cfg = learner_cfg()
    obs_space = spaces.Box(-1, 1, (3,))
    action_space = spaces.Box(np.array([-1.0, 0.0], np.float32), np.array([1.0, 2.0], np.float32))
    box_model = ActorCritic(obs_space, action_space, cfg)
    env_actions = box_model.to_env_actions(torch.tensor([[-3.0, 1.0], [0.5, 5.0]]))
    np.testing.assert_allclose(env_actions, [[-1.0, 1.0], [0.5, 2.0]])
    assert env_actions.dtype == np.float32
    discrete_model = ActorCritic(obs_space, spaces.Discrete(3, start=-1), cfg)
    np.testing.assert_array_equal(discrete_model.to_env_actions(torch.tensor([0, 2])), [-1, 1])
    multi_model = ActorCritic(obs_space, spaces.MultiDiscrete([2, 3], start=[1, 10]), cfg)
    np.testing.assert_array_equal(multi_model.to_env_actions(torch.tensor([[0, 2]])), [[1, 12]])


def test_unsupported_action_space_names_the_fix():
    with pytest.raises(ValueError, match="Discrete, MultiDiscrete or a 1-D Box"):
        make_action_head(spaces.MultiBinary(3), 4, 1.0, 0.0)
    with pytest.raises(ValueError, match="flatten"):
        make_action_head(spaces.Box(-1, 1, (2, 2)), 4, 1.0, 0.0)
