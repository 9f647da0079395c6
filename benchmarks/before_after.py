"""Training throughput of a past revision and of this checkout, alternated in one invocation (a refactor's "no loss").

Extracts `--before` (a git revision, default HEAD~1) with `git archive` into a temporary folder and trains the same
configurations with both trees (B A B A ...), so load from anything else on the machine falls on both alike. Each
run is `sf_curric.train` with a PLR or DR curriculum on 200 CartPole levels; FPS = env steps / training seconds read
from the final checkpoint (start-up excluded). On a shared machine wall seconds follow the load, so each run also
reports env steps per CPU-second of its whole process tree (runner, workers, forkserver; start-up included), which
the load changes much less.

    python benchmarks/before_after.py --before=c39a91c                     # serial and parallel, PLR and DR
    python benchmarks/before_after.py --before=c39a91c --rounds=1 --steps=20000 --configs serial_plr   # a quick look
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# flags shared by every configuration; the keys below add theirs
COMMON = ["--num_envs_per_worker=32", "--device=cpu", "--save_every_sec=100000", "--log_level=warning"]
CONFIGS = {
    "serial_plr": ["--serial_mode=True", "--num_workers=1", "--curriculum=plr", "--plr_strategy=value_l1"],
    "serial_plr_entropy": [
        "--serial_mode=True",
        "--num_workers=1",
        "--curriculum=plr",
        "--plr_strategy=policy_entropy",
    ],  # fmt: skip
    "serial_dr": ["--serial_mode=True", "--num_workers=1", "--curriculum=dr"],
    "parallel_plr": ["--serial_mode=False", "--num_workers=2", "--curriculum=plr", "--plr_strategy=value_l1"],
    "parallel_dr": ["--serial_mode=False", "--num_workers=2", "--curriculum=dr"],
}

# the env factory lives in its own module: worker processes import it by name (a lambda cannot be sent to them)
LEVELS_MODULE = """
import gymnasium as gym
from sf_curric_examples.cartpole_levels import CartPoleLevels

def make_levels():
    return CartPoleLevels(gym.make("CartPole-v1"))
"""

CHILD = """
import json, sys
from gymnasium.spaces import Discrete
from bench_levels import make_levels
from sf_curric.envs.registry import register_env
from sf_curric.train import run_with_result
from sf_curric.utils.checkpoint import find_newest_checkpoint, load_checkpoint

register_env("cartpole_levels", make_levels, task_space=Discrete(200))
if __name__ == "__main__":
    result = run_with_result(sys.argv[1:])
    train_dir, experiment = sys.argv[1].split("=", 1)[1], sys.argv[2].split("=", 1)[1]
    state = load_checkpoint(find_newest_checkpoint(f"{train_dir}/{experiment}"))
    print("RESULT " + json.dumps({"env_steps": state["env_steps"], "train_seconds": state["train_seconds"]}))
"""


def extract_revision(revision: str, dest: Path) -> Path:
    """`git archive REVISION` of this repository, unpacked under dest."""
    archive = dest / "before.tar"
    subprocess.run(["git", "-C", str(ROOT), "archive", "-o", str(archive), revision], check=True)
    tree = dest / "before"
    with tarfile.open(archive) as tar:
        tar.extractall(tree, filter="data")
    return tree


def _children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # every descendant waited for, workers included
    return usage.ru_utime + usage.ru_stime


def train_once(tree: Path, config: str, steps: int, seed: int, work: Path) -> tuple[float, float]:
    """`(FPS, env steps per CPU-second)` of one training run with the package of `tree`."""
    child = work / "child.py"
    child.write_text(CHILD)
    (work / "bench_levels.py").write_text(LEVELS_MODULE)
    experiment = f"{tree.name}_{config}_{seed}"
    argv = [f"--train_dir={work}", f"--experiment={experiment}", "--env=cartpole_levels", f"--seed={seed}",
            f"--train_for_env_steps={steps}", *COMMON, *CONFIGS[config]]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tree), str(work)])}
    cpu_before = _children_cpu_seconds()
    proc = subprocess.run([sys.executable, str(child), *argv], env=env, cwd=tree, capture_output=True, text=True)
    cpu_seconds = _children_cpu_seconds() - cpu_before
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        raise SystemExit(f"{experiment} failed:\n{proc.stderr[-3000:]}")
    result = json.loads(lines[-1][len("RESULT ") :])
    return result["env_steps"] / result["train_seconds"], result["env_steps"] / cpu_seconds


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", default="HEAD~1", help="git revision to compare this checkout with")
    parser.add_argument("--configs", nargs="+", default=["serial_plr", "serial_dr", "parallel_plr", "parallel_dr"],
                        choices=sorted(CONFIGS))  # fmt: skip
    parser.add_argument("--steps", type=int, default=60_000)
    parser.add_argument("--rounds", type=int, default=3, help="before/after pairs per configuration")
    parser.add_argument("--output", default=None, help="also write the results as JSON here")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.steps < 1:
        parser.error("--rounds and --steps must be at least 1")

    with tempfile.TemporaryDirectory(prefix="sf_curric_before_after_") as tmp:
        work = Path(tmp)
        trees = {"before": extract_revision(args.before, work), "after": ROOT}
        fps = {(config, side): [] for config in args.configs for side in trees}
        per_cpu = {(config, side): [] for config in args.configs for side in trees}
        for round_idx in range(args.rounds):
            for config in args.configs:
                for side in ("before", "after") if round_idx % 2 == 0 else ("after", "before"):
                    value, steps_per_cpu = train_once(trees[side], config, args.steps, seed=round_idx + 1, work=work)
                    fps[(config, side)].append(value)
                    per_cpu[(config, side)].append(steps_per_cpu)
                    line = f"round {round_idx} {config:20s} {side:6s} FPS {value:8.0f}"
                    print(f"{line}  steps/CPU-s {steps_per_cpu:8.0f}", flush=True)

    print(f"\n{args.rounds} round(s) of {args.steps} env steps; before = {args.before}, after = this checkout; medians")
    print(f"{'config':20s} {'before FPS':>11s} {'after FPS':>10s} {'ratio':>6s} {'before/CPU-s':>13s} "
          f"{'after/CPU-s':>12s} {'ratio':>6s}")  # fmt: skip
    rows = []
    for config in args.configs:
        before, after = statistics.median(fps[(config, "before")]), statistics.median(fps[(config, "after")])
        cpu_b, cpu_a = statistics.median(per_cpu[(config, "before")]), statistics.median(per_cpu[(config, "after")])
        rows.append({
            "config": config, "before_fps": fps[(config, "before")], "after_fps": fps[(config, "after")],
            "before_steps_per_cpu_s": per_cpu[(config, "before")], "after_steps_per_cpu_s": per_cpu[(config, "after")],
        })  # fmt: skip
        print(f"{config:20s} {before:11.0f} {after:10.0f} {after / before:6.2f} {cpu_b:13.0f} {cpu_a:12.0f} "
              f"{cpu_a / cpu_b:6.2f}")  # fmt: skip
    if args.output:
        Path(args.output).write_text(json.dumps({"before": args.before, "steps": args.steps, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
