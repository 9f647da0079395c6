"""Curriculum efficacy: PLR, Robust PLR, ACCEL and learnability vs domain randomization on held-out levels.

A sweep (`benchmarks/sweeps/curriculum_efficacy.py`: one experiment per method, every method with every seed, all on
the same fixed training levels with the same trainer settings) run by the launcher's local backend, then one
`sf_curric.report` call (the `report` extra). Every run evaluates itself during training (`--eval_every_env_steps`)
on all its training levels, on unseen (held-out) levels and, on maze_levels, on the hand-designed mazes (labyrinth,
spiral, rooms, corridors, wall_gap, perfect_maze: the group "hand"), logged as `eval/<group>/*`.

Printed: the report's statistics of held-out success (`eval/test/terminated`: the share of held-out episodes that
reach the goal), held-out, hand-designed and training return (mean and IQM over seeds with stratified-bootstrap
95 % intervals, probability of improvement, curves as PNG); then this benchmark's own tables of the same
evaluations: mean return over seeds with 95 % t-intervals at every evaluation point and at the end, each method
minus DR with Welch's interval, and where PLR's level draws go by maze level type.

    python benchmarks/curriculum_efficacy.py --scale=cpu            # maze_levels, 200 levels, 10 seeds, 600k steps
    python benchmarks/curriculum_efficacy.py --scale=gpu            # Procgen bigfish, 200 levels, 25M steps (CUDA)
    python benchmarks/curriculum_efficacy.py --dry_run              # tiny: checks the pipeline in about a minute
    python benchmarks/curriculum_efficacy.py --scale=cpu --seeds 10 11 12 --steps=240000 --eval_every=40000 \
        --eval_episodes_per_task=1 --methods dr plr robust_plr accel learnability       # a reduced run

Scales (`--scale`; definitions in the sweep file): `cpu`: maze_levels with a 5x5 egocentric view, 200 training
levels (seeds 0-199), held-out levels 10000-10199, seeds 10-19, 600k env steps evaluated every 100k, PLR with rank
temperature 1.0 and staleness 0.3, 2 runs at a time. `gpu`: the PLR paper's setting (Procgen bigfish easy, 200
levels, 25M steps, held-out levels 1000-1199; needs CUDA and procgen2, see sf_curric_examples/procgen_plr.py).
`small`: cpu's setting with 3 seeds and 60k steps (the docs' example). `tiny` (`--dry_run`): for tests only.

Interrupted runs resume: launching again skips finished runs and resumes the others from their checkpoints
(`sf_curric.launch`'s rules; `--fresh` starts over). Experiments: `train_dir/curriculum_efficacy_<scale>/<method>/
<method>_seed_<seed>`. Results: `benchmarks/results/curriculum_efficacy_<scale>.json`, `..._<scale>_{test,train,
hand}.png` and the report's files in `..._<scale>_report/`.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shlex
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any, Sequence

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
sys.path.insert(0, str(ROOT))  # run from a checkout without installing
sys.path.insert(0, str(HERE))  # efficacy_report.py, next to this file (also when loaded by path, as the tests do)
from efficacy_report import (  # noqa: E402
    METHODS,
    format_curve_table,
    format_group_table,
    format_level_mix,
    format_table,
    intervals_separate,
    plot_curves,
)


def _load_sweep():
    # the sweep file shares this file's name: load it by path
    spec = importlib.util.spec_from_file_location(
        "_curriculum_efficacy_sweep", HERE / "sweeps" / "curriculum_efficacy.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


_SWEEP = _load_sweep()
SCALES = _SWEEP.SCALES
Scale = _SWEEP.Scale
GROUPS = ("train", "test", "hand")  # the benchmark's names; "hand" is the eval group "hand_designed"


def run_dir(work_dir: Path, method: str, seed: int) -> Path:
    """Experiment folder of one run (the launcher's layout: `<sweep>/<experiment>/<run>`)."""
    return work_dir / method / f"{method}_seed_{seed}"


def eval_dirs(work_dir: Path, method: str, seed: int, scale: Scale) -> dict[int, Path]:
    """Evaluation point (the multiple of `eval_every` an evaluation during training was due at) -> its folder.

    An evaluation runs at the first training iteration at or after each multiple; its folder is named after that
    iteration's env steps. A resumed run's later evaluation of the same point replaces the earlier one.
    """
    found = {}
    every = scale.eval_every_of(method)  # a method with a step factor: its k-th evaluation is point k
    for folder in sorted((run_dir(work_dir, method, seed) / "eval_in_training").glob("[0-9]*")):
        if (folder / "eval.json").exists():
            point = int(folder.name) // every * scale.eval_every
            if point in scale.eval_points:
                found[point] = folder
    return found


def point_summary(data: dict[str, Any], target_steps: int) -> dict[str, Any]:
    """What the benchmark keeps of one eval.json: per-group mean over episodes and the checkpoint's env steps.

    Args:
        data: `EvalReport.data` (the content of eval.json).
        target_steps: the evaluation point.
    """
    groups = data["groups"]
    hand = groups.get("hand_designed")
    return {
        "hand_mean": float(hand["mean"]) if hand else None,
        "hand_n": int(hand["n"]) if hand else 0,
        "target_steps": int(target_steps),
        "env_steps": int(data["env_steps"]),
        "train_mean": float(groups["train"]["mean"]),
        "train_n": int(groups["train"]["n"]),
        "test_mean": float(groups["test"]["mean"]),
        "test_n": int(groups["test"]["n"]),
        "generalization_gap": data["generalization_gap"]["value"] if data.get("generalization_gap") else None,
    }


def t_interval(values: Sequence[float]) -> dict[str, Any]:
    """Mean, sample std and 95 % t-interval over seeds (sf_curric.evaluation.stats.summarize)."""
    from sf_curric.evaluation.stats import summarize

    return summarize(list(values)).as_dict()


def collect(scale: Scale, work_dir: Path) -> dict[str, Any]:
    """Every run's evaluation points, summarized per method (final point) and per point (curves) with t-intervals
    over seeds, and each method minus DR (Welch).

    Args:
        scale: the benchmark setting.
        work_dir: the sweep's folder.
    """
    from sf_curric.evaluation.stats import welch_gap

    methods = scale.methods
    runs: dict[str, dict[str, list[dict]]] = {m: {} for m in methods}
    for method in methods:
        for seed in scale.seeds:
            points = eval_dirs(work_dir, method, seed, scale)
            runs[method][str(seed)] = [
                point_summary(json.loads((points[p] / "eval.json").read_text()), p) for p in sorted(points)
            ]

    def per_seed(method: str, steps: int, group: str) -> list[float]:
        return [
            p[f"{group}_mean"]
            for pts in runs[method].values()
            for p in pts
            if p["target_steps"] == steps and p.get(f"{group}_mean") is not None
        ]

    final_step = scale.eval_points[-1]
    finals = {m: {g: per_seed(m, final_step, g) for g in GROUPS} for m in methods}
    summary = {m: {g: t_interval(finals[m][g]) for g in GROUPS if finals[m][g]} for m in methods}
    curves = {
        m: [{"target_steps": s, **{g: t_interval(per_seed(m, s, g)) for g in GROUPS}} for s in scale.eval_points]
        for m in methods
    }
    minus_dr: dict[str, dict] = {}
    separate_from_dr: dict[str, dict] = {}
    for method in methods:
        for g in ("test", "hand"):
            a, b = finals[method][g], finals["dr"][g]
            if method != "dr" and len(a) > 1 and len(b) > 1:
                minus_dr.setdefault(method, {})[g] = welch_gap(a, b).as_dict()
                separate_from_dr.setdefault(method, {})[g] = intervals_separate(summary[method][g], summary["dr"][g])
    return {
        "trained_fraction": {m: trained_fractions(work_dir, m, scale.seeds) for m in methods},
        "minus_dr": minus_dr,
        "separate_from_dr": separate_from_dr,
        "summary": summary,
        "plr_minus_dr_test": welch_gap(finals["plr"]["test"], finals["dr"]["test"]).as_dict(),
        "test_intervals_separate": intervals_separate(summary["plr"]["test"], summary["dr"]["test"]),
        "curves": curves,
        "runs": runs,
    }


def maze_level_mix(scale: Scale, work_dir: Path) -> dict[str, Any] | None:
    """Where PLR's draws go at the end of training, by maze level type, next to the uniform share (DR's).

    Level types from the generator (BFS): `direct` (shortest path = Manhattan distance), `detour` (longer) and
    `unsolvable`. Each PLR run's final curriculum is rebuilt the way the trainer builds it and loaded from the run's
    newest checkpoint; its `sample_distribution()` is summed per type.

    Args:
        scale: the benchmark setting (maze_levels only; other envs return None).
        work_dir: the sweep's folder.
    """
    if scale.env != "maze_levels":
        return None
    import numpy as np
    from gymnasium.spaces import Discrete

    from sf_curric.command_line import parse_args
    from sf_curric.curricula.factory import build_curriculum
    from sf_curric.envs.builtin.maze_levels import Level
    from sf_curric.envs.maze_levels_setup import register_maze_levels
    from sf_curric.envs.registry import get_env_spec
    from sf_curric.utils.checkpoint import load_newest_checkpoint

    register_maze_levels(scale.num_levels, **scale.env_kwargs)
    kinds = []
    for seed in range(scale.num_levels):
        level = Level(seed)
        path = level.shortest_path()
        manhattan = abs(level.start[0] - level.goal[0]) + abs(level.start[1] - level.goal[1])
        kinds.append("unsolvable" if path is None else ("detour" if path > manhattan else "direct"))
    kinds = np.array(kinds)
    names = ("direct", "detour", "unsolvable")
    per_run = []
    for seed in scale.seeds:
        found = load_newest_checkpoint(run_dir(work_dir, "plr", seed))
        if found is None:
            continue
        train_args = shlex.split(scale.train_args)
        cfg = parse_args([f"--env={scale.env}", *train_args, "--curriculum=plr", *scale.plr_args, f"--seed={seed}"])
        num_envs = cfg.num_workers * cfg.num_envs_per_worker
        curriculum = build_curriculum(cfg, num_envs, Discrete(4), get_env_spec(cfg.env))
        curriculum.load_state_dict(found[1]["curriculum"]["curriculum"])
        dist = curriculum.task_sampler.sample_distribution()
        per_run.append({k: float(dist[kinds == k].sum()) for k in names})
    if not per_run:
        return None
    return {
        "uniform": {k: float(np.mean(kinds == k)) for k in names},
        "plr_mean": {k: float(np.mean([r[k] for r in per_run])) for k in names},
        "plr_min": {k: float(np.min([r[k] for r in per_run])) for k in names},
        "plr_max": {k: float(np.max([r[k] for r in per_run])) for k in names},
        "runs": len(per_run),
    }


def report_tags(scale: Scale) -> list[str]:
    """The scalars `sf_curric.report` is asked for: held-out success first (maze_levels: reaching the goal)."""
    if scale.env == "maze_levels":
        return ["eval/test/terminated", "eval/test/return", "eval/hand_designed/return", "eval/train/return"]
    return ["eval/test/return", "eval/train/return"]


def trained_fractions(work_dir: Path, method: str, seeds: Sequence[int]) -> dict[str, Any] | None:
    """Share of env steps the learner trained on at the end of each run of `method` (`curriculum/trained_fraction`:
    Robust PLR and ACCEL log it; None for methods that train on every step), with the env steps of those runs."""
    from sf_curric.sweeps.events import read_scalars

    fractions, steps = [], []
    for seed in seeds:
        event_dir = run_dir(work_dir, method, seed) / "tensorboard"
        scalars = read_scalars(event_dir) if event_dir.is_dir() else {}
        if "curriculum/trained_fraction" in scalars:
            at, values = scalars["curriculum/trained_fraction"]
            fractions.append(float(values[-1]))
            steps.append(int(at[-1]))
    if not fractions:
        return None
    return {**t_interval(fractions), "env_steps": steps}


def format_trained_fractions(result: dict[str, Any]) -> str:
    """One line per method that trains on part of its steps: its trained fraction at the end, over seeds."""
    lines = ["share of env steps trained on at the end of each run (mean [95% interval] over seeds; steps)"]
    for method, tf in result["trained_fraction"].items():
        if tf:
            lines.append(
                f"  {method:<14}{tf['mean']:.3f} [{tf['ci95_low']:.3f}, {tf['ci95_high']:.3f}]   "
                f"env steps {min(tf['env_steps']):,}-{max(tf['env_steps']):,}"
            )
    return "\n".join(lines) if len(lines) > 1 else ""


def _cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()


def build_parser() -> argparse.ArgumentParser:
    """The benchmark's flags."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="cpu")
    parser.add_argument("--dry_run", action="store_true", help="same as --scale=tiny (a pipeline check)")
    parser.add_argument("--seeds", type=int, nargs="+", help="training seeds (default: the scale's)")
    parser.add_argument("--jobs", type=int, help="runs trained side by side (default: the scale's)")
    parser.add_argument("--work_dir", type=Path, help="experiments (default: train_dir/curriculum_efficacy_<scale>)")
    parser.add_argument("--results_dir", type=Path, default=RESULTS, help="where the JSON and the PNGs go")
    parser.add_argument("--steps", type=int, help="env steps per run instead of the scale's (pilots)")
    parser.add_argument("--eval_every", type=int, help="env steps between evaluations (with --steps)")
    parser.add_argument("--fresh", action="store_true", help="delete the work dir first instead of resuming")
    parser.add_argument(
        "--methods", nargs="+", choices=METHODS, help="methods (default: the scale's; dr and plr are needed)"
    )
    parser.add_argument("--eval_episodes_per_task", type=int, help="eval episodes per level (default: the scale's)")
    parser.add_argument(
        "--plr_args",
        help="PLR flags instead of the scale's, e.g. '--plr_temperature=0.1 --plr_staleness_coef=0.1' (use a new "
        "--work_dir: finished runs are not redone)",
    )
    parser.add_argument(
        "--accel_args",
        help="ACCEL flags added to the scale's, e.g. '--accel_generator=empty' (the paper's empty-maze generator; "
        "a new --work_dir)",
    )
    parser.add_argument(
        "--step_factor",
        nargs="+",
        default=[],
        metavar="METHOD=FACTOR",
        help="train METHOD for FACTOR times the env steps, evaluated at FACTOR times each point, e.g. "
        "'accel=2.7 robust_plr=1.3' (1 / their trained fraction: equal trained-on steps, as the Robust PLR and ACCEL "
        "papers compare at equal gradient updates; use a new --work_dir, or link the other methods' runs into it)",
    )
    parser.add_argument(
        "--env_kwargs", type=json.loads, help="env factory arguments instead of the scale's, as JSON: '{\"view\": 5}'"
    )
    return parser


def scale_from_args(parser: argparse.ArgumentParser, args: argparse.Namespace) -> tuple[str, Scale]:
    """The scale's name and its setting with the command line's changes."""
    name = "tiny" if args.dry_run else args.scale
    scale = SCALES[name]
    if args.env_kwargs is not None:
        scale = scale.replace(env_kwargs=dict(args.env_kwargs))
    if args.seeds:
        scale = scale.replace(seeds=tuple(args.seeds))
    if args.methods:
        if not {"dr", "plr"} <= set(args.methods):
            parser.error("--methods must include dr and plr (the table compares against them)")
        scale = scale.replace(methods=tuple(args.methods))
    if args.eval_episodes_per_task:
        scale = scale.replace(eval_episodes_per_task=args.eval_episodes_per_task)
    if len(scale.seeds) < 2:
        parser.error("--seeds needs at least 2 seeds for an interval over seeds")
    if name == "gpu" and not _cuda_available():
        parser.error("--scale=gpu needs a CUDA GPU (torch.cuda.is_available() is False); use --scale=cpu")
    if args.steps is not None:
        every = args.eval_every or args.steps
        if args.steps < 1 or every < 1 or args.steps % every:
            parser.error(f"--steps={args.steps} must be a positive multiple of --eval_every={every}")
        scale = scale.replace(steps=args.steps, eval_every=every)
    if args.plr_args is not None:
        scale = scale.replace(plr_args=tuple(args.plr_args.split()))
    if args.accel_args is not None:
        scale = scale.replace(accel_args=tuple(args.accel_args.split()))
    if args.step_factor:
        scale = scale.replace(step_factors=parse_step_factors(parser, args.step_factor, scale.methods))
    return name, scale


def parse_step_factors(parser: argparse.ArgumentParser, items: Sequence[str], methods: Sequence[str]) -> dict:
    """`METHOD=FACTOR` items as a dict, checked (a method of the run, a factor >= 1)."""
    factors = {}
    for item in items:
        method, _, value = item.partition("=")
        try:
            factor = float(value)
        except ValueError:
            factor = 0.0
        if method not in methods or factor < 1.0:
            parser.error(f"--step_factor {item!r}: write METHOD=FACTOR with a method of the run and FACTOR >= 1")
        factors[method] = factor
    return factors


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run (or continue) the benchmark's sweep, report it, write the results JSON and the plots.

    Args:
        argv: command line without the program name.
    """
    from sf_curric.errors import ConfigError
    from sf_curric.report import report
    from sf_curric.sweeps.local import run_local
    from sf_curric.sweeps.run_one import is_done
    from sf_curric.sweeps.stats import rliable_modules

    parser = build_parser()
    args = parser.parse_args(argv)
    scale_name, scale = scale_from_args(parser, args)
    try:
        rliable_modules()  # the report at the end needs the `report` extra: say so before training, not after
    except ConfigError as e:
        parser.error(str(e))
    jobs = scale.jobs if args.jobs is None else args.jobs
    if jobs < 1:
        parser.error(f"--jobs={jobs} must be at least 1")
    work_dir = (args.work_dir or ROOT / "train_dir" / f"curriculum_efficacy_{scale_name}").resolve()
    if args.fresh and work_dir.exists():
        import shutil

        shutil.rmtree(work_dir)
    runs = _SWEEP.efficacy_sweep(scale, work_dir.name).generate_runs(work_dir.parent, python=sys.executable, threads=1)
    todo = [spec for spec in runs if not is_done(spec.exp_dir)]
    print(
        f"curriculum_efficacy --scale={scale_name}: {len(todo)} of {len(runs)} runs to do, {jobs} at a time; "
        f"experiments in {work_dir}",
        flush=True,
    )
    start = time.monotonic()

    def said(outcome) -> None:
        if outcome.status != "skipped":
            log = f"; see {work_dir}/*/{outcome.name}/sweep_stdout.log" if outcome.status != "done" else ""
            print(f"  {outcome.name}: {outcome.status} in {outcome.seconds:.0f} s{log}", flush=True)

    run_local(runs, jobs, 1, said)
    name = f"curriculum_efficacy_{scale_name}"
    points = str(len(scale.eval_points))  # the report's grid: the evaluation points
    reports = report(
        [
            str(work_dir),
            "--tags",
            *report_tags(scale),
            f"--points={points}",
            f"--out={args.results_dir / (name + '_report')}",
        ]
    )
    result = collect(scale, work_dir)
    missing = [
        f"{m}_seed_{s}"
        for m in scale.methods
        for s in scale.seeds
        if len(result["runs"][m][str(s)]) < len(scale.eval_points)
    ]
    table = format_curve_table(result) + "\n\n" + format_table(result, scale.eval_points[-1])
    table += "\n\n" + format_group_table(result, "test", "held-out random levels, final return")
    if any("hand" in s for s in result["summary"].values()):
        table += "\n\n" + format_group_table(result, "hand", "hand-designed mazes (zero-shot), final return")
    fractions = format_trained_fractions(result)
    if fractions:
        table += "\n\n" + fractions
    level_mix = maze_level_mix(scale, work_dir)
    if level_mix is not None:
        table += "\n\n" + format_level_mix(level_mix)
    factors = ", ".join(f"{m} x{f:g}" for m, f in scale.step_factors.items())
    if factors:  # every point is the same count of trained-on steps, not of env steps
        table = f"step factors: {factors} (those methods' env steps are the points times their factor)\n\n" + table
    print("\n" + table)
    data = {
        "scale": scale_name,
        "setting": {
            **asdict(scale),
            "eval_points": list(scale.eval_points),
            "methods": list(scale.methods),
            "plr_flags": "trainer defaults (value_l1, rank, temperature 0.1, staleness_coef 0.1, proportionate "
            "replay) unless plr_args set them",
        },
        "complete": not missing,
        "missing_runs": missing,
        "wall_seconds_this_invocation": time.monotonic() - start,
        "table": table,
        "level_mix": level_mix,
        "report": reports,
        **result,
    }
    from sf_curric.evaluation.writers import jsonable

    args.results_dir.mkdir(parents=True, exist_ok=True)
    out = args.results_dir / f"{name}.json"
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(jsonable(data), indent=1, allow_nan=False))
    os.replace(tmp, out)
    titles = {"test": "held-out levels", "train": "training levels", "hand": "hand-designed mazes"}
    for group in GROUPS:
        if group == "hand" and scale.env != "maze_levels":
            continue
        plot_curves(
            result,
            group,
            args.results_dir / f"{name}_{group}.png",
            f"{scale.env}: {group} return ({titles[group]})",
            xlabel=f"env steps ({factors}: times their factor)" if factors else "env steps",
        )
    print(f"results: {out}")
    return data


if __name__ == "__main__":
    main()
