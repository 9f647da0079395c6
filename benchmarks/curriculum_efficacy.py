"""Curriculum efficacy: PLR, Robust PLR, ACCEL and learnability vs domain randomization on held-out levels.

Methods (`--methods`, default all five at --scale=cpu; the tiny scale runs dr and plr): dr, plr, robust_plr, accel,
learnability. On maze_levels every evaluation also runs the hand-designed mazes (`--eval_level_set=hand_designed`:
labyrinth, spiral, rooms, corridors, wall_gap, perfect_maze), reported as the group "hand". Full run (10 seeds,
600k steps): `python benchmarks/curriculum_efficacy.py --scale=cpu`; reduced: add `--seeds 10 11 12 --steps=240000
--eval_every=40000 --eval_episodes_per_task=1` (results of that: benchmarks/results/curriculum_efficacy_ued_240k*).

Both methods train on the same fixed set of training levels (level seeds) with the same trainer settings, over
several seeds each; after every chunk of env steps each run is evaluated with `sf_curric.eval` on all its training
levels and on unseen (held-out) levels. The table shows, per method, the mean train and test return over seeds
with a 95 % t-interval over seeds (each seed's number is the mean of its eval episodes), and the PLR - DR test
difference with Welch's interval. Learning curves (test and train return vs env steps) are saved as PNG.

    python benchmarks/curriculum_efficacy.py --scale=cpu            # maze_levels, 200 levels, ~30 min on 2 cores
    python benchmarks/curriculum_efficacy.py --scale=gpu            # Procgen bigfish, 200 levels, 25M steps (CUDA)
    python benchmarks/curriculum_efficacy.py --dry_run              # tiny: checks the pipeline in well under a minute

Scales:
- `cpu`: `maze_levels` (sf_curric/envs/builtin/maze_levels.py) with a 5x5 egocentric view: procedurally generated
  11x11 mazes, a level seed fixes walls, start and goal; trivial, hard and unsolvable levels mixed as they come from
  the generator. 200 training levels (seeds 0-199), held-out levels 10000-10199, 10 training seeds (10-19; seeds 1
  and 2 were the pilots'), 600k env steps per run evaluated every 100k, PLR with rank temperature 1.0 and
  staleness 0.3, serial mode, 2 runs at a time.
- `gpu`: the PLR paper's setting: Procgen (procgen2, easy mode) with 200 training levels and 25M env steps, held
  out levels 1000-1199; needs CUDA and procgen2 (run this script with the interpreter of the venv described in
  sf_curric_examples/procgen_plr.py).
- `tiny` (`--dry_run`): 8 levels, 2 seeds, a few thousand steps; for tests only, its numbers mean nothing.

Interrupted runs resume: each run keeps its experiment folder under `--work_dir`, and an evaluation point whose
JSON exists is not redone, so running the same command again continues where it stopped (`--fresh` starts over).
Results: `benchmarks/results/curriculum_efficacy_<scale>.json` and `..._<scale>_test.png` / `..._train.png`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
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

MAZE_TRAIN_ARGS = (
    "--serial_mode=True",
    "--num_workers=1",
    "--num_envs_per_worker=64",
    "--rollout=32",
    "--batch_size=1024",
    "--num_epochs=4",
    "--gamma=0.99",
    "--gae_lambda=0.95",
    "--learning_rate=5e-4",
    "--exploration_loss_coeff=0.01",
    "--encoder_mlp_layers",
    "128",
    "128",
    "--num_torch_threads=1",
    "--device=cpu",
)


@dataclass(frozen=True)
class Scale:
    """One benchmark setting.

    Attributes:
        env: registered env name.
        num_levels: training levels (seeds 0 .. num_levels - 1).
        test_tasks: held-out level seeds as `START:STOP`.
        seeds: training seeds per method.
        eval_points: env steps at which every run is evaluated (the last one is the budget).
        train_args: trainer flags shared by both methods.
        plr_args: extra trainer flags of the PLR runs (`--plr_*` options).
        eval_episodes_per_task: eval episodes on every training and every held-out level.
        jobs: runs trained at the same time.
        notes: a remark shown in the results JSON.
        env_kwargs: keyword arguments of the env's factory (e.g. maze_levels' `view`).
    """

    env: str
    num_levels: int
    test_tasks: str
    seeds: tuple[int, ...]
    eval_points: tuple[int, ...]
    train_args: tuple[str, ...]
    plr_args: tuple[str, ...] = ()
    eval_episodes_per_task: int = 1
    jobs: int = 2
    notes: str = ""
    env_kwargs: dict = field(default_factory=dict)
    methods: tuple[str, ...] = METHODS


SCALES = {
    "tiny": Scale(
        env="maze_levels",
        num_levels=8,
        test_tasks="10000:10008",
        seeds=(0, 1),
        eval_points=(2048, 4096),
        train_args=(
            "--serial_mode=True",
            "--num_workers=1",
            "--num_envs_per_worker=8",
            "--rollout=16",
            "--batch_size=64",
            "--num_epochs=1",
            "--encoder_mlp_layers",
            "32",
            "--num_torch_threads=1",
            "--device=cpu",
        ),
        notes="pipeline check only",
        methods=("dr", "plr"),
    ),
    "cpu": Scale(
        env="maze_levels",
        num_levels=200,
        test_tasks="10000:10200",
        # fresh seeds: seeds 1 and 2 were used by the pilots that chose the settings (docs/benchmarks.md)
        seeds=tuple(range(10, 20)),
        eval_points=tuple(range(100_000, 600_001, 100_000)),
        train_args=MAZE_TRAIN_ARGS,
        # chosen from pilots (docs/benchmarks.md): rank temperature 0.1 and 0.3 were slower than DR here, 1.0 was not
        plr_args=("--plr_temperature=1.0", "--plr_staleness_coef=0.3"),
        eval_episodes_per_task=4,
        env_kwargs={"view": 5},
    ),
    "gpu": Scale(
        env="procgen_bigfish_plr",
        num_levels=200,
        test_tasks="1000:1200",
        seeds=(0, 1, 2),
        eval_points=tuple(range(2_500_000, 25_000_001, 2_500_000)),
        train_args=("--device=gpu",),  # the rest: procgen_plr.py's registered defaults (PLR paper's PPO settings)
        eval_episodes_per_task=1,
        jobs=1,
        notes="Procgen bigfish easy, procgen2",
    ),
}


def register_scale_env(scale: Scale) -> None:
    """Register the scale's env (and its training levels) in this process.

    Args:
        scale: the benchmark setting.
    """

    if scale.env == "maze_levels":
        from sf_curric.envs.builtin.maze_levels import register_maze_levels

        # training seeds, ACCEL's mutation and the hand-designed mazes (--eval_level_set=hand_designed)
        register_maze_levels(scale.num_levels, **scale.env_kwargs)
    elif scale.env == "procgen_bigfish_plr":
        try:
            import procgen  # noqa: F401
        except ImportError:
            raise SystemExit(
                "curriculum_efficacy: --scale=gpu needs procgen2; run this script with the python of the venv "
                "described in sf_curric_examples/procgen_plr.py"
            ) from None
        sys.path.insert(0, str(ROOT))
        from sf_curric_examples import procgen_plr

        procgen_plr.register()
    else:
        raise ValueError(f"unknown benchmark env {scale.env!r}; add it to register_scale_env")


def run_dir(work_dir: Path, method: str, seed: int) -> Path:
    """Folder of one run's experiment and eval points."""
    return work_dir / f"{method}_s{seed}"


def point_file(work_dir: Path, method: str, seed: int, steps: int) -> Path:
    """The summary JSON of one evaluation point."""
    return run_dir(work_dir, method, seed) / f"point_{steps:010d}.json"


def point_summary(data: dict[str, Any], target_steps: int) -> dict[str, Any]:
    """What the benchmark keeps of one eval.json: per-group mean over episodes and the checkpoint's env steps.

    Args:
        data: `EvalReport.data` (the content of eval.json).
        target_steps: the evaluation point this was trained to.
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


def train_and_evaluate(scale: Scale, method: str, seed: int, work_dir: Path) -> None:
    """One run: train to each evaluation point in turn (resuming), evaluate there, write the point's JSON.

    Runs in a child process (`_run` first argument), so that runs can train side by side.

    Args:
        scale: the benchmark setting (as the parent resolved it: seeds, eval points, PLR flags).
        method: "dr" or "plr".
        seed: the training seed.
        work_dir: folder of all runs of this scale.
    """
    from sf_curric.cfg.arguments import parse_args
    from sf_curric.evaluation.evaluate import evaluate
    from sf_curric.train import run as train
    from sf_curric.utils.logs import setup_logging

    method_args = list(scale.plr_args) if method in ("plr", "robust_plr") else []
    register_scale_env(scale)
    setup_logging("warning")
    folder = run_dir(work_dir, method, seed)
    common = [f"--env={scale.env}", f"--experiment={folder.name}", f"--train_dir={work_dir}", f"--seed={seed}"]
    for steps in scale.eval_points:
        out = point_file(work_dir, method, seed, steps)
        if out.exists():
            continue
        train(
            [
                *common,
                *scale.train_args,
                f"--curriculum={method}",
                *method_args,
                f"--train_for_env_steps={steps}",
                "--restart_behavior=resume",
                "--log_level=warning",
                "--keep_checkpoints=1",
            ]
        )
        cfg = parse_args(
            [
                *common,
                "--eval_tasks=all",
                f"--test_tasks={scale.test_tasks}",
                f"--eval_episodes_per_task={scale.eval_episodes_per_task}",
                *(["--eval_level_set=hand_designed"] if scale.env == "maze_levels" else []),
                "--eval_num_envs=32",
                f"--eval_output={folder / 'eval' / str(steps)}",
            ],
            evaluation=True,
        )
        cfg.seed = 1_000  # the same eval episodes (reset seeds) for every run
        report = evaluate(cfg)
        tmp = out.with_suffix(".tmp")
        tmp.write_text(json.dumps(point_summary(report.data, steps)))
        os.replace(tmp, out)


def _child_command(scale: Scale, method: str, seed: int, work_dir: Path) -> list[str]:
    script = str(Path(__file__).resolve())
    return [sys.executable, script, "_run", json.dumps(asdict(scale)), method, str(seed), str(work_dir)]


def _scale_from_json(text: str) -> Scale:
    fields = json.loads(text)
    return Scale(**{k: tuple(v) if isinstance(v, list) else v for k, v in fields.items()})


def _run_child(scale: Scale, method: str, seed: int, work_dir: Path) -> tuple[str, int, int, float]:
    folder = run_dir(work_dir, method, seed)
    folder.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    with open(folder / "benchmark_child.log", "a") as log_file:
        proc = subprocess.run(
            _child_command(scale, method, seed, work_dir),
            stdout=log_file,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])},
        )
    return method, seed, proc.returncode, time.monotonic() - start


def t_interval(values: Sequence[float]) -> dict[str, Any]:
    """Mean, sample std and 95 % t-interval over seeds (sf_curric.evaluation.stats.summarize).

    Args:
        values: one number per seed.
    """
    from sf_curric.evaluation.stats import summarize

    return summarize(list(values)).as_dict()


def collect(scale: Scale, work_dir: Path) -> dict[str, Any]:
    """Read every run's evaluation points and summarize them per method (final point) and per step (curves).

    Args:
        scale: the benchmark setting.
        work_dir: folder of all runs.
    """
    from sf_curric.evaluation.stats import welch_gap

    methods = scale.methods
    runs: dict[str, dict[str, list[dict]]] = {m: {} for m in methods}
    for method in methods:
        for seed in scale.seeds:
            points = []
            for steps in scale.eval_points:
                path = point_file(work_dir, method, seed, steps)
                if path.exists():
                    points.append(json.loads(path.read_text()))
            runs[method][str(seed)] = points
    final_step = scale.eval_points[-1]
    summary, finals = {}, {}
    groups = ("train", "test", "hand")
    for method in methods:
        last = [p for pts in runs[method].values() for p in pts if p["target_steps"] == final_step]
        finals[method] = {g: [p[f"{g}_mean"] for p in last if p.get(f"{g}_mean") is not None] for g in groups}
        summary[method] = {g: t_interval(finals[method][g]) for g in groups if finals[method][g]}
    curves = {
        method: [
            {
                "target_steps": steps,
                **{
                    g: t_interval(
                        [
                            p[f"{g}_mean"]
                            for pts in runs[method].values()
                            for p in pts
                            if p["target_steps"] == steps and p.get(f"{g}_mean") is not None
                        ]
                    )
                    for g in groups
                },
            }
            for steps in scale.eval_points
        ]
        for method in methods
    }
    diff = welch_gap(finals["plr"]["test"], finals["dr"]["test"]).as_dict()
    separated = intervals_separate(summary["plr"]["test"], summary["dr"]["test"])
    minus_dr: dict[str, dict] = {}
    separate_from_dr: dict[str, dict] = {}
    for method in methods:
        if method == "dr":
            continue
        for g in ("test", "hand"):
            a, b = finals[method][g], finals["dr"][g]
            if len(a) > 1 and len(b) > 1:
                minus_dr.setdefault(method, {})[g] = welch_gap(a, b).as_dict()
                separate_from_dr.setdefault(method, {})[g] = intervals_separate(summary[method][g], summary["dr"][g])
    return {
        "minus_dr": minus_dr,
        "separate_from_dr": separate_from_dr,
        "summary": summary,
        "plr_minus_dr_test": diff,
        "test_intervals_separate": separated,
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
        work_dir: folder of all runs.
    """
    if scale.env != "maze_levels":
        return None
    import numpy as np
    from gymnasium.spaces import Discrete

    from sf_curric.algo.curriculum_factory import build_curriculum
    from sf_curric.cfg.arguments import parse_args
    from sf_curric.envs.builtin.maze_levels import Level
    from sf_curric.utils.checkpoint import load_newest_checkpoint

    register_scale_env(scale)
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
        cfg = parse_args(
            [f"--env={scale.env}", *scale.train_args, "--curriculum=plr", *scale.plr_args, f"--seed={seed}"]
        )
        curriculum = build_curriculum(cfg, num_envs=cfg.num_workers * cfg.num_envs_per_worker, action_space=Discrete(4))
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


def _cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run (or continue) the benchmark, print the table, write the results JSON and the plots.

    Args:
        argv: command line without the program name.
    """
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
        "--env_kwargs", type=json.loads, help="env factory arguments instead of the scale's, as JSON: '{\"view\": 5}'"
    )
    args = parser.parse_args(argv)
    scale_name = "tiny" if args.dry_run else args.scale
    scale = SCALES[scale_name]
    if args.env_kwargs is not None:
        scale = Scale(**{**asdict(scale), "env_kwargs": dict(args.env_kwargs)})
    if args.seeds:
        scale = Scale(**{**asdict(scale), "seeds": tuple(args.seeds)})
    if args.methods:
        if not {"dr", "plr"} <= set(args.methods):
            parser.error("--methods must include dr and plr (the table compares against them)")
        scale = Scale(**{**asdict(scale), "methods": tuple(args.methods)})
    if args.eval_episodes_per_task:
        scale = Scale(**{**asdict(scale), "eval_episodes_per_task": args.eval_episodes_per_task})
    if len(scale.seeds) < 2:
        parser.error("--seeds needs at least 2 seeds for an interval over seeds")
    if scale_name == "gpu" and not _cuda_available():
        parser.error("--scale=gpu needs a CUDA GPU (torch.cuda.is_available() is False); use --scale=cpu")
    if args.steps is not None:
        every = args.eval_every or args.steps
        if args.steps < 1 or every < 1 or args.steps % every:
            parser.error(f"--steps={args.steps} must be a positive multiple of --eval_every={every}")
        scale = Scale(**{**asdict(scale), "eval_points": tuple(range(every, args.steps + 1, every))})
    plr_args = tuple(args.plr_args.split()) if args.plr_args is not None else scale.plr_args
    scale = Scale(**{**asdict(scale), "plr_args": plr_args})
    jobs = args.jobs or scale.jobs
    if jobs < 1:
        parser.error(f"--jobs={jobs} must be at least 1")
    work_dir = (args.work_dir or ROOT / "train_dir" / f"curriculum_efficacy_{scale_name}").resolve()
    if args.fresh and work_dir.exists():
        import shutil

        shutil.rmtree(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)

    todo = [
        (m, s)
        for s in scale.seeds
        for m in scale.methods
        if not point_file(work_dir, m, s, scale.eval_points[-1]).exists()
    ]
    print(
        f"curriculum_efficacy --scale={scale_name}: {len(todo)} of {len(scale.methods) * len(scale.seeds)} runs to "
        f"do, {jobs} at a "
        f"time; experiments in {work_dir}",
        flush=True,
    )
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        runs = pool.map(lambda ms: _run_child(scale, ms[0], ms[1], work_dir), todo)
        for method, seed, rc, seconds in runs:
            status = (
                "done" if rc == 0 else f"FAILED (exit {rc}; see {run_dir(work_dir, method, seed)}/benchmark_child.log)"
            )
            print(f"  {method} seed {seed}: {status} in {seconds:.0f} s", flush=True)
    result = collect(scale, work_dir)
    missing = [
        f"{m}_s{s}"
        for m in scale.methods
        for s in scale.seeds
        if len(result["runs"][m][str(s)]) < len(scale.eval_points)
    ]
    table = format_curve_table(result) + "\n\n" + format_table(result, scale.eval_points[-1])
    table += "\n\n" + format_group_table(result, "test", "held-out random levels, final return")
    if any("hand" in s for s in result["summary"].values()):
        table += "\n\n" + format_group_table(result, "hand", "hand-designed mazes (zero-shot), final return")
    level_mix = maze_level_mix(scale, work_dir)
    if level_mix is not None:
        table += "\n\n" + format_level_mix(level_mix)
    print(table)
    name = f"curriculum_efficacy_{scale_name}"
    data = {
        "scale": scale_name,
        "setting": {
            **asdict(scale),
            "methods": list(scale.methods),
            "plr_flags": "trainer defaults (value_l1, rank, temperature 0.1, staleness_coef 0.1, proportionate "
            "replay) unless plr_args set them",
        },
        "complete": not missing,
        "missing_runs": missing,
        "wall_seconds_this_invocation": time.monotonic() - start,
        "table": table,
        "level_mix": level_mix,
        **result,
    }
    args.results_dir.mkdir(parents=True, exist_ok=True)
    out = args.results_dir / f"{name}.json"
    tmp = out.with_suffix(".tmp")
    from sf_curric.evaluation.writers import jsonable

    tmp.write_text(json.dumps(jsonable(data), indent=1, allow_nan=False))
    os.replace(tmp, out)
    titles = {"test": "held-out levels", "train": "training levels", "hand": "hand-designed mazes"}
    for group in ("test", "train", "hand"):
        if group == "hand" and scale.env != "maze_levels":
            continue
        plot_curves(
            result, group, args.results_dir / f"{name}_{group}.png", f"{scale.env}: {group} return ({titles[group]})"
        )
    print(f"results: {out}")
    return data


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_run":
        _, _, scale_arg, method_arg, seed_arg, work_arg = sys.argv
        train_and_evaluate(_scale_from_json(scale_arg), method_arg, int(seed_arg), Path(work_arg))
    else:
        main()
