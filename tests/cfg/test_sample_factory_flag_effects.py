"""Sample Factory flags that sf_curric had before without a test of their own: each test checks the flag's effect."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from gymnasium import spaces

from sf_curric.algo.learner import Learner, learner_cfg
from sf_curric.algo.learner_batch import LearnerBatch
from sf_curric.algo.losses import LOSS_TERMS, Minibatch, calculate_losses
from sf_curric.algo.ppo import _targets, compute_gae, compute_vtrace
from sf_curric.command_line import parse_args
from sf_curric.model import ActorCritic
from tests.algo.test_learner import ACTIONS, OBS, _bandit_traj


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def test_algo_is_appo_only(capsys):
    assert parse_args(["--env=CartPole-v1", "--algo=APPO"]).algo == "APPO"
    with pytest.raises(SystemExit):
        parse_args(["--env=CartPole-v1", "--algo=PPO"])
    assert "invalid choice: 'PPO'" in capsys.readouterr().err


def test_batch_size_sets_the_minibatch_count():
    # 8 steps x 32 envs = 256 samples: batch_size 64 -> 4 minibatches per epoch, num_epochs 3 -> 12 optimizer steps
    learner = Learner(learner_cfg(device="cpu", batch_size=64, num_epochs=3), OBS, ACTIONS)
    assert learner.train(_bandit_traj(learner), 0).stats["sgd_steps"] == 12
    learner = Learner(learner_cfg(device="cpu", batch_size=256, num_epochs=1), OBS, ACTIONS)
    assert learner.train(_bandit_traj(learner), 0).stats["sgd_steps"] == 1


def _random_batch(steps: int = 6, envs: int = 3) -> LearnerBatch:
    g = torch.Generator().manual_seed(0)
    return LearnerBatch(
        obs=torch.randn(steps + 1, envs, 4, generator=g),
        actions=torch.randint(0, 2, (steps, envs), generator=g),
        log_probs=torch.full((steps, envs), -0.7),
        values=torch.randn(steps + 1, envs, generator=g),
        rewards=torch.randn(steps, envs, generator=g),
        terminated=torch.rand(steps, envs, generator=g) < 0.2,
        truncated=torch.rand(steps, envs, generator=g) < 0.1,
        final_values=torch.randn(steps, envs, generator=g),
    )


def test_gae_flags_reach_the_advantages():
    batch = _random_batch()
    cfg = learner_cfg(device="cpu", gamma=0.9, gae_lambda=0.7)
    model = ActorCritic(OBS, ACTIONS, cfg)
    got = _targets(model, batch, cfg).advantages
    expected = compute_gae(batch.rewards, batch.values, batch.final_values, batch.terminated, batch.truncated, 0.9, 0.7)
    torch.testing.assert_close(got, expected)


def test_vtrace_flags_reach_the_targets():
    batch = _random_batch()
    cfg = learner_cfg(device="cpu", with_vtrace=True, vtrace_rho=0.5, vtrace_c=0.3, gamma=0.95, normalize_returns=False)
    model = ActorCritic(OBS, ACTIONS, cfg)
    got = _targets(model, batch, cfg)
    with torch.no_grad():
        params, values = model.forward_sequence(batch.obs)
        log_probs, _ = model.action_head.log_prob_entropy(params[:-1], batch.actions)
    expected = compute_vtrace(
        batch.rewards, values, batch.final_values, batch.terminated, batch.truncated, batch.log_probs, log_probs,
        0.95, 0.5, 0.3,
    )  # fmt: skip
    torch.testing.assert_close(got.advantages, expected.advantages)
    torch.testing.assert_close(got.returns, expected.vs)
    other = _targets(model, batch, learner_cfg(device="cpu", with_vtrace=True, gamma=0.95, normalize_returns=False))
    assert not torch.allclose(other.advantages, got.advantages)


def _minibatch(cfg, ratio: torch.Tensor, advantages: torch.Tensor) -> Minibatch:
    log_probs = torch.log(ratio).requires_grad_(True)
    n = ratio.shape[0]
    params = torch.zeros(n, 2, requires_grad=True)
    head = ActorCritic(OBS, ACTIONS, cfg).action_head
    return Minibatch(
        log_probs=log_probs, entropy=torch.full((n,), 0.5, requires_grad=True),
        values=torch.ones(n, requires_grad=True),
        behavior_log_probs=torch.zeros(n), advantages=advantages, target_values=torch.zeros(n),
        old_values=torch.ones(n), mask=None, clip_ratio=cfg.ppo_clip_ratio, cfg=cfg, action_params=params,
        action_head=head,
    )  # fmt: skip


def test_loss_coefficients_weight_their_terms():
    cfg = learner_cfg(device="cpu", value_loss_coeff=0.25, exploration_loss_coeff=0.1)
    mb = _minibatch(cfg, torch.ones(4), torch.ones(4))
    loss, stats = calculate_losses(mb)
    weights = {term.name: term.weight(cfg) for term in LOSS_TERMS if term.is_active(cfg)}
    assert weights["value_loss"] == 0.25 and weights["entropy"] == -0.1
    assert loss.item() == pytest.approx(sum(w * stats[name] for name, w in weights.items()))
    assert loss.item() == pytest.approx(-1.0 + 0.25 * 1.0 - 0.1 * 0.5)  # policy -A, value (1-0)^2, entropy 0.5
    assert "symmetric_kl" not in stats and stats["kl_divergence"] == 0.0  # ratio 1: no divergence


def test_ppo_clip_ratio_bounds_the_ratio_that_gets_a_gradient():
    cfg = learner_cfg(device="cpu", ppo_clip_ratio=0.1)
    ratios = torch.tensor([1.05, 1.15, 0.85, 0.95])  # positive advantages: only ratios above 1 + 0.1 are clipped
    mb = _minibatch(cfg, ratios, torch.ones(4))
    term = next(t for t in LOSS_TERMS if t.name == "policy_loss")
    value, stats = term.compute(mb)
    value.backward()
    assert (mb.log_probs.grad != 0).tolist() == [True, False, True, True]
    assert stats["clipfrac"] == pytest.approx(0.5)  # 1.15 and 0.85 left [0.9, 1.1]


def test_adam_flags_reach_the_optimizer():
    cfg = learner_cfg(device="cpu", adam_eps=1e-3, adam_beta1=0.5, adam_beta2=0.75)
    group = Learner(cfg, OBS, ACTIONS).optimizer.param_groups[0]
    assert group["eps"] == 1e-3 and tuple(group["betas"]) == (0.5, 0.75)


def test_max_grad_norm_clips_the_update():
    def weight_change(max_grad_norm: float) -> float:
        torch.manual_seed(0)
        learner = Learner(learner_cfg(device="cpu", max_grad_norm=max_grad_norm, num_epochs=1), OBS, ACTIONS)
        traj = _bandit_traj(learner)
        before = [p.detach().clone() for p in learner.model.parameters()]
        learner.train(traj, 0)
        return sum((p - b).abs().sum().item() for p, b in zip(learner.model.parameters(), before))

    # Adam divides by the gradient's size: a gradient clipped far below adam_eps moves the weights by almost nothing
    assert weight_change(1e-9) < 1e-3 * weight_change(0.0)


def test_model_shape_flags():
    obs = spaces.Box(-1, 1, (3,), np.float32)
    cfg = learner_cfg(encoder_mlp_layers=[16, 8], nonlinearity="relu", actor_critic_share_weights=False)
    model = ActorCritic(obs, ACTIONS, cfg)
    sizes = [tuple(layer.weight.shape) for layer in model.actor_encoder.layers]
    assert sizes == [(16, 3), (8, 16)] and model.critic_encoder is not None
    assert model.actor_encoder.activation_fn is torch.relu
    assert ActorCritic(obs, ACTIONS, learner_cfg()).critic_encoder is None  # shared by default
    small = ActorCritic(obs, ACTIONS, learner_cfg(policy_init_gain=0.01)).action_head.linear.weight
    large = ActorCritic(obs, ACTIONS, learner_cfg(policy_init_gain=1.0)).action_head.linear.weight
    assert large.norm().item() == pytest.approx(100 * small.norm().item(), rel=1e-4)  # orthogonal init: gain x


@pytest.mark.parametrize(
    "architecture, channels", [("convnet_simple", [32, 64, 128]), ("convnet_impala", [16, 32]),
                               ("convnet_atari", [32, 64, 64])]
)  # fmt: skip
def test_conv_encoder_flags(architecture, channels):
    images = spaces.Box(0, 255, (84, 84, 4), np.uint8)
    cfg = learner_cfg(encoder_conv_architecture=architecture, encoder_conv_mlp_layers=[100, 50])
    model = ActorCritic(images, ACTIONS, cfg)
    convs = [m for m in model.actor_encoder.conv.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [c.out_channels for c in convs] == channels and convs[0].in_channels == 4
    assert model.actor_encoder.output_size == 50


def test_summaries_interval_and_train_for_seconds(tmp_path):
    from sf_curric.train import run_with_result
    from tests.algo.runner_helpers import read_scalars

    def fps_points(experiment: str, interval: float) -> int:
        result = run_with_result([
            "--env=CartPole-v1", f"--train_dir={tmp_path}", f"--experiment={experiment}", "--serial_mode=True",
            "--num_envs_per_worker=8", "--train_for_seconds=3", f"--experiment_summaries_interval={interval}",
        ])  # fmt: skip
        assert result.reason == "seconds"
        return len(read_scalars(tmp_path / experiment)["charts/FPS"])

    assert fps_points("rare", 1000.0) == 2  # the first iteration's and the last
    assert fps_points("often", 0.05) > 5


def test_load_checkpoint_kind_best_in_eval_and_on_resume(tmp_path):
    from sf_curric.evaluation.policy import load_eval_config, load_policy
    from sf_curric.train import run_with_result
    from sf_curric.utils.checkpoint import checkpoint_dir, list_checkpoints

    flags = ["--env=CartPole-v1", f"--train_dir={tmp_path}", "--experiment=kind", "--serial_mode=True",
             "--num_envs_per_worker=8", "--save_best_every_sec=0"]  # fmt: skip
    run_with_result([*flags, "--train_for_env_steps=8192"])
    ckpts = checkpoint_dir(tmp_path / "kind")
    (best,), latest = list_checkpoints(ckpts, "best"), list_checkpoints(ckpts, "latest")[-1]
    assert best != latest
    for kind, expected in (("best", best), ("latest", latest)):
        cfg = load_eval_config(parse_args([*flags, f"--load_checkpoint_kind={kind}"], evaluation=True))
        policy = load_policy(cfg, OBS, ACTIONS)
        assert policy.checkpoint_path == expected
    # a resumed training run starts from the best checkpoint's counters with --load_checkpoint_kind=best
    best_steps = int(best.name.split("_")[2])
    result = run_with_result([*flags, "--load_checkpoint_kind=best", f"--train_for_env_steps={best_steps + 256}"])
    assert best_steps < result.env_steps <= best_steps + 2048
