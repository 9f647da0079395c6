"""Start-up time of `python -m sf_curric.train`: seconds from the command to the first env step, to the first
progress line, and to the end of the process, for CartPole-v1 (a benchmark, not a timed test).

    python benchmarks/startup.py                       # auto defaults and a 1-worker parallel run, 3 runs each
    python benchmarks/startup.py --runs 5 --configs auto

The first env step is recorded by benchmarks/startup_probe/sitecustomize.py (on the child's PYTHONPATH only), in
whichever process steps the env first (the runner in serial mode, a rollout worker otherwise). Each run trains
--steps env steps. Baselines in the same table: `python -c "import torch"` (the floor of any torch trainer) and
`python -c "import sf_curric.train"`. Figures depend on the machine's load: the table prints the load average.
"""

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
PROBE = ROOT / "benchmarks" / "startup_probe"
CONFIGS = {
    "auto": [],  # what `--env=CartPole-v1` gives on this machine
    "parallel_1_worker": ["--serial_mode=False", "--num_workers=1", "--num_envs_per_worker=8"],
    "static_defaults": ["--auto_defaults=False"],
}
PROGRESS_RE = re.compile(r"env steps \d+")


def time_command(cmd: list, timeout: float = 300.0) -> dict:
    """Run `cmd` with the probe; seconds to the first env step, the first progress line and the exit."""
    with tempfile.NamedTemporaryFile("r", suffix=".txt") as marks:
        env = dict(os.environ, SFC_STARTUP_FILE=marks.name, PYTHONPATH=f"{PROBE}{os.pathsep}{ROOT}")
        t0 = time.time()
        env["SFC_STARTUP_T0"] = repr(t0)
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=ROOT)
        first_progress, tail = None, []
        for line in proc.stdout:
            tail = (tail + [line.rstrip()])[-20:]
            if first_progress is None and PROGRESS_RE.search(line):
                first_progress = time.time() - t0
        code = proc.wait(timeout)
        exit_s = time.time() - t0
        steps = [float(x.split()[1]) for x in Path(marks.name).read_text().splitlines() if x.startswith("first_env")]
    if code != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({code}):\n" + "\n".join(tail))
    return {"first_env_step": min(steps) if steps else None, "first_progress": first_progress, "exit": exit_s}


def _median(values):
    present = [v for v in values if v is not None]
    return f"{statistics.median(present):.2f}" if present else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--configs", nargs="+", choices=sorted(CONFIGS), default=["auto", "parallel_1_worker"])
    parser.add_argument("--steps", type=int, default=2000, help="env steps each training run takes")
    args = parser.parse_args()

    commands = {
        'python -c "import torch"': [sys.executable, "-c", "import torch"],
        'python -c "import sf_curric.train"': [sys.executable, "-c", "import sf_curric.train"],
    }
    with tempfile.TemporaryDirectory(prefix="sfc_startup_") as train_dir:
        for name in args.configs:
            commands[f"sf_curric.train --env=CartPole-v1 {' '.join(CONFIGS[name])}".strip()] = [
                sys.executable, "-m", "sf_curric.train", "--env=CartPole-v1", f"--train_dir={train_dir}",
                f"--experiment={name}", "--restart_behavior=overwrite", f"--train_for_env_steps={args.steps}",
                "--seed=1", *CONFIGS[name],
            ]  # fmt: skip
        load_start = os.getloadavg()[0]
        results = {name: [] for name in commands}
        for run in range(args.runs):  # interleaved: load changes hit every command alike
            for name, cmd in commands.items():
                results[name].append(time_command(cmd))
                print(f"run {run + 1} {name}: {results[name][-1]}", flush=True)
    print()
    print(
        f"Start-up, medians of {args.runs} runs, {os.cpu_count()} cores, load average {load_start:.1f} at the start, "
        f"{os.getloadavg()[0]:.1f} at the end"
    )
    print()
    print("| command | first env step (s) | first progress line (s) | process end (s) |")
    print("|---|---|---|---|")
    for name, runs in results.items():
        cells = [_median([r[k] for r in runs]) for k in ("first_env_step", "first_progress", "exit")]
        print(f"| `{name}` | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
