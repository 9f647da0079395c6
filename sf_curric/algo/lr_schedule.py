"""The learning rate of every optimizer step (`--lr_schedule`), Sample Factory's schedules included.

- `constant`: `--learning_rate` (read at every training call: population-based training changes it).
- `linear` (SF's `linear_decay`): from `--learning_rate` down to 0 over the run's budget (`--train_for_env_steps`).
- `kl_adaptive_minibatch` / `kl_adaptive_epoch` (SF's `KlAdaptiveScheduler`): after every minibatch (resp. epoch)
  the mean KL divergence of the current policy from the acting one over that minibatch (resp. the epoch's
  minibatches) is compared with `--lr_schedule_kl_threshold`: above twice the threshold the rate is divided by 1.5
  (not below `--lr_adaptive_min`), below half of it multiplied by 1.5 (not above `--lr_adaptive_max`). The rate
  carries over from one training call to the next and is saved in checkpoints.
"""

from __future__ import annotations

import argparse
from typing import Any

KL_ADAPTIVE = ("kl_adaptive_minibatch", "kl_adaptive_epoch")


def kl_adaptive_update(lr: float, mean_kl: float, threshold: float, lr_min: float, lr_max: float) -> float:
    """Sample Factory's rule: `lr / 1.5` (>= lr_min) when `mean_kl > 2 * threshold`, `lr * 1.5` (<= lr_max) when
    `mean_kl < threshold / 2`, else `lr`.

    Example:
        >>> kl_adaptive_update(1e-3, 0.1, 0.008, 1e-6, 1e-2)
        0.0006666666666666666
    """
    if mean_kl > 2.0 * threshold:
        lr = max(lr / 1.5, lr_min)
    if mean_kl < 0.5 * threshold:
        lr = min(lr * 1.5, lr_max)
    return lr


class LearningRate:
    """Holds the learning rate of one learner and applies it to its optimizer.

    Args:
        cfg: reads `--lr_schedule`, `--learning_rate`, `--lr_schedule_kl_threshold`, `--lr_adaptive_min/max`.

    Example:
        >>> rate = LearningRate(cfg)
        >>> lr = rate.at_train_start(optimizer, progress=0.25)
    """

    def __init__(self, cfg: argparse.Namespace):
        self.cfg = cfg
        self.adaptive = cfg.lr_schedule in KL_ADAPTIVE
        self.value = float(cfg.learning_rate)
        self._epoch_kls: list[float] = []

    def at_train_start(self, optimizer: Any, progress: float) -> float:
        """The rate for a training call at `progress` (0..1) of the run's budget, applied to `optimizer`."""
        cfg = self.cfg
        if cfg.lr_schedule == "constant":
            self.value = float(cfg.learning_rate)
        elif cfg.lr_schedule in ("linear", "linear_decay"):
            self.value = float(cfg.learning_rate) * (1.0 - min(1.0, max(0.0, progress)))
        self._epoch_kls = []
        _apply(optimizer, self.value)
        return self.value

    def after_minibatch(self, optimizer: Any, kl: float) -> None:
        """An optimizer step was taken on a minibatch whose KL divergence from the acting policy was `kl`."""
        if not self.adaptive:
            return
        self._epoch_kls.append(kl)
        if self.cfg.lr_schedule == "kl_adaptive_minibatch":
            self._update(optimizer, kl)

    def after_epoch(self, optimizer: Any) -> None:
        """An epoch over the batch ended."""
        if self.cfg.lr_schedule == "kl_adaptive_epoch" and self._epoch_kls:
            self._update(optimizer, sum(self._epoch_kls) / len(self._epoch_kls))
        self._epoch_kls = []

    def _update(self, optimizer: Any, mean_kl: float) -> None:
        cfg = self.cfg
        self.value = kl_adaptive_update(
            self.value, mean_kl, cfg.lr_schedule_kl_threshold, cfg.lr_adaptive_min, cfg.lr_adaptive_max
        )
        _apply(optimizer, self.value)

    def state_dict(self) -> dict[str, float]:
        """The current rate (what an adaptive schedule has learned)."""
        return {"value": self.value}

    def load_state_dict(self, state: dict[str, float]) -> None:
        """Continue from a saved rate."""
        self.value = float(state["value"])


def _apply(optimizer: Any, lr: float) -> None:
    for group in optimizer.param_groups:
        group["lr"] = lr
