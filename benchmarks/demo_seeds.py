"""The README demo over several seeds: both arms (the curriculum and `--curriculum=none`), one table (docs/demo.md).

    python benchmarks/demo_seeds.py [--seeds 1 2 3 4 5] [--train_dir DIR] [--steps N]

Runs README line 1's train command once per seed, as written except for `--seed`, `--experiment` and
`--train_dir` (and `--train_for_env_steps` when `--steps` is given). That command trains the curriculum arm and,
through `--baseline_curriculum=none`, the same command without a curriculum in a second process, side by side. The
table has, per seed: the wall and CPU seconds of the pair, the load average, the env steps at which the curriculum
first reached its last level (the env's own start), and each arm's mean and 95 % interval on every end-of-training
group; then the mean over seeds of each arm's hardest-group mean with a 95 % t-interval over seeds. Raw results go
to `--out` (JSON) beside the printed table.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LEVEL_LINE = re.compile(r"env steps (\d+) .*level (\d+)/(\d+)")


def readme_train_flags() -> list[str]:
    """The flags of README line 1's `python -m sf_curric.train` command."""
    block = re.search(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    first = block.group(1).strip().splitlines()[0]
    train = next(part for part in first.split("&&") if "sf_curric.train" in part)
    words = shlex.split(train)
    return words[words.index("sf_curric.train") + 1 :]


def last_level_steps(log: Path) -> int | None:
    """Env steps of the first progress line on which the curriculum is at its last level (None if never)."""
    for line in log.read_text().splitlines() if log.exists() else []:
        match = LEVEL_LINE.search(line)
        if match and match.group(2) == match.group(3):
            return int(match.group(1))
    return None


def run_seed(flags: list[str], seed: int, train_dir: Path, steps: int | None) -> dict:
    """Run the README command for one seed; its timings and both arms' end-of-training groups."""
    experiment = f"seed_{seed}"
    extra = [f"--seed={seed}", f"--experiment={experiment}", f"--train_dir={train_dir}", "--restart_behavior=overwrite"]
    extra += [f"--train_for_env_steps={steps}"] if steps else []
    command = [sys.executable, "-m", "sf_curric.train", *flags, *extra]
    load = os.getloadavg()[0]
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - start
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"seed {seed} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    sentence = json.loads((train_dir / experiment / "baseline_comparison.json").read_text())["sentence"]
    arms = {}
    for arm, folder in (("curriculum", experiment), ("none", f"{experiment}_none")):
        arms[arm] = json.loads((train_dir / folder / "final_eval.json").read_text())["groups"]
    return {
        "seed": seed,
        "wall_s": wall,
        "cpu_s": cpu,
        "load_start": load,
        "load_end": os.getloadavg()[0],
        "last_level_steps": last_level_steps(train_dir / experiment / "sf_log.txt"),
        "arms": arms,
        "sentence": sentence,
    }


def _cell(group: dict) -> str:
    return f"{group['mean']:.2f} [{group['ci95_low']:.2f}, {group['ci95_high']:.2f}]"


def print_table(results: list[dict]) -> None:
    from sf_curric.evaluation.stats import summarize

    groups = list(results[0]["arms"]["curriculum"])
    header = f"{'seed':>4} {'wall s':>7} {'cpu s':>6} {'load':>5} {'last level at':>13}"
    for group in groups:
        header += f"  {group + ': curriculum':<26} {group + ': none':<20}"
    print(header)
    for r in results:
        reached = "never" if r["last_level_steps"] is None else str(r["last_level_steps"])
        line = f"{r['seed']:>4} {r['wall_s']:>7.0f} {r['cpu_s']:>6.0f} {r['load_start']:>5.1f} {reached:>13}"
        for group in groups:
            line += f"  {_cell(r['arms']['curriculum'][group]):<26} {_cell(r['arms']['none'][group]):<20}"
        print(line)
    for arm in ("curriculum", "none"):
        s = summarize([r["arms"][arm]["hardest"]["mean"] for r in results])
        print(f"hardest group, {arm}: mean over {s.n} seeds {s.mean:.2f}, 95 % t-interval over seeds "
              f"[{s.ci95_low:.2f}, {s.ci95_high:.2f}]")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--steps", type=int, default=None, help="--train_for_env_steps (default: the README's)")
    parser.add_argument("--train_dir", type=Path, default=ROOT / "train_dir" / "demo_seeds")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "demo_seeds.json")
    args = parser.parse_args(argv)
    flags = readme_train_flags()
    print("README command:", "python -m sf_curric.train", " ".join(flags), flush=True)
    results = []
    for seed in args.seeds:
        results.append(run_seed(flags, seed, args.train_dir, args.steps))
        r = results[-1]
        print(f"seed {seed}: {r['wall_s']:.0f} s wall, {r['cpu_s']:.0f} s CPU, load {r['load_start']:.1f}; "
              f"{r['sentence']}", flush=True)  # fmt: skip
    print_table(results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"flags": flags, "results": results}, indent=1))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
