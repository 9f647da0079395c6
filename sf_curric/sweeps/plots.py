"""Learning curves per method with their 95 % interval bands, as a paper uses them: a readable axis label and
title, the experiments' names in the legend, written as PNG and PDF (matplotlib)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sf_curric.errors import ConfigError, install_command

# what the tags the trainer and the evaluation during training log mean (docs/metrics.md)
_TRAIN_TAGS = {
    "charts/episodic_return": "training return",
    "charts/episodic_length": "training episode length",
    "charts/task_completion": "training task completion",
}
_EVAL_METRICS = {
    "return": "return",
    "terminated": "share of episodes ending in a terminal state",
    "success": "success rate",
    "length": "episode length",
    "task_completion": "task completion",
}
_EVAL_GROUPS = {"train": "training tasks", "test": "held-out tasks", "all": "all tasks"}


def metric_label(tag: str) -> str:
    """What a logged tag measures, in words: `eval/test/return` -> `return on held-out tasks`.

    Args:
        tag: a tensorboard tag (`charts/*`, `eval/<group>/<metric>`, `eval/gap`, or any other).

    Example:
        >>> metric_label("eval/train/terminated")
        'share of episodes ending in a terminal state on training tasks'
    """
    if tag in _TRAIN_TAGS:
        return _TRAIN_TAGS[tag]
    if tag == "eval/gap":
        return "generalization gap (return on training minus held-out tasks)"
    match = re.fullmatch(r"eval/([^/]+)/(.+)", tag)
    if match:
        group, metric = match.groups()
        group_text = _EVAL_GROUPS.get(group, f"{group.replace('_', ' ')} tasks")
        return f"{_EVAL_METRICS.get(metric, metric.replace('_', ' '))} on {group_text}"
    return tag


def legend_entry(label: str, runs: int, has_band: bool) -> str:
    """`label (n=5)`; `label (n=2, no interval)` for a method with too few runs for a band."""
    return f"{label} (n={runs})" if has_band else f"{label} (n={runs}, no interval)"


def plot_curves(curves: dict[str, dict[str, Any]], tag: str, path: Path, title: str = "") -> list[Path]:
    """One figure: IQM per method against env steps, with the stratified-bootstrap 95 % band; written to `path`
    (PNG) and beside it as PDF.

    Args:
        curves: method -> {"steps", "iqm", "iqm_low", "iqm_high", "runs", "label"} (lists of equal length; the
            bounds None where the method has too few runs for an interval).
        tag: the scalar's tag (its label is the y axis).
        path: the PNG to write (the PDF gets the same name with `.pdf`).
        title: the figure's title (default: what the tag measures).

    Returns:
        The PNG and the PDF.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ConfigError(f"the report's plots need matplotlib: {install_command('report')}") from None
    fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=150)
    for method, c in curves.items():
        has_band = all(v is not None for v in (*c["iqm_low"], *c["iqm_high"]))
        label = legend_entry(c.get("label") or method, c["runs"], has_band)
        (line,) = ax.plot(c["steps"], c["iqm"], label=label)
        if has_band:
            ax.fill_between(c["steps"], c["iqm_low"], c["iqm_high"], color=line.get_color(), alpha=0.25, linewidth=0)
    ax.set_xlabel("env steps")
    ax.set_ylabel(f"{metric_label(tag)}\n(IQM over runs, 95% bootstrap CI)", fontsize=9)
    ax.set_title(title or metric_label(tag), fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    written = [path, path.with_suffix(".pdf")]
    for out in written:
        fig.savefig(out)
    plt.close(fig)
    return written
