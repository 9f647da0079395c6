"""Tables and plots of `benchmarks/minigrid_curricula.py` (its result dict in, text and PNGs out)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np


def _num(x: float | None, digits: int = 2) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def _frames(s: dict[str, Any]) -> str:
    if s["n"] == 0:
        return "-"
    text = f"{s['mean'] / 1e6:.2f}M (median {s['median'] / 1e6:.2f}M)"
    if s["n"] >= 2:
        text += f" [{s['ci95_low'] / 1e6:.2f}, {s['ci95_high'] / 1e6:.2f}]"
    return text


def format_tables(result: dict[str, Any]) -> str:
    """One table per threshold (seeds mastered, frames to master) and one of the target's return at the end."""
    setting, target = result["setting"], result["target"]
    lines = [
        f"{len(result['env_ids'])} envs ({', '.join(result['env_ids'])}), target {target}, budget "
        f"{setting['steps'] / 1e6:g}M env steps, seeds {list(setting['seeds'])}",
    ]
    for threshold in result["thresholds"]:
        lines += ["", f"frames until the target's mean return (last 100 episodes) >= {threshold}:"]
        lines.append(f"{'method':<17}{'finished':>9}{'mastered':>10}  frames to master: mean (median) [95% t-interval]")
        for method, data in result["methods"].items():
            st = data["stats"]
            if st is None:
                lines.append(f"{method:<17}{'no runs yet':>9}")
                continue
            mastered = f"{st[f'mastered_{threshold}']}/{st['seeds']}"
            frames = _frames(st[f"frames_to_{threshold}"])
            lines.append(f"{method:<17}{st['finished']:>6}/{st['seeds']:<2}{mastered:>10}  {frames}")
    lines += [
        "",
        "target's mean return (last 100 episodes) at each run's last summary: mean [95% t-interval]; per seed",
    ]
    for method, data in result["methods"].items():
        st = data["stats"]
        if st is None:
            continue
        fr = st["final_return"]
        per_seed = ", ".join(
            f"{seed}: {_num(run['numbers']['final_return'])} at {run['numbers']['env_steps'] / 1e6:.2f}M"
            for seed, run in data["runs"].items()
        )
        lines.append(f"{method:<17}{_num(fr['mean'])} [{_num(fr['ci95_low'])}, {_num(fr['ci95_high'])}]   {per_seed}")
    return "\n".join(lines)


def _mean_band(curves: list[dict[str, list]], grid: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean over runs on `grid` (each curve held at its last value after its end, 0 before its first point) and a
    95 % t-band."""
    from sf_curric.evaluation.stats import t_quantile

    rows = []
    for c in curves:
        steps, values = np.asarray(c["steps"], dtype=float), np.asarray(c["values"], dtype=float)
        if len(steps) == 0:
            rows.append(np.zeros_like(grid))
            continue
        row = np.interp(grid, steps, values, left=0.0, right=values[-1])
        rows.append(row)
    data = np.asarray(rows)
    mean = data.mean(axis=0)
    if len(data) < 2:
        return mean, mean, mean
    half = t_quantile(0.975, len(data) - 1) * data.std(axis=0, ddof=1) / math.sqrt(len(data))
    return mean, mean - half, mean + half


def _pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print('no plots: pip install "sf_curric[plots]"')
        return None
    return plt


def plot_target(result: dict[str, Any], path: Path) -> None:
    """The target env's return against env steps, one line per method (mean over seeds, 95 % t-band)."""
    plt = _pyplot()
    if plt is None:
        return
    grid = np.linspace(0, result["setting"]["steps"], 200)
    fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=110)
    for method, data in result["methods"].items():
        curves = [run["curves"].get(result["target"], {"steps": [], "values": []}) for run in data["runs"].values()]
        if not curves:
            continue
        mean, low, high = _mean_band(curves, grid)
        (line,) = ax.plot(grid, mean, label=f"{method} ({len(curves)} seeds)")
        ax.fill_between(grid, low, high, color=line.get_color(), alpha=0.2, linewidth=0)
    for threshold in result["thresholds"]:
        ax.axhline(threshold, color="grey", linestyle=":", linewidth=1)
    ax.set_xlabel("env steps (frames)")
    ax.set_ylabel(f"return on {result['target'].removeprefix('MiniGrid-')}")
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_tasks(result: dict[str, Any], path: Path) -> None:
    """Every env's return against env steps for each method (one panel per env)."""
    plt = _pyplot()
    if plt is None:
        return
    env_ids = result["env_ids"]
    cols = min(3, len(env_ids))
    rows = math.ceil(len(env_ids) / cols)
    grid = np.linspace(0, result["setting"]["steps"], 200)
    fig, axes = plt.subplots(rows, cols, figsize=(4.0 * cols, 2.8 * rows), dpi=100, squeeze=False)
    for ax, env_id in zip(axes.flat, env_ids):
        for method, data in result["methods"].items():
            curves = [run["curves"][env_id] for run in data["runs"].values() if env_id in run["curves"]]
            if curves:
                ax.plot(grid, _mean_band(curves, grid)[0], label=method)
        ax.set_title(env_id.removeprefix("MiniGrid-"), fontsize=9)
        ax.set_ylim(0, 1)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(env_ids) :]:
        ax.axis("off")
    if axes.flat[0].get_legend_handles_labels()[0]:
        axes.flat[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
