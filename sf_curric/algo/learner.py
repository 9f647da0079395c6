"""The learner: owns the model, the optimizer and the weights version; trains on trajectories with PPO."""

from __future__ import annotations

import argparse
import logging
from typing import Any, NamedTuple, Union

import torch
from gymnasium import spaces

from sf_curric.algo.args import ALGO_ARGS
from sf_curric.algo.learner_batch import LearnerBatch
from sf_curric.algo.ppo import ppo_train
from sf_curric.cfg.arguments import BASIC_ARGS
from sf_curric.cfg.budget import training_progress
from sf_curric.cfg.validation import discount_checks
from sf_curric.errors import ConfigError
from sf_curric.model.actor_critic import ActorCritic
from sf_curric.model.args import MODEL_ARGS
from sf_curric.model.encoders import ObservationSpaceError

log = logging.getLogger(__name__)


def learner_args() -> list[tuple[str, dict[str, Any]]]:
    """Every flag the learner (model + PPO) reads, as `(flag, kwargs_for_add_argument)`: the model's, PPO's (read
    now, so a flag just added to `ALGO_ARGS` counts) and the general `--device` (defined in sf_curric.cfg.arguments).
    """
    return [*MODEL_ARGS, *ALGO_ARGS, *(spec for spec in BASIC_ARGS if spec[0] == "--device")]


def learner_cfg(**overrides: Any) -> argparse.Namespace:
    """A config holding the defaults of `learner_args()`, with `overrides` applied (for tests and scripts).

    Args:
        **overrides: flag values by name, e.g. `learning_rate=1e-3`.

    Example:
        >>> learner_cfg(use_rnn=True).rnn_type
        'gru'
    """
    parser = argparse.ArgumentParser(add_help=False)
    for flag, kwargs in learner_args():
        parser.add_argument(flag, **kwargs)
    cfg = parser.parse_args([])
    for name, value in overrides.items():
        if not hasattr(cfg, name):
            raise ValueError(f"unknown learner flag {name!r}: see sf_curric.algo.learner.learner_args()")
        setattr(cfg, name, value)
    return cfg


def resolve_device(name: str) -> torch.device:
    """`--device` value (auto, cpu, gpu) -> torch.device; gpu without CUDA is an error that names the fix.

    Args:
        name: "auto" (cuda when available), "cpu" or "gpu".
    """
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name == "gpu":
        if not torch.cuda.is_available():
            raise ValueError("--device=gpu but torch sees no CUDA device: use --device=cpu or --device=auto")
        return torch.device("cuda")
    raise ValueError(f"--device={name!r} is not supported: use auto, cpu or gpu")


class TrainResult(NamedTuple):
    """What `Learner.train` returns; its per-step tensors reach the curriculum with the trajectory
    (`LearnerFeedback.of_batch`, sf_curric/curricula/learner_feedback.py), so nothing downstream recomputes them.

    Attributes:
        stats: float metrics: policy_loss, value_loss, entropy, approx_kl, clipfrac, explained_variance,
            grad_norm, learning_rate, clip_ratio, adv_mean, adv_std (before normalization), sgd_steps,
            nan_skipped (minibatches whose loss or gradient was not finite: no step taken), early_stopped (1.0
            when --target_kl stopped the epochs), version (after this call).
        advantages: `[T, B]` advantages used (GAE or V-trace), on the learner's device.
        values: `[T, B]` baseline values used, in return units (what PLR scores are computed from).
        returns: `[T, B]` value-loss targets (None when not reported).
        next_values: `[T, B]` value of the state after each step, 0 where terminated (None when not reported).
        dones: `[T, B]` bool, the episode ended at the step (None when not reported).
        valid: `[T, B]` bool, the samples the losses used (multi-agent waits, self-play opponents and Robust
            PLR's `train_mask` left out); None when every sample was used.
    """

    stats: dict[str, float]
    advantages: torch.Tensor
    values: torch.Tensor
    returns: torch.Tensor | None = None
    next_values: torch.Tensor | None = None
    dones: torch.Tensor | None = None
    valid: torch.Tensor | None = None


class Learner:
    """Owns the ActorCritic, its Adam optimizer and the weights `version` (+1 after each `train` call).

    Args:
        cfg: reads the flags of `learner_args()`.
        obs_space: observation space of the envs.
        action_space: action space of the envs.
        device: where to train; None resolves `cfg.device` (auto = cuda when available).

    Example:
        >>> import gymnasium as gym
        >>> env = gym.make("CartPole-v1")
        >>> learner = Learner(learner_cfg(device="cpu"), env.observation_space, env.action_space)
        >>> learner.version
        0
    """

    def __init__(
        self,
        cfg: argparse.Namespace,
        obs_space: spaces.Space,
        action_space: spaces.Space,
        device: Union[str, torch.device] | None = None,
    ):
        _validate(cfg)
        self.cfg = cfg
        self.device = resolve_device(cfg.device) if device is None else torch.device(device)
        try:
            model = ActorCritic(obs_space, action_space, cfg)
        except ObservationSpaceError as e:  # the env's observations and the model flags disagree: one line
            raise ConfigError(str(e)) from None
        self.model = model.to(self.device)
        self.optimizer = _make_adam(self.model, cfg)
        self.version = 0

    @staticmethod
    def _schedule(initial: float, schedule: str, progress: float) -> float:
        return initial if schedule == "constant" else initial * (1.0 - progress)

    def train(self, traj: dict[str, torch.Tensor], env_steps: int, train_seconds: float = 0.0) -> TrainResult:
        """Run the PPO epochs on one trajectory batch (docs/architecture.md layout) and bump `version`.

        Args:
            traj: dict of `[T(+1), B, ...]` tensors on any device (moved to the learner's device here).
            env_steps: env steps collected so far.
            train_seconds: training seconds so far, every session (with `env_steps`, the budget's progress that
                drives the linear learning-rate / clip schedules, `sf_curric.cfg.budget.training_progress`).

        Returns:
            TrainResult(stats, advantages, values, returns, next_values, dones, valid).
        """
        batch = LearnerBatch.from_trajectory(traj, self.device, self.model.is_recurrent)
        progress = training_progress(self.cfg, env_steps, train_seconds)
        lr = self._schedule(self.cfg.learning_rate, self.cfg.lr_schedule, progress)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        clip_ratio = self._schedule(self.cfg.ppo_clip_ratio, self.cfg.ppo_clip_schedule, progress)

        self.model.train()
        out = ppo_train(self.model, self.optimizer, batch, self.cfg, clip_ratio)
        self.version += 1
        if out.stats["nan_skipped"]:
            log.warning("skipped %d minibatch(es) with a non-finite loss or gradient", int(out.stats["nan_skipped"]))
        stats = dict(out.stats, learning_rate=lr, version=float(self.version))
        return TrainResult(stats, out.advantages, out.values, out.returns, out.next_values, out.dones, out.valid)

    def policy_state_dict(self) -> dict[str, torch.Tensor]:
        """CPU copies of the model's weights and normalizers, for policy copies in rollout workers
        (`worker_model.load_state_dict(...)`)."""
        return {k: v.detach().to("cpu", copy=True) for k, v in self.model.state_dict().items()}

    def state_dict(self) -> dict[str, Any]:
        """Everything a checkpoint needs: model (incl. normalizers), optimizer and version."""
        return {"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(), "version": self.version}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what `state_dict` saved (tensors are moved to the learner's device)."""
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.version = int(state["version"])


def _make_adam(model: torch.nn.Module, cfg: argparse.Namespace) -> torch.optim.Adam:
    from sf_curric.algo.eager_adam import EagerAdam  # torch's Adam minus ~2 s of torch.compile imports at start

    kwargs = {"lr": cfg.learning_rate, "betas": (cfg.adam_beta1, cfg.adam_beta2), "eps": cfg.adam_eps}
    try:
        # The fused kernel is several times faster than the per-tensor loop torch uses on CPU by default.
        return EagerAdam(model.parameters(), fused=True, **kwargs)
    except RuntimeError:  # torch < 2.4 has no fused Adam on CPU
        return EagerAdam(model.parameters(), **kwargs)


def _validate(cfg: argparse.Namespace) -> None:
    checks = [
        (cfg.num_epochs >= 1, f"--num_epochs={cfg.num_epochs} must be >= 1"),
        (cfg.batch_size >= 1, f"--batch_size={cfg.batch_size} must be >= 1"),
        *discount_checks(cfg),
        (cfg.learning_rate > 0, f"--learning_rate={cfg.learning_rate} must be > 0"),
        (cfg.ppo_clip_ratio > 0, f"--ppo_clip_ratio={cfg.ppo_clip_ratio} must be > 0 (e.g. 0.2)"),
        (cfg.vtrace_rho > 0 and cfg.vtrace_c > 0, "--vtrace_rho and --vtrace_c must be > 0 (e.g. 1.0)"),
    ]
    for ok, message in checks:
        if not ok:
            raise ValueError(message)
