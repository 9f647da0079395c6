"""What the runner builds for tracking: its summary writer (tensorboardX, teed to wandb with `--with_wandb`) and the
`TrainingEvaluator` when evaluation or videos during training are on."""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

from sf_curric.cfg.arguments import flag_value
from sf_curric.tracking.args import TRACKING_ARGS


def make_summary_writer(cfg: argparse.Namespace, exp_dir: Path, tensorboard_dir: Path) -> Any:
    """A tensorboardX `SummaryWriter` on `tensorboard_dir`; with `--with_wandb` wrapped so wandb gets everything too.

    Args:
        cfg: the run's config.
        exp_dir: the experiment folder (holds the wandb run id, so a resumed run continues the same wandb run).
        tensorboard_dir: the tensorboard folder.
    """
    from tensorboardX import SummaryWriter

    writer = SummaryWriter(str(tensorboard_dir), flush_secs=10)
    if not flag_value(cfg, "with_wandb", TRACKING_ARGS):
        return writer
    from sf_curric.tracking.wandb_writer import WandbTee

    return WandbTee(writer, cfg, exp_dir)


def make_evaluator(
    cfg: argparse.Namespace, exp_dir: Path, writer: Any, best_eval_return: float = -math.inf, env_steps: int = 0
) -> Any:
    """A started `TrainingEvaluator`, or None when neither evaluation nor videos during training are on.

    Args:
        cfg: the run's config.
        exp_dir: the experiment folder.
        writer: the run's summary writer.
        best_eval_return: the best eval return of a resumed run.
        env_steps: env steps of a resumed run.

    Raises:
        TrackingConfigError: bad flags (one line naming the fix).
    """
    if cfg.eval_every_env_steps == 0 and cfg.video_every_env_steps == 0:
        return None
    from sf_curric.tracking.evaluator import TrainingEvaluator

    evaluator = TrainingEvaluator(cfg, exp_dir, writer, best_eval_return, env_steps)
    evaluator.start()
    return evaluator
