"""Tables and plots of the curriculum efficacy benchmark (`curriculum_efficacy.py`), from what its `collect` returns.

Plain functions of the result dict, so that finished runs can be re-reported without training.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

METHODS = ("dr", "plr", "robust_plr", "accel", "learnability")
LABELS = {
    "dr": "domain randomization", "plr": "PLR", "robust_plr": "Robust PLR", "accel": "ACCEL",
    "learnability": "learnability",
}  # fmt: skip


def format_curve_table(result: dict[str, Any]) -> str:
    """Test return at every evaluation point: per method mean [95 % interval over seeds], and PLR - DR (Welch).

    Args:
        result: what `collect` returned.
    """
    from sf_curric.evaluation.stats import welch_gap

    def per_seed(method: str, steps: int) -> list[float]:
        runs = result["runs"][method].values()
        return [p["test_mean"] for pts in runs for p in pts if p["target_steps"] == steps]

    def interval(s: dict[str, Any]) -> str:
        return f"{_fmt(s['mean'])} [{_fmt(s['ci95_low'])}, {_fmt(s['ci95_high'])}]"

    lines = [
        "test return (held-out levels) at every evaluation point; mean [95% t-interval over seeds]",
        f"{'env steps':>10}   {'DR':>22}   {'PLR':>22}   {'PLR - DR (Welch)':>24}   separate",
    ]
    for dr, plr in zip(result["curves"]["dr"], result["curves"]["plr"]):
        steps = dr["target_steps"]
        a, b = per_seed("plr", steps), per_seed("dr", steps)
        diff = welch_gap(a, b).as_dict() if len(a) > 1 and len(b) > 1 else None
        separate = intervals_separate(plr["test"], dr["test"])
        lines.append(
            f"{steps:>10,}   {interval(dr['test']):>22}   {interval(plr['test']):>22}   "
            f"{interval({**diff, 'mean': diff['value']}) if diff else '-':>24}   {separate}"
        )
    return "\n".join(lines)


def intervals_separate(a: dict[str, Any], b: dict[str, Any]) -> bool | None:
    """Whether two 95 % intervals do not overlap (None when either is undefined, e.g. one seed)."""
    bounds = (a["ci95_low"], a["ci95_high"], b["ci95_low"], b["ci95_high"])
    if not all(x is not None and math.isfinite(x) for x in bounds):
        return None
    return a["ci95_low"] > b["ci95_high"] or b["ci95_low"] > a["ci95_high"]


def format_level_mix(mix: dict[str, Any]) -> str:
    """Table of `maze_level_mix`: share of draws per level type, uniform (DR) vs PLR at the end of training."""
    lines = [
        f"share of level draws by level type at the end of training (PLR: mean [min, max] over {mix['runs']} runs)",
        f"{'level type':<12} {'DR (uniform)':>12}   {'PLR':>22}",
    ]
    for k in mix["uniform"]:
        plr = f"{mix['plr_mean'][k]:.3f} [{mix['plr_min'][k]:.3f}, {mix['plr_max'][k]:.3f}]"
        lines.append(f"{k:<12} {mix['uniform'][k]:>12.3f}   {plr:>22}")
    return "\n".join(lines)


def _fmt(x: float | None) -> str:
    return "-" if x is None or not math.isfinite(x) else f"{x:.3f}"


def format_table(result: dict[str, Any], final_step: int) -> str:
    """The terminal table: per method, train and test return at the last point (mean and 95 % interval over seeds).

    Args:
        result: what `collect` returned.
        final_step: the env-step budget.
    """
    lines = [
        f"return at {final_step:,} env steps; mean over seeds, 95% t-interval over seeds (each seed: mean of its "
        "eval episodes)",
        f"{'method':<13} {'seeds':>5}   {'train mean':>10} {'train 95% interval':>20}   {'test mean':>10} "
        f"{'test 95% interval':>20}",
    ]
    for method in result["summary"]:
        if "train" not in result["summary"][method] or "test" not in result["summary"][method]:
            continue  # no finished run
        tr, te = result["summary"][method]["train"], result["summary"][method]["test"]
        lines.append(
            f"{method:<13} {te['n']:>5}   {_fmt(tr['mean']):>10} "
            f"{'[' + _fmt(tr['ci95_low']) + ', ' + _fmt(tr['ci95_high']) + ']':>20}   {_fmt(te['mean']):>10} "
            f"{'[' + _fmt(te['ci95_low']) + ', ' + _fmt(te['ci95_high']) + ']':>20}"
        )
    d = result["plr_minus_dr_test"]
    lines.append(
        f"test return PLR - DR: {_fmt(d['value'])}, 95% interval (Welch, over seeds) "
        f"[{_fmt(d['ci95_low'])}, {_fmt(d['ci95_high'])}]; test intervals separate: {result['test_intervals_separate']}"
    )
    return "\n".join(lines)


def plot_curves(result: dict[str, Any], group: str, path: Path, title: str, xlabel: str = "env steps") -> None:
    """Draw `group` return vs env steps, mean over seeds with the 95 % band, one line per method (OpenCV, no
    matplotlib needed).

    Args:
        result: what `collect` returned.
        group: "test" or "train".
        path: the PNG to write.
        title: the title line.
    """
    import cv2
    import numpy as np

    width, height, left, right, top, bottom = 800, 500, 80, 20, 50, 60
    img = np.full((height, width, 3), 255, np.uint8)
    colors = {  # BGR: blue, orange, green, red, purple
        "dr": (180, 119, 31), "plr": (14, 127, 255), "robust_plr": (44, 160, 44), "accel": (40, 39, 214),
        "learnability": (189, 103, 148),
    }  # fmt: skip
    series = {}
    for method in result["curves"]:
        pts = [
            (c["target_steps"], c[group]["mean"], c[group]["ci95_low"], c[group]["ci95_high"])
            for c in result["curves"][method]
            if c[group]["n"] > 0
        ]
        series[method] = pts
    values = [v for pts in series.values() for p in pts for v in p[1:] if v is not None and math.isfinite(v)]
    steps = [p[0] for pts in series.values() for p in pts]
    if not values or not steps:
        return
    y0, y1 = min(0.0, min(values)), max(values) * 1.05 or 1.0
    x1 = max(steps)

    def xy(step: float, value: float) -> tuple[int, int]:
        x = left + (width - left - right) * step / x1
        y = height - bottom - (height - top - bottom) * (value - y0) / (y1 - y0)
        return int(round(x)), int(round(y))

    font = cv2.FONT_HERSHEY_SIMPLEX
    cv2.rectangle(img, (left, top), (width - right, height - bottom), (0, 0, 0), 1)
    for k in range(6):
        value = y0 + (y1 - y0) * k / 5
        _, y = xy(0, value)
        cv2.line(img, (left - 5, y), (left, y), (0, 0, 0), 1)
        cv2.putText(img, f"{value:.2f}", (10, y + 5), font, 0.45, (0, 0, 0), 1, cv2.LINE_AA)
    for k in range(6):
        step = x1 * k / 5
        x, _ = xy(step, y0)
        cv2.line(img, (x, height - bottom), (x, height - bottom + 5), (0, 0, 0), 1)
        cv2.putText(
            img,
            f"{step / 1e6:.2f}M" if x1 >= 1e6 else f"{step / 1e3:.0f}k",
            (x - 20, height - bottom + 22),
            font,
            0.45,
            (0, 0, 0),
            1,
            cv2.LINE_AA,
        )
    (text_w, _), _ = cv2.getTextSize(xlabel, font, 0.5, 1)
    cv2.putText(img, xlabel, (width // 2 - text_w // 2, height - 12), font, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
    cv2.putText(img, title, (left, 30), font, 0.55, (0, 0, 0), 1, cv2.LINE_AA)
    for i, method in enumerate(series):
        pts = series[method]
        band = [p for p in pts if math.isfinite(p[2]) and math.isfinite(p[3])]
        if len(band) >= 2:
            poly = [xy(p[0], p[3]) for p in band] + [xy(p[0], p[2]) for p in reversed(band)]
            overlay = img.copy()
            cv2.fillPoly(overlay, [np.array(poly, np.int32)], colors[method])
            img = cv2.addWeighted(overlay, 0.2, img, 0.8, 0)
        line = [xy(p[0], p[1]) for p in pts]
        if len(line) >= 2:
            cv2.polylines(img, [np.array(line, np.int32)], False, colors[method], 2, cv2.LINE_AA)
        for p in line:
            cv2.circle(img, p, 3, colors[method], -1)
        cv2.line(img, (left + 15, top + 20 + 22 * i), (left + 45, top + 20 + 22 * i), colors[method], 2)
        label = LABELS[method] + " (mean, 95% band over seeds)"
        cv2.putText(img, label, (left + 52, top + 25 + 22 * i), font, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), img)


def format_group_table(result: dict[str, Any], group: str, title: str) -> str:
    """Final return on one eval group per method, and each method minus DR (Welch interval), with whether the 95 %
    intervals separate.

    Args:
        result: what `collect` returned.
        group: "test" or "hand" (the hand-designed mazes).
        title: first line.
    """
    lines = [title, f"{'method':<13} {'seeds':>5}   {'mean [95% interval]':>24}   {'minus DR (Welch)':>24}   separate"]
    for method, summary in result["summary"].items():
        s = summary.get(group)
        if not s:
            continue
        d = result.get("minus_dr", {}).get(method, {}).get(group)
        diff = f"{_fmt(d['value'])} [{_fmt(d['ci95_low'])}, {_fmt(d['ci95_high'])}]" if d else "-"
        sep = result.get("separate_from_dr", {}).get(method, {}).get(group, "-")
        interval = f"{_fmt(s['mean'])} [{_fmt(s['ci95_low'])}, {_fmt(s['ci95_high'])}]"
        lines.append(f"{method:<13} {s['n']:>5}   {interval:>24}   {diff:>24}   {sep}")
    return "\n".join(lines)
