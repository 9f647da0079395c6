"""Curriculum metrics to wandb (`Curriculum(..., use_wandb=True)`, seed 003's option); wandb is an optional extra."""

from __future__ import annotations

import logging
from typing import Any, Dict

from sf_curric.errors import install_command

_log = logging.getLogger(__name__)

_warned_no_run = False


def require_wandb() -> Any:
    """The wandb module, or a one-line ImportError naming the extra."""
    try:
        import wandb
    except ImportError:
        raise ImportError(f"use_wandb=True needs wandb: {install_command('wandb')}") from None
    return wandb


def log(metrics: Dict[str, float], step: int | None = None) -> None:
    """Log curriculum metrics to the current wandb run; without a run (no `wandb.init()` in this process), warn
    once and skip: a curriculum must not stop training over logging."""
    global _warned_no_run
    wandb = require_wandb()
    if wandb.run is None:
        if not _warned_no_run:
            _warned_no_run = True
            _log.warning(
                "use_wandb=True but there is no wandb run in this process: call wandb.init() where the curriculum "
                "lives (the main process for make_multiprocessing_curriculum); curriculum metrics are not logged"
            )
        return
    # commit=False: the metrics join the user's next wandb.log, so they never disturb the run's step counter
    wandb.log(dict(metrics), step=step, commit=False)
