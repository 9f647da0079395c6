"""NaN/Inf in training: count skipped batches, stop on repeated ones, never checkpoint non-finite weights.

The learner already skips a batch with a non-finite reward, value or observation, and takes no optimizer step for
a minibatch whose loss or gradient is not finite (`TrainResult.stats["nan_skipped"]`, docs/architecture.md). The
runner adds two rules on top:

- `--max_nan_batches` training batches in a row with anything skipped stop the run with `NonFiniteTrainingError`,
  a message that says where to look; the last checkpoint still holds finite weights.
- Weights or normalizers that became non-finite anyway (e.g. a finite but huge step) stop the run at once, and a
  checkpoint is never written from them (`check_finite_model`).
"""

from __future__ import annotations

import argparse
import logging
from typing import Mapping

import torch

log = logging.getLogger(__name__)

_FIX = (
    "look for NaN/Inf in the env's observations and rewards (sf_curric.check_env), lower --learning_rate, or set "
    "--max_grad_norm"
)


class NonFiniteTrainingError(RuntimeError):
    """Training produced non-finite values too often, or non-finite weights; the message names what to check."""


def non_finite_tensors(state: Mapping[str, torch.Tensor]) -> list[str]:
    """Names of the floating-point tensors of `state` that hold a NaN or an Inf.

    Args:
        state: a state dict (e.g. `model.state_dict()`, which includes the running normalizers).
    """
    return [
        name
        for name, value in state.items()
        if torch.is_tensor(value) and value.is_floating_point() and not bool(torch.isfinite(value).all())
    ]


def check_finite_model(model: torch.nn.Module) -> None:
    """Raise `NonFiniteTrainingError` when a weight or normalizer of `model` holds NaN/Inf.

    Args:
        model: the learner's model.
    """
    bad = non_finite_tensors(model.state_dict())
    if bad:
        raise NonFiniteTrainingError(
            f"the model's {', '.join(bad[:5])} hold NaN/Inf values: not checkpointed, training stopped; {_FIX}"
        )


class NanGuard:
    """Counts training batches with skipped (non-finite) data and stops the run when they repeat.

    Args:
        cfg: reads `--max_nan_batches` (consecutive batches with skipped data tolerated).

    Example:
        >>> guard = NanGuard(cfg)
        >>> guard.after_train(result.stats, learner.model)
    """

    def __init__(self, cfg: argparse.Namespace):
        self.max_nan_batches = int(cfg.max_nan_batches)
        self.consecutive = 0
        self.total_batches = 0  # batches with at least one skipped minibatch (or skipped whole)

    def after_train(self, stats: Mapping[str, float], model: torch.nn.Module) -> None:
        """Check one `Learner.train()` result.

        Args:
            stats: `TrainResult.stats` (reads `nan_skipped`).
            model: the learner's model (its weights must be finite).

        Raises:
            NonFiniteTrainingError: more than `--max_nan_batches` batches in a row had skipped data, or the
                weights are not finite.
        """
        if stats.get("nan_skipped", 0.0) > 0:
            self.consecutive += 1
            self.total_batches += 1
            if self.consecutive > self.max_nan_batches:
                raise NonFiniteTrainingError(
                    f"{self.consecutive} training batches in a row held NaN/Inf values and were skipped (more than "
                    f"--max_nan_batches={self.max_nan_batches}): {_FIX}"
                )
        else:
            self.consecutive = 0
        check_finite_model(model)
