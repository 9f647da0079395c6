"""`python -m sf_curric.report SWEEP_DIR`: statistics across seeds of every method of a sweep.

For each scalar (the training return `charts/episodic_return` and every held-out `eval/*` outcome the runs logged
during training, `--eval_every_env_steps`: eval/<group>/return, terminated, length, ..., eval/gap): per method the
mean and the IQM over seeds with rliable's stratified-bootstrap 95 % intervals, at the final step and over training
(each run's curve averaged over a common grid of env steps), the probability of improvement of every method over
every other, and learning curves with interval bands. A method with fewer than 3 runs gets point estimates only,
with a warning (an interval from 1-2 seeds says nothing). Writes `report.json`, `summary.csv`, `improvement.csv`,
`curves.csv` and one PNG and one PDF per scalar into `SWEEP_DIR/report` (or `--out`).

    python -m sf_curric.report train_dir/my_sweep
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from sf_curric.cfg.validation import ConfigError
from sf_curric.sweeps.events import RunCurves, find_runs
from sf_curric.sweeps.stats import (
    MIN_RUNS,
    converse,
    interval_estimable,
    probability_of_improvement,
    rliable_modules,
    summarize,
    summarize_curve,
)

TRAIN_RETURN = "charts/episodic_return"


def build_parser() -> argparse.ArgumentParser:
    """The report's flags."""
    p = argparse.ArgumentParser(prog="python -m sf_curric.report", description=__doc__.split("\n")[0])
    p.add_argument("sweep_dir", type=Path, help="The sweep's folder (<train_dir>/<run_name>).")
    p.add_argument("--out", type=Path, default=None, help="Output folder (default: SWEEP_DIR/report).")
    p.add_argument(
        "--tags",
        nargs="+",
        default=None,
        help=f"Scalars to report (default: {TRAIN_RETURN} and every eval/* one but eval/*/episodes and "
        "eval/*/return_std).",
    )
    p.add_argument("--points", type=int, default=25, help="Points of the common env-step grid of the curves.")
    p.add_argument("--reps", type=int, default=2000, help="Bootstrap samples per interval.")
    p.add_argument("--seed", type=int, default=0, help="Seed of the bootstrap (the report is reproducible).")
    return p


def default_tags(present: Sequence[str]) -> list[str]:
    """The training return and every held-out `eval/*` outcome among `present`; not an evaluation's bookkeeping
    (`eval/<group>/episodes`, a constant count, and `eval/<group>/return_std`, the spread within one run)."""
    bookkeeping = ("/episodes", "/return_std")
    return [t for t in present if t == TRAIN_RETURN or (t.startswith("eval/") and not t.endswith(bookkeeping))]


def step_grid(runs: Sequence[RunCurves], tag: str, points: int) -> np.ndarray:
    """Env steps every run of `tag` covers: `points` steps from the latest first step to the earliest last step.

    Args:
        runs: the runs that logged `tag`.
        tag: the scalar.
        points: grid size.
    """
    start = max(int(r.scalars[tag][0][0]) for r in runs)
    end = min(int(r.scalars[tag][0][-1]) for r in runs)
    if end <= start:
        return np.array([end], dtype=float)
    return np.linspace(start, end, points)


def tag_report(runs: Sequence[RunCurves], tag: str, points: int, reps: int, rng: np.random.Generator) -> dict:
    """Final, over-training and curve statistics of one scalar, per method, and the probabilities of improvement.

    Args:
        runs: all runs (those without `tag` are left out).
        tag: the scalar.
        points: grid size of the curves.
        reps: bootstrap samples.
        rng: the random generator.
    """
    runs = [r for r in runs if tag in r.scalars]
    grid = step_grid(runs, tag, points)
    methods = sorted({r.method for r in runs})
    final, over, curve_scores = {}, {}, {}
    for m in methods:
        mine = [r for r in runs if r.method == m]
        final[m] = np.array([r.scalars[tag][1][-1] for r in mine])
        curve_scores[m] = np.stack([np.interp(grid, *r.scalars[tag]) for r in mine])  # (runs, points)
        over[m] = curve_scores[m].mean(axis=1)
    out: dict[str, Any] = {"tag": tag, "grid": grid.tolist(), "methods": {}, "improvement": [], "warnings": []}
    for m in methods:
        if not interval_estimable(len(final[m])):
            out["warnings"].append(
                f"{m}: {len(final[m])} run(s), fewer than {MIN_RUNS} seeds: no 95% interval is estimated for it "
                "(point estimates only); run more seeds"
            )
        out["methods"][m] = {
            "label": next(r.label or m for r in runs if r.method == m),
            "runs": [r.name for r in runs if r.method == m],
            "final_steps": [int(r.scalars[tag][0][-1]) for r in runs if r.method == m],
            "final": summarize(final[m], reps, rng),
            "over_training": summarize(over[m], reps, rng),
            "curve": summarize_curve(curve_scores[m], reps, rng),
        }
    improvement = {}
    for i, x in enumerate(methods):
        for y in methods[i + 1 :]:
            for when, scores in (("final", final), ("over_training", over)):
                improvement[x, y, when] = probability_of_improvement(scores[x], scores[y], reps, rng)
                improvement[y, x, when] = converse(improvement[x, y, when])
    for x in methods:
        for y in methods:
            if x != y:
                for when in ("final", "over_training"):
                    out["improvement"].append({"x": x, "y": y, "when": when, **improvement[x, y, when]})
    return out


def _interval(low: float | None, high: float | None, digits: str = ".4g") -> str:
    if low is None or high is None:
        return f"[no interval: < {MIN_RUNS} runs]"
    return f"[{low:{digits}}, {high:{digits}}]"


def _fmt(s: dict[str, Any], key: str) -> str:
    return f"{s[key]:.4g} {_interval(s[key + '_low'], s[key + '_high'])}"


def report_warnings(reports: Sequence[dict]) -> list[str]:
    """Every tag's warnings once, in order (a method with too few runs is usually short of them on every tag)."""
    return list(dict.fromkeys(w for rep in reports for w in rep["warnings"]))


def format_tables(reports: Sequence[dict]) -> str:
    """The printed tables: one per scalar, then the probabilities of improvement; warnings first."""
    lines = [f"warning: {w}" for w in report_warnings(reports)]
    for rep in reports:
        lines.append(f"\n{rep['tag']}: mean and IQM over seeds [95% stratified-bootstrap CI]")
        lines.append(f"{'method':<32} {'runs':>4}  {'final mean':>28}  {'final IQM':>28}  {'IQM over training':>28}")
        for m, s in rep["methods"].items():
            lines.append(
                f"{m:<32} {s['final']['runs']:>4}  {_fmt(s['final'], 'mean'):>28}  {_fmt(s['final'], 'iqm'):>28}  "
                f"{_fmt(s['over_training'], 'iqm'):>28}"
            )
        for poi in rep["improvement"]:
            interval = _interval(poi["low"], poi["high"], ".3f")
            lines.append(f"  P({poi['x']} > {poi['y']}) {poi['when']}: {poi['p']:.3f} {interval}")
    return "\n".join(lines)


def _slug(tag: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", tag).strip("_")


def write_outputs(reports: Sequence[dict], out: Path, title: str = "") -> None:
    """report.json, summary.csv, improvement.csv, curves.csv and one PNG and PDF per scalar.

    Args:
        reports: one dict per scalar (`tag_report`).
        out: the output folder.
        title: what the figures' titles start with (the sweep's name).
    """
    from sf_curric.sweeps.plots import metric_label, plot_curves

    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(list(reports), indent=1) + "\n")
    keys = ("runs", "mean", "mean_low", "mean_high", "iqm", "iqm_low", "iqm_high")
    with open(out / "summary.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["tag", "method", "when", *keys])
        for rep in reports:
            for m, s in rep["methods"].items():
                for when in ("final", "over_training"):
                    w.writerow([rep["tag"], m, when, *(s[when][k] for k in keys)])
    with open(out / "improvement.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["tag", "x", "y", "when", "p", "low", "high"])
        for rep in reports:
            for poi in rep["improvement"]:
                w.writerow([rep["tag"], poi["x"], poi["y"], poi["when"], poi["p"], poi["low"], poi["high"]])
    with open(out / "curves.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["tag", "method", "env_steps", "mean", "iqm", "iqm_low", "iqm_high"])
        for rep in reports:
            for m, s in rep["methods"].items():
                c = s["curve"]
                for i, step in enumerate(rep["grid"]):
                    w.writerow([rep["tag"], m, step, c["mean"][i], c["iqm"][i], c["iqm_low"][i], c["iqm_high"][i]])
    for rep in reports:
        curves = {
            m: {"steps": rep["grid"], "runs": s["final"]["runs"], "label": s["label"], **s["curve"]}
            for m, s in rep["methods"].items()
        }
        plot_title = f"{title}: {metric_label(rep['tag'])}" if title else ""
        plot_curves(curves, rep["tag"], out / f"{_slug(rep['tag'])}.png", plot_title)


def report(argv: Sequence[str] | None = None) -> list[dict]:
    """Read the sweep, print the tables, write the files; returns one dict per scalar (what report.json holds).

    Args:
        argv: arguments without the program name, e.g. `["train_dir/my_sweep"]`.

    Example:
        >>> reports = report(["train_dir/my_sweep", "--reps=5000"])
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    rliable_modules()  # a missing report extra stops here, in one line, before any file is read
    if not args.sweep_dir.is_dir():
        parser.error(f"{args.sweep_dir} is not a folder; pass the sweep's folder (<train_dir>/<run_name>)")
    runs = find_runs(args.sweep_dir)
    if not runs:
        parser.error(f"no tensorboard event files under {args.sweep_dir}; launch the sweep first")
    present = sorted({t for r in runs for t in r.scalars})
    tags = args.tags or default_tags(present)
    missing = [t for t in tags if t not in present]
    if missing:
        parser.error(f"no run logged {', '.join(missing)}; scalars found: {', '.join(present)}")
    rng = np.random.default_rng(args.seed)
    reports = [tag_report(runs, tag, args.points, args.reps, rng) for tag in tags]
    print(f"sf_curric.report: {len(runs)} runs of {len({r.method for r in runs})} methods in {args.sweep_dir}")
    print(format_tables(reports))
    out = args.out or args.sweep_dir / "report"
    write_outputs(reports, out, title=args.sweep_dir.resolve().name)
    print(f"\nwritten: {out}/report.json, summary.csv, improvement.csv, curves.csv and a PNG and a PDF per scalar")
    return reports


def main() -> int:
    """Entry point of `python -m sf_curric.report`; a bad sweep folder or a missing extra is one line, exit 2."""
    try:
        report()
    except ConfigError as e:
        print(f"sf_curric.report: error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
