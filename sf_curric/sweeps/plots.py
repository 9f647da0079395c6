"""Learning curves per method with their 95 % interval bands (matplotlib, written as PNG)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sf_curric.sweeps.stats import needs_report_extra


def plot_curves(curves: dict[str, dict[str, Any]], tag: str, path: Path) -> Path:
    """One figure: IQM per method against env steps, with the stratified-bootstrap 95 % band.

    Args:
        curves: method -> {"steps", "iqm", "iqm_low", "iqm_high", "runs"} (lists of equal length).
        tag: the scalar's tag (the y label).
        path: the PNG to write.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise needs_report_extra("matplotlib") from None
    fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=110)
    for method, c in curves.items():
        (line,) = ax.plot(c["steps"], c["iqm"], label=f"{method} ({c['runs']} runs)")
        ax.fill_between(c["steps"], c["iqm_low"], c["iqm_high"], color=line.get_color(), alpha=0.25, linewidth=0)
    ax.set_xlabel("env steps")
    ax.set_ylabel(f"{tag} (IQM, 95% CI)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
