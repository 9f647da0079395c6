"""The CartPole curriculum's learning curve: return on the whole task space vs env steps (docs/examples.md).

    python benchmarks/demo_learning_curve.py [--steps 300000] [--curricula simple_box none] [--reuse]

Trains the built-in `--env=cartpole_curriculum` (SimpleBoxCurriculum; the README's demo before the FrozenLake one)
and the same run with each other `--curriculum` given, keeping a checkpoint every `--save_every_sec` seconds; then
evaluates `--max_points` checkpoints (evenly spread) on `--tasks` tasks drawn from the whole task space (one
episode each, the same tasks for every checkpoint) and plots mean return vs env steps. Needs the `plots` extra
(matplotlib).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def train(curriculum: str, steps: int, train_dir: Path, save_every_sec: int, seed: int) -> None:
    cmd = [
        sys.executable, "-m", "sf_curric.train", "--env=cartpole_curriculum", f"--experiment=demo_{curriculum}",
        f"--train_dir={train_dir}", f"--train_for_env_steps={steps}", f"--curriculum={curriculum}",
        f"--save_every_sec={save_every_sec}", "--keep_checkpoints=1000", "--restart_behavior=overwrite",
        f"--seed={seed}",
    ]  # fmt: skip
    subprocess.run(cmd, cwd=ROOT, check=True)


def trained_already(exp_dir: Path, steps: int) -> bool:
    from sf_curric.utils.checkpoint import list_checkpoints

    ckpts = list_checkpoints(exp_dir / "checkpoint_p0")
    return bool(ckpts) and int(ckpts[-1].stem.rsplit("_", 1)[1]) >= steps


def curve(exp_dir: Path, train_dir: Path, tasks: int, max_points: int) -> list[tuple[int, float]]:
    """(env steps, mean return on `tasks` whole-space tasks) for up to `max_points` checkpoints, evenly spread."""
    from sf_curric.command_line import parse_args
    from sf_curric.evaluation.evaluate import evaluate
    from sf_curric.utils.checkpoint import list_checkpoints

    ckpts = list_checkpoints(exp_dir / "checkpoint_p0")
    if len(ckpts) > max_points:
        ckpts = [ckpts[round(i * (len(ckpts) - 1) / (max_points - 1))] for i in range(max_points)]
    points = []
    for ckpt in ckpts:
        cfg = parse_args(
            [f"--train_dir={train_dir}", f"--experiment={exp_dir.name}", "--eval_tasks=train",
             f"--eval_num_tasks={tasks}", "--eval_episodes_per_task=1", "--seed=123",
             f"--eval_output={exp_dir / 'eval_curve'}", "--log_level=warning"],
            evaluation=True,
        )  # fmt: skip
        report = evaluate(cfg, checkpoint_path=ckpt)
        points.append((int(report.data["env_steps"]), float(report.data["groups"]["train"]["mean"])))
    return points


def plot(curves: dict[str, list[tuple[int, float]]], out: Path, command: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    for name, points in curves.items():
        xs, ys = zip(*points) if points else ((), ())
        ax.plot(xs, ys, marker="o", markersize=3, label=f"--curriculum={name}")
    ax.set_xlabel("env steps")
    ax.set_ylabel("mean return, tasks drawn from the whole space")
    ax.set_title("cartpole_curriculum: return on the whole task space", fontsize=10)
    ax.set_ylim(0, 520)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    fig.text(0.01, 0.01, command, fontsize=6, color="gray")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300_000)
    parser.add_argument("--curricula", nargs="+", default=["simple_box", "none"])
    parser.add_argument("--tasks", type=int, default=50, help="whole-space tasks per checkpoint (one episode each)")
    parser.add_argument("--save_every_sec", type=int, default=10)
    parser.add_argument("--max_points", type=int, default=15, help="checkpoints evaluated per curve, evenly spread")
    parser.add_argument(
        "--reuse", action="store_true", help="skip training (and evaluation) already done for these settings"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--train_dir", type=Path, default=ROOT / "train_dir" / "demo_learning_curve")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img" / "demo_learning_curve.png")
    args = parser.parse_args(argv)
    command = "python benchmarks/demo_learning_curve.py " + " ".join(argv if argv is not None else sys.argv[1:])
    curves = {}
    for curriculum in args.curricula:
        exp_dir = args.train_dir / f"demo_{curriculum}"
        if not (args.reuse and trained_already(exp_dir, args.steps)):
            train(curriculum, args.steps, args.train_dir, args.save_every_sec, args.seed)
        cache = exp_dir / f"curve_{args.tasks}_tasks_{args.max_points}_points.json"
        if args.reuse and cache.is_file():
            curves[curriculum] = [tuple(p) for p in json.loads(cache.read_text())]
        else:
            curves[curriculum] = curve(exp_dir, args.train_dir, args.tasks, args.max_points)
            cache.write_text(json.dumps(curves[curriculum]))
        print(curriculum, json.dumps(curves[curriculum]), flush=True)
    plot(curves, args.out, command.strip())
    (args.out.with_suffix(".json")).write_text(json.dumps({"command": command.strip(), "curves": curves}, indent=1))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
