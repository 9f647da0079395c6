"""The newest value of every scalar the run logs, so that `--save_best_metric` can name any of them."""

from __future__ import annotations

from typing import Any


class RecordingWriter:
    """Wraps the run's summary writer: `add_scalar` also keeps the newest value of each tag in `latest`; everything
    else goes to the wrapped writer unchanged.

    Args:
        writer: a tensorboardX `SummaryWriter` (or the wandb tee around one).

    Example:
        >>> writer = RecordingWriter(SummaryWriter(logdir))
        >>> writer.add_scalar("eval/test/return", 0.7, 4096)
        >>> writer.latest["eval/test/return"]
        0.7
    """

    def __init__(self, writer: Any):
        self.writer = writer
        self.latest: dict[str, float] = {}

    def add_scalar(self, tag: str, value: Any, global_step: Any = None, *args: Any, **kwargs: Any) -> Any:
        self.latest[tag] = float(value)
        return self.writer.add_scalar(tag, value, global_step, *args, **kwargs)

    def value_of(self, metric: str) -> float | None:
        """The newest value logged as `metric`, or as `custom/<metric>` (an env's own episode statistic, as Sample
        Factory names them); None before it was logged."""
        for tag in (metric, f"custom/{metric}"):
            if tag in self.latest:
                return self.latest[tag]
        return None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.writer, name)
