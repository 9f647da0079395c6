"""The UED maze table: zero-shot solve rates on the 8 hand-designed mazes for DR, Robust PLR and ACCEL (PLR at the
gpu scale) trained on `ued_maze`, beside the papers' published numbers (benchmarks/ued_maze_published.py).

    python benchmarks/ued_maze_table.py --scale=gpu     # the papers' budget: 246M env steps x 4 methods x 5 seeds
    python benchmarks/ued_maze_table.py --scale=cpu     # 2 cores, ~60 min: 300k steps x 3 methods x 2 seeds
    python benchmarks/ued_maze_table.py --dry_run       # tiny: checks the pipeline in about a minute

A sweep (benchmarks/sweeps/ued_maze.py) run by the launcher's local backend: every run uses ued_maze's defaults
(jaxued's agent, PPO and curriculum settings) and evaluates itself during training on the hand-designed mazes
(`--eval_test_level_set=hand_designed`, 10 episodes per maze at cpu and gpu scale, as jaxued's eval_num_attempts).
The table takes each run's last evaluation: per maze and method, the mean solve rate over seeds (a maze is solved in
an episode whose return is > 0, jaxued's count) with its 95 % t-interval over seeds, the solve rate on random
training-distribution levels, and the published mean +- sd over the papers' seeds.

Interrupted runs resume (launching again skips finished runs; `--fresh` starts over). Experiments:
`train_dir/ued_maze_<scale>/<method>/<method>_seed_<seed>`. Results: `benchmarks/results/ued_maze_<scale>.json`.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import time
from pathlib import Path
from typing import Any, Sequence

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))  # run from a checkout without installing
sys.path.insert(0, str(HERE))
from ued_maze_published import SOURCE, published  # noqa: E402

from sf_curric.envs.builtin.ued_maze_prefabs import HAND_DESIGNED  # noqa: E402
from sf_curric.evaluation.stats import summarize  # noqa: E402

MAZES = tuple(HAND_DESIGNED)
GROUP = "hand_designed"


def _load_sweep():
    spec = importlib.util.spec_from_file_location("_ued_maze_sweep", HERE / "sweeps" / "ued_maze.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


_SWEEP = _load_sweep()
SCALES, METHODS = _SWEEP.SCALES, _SWEEP.METHODS


def last_evaluation(run_dir: Path) -> dict[str, Any] | None:
    """The eval.json of a run's last evaluation during training (None when it has none yet)."""
    folders = sorted((run_dir / "eval_in_training").glob("[0-9]*"))
    for folder in reversed(folders):
        if (folder / "eval.json").exists():
            return json.loads((folder / "eval.json").read_text())
    return None


def run_result(data: dict[str, Any]) -> dict[str, Any]:
    """One run's numbers: env steps, solve rate per maze, and on random training levels (the "train" group)."""
    rates = {row["level"]: row["solve_rate"] for row in data.get("levels", []) if row["group"] == GROUP}
    train = [e for e in data.get("episodes", []) if e["group"] == "train"]
    random_levels = sum(e["episode_return"] > 0 for e in train) / len(train) if train else None
    return {"env_steps": data.get("env_steps"), "mazes": rates, "random_levels": random_levels}


def collect(work_dir: Path, methods: Sequence[str], seeds: Sequence[int]) -> dict[str, Any]:
    """Every run's last evaluation, and per method and maze the mean over seeds with its t-interval."""
    runs = {m: {} for m in methods}
    for method in methods:
        for seed in seeds:
            data = last_evaluation(work_dir / method / f"{method}_seed_{seed}")
            if data is not None:
                runs[method][str(seed)] = run_result(data)
    summary: dict[str, Any] = {}
    for method, by_seed in runs.items():
        per_maze = {maze: [r["mazes"][maze] for r in by_seed.values() if maze in r["mazes"]] for maze in MAZES}
        means = [sum(r["mazes"].get(m, 0.0) for m in MAZES) / len(MAZES) for r in by_seed.values()]
        randoms = [r["random_levels"] for r in by_seed.values() if r["random_levels"] is not None]
        summary[method] = {
            **{maze: summarize(v).as_dict() for maze, v in per_maze.items() if v},
            "mean": summarize(means).as_dict() if means else None,
            "random_levels": summarize(randoms).as_dict() if randoms else None,
        }
    return {"runs": runs, "summary": summary}


def _cell(s: dict[str, Any] | None) -> str:
    if not s:
        return "-"
    low, high = s.get("ci95_low"), s.get("ci95_high")
    interval = f" [{max(0.0, low):.2f}, {min(1.0, high):.2f}]" if low is not None and high is not None else ""
    return f"{s['mean']:.2f}{interval}"


def _published_cell(method: str, maze: str) -> str:
    found = published(method, maze)
    return "; ".join(f"{mean:.2f} +- {sd:.2f} ({setting.split(':')[0]}, n={n})" for setting, (mean, sd, n) in found)


def format_table(result: dict[str, Any], methods: Sequence[str]) -> str:
    """Markdown: one row per maze (then the mean over mazes and random levels), per method ours and published."""
    header = "| maze | " + " | ".join(f"{m} (ours, 95% t over seeds) | {m} published" for m in methods) + " |"
    lines = [header, "|---|" + "---|---|" * len(methods)]
    for maze in (*MAZES, "mean", "random_levels"):
        cells = []
        for method in methods:
            cells.append(_cell(result["summary"].get(method, {}).get(maze)))
            cells.append(_published_cell(method, maze) if maze in MAZES else "")
        lines.append(f"| {maze} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    """The script's flags."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="cpu")
    parser.add_argument("--dry_run", action="store_true", help="same as --scale=tiny (a pipeline check)")
    parser.add_argument("--seeds", type=int, nargs="+", help="training seeds (default: the scale's)")
    parser.add_argument("--methods", nargs="+", choices=METHODS, help="curricula (default: the scale's)")
    parser.add_argument("--steps", type=int, help="env steps per run instead of the scale's")
    parser.add_argument("--jobs", type=int, help="runs trained side by side (default: the scale's)")
    parser.add_argument("--work_dir", type=Path, help="experiments (default: train_dir/ued_maze_<scale>)")
    parser.add_argument("--results_dir", type=Path, default=HERE / "results", help="where the JSON goes")
    parser.add_argument("--fresh", action="store_true", help="delete the work dir first instead of resuming")
    return parser


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run (or continue) the sweep, then print and save the table.

    Args:
        argv: command line without the program name.
    """
    from sf_curric.evaluation.writers import jsonable
    from sf_curric.sweeps.local import run_local
    from sf_curric.sweeps.run_one import is_done

    parser = build_parser()
    args = parser.parse_args(argv)
    name = "tiny" if args.dry_run else args.scale
    scale = SCALES[name]
    for flag, field in (("seeds", "seeds"), ("methods", "methods"), ("steps", "steps")):
        value = getattr(args, flag)
        if value:
            scale = scale.replace(**{field: tuple(value) if isinstance(value, list) else value})
    if name == "gpu":
        import torch

        if not torch.cuda.is_available():
            parser.error("--scale=gpu needs a CUDA GPU (torch.cuda.is_available() is False); use --scale=cpu")
    jobs = args.jobs or scale.jobs
    work_dir = (args.work_dir or ROOT / "train_dir" / f"ued_maze_{name}").resolve()
    if args.fresh and work_dir.exists():
        import shutil

        shutil.rmtree(work_dir)
    runs = _SWEEP.ued_maze_sweep(scale, work_dir.name).generate_runs(work_dir.parent, python=sys.executable)
    todo = [spec for spec in runs if not is_done(spec.exp_dir)]
    print(f"ued_maze_table --scale={name}: {len(todo)} of {len(runs)} runs to do, {jobs} at a time; in {work_dir}")
    start = time.monotonic()

    def said(outcome) -> None:
        if outcome.status != "skipped":
            log = f"; see {work_dir}/*/{outcome.name}/sweep_stdout.log" if outcome.status != "done" else ""
            print(f"  {outcome.name}: {outcome.status} in {outcome.seconds:.0f} s{log}", flush=True)

    run_local(runs, jobs, 1, said)
    result = collect(work_dir, scale.methods, scale.seeds)
    table = format_table(result, scale.methods)
    print(f"\nued_maze, {scale.steps:,} env steps per run, seeds {list(scale.seeds)}; published: {SOURCE}\n")
    print(table)
    data = {
        "scale": name,
        "setting": {**scale.__dict__, "eval_every": scale.eval_every},
        "published_source": SOURCE,
        "wall_seconds_this_invocation": time.monotonic() - start,
        "table": table,
        **result,
    }
    args.results_dir.mkdir(parents=True, exist_ok=True)
    out = args.results_dir / f"ued_maze_{name}.json"
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(jsonable(data), indent=1, allow_nan=False))
    os.replace(tmp, out)
    print(f"results: {out}")
    return data


if __name__ == "__main__":
    main()
