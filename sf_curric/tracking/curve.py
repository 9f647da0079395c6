"""The generalization curve of evaluation during training: eval return per task group over env steps, as a PNG."""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any

from sf_curric.utils.extras import install_command

log = logging.getLogger("sf_curric")

CURVE_FILE = "eval_curve.png"


def _half_width(scalars: dict[str, float], group: str) -> float:
    std = scalars.get(f"eval/{group}/return_std", 0.0)
    n = scalars.get(f"eval/{group}/episodes", 0.0)
    if not (std == std) or n < 2:  # nan std or unknown count: no band
        return 0.0
    return 1.96 * std / math.sqrt(n)


def plot_eval_curve(history: list[dict[str, Any]], path: Path | str, title: str = "") -> Path | None:
    """Draw `eval/<group>/return` over env steps, one line per group, with a normal-approximation 95 % interval of
    the mean (from `return_std` and `episodes`), into `path`.

    Args:
        history: one dict per evaluation: {"env_steps": int, "scalars": {tag: value}}, oldest first.
        path: the PNG file (written atomically).
        title: the plot title.

    Returns:
        The path, or None when matplotlib is missing (the `plots` extra) or there is nothing to draw.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib import pyplot as plt
    except ImportError:
        log.info("eval curve: no PNG without matplotlib: %s", install_command("plots"))
        return None
    groups = sorted({tag.split("/")[1] for h in history for tag in h["scalars"] if tag.endswith("/return")})
    if not groups:
        return None
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(6.4, 3.6), dpi=100)
    for group in groups:
        points = [(h["env_steps"], h["scalars"][f"eval/{group}/return"], _half_width(h["scalars"], group))
                  for h in history if f"eval/{group}/return" in h["scalars"]]  # fmt: skip
        steps, means, half = (list(column) for column in zip(*points))
        ax.plot(steps, means, marker="o", markersize=3, label=group)
        ax.fill_between(steps, [m - w for m, w in zip(means, half)], [m + w for m, w in zip(means, half)], alpha=0.2)
    ax.set_xlabel("env steps")
    ax.set_ylabel("eval return (mean, 95% interval)")
    ax.set_title(title or "evaluation during training")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp)
    plt.close(fig)
    tmp.replace(path)
    return path
