"""The generalization curve of evaluation during training: eval return per task group over env steps, as PNG and PDF."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from sf_curric.errors import install_command

log = logging.getLogger("sf_curric")

CURVE_FILE = "eval_curve.png"


def _band(entry: dict[str, Any], group: str, mean: float) -> tuple[float, float]:
    """The entry's bootstrap interval of `group`'s mean return; none (the mean itself) when it has none (one
    episode, or a history line written before intervals were kept)."""
    interval = entry.get("intervals", {}).get(group)
    return (float(interval[0]), float(interval[1])) if interval else (mean, mean)


def plot_eval_curve(history: list[dict[str, Any]], path: Path | str, title: str = "") -> Path | None:
    """Draw `eval/<group>/return` over env steps, one line per group, with the 95 % percentile-bootstrap interval
    of the mean over the episodes (`history_entry`'s "intervals": inside the returns' range), into `path` (PNG)
    and beside it as PDF.

    Args:
        history: one dict per evaluation: {"env_steps": int, "scalars": {tag: value}, "intervals": {group:
            [low, high]}}, oldest first.
        path: the PNG file (written atomically, as is the PDF).
        title: the plot title.

    Returns:
        The PNG's path, or None when matplotlib is missing (the `plots` extra) or there is nothing to draw.
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
    fig, ax = plt.subplots(figsize=(6.4, 3.6), dpi=150)
    for group in groups:
        entries = [h for h in history if f"eval/{group}/return" in h["scalars"]]
        steps = [h["env_steps"] for h in entries]
        means = [h["scalars"][f"eval/{group}/return"] for h in entries]
        low, high = zip(*(_band(h, group, m) for h, m in zip(entries, means)))
        episodes = int(entries[-1]["scalars"].get(f"eval/{group}/episodes", 0))
        ax.plot(steps, means, marker="o", markersize=3, label=f"{group} ({episodes} episodes)" if episodes else group)
        ax.fill_between(steps, low, high, alpha=0.2)
    ax.set_xlabel("env steps")
    ax.set_ylabel("eval return\n(mean over episodes, 95% bootstrap CI)", fontsize=9)
    ax.set_title(title or "evaluation during training", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, title="task group", title_fontsize=8)
    fig.tight_layout()
    for out in (path, path.with_suffix(".pdf")):
        tmp = out.with_name(f".{out.name}.tmp{out.suffix}")
        fig.savefig(tmp)
        tmp.replace(out)
    plt.close(fig)
    return path
