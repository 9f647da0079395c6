"""The learning figures the README and docs/getting_started.md quote, measured with the commands they show.

    python benchmarks/readme_figures.py --seeds 1 2 3 4 5

Each seed runs the README's quick-start command as typed (`python -m sf_curric.train --env=CartPole-v1
--experiment=cartpole --serial_mode=True`) plus `--seed=S`, a temporary `--train_dir` and a progress line after
every iteration (`--progress_interval_sec=0.001`, so the first step at which the average return over the last 100
episodes reaches 475 and 500 is exact to one iteration, 2048 env steps with CartPole's defaults), to the end of its
budget (300k env steps). The table gives each seed's steps to an average of 475 and of 500, the average at the end
and the wall seconds (start-up included), then the medians, with the load average beside them.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUICK_START = ["--env=CartPole-v1", "--experiment=cartpole", "--serial_mode=True"]  # README.md, quick start
PROGRESS = re.compile(r"env steps (\d+) \(.*avg return ([-\d.na]+) \(last (\d+) episodes\)")
TARGETS = (475.0, 500.0)


def run_seed(seed: int, train_dir: str, extra: list[str] = ()) -> dict:
    """One quick-start run: the first env steps at which the average reached each target, the final average."""
    cmd = [sys.executable, "-m", "sf_curric.train", *QUICK_START, f"--seed={seed}", f"--train_dir={train_dir}",
           "--progress_interval_sec=0.001", "--restart_behavior=overwrite", *extra]  # fmt: skip
    start = time.monotonic()
    out = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)), check=True)
    wall = time.monotonic() - start
    reached: dict[float, int | None] = dict.fromkeys(TARGETS)
    last = (0, float("nan"))
    for match in PROGRESS.finditer(out.stdout + out.stderr):
        steps, avg, episodes = int(match.group(1)), float(match.group(2)), int(match.group(3))
        last = (steps, avg)
        for target in TARGETS:
            if reached[target] is None and episodes >= 100 and avg >= target - 0.005:  # printed with 2 decimals
                reached[target] = steps
    return {"seed": seed, "reached": reached, "final_steps": last[0], "final_avg": last[1], "wall_s": wall}


def _fmt_steps(steps: int | None) -> str:
    return "-" if steps is None else f"{steps / 1000:.0f}k"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    args, extra = parser.parse_known_args(argv)  # other flags go to the train command (the smoke test's budget)
    print(f"README quick start: python -m sf_curric.train {' '.join([*QUICK_START, *extra])} --seed=S")
    print(f"load average before: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    rows = []
    with tempfile.TemporaryDirectory(prefix="readme_figures_") as train_dir:
        for seed in args.seeds:
            rows.append(run_seed(seed, train_dir, extra))
            r = rows[-1]
            print(f"seed {seed}: avg >= 475 at {_fmt_steps(r['reached'][475.0])}, 500 at "
                  f"{_fmt_steps(r['reached'][500.0])}, {r['final_avg']:.1f} at {r['final_steps']} steps, "
                  f"{r['wall_s']:.1f} s", flush=True)  # fmt: skip
    print("\n| seed | steps to avg 475 | steps to avg 500 | avg at the end | wall s |\n|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['seed']} | {_fmt_steps(r['reached'][475.0])} | {_fmt_steps(r['reached'][500.0])} | "
              f"{r['final_avg']:.1f} ({r['final_steps'] // 1000}k) | {r['wall_s']:.1f} |")  # fmt: skip
    for target in TARGETS:
        steps = [r["reached"][target] for r in rows if r["reached"][target] is not None]
        median = _fmt_steps(int(statistics.median(steps))) if steps else "-"
        span = f"{_fmt_steps(min(steps))}-{_fmt_steps(max(steps))}" if steps else "-"
        print(f"avg {target:.0f}: {len(steps)} of {len(rows)} seeds, median {median}, range {span}")
    print(f"median wall: {statistics.median(r['wall_s'] for r in rows):.1f} s; load average after: "
          f"{' '.join(f'{v:.2f}' for v in os.getloadavg())}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
