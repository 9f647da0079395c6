"""`WandbTee`: the run's tensorboardX writer, with every scalar, image and video also logged to Weights & Biases.

All wandb rows carry `global_step` (env steps) and wandb's charts use it as their x axis, so results that arrive
late (an evaluation of the policy of an earlier step) land at their own step. The wandb run id is kept in
`<experiment>/wandb_run_id.txt`: a resumed experiment continues the same wandb run.
"""

from __future__ import annotations

import argparse
import logging
import os
import uuid
from pathlib import Path
from typing import Any

import numpy as np

from sf_curric.cfg.validation import ConfigError

log = logging.getLogger("sf_curric")

RUN_ID_FILE = "wandb_run_id.txt"
STEP_KEY = "global_step"


def import_wandb() -> Any:
    """The wandb module.

    Raises:
        ConfigError: wandb is not installed (one line naming the extra).
    """
    try:
        import wandb
    except ImportError:
        raise ConfigError('--with_wandb needs wandb: pip install "sf_curric[wandb]"') from None
    return wandb


def wandb_run_id(exp_dir: Path, new_id: str) -> str:
    """The experiment's wandb run id: the saved one, else `new_id` (saved now).

    Args:
        exp_dir: the experiment folder.
        new_id: the id of a new run.
    """
    path = Path(exp_dir) / RUN_ID_FILE
    if path.exists() and path.read_text().strip():
        return path.read_text().strip()
    path.write_text(new_id + "\n")
    return new_id


class WandbTee:
    """Writes to a tensorboardX `SummaryWriter` and to a wandb run.

    Args:
        writer: the tensorboardX writer.
        cfg: the run's config (the `--wandb_*` flags; the whole config goes to wandb's run config).
        exp_dir: the experiment folder.

    Raises:
        ConfigError: wandb is not installed.
    """

    def __init__(self, writer: Any, cfg: argparse.Namespace, exp_dir: Path):
        wandb = import_wandb()
        self.tb = writer
        self._wandb = wandb
        run_id = wandb_run_id(exp_dir, uuid.uuid4().hex[:8])
        config = {k: v for k, v in vars(cfg).items() if k != "cli_args"}
        self.run = wandb.init(
            project=cfg.wandb_project,
            entity=cfg.wandb_user,
            group=cfg.wandb_group or cfg.env,
            job_type=cfg.wandb_job_type,
            tags=list(cfg.wandb_tags or []),
            name=cfg.experiment,
            id=run_id,
            resume="allow",
            config=config,
            dir=str(exp_dir),
            # read WANDB_MODE now: wandb's process-wide settings keep the mode of the first run in this process
            mode=os.environ.get("WANDB_MODE") or None,
        )
        self.run.define_metric(STEP_KEY)
        self.run.define_metric("*", step_metric=STEP_KEY)
        self._row: dict[str, Any] = {}
        self._row_step: int | None = None
        log.info("wandb: run %s (project %s), files in %s", run_id, cfg.wandb_project, self.run.dir)

    # ---- rows ----------------------------------------------------------------------------------------------

    def _put(self, tag: str, value: Any, step: int) -> None:
        if self._row_step is not None and step != self._row_step:
            self._flush_row()
        self._row_step = int(step)
        self._row[tag] = value

    def _flush_row(self) -> None:
        if self._row and self._row_step is not None:
            self.run.log({**self._row, STEP_KEY: self._row_step})
        self._row, self._row_step = {}, None

    # ---- the SummaryWriter methods sf_curric uses ----------------------------------------------------------

    def add_scalar(self, tag: str, value: float, step: int) -> None:
        """A scalar, to both."""
        self.tb.add_scalar(tag, value, step)
        self._put(tag, float(value), step)

    def add_image(self, tag: str, image: np.ndarray, step: int, dataformats: str = "HWC") -> None:
        """An RGB uint8 image `[H, W, 3]` (HWC), to both."""
        from sf_curric.tracking.curriculum_images import add_image

        if dataformats != "HWC":
            raise ValueError(f"WandbTee.add_image takes HWC images, got dataformats={dataformats!r}")
        add_image(self.tb, tag, image, step)
        self._put(tag, self._wandb.Image(np.asarray(image)), step)

    def add_histogram(self, tag: str, values: Any, step: int, **kwargs: Any) -> None:
        """A histogram of values, to both."""
        self.tb.add_histogram(tag, values, step, **kwargs)
        self._put(tag, self._wandb.Histogram(np.asarray(values)), step)

    def add_histogram_raw(self, tag: str, *args: Any, **kwargs: Any) -> None:
        """A pre-binned histogram: tensorboard only (its charts are tensorboard's)."""
        self.tb.add_histogram_raw(tag, *args, **kwargs)

    def add_video_file(self, tag: str, mp4: str, gif: str | None, fps: int, step: int) -> None:
        """A recorded episode: the GIF to tensorboard, the mp4 to wandb."""
        from sf_curric.tracking.video import add_gif

        add_gif(self.tb, tag, gif, step)
        self._put(tag, self._wandb.Video(mp4, format="mp4"), step)

    def flush(self) -> None:
        """Write what is buffered."""
        self._flush_row()
        self.tb.flush()

    def close(self) -> None:
        """Flush, close the tensorboard writer and finish the wandb run."""
        self.flush()
        self.tb.close()
        self.run.finish()
