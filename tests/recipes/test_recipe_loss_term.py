"""docs/architecture.md's recipe "A loss term", done exactly as written: one function of a `Minibatch`, one `LossTerm`
entry in `LOSS_TERMS`, its coefficient flag in `ALGO_ARGS`. Nothing else: the loss, the stats and the logs follow.

The term (a penalty on the distance of the policy's entropy from a target) is checked against an independent
computation: the gradient the optimizer sees grows by exactly `coefficient * grad(term)`.
"""

import copy

import gymnasium as gym
import numpy as np
import pytest
import torch

from sf_curric.algo import losses
from sf_curric.algo.args import ALGO_ARGS
from sf_curric.algo.learner import learner_cfg
from sf_curric.algo.learner_batch import LearnerBatch
from sf_curric.algo.losses import LossTerm, Minibatch, TermValue, masked_mean
from sf_curric.algo.ppo import logged_as_losses, ppo_train
from sf_curric.command_line import default_cfg
from sf_curric.model.actor_critic import ActorCritic
from tests.curriculum_integration.helpers import make_runner

TARGET_ENTROPY = 0.3


# --- the function ------------------------------------------------------------------------------------------------
def entropy_target(mb: Minibatch) -> TermValue:
    gap = masked_mean(mb.entropy, mb.mask) - TARGET_ENTROPY
    return gap.square(), {"entropy_gap": gap.item()}


# --- the entry, and its coefficient flag ------------------------------------------------------------------------
ENTRY = LossTerm("entropy_target", entropy_target, coefficient="entropy_target_coeff", stats=("entropy_gap",))
FLAG = ("--entropy_target_coeff", {"type": float, "default": 0.0, "help": "Weight of the entropy-target penalty."})


@pytest.fixture
def entropy_target_term(monkeypatch):
    monkeypatch.setattr(losses, "LOSS_TERMS", [*losses.LOSS_TERMS, ENTRY])
    ALGO_ARGS.append(FLAG)
    yield
    ALGO_ARGS.remove(FLAG)


class _GradientSpy(torch.optim.SGD):
    """Records the gradients of the first optimizer step and changes nothing."""

    def __init__(self, params):
        self.params = list(params)
        super().__init__(self.params, lr=0.0)
        self.grads = None

    def step(self, closure=None):
        if self.grads is None:
            self.grads = [p.grad.detach().clone() for p in self.params]


def _batch(obs_space, steps=16, envs=4, seed=0):
    rng = np.random.default_rng(seed)
    return LearnerBatch(
        obs=torch.as_tensor(rng.normal(size=(steps + 1, envs, *obs_space.shape)), dtype=torch.float32),
        actions=torch.as_tensor(rng.integers(0, 2, size=(steps, envs))),
        log_probs=torch.full((steps, envs), float(np.log(0.5))),
        values=torch.as_tensor(rng.normal(size=(steps + 1, envs)), dtype=torch.float32),
        rewards=torch.as_tensor(rng.normal(size=(steps, envs)), dtype=torch.float32),
        terminated=torch.as_tensor(rng.random((steps, envs)) < 0.1),
        truncated=torch.zeros(steps, envs, dtype=torch.bool),
        final_values=torch.zeros(steps, envs),
    )


def test_one_function_and_one_entry_add_the_term_to_the_loss_and_the_stats(entropy_target_term):
    env = gym.make("CartPole-v1")
    torch.manual_seed(0)
    base = learner_cfg(device="cpu", num_epochs=1, batch_size=10_000, max_grad_norm=0.0, normalize_input=False)
    model = ActorCritic(env.observation_space, env.action_space, base)
    batch = _batch(env.observation_space)
    grads, stats = {}, {}
    for coeff in (0.0, 2.0):  # the same model and batch, without and with the term's weight
        cfg = copy.copy(base)
        cfg.entropy_target_coeff = coeff
        copy_of_model = copy.deepcopy(model)
        spy = _GradientSpy(copy_of_model.parameters())
        stats[coeff] = ppo_train(copy_of_model, spy, batch, cfg, clip_ratio=0.2).stats
        grads[coeff] = spy.grads

    # independently: the term on the whole batch (one minibatch) with the model before any step
    steps, envs = batch.rewards.shape
    independent = copy.deepcopy(model)
    out = independent.evaluate(batch.obs[:steps].reshape(steps * envs, -1), batch.actions.reshape(-1))
    term = (out.entropy.mean() - TARGET_ENTROPY).square()
    term.backward()
    expected = [torch.zeros_like(p) if p.grad is None else 2.0 * p.grad for p in independent.parameters()]
    for with_term, without, want in zip(grads[2.0], grads[0.0], expected):
        torch.testing.assert_close(with_term - without, want, rtol=1e-4, atol=1e-6)
    assert stats[2.0]["entropy_target"] == pytest.approx(term.item(), rel=1e-5)
    assert stats[2.0]["entropy_gap"] == pytest.approx(out.entropy.mean().item() - TARGET_ENTROPY, rel=1e-5)
    assert "entropy_target" in logged_as_losses() and "entropy_gap" in logged_as_losses()


class _Writer:
    def __init__(self):
        self.scalars = {}

    def add_scalar(self, tag, value, step):
        self.scalars[tag] = value


def test_the_flag_parses_and_the_runner_logs_the_term_by_name(entropy_target_term, tmp_path):
    assert default_cfg("CartPole-v1", entropy_target_coeff=0.1).entropy_target_coeff == 0.1
    runner = make_runner([
        "--env=CartPole-v1", f"--train_dir={tmp_path}", "--experiment=loss_term", "--entropy_target_coeff=0.1",
        "--serial_mode=True", "--auto_defaults=False", "--num_workers=1", "--num_envs_per_worker=4", "--rollout=8",
        "--batch_size=32", "--num_batches_per_epoch=1", "--num_epochs=1", "--train_for_env_steps=64", "--device=cpu",
    ])  # fmt: skip
    runner.run()
    runner.writer = _Writer()
    runner._write_summaries()
    stats = runner.last_train_stats
    assert runner.writer.scalars["losses/entropy_target"] == stats["entropy_target"] > 0.0
    assert runner.writer.scalars["losses/entropy_gap"] == stats["entropy_gap"]
