"""Sample Factory's kl_adaptive learning-rate schedules: the rule, per minibatch and per epoch in the learner, bounds,
and the rate carried by checkpoints."""

import pytest

from sf_curric.algo.learner import Learner, learner_cfg
from sf_curric.algo.lr_schedule import kl_adaptive_update
from tests.algo.test_learner import (
    ACTIONS,
    OBS,
    _bandit_traj,
    _one_torch_thread,  # noqa: F401 (autouse)
)


def test_kl_adaptive_rule():
    threshold, lo, hi = 0.01, 1e-5, 1e-2
    assert kl_adaptive_update(1e-3, 0.03, threshold, lo, hi) == pytest.approx(1e-3 / 1.5)  # above 2x threshold
    assert kl_adaptive_update(1e-3, 0.004, threshold, lo, hi) == pytest.approx(1.5e-3)  # below half of it
    assert kl_adaptive_update(1e-3, 0.01, threshold, lo, hi) == 1e-3  # in between: unchanged
    assert kl_adaptive_update(1.2e-5, 0.5, threshold, lo, hi) == lo  # not below --lr_adaptive_min
    assert kl_adaptive_update(9e-3, 0.0, threshold, lo, hi) == hi  # not above --lr_adaptive_max


def _trained_rate(schedule: str, threshold: float, batch_size: int, lr_adaptive_max: float = 1.0) -> float:
    cfg = learner_cfg(
        device="cpu", learning_rate=1e-4, lr_schedule=schedule, lr_schedule_kl_threshold=threshold, num_epochs=2,
        batch_size=batch_size, lr_adaptive_max=lr_adaptive_max,
    )  # fmt: skip
    learner = Learner(cfg, OBS, ACTIONS)
    stats = learner.train(_bandit_traj(learner), 0).stats  # 256 samples
    assert learner.optimizer.param_groups[0]["lr"] == stats["learning_rate"] == learner.learning_rate.value
    return stats["learning_rate"]


def test_low_kl_raises_the_rate_after_every_minibatch_or_epoch():
    # a threshold far above any KL: every check multiplies by 1.5; 2 epochs x 4 minibatches of 64
    assert _trained_rate("kl_adaptive_minibatch", 100.0, 64) == pytest.approx(1e-4 * 1.5**8)
    assert _trained_rate("kl_adaptive_epoch", 100.0, 64) == pytest.approx(1e-4 * 1.5**2)
    assert _trained_rate("kl_adaptive_epoch", 100.0, 64, lr_adaptive_max=1.2e-4) == pytest.approx(1.2e-4)


def test_high_kl_lowers_the_rate():
    # the first minibatch is on-policy (KL 0: raised), every later one has moved (KL > 2e-12: lowered)
    assert _trained_rate("kl_adaptive_minibatch", 1e-12, 128) == pytest.approx(1e-4 * 1.5 / 1.5**3)
    # per epoch: each epoch's mean KL includes a moved minibatch
    assert _trained_rate("kl_adaptive_epoch", 1e-12, 128) == pytest.approx(1e-4 / 1.5**2)


def test_the_adapted_rate_carries_over_and_into_checkpoints():
    cfg = learner_cfg(device="cpu", learning_rate=1e-4, lr_schedule="kl_adaptive_epoch", lr_schedule_kl_threshold=1.0)
    learner = Learner(cfg, OBS, ACTIONS)
    learner.train(_bandit_traj(learner), 0)
    first = learner.learning_rate.value
    learner.train(_bandit_traj(learner), 0)
    assert learner.learning_rate.value > first > 1e-4  # a training call starts from the rate the last one reached
    resumed = Learner(cfg, OBS, ACTIONS)
    resumed.load_state_dict(learner.state_dict())
    assert resumed.learning_rate.value == learner.learning_rate.value


def test_linear_decay_is_sample_factorys_name_for_linear():
    for schedule in ("linear", "linear_decay"):
        cfg = learner_cfg(device="cpu", learning_rate=1e-3, lr_schedule=schedule, train_for_env_steps=1000)
        learner = Learner(cfg, OBS, ACTIONS)
        assert learner.train(_bandit_traj(learner), env_steps=250).stats["learning_rate"] == pytest.approx(7.5e-4)
