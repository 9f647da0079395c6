"""ued_maze speed beside jaxued on this CPU, in one run: the env alone, then training (DR and ACCEL), peak memory.

    python benchmarks/ued_maze_speed.py                       # env alone, DR and ACCEL training, ~15 minutes
    python benchmarks/ued_maze_speed.py --methods dr --train_seconds 60 --env_seconds 5    # a quicker look

jaxued 0.0.1 runs in its own venv (benchmarks/.venv-jaxued, installed on first use by jaxued_peer.py), driven by
benchmarks/jaxued_train.py the way its maze_dr.py / maze_plr.py drive it. Both sides use the same agent (conv
3x3x16, direction embedding 5, LSTM 256, heads of 32) and PPO work per update (32 envs x 256 steps, 5 epochs of one
minibatch): sf_curric with `--env=ued_maze`'s defaults (jaxued's settings, docs/ued_maze.md) and the layout flags of
`--sfc_args`.

- env alone: random actions in 32 and 256 envs; ours through `UedMazeVector` (what a rollout worker steps: one
  numpy operation per step, finished mazes reset on new random levels), jaxued's `Maze` vmapped inside a jitted
  `lax.scan` of 256 steps with `AutoResetWrapper` (the training rollout's shape without the network).
- training: env steps per second after start-up (sf_curric: progress lines after the first; jaxued: chunks of 2
  updates timed after their results arrive, the first chunk, which compiles, left out); each run lasts
  `--train_seconds` and until it has 3 timed reports (at most 3 x `--train_seconds`). ACCEL is measured in its
  replay phase: both sides start replaying once the buffer holds `--accel_min_fill` levels (default 32; the papers'
  2000 make the first ~500k steps, all new levels and no gradient step, a warm-up that both skip the backward pass
  of).
- env steps per CPU second over the same reports (user + system time of the run's processes): a figure the load of
  a shared machine changes less than steps per wall second.
- peak memory: PSS of each run's process tree.

Runs alternate (ours, jaxued) so a change of machine load hits both; the load average is printed beside. Results:
benchmarks/results/ued_maze_speed.json and the printed markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import psutil

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))
from jaxued_peer import ensure_jaxued, jaxued_env  # noqa: E402
from measure import cpu_seconds, run_measured  # noqa: E402

PROGRESS_RE = re.compile(r"env steps (\d+) \(")
JAXUED_CHUNK_RE = re.compile(r"chunk (\d+) steps (\d+) seconds ([0-9.]+)")
JAXUED_ENV_RE = re.compile(r"env_only num_envs (\d+) sps ([0-9.]+)")
DEFAULT_SFC_ARGS = ""  # --env=ued_maze alone: its defaults (serial mode, 32 envs, 1 torch thread on 2 cores)


def ours_env_only(num_envs: int, seconds: float) -> float:
    """Env steps per second of `UedMazeVector(num_envs)` with random actions, finished mazes reset as a worker does."""
    from sf_curric.envs.builtin.ued_maze_vector import UedMazeVector

    envs, rng = UedMazeVector(num_envs), np.random.default_rng(0)
    envs.reset(seed=0)
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(256):
            _, _, terminated, truncated, _ = envs.step(rng.integers(7, size=num_envs))
            done = terminated | truncated
            if done.any():
                envs.reset(options={"reset_mask": done})
        steps += 256 * num_envs
    return steps / (time.perf_counter() - start)


def jaxued_env_only(python: Path, num_envs: int, seconds: float) -> float:
    """jaxued's env steps per second (`jaxued_train.py --env_only`)."""
    cmd = [str(python), str(HERE / "jaxued_train.py"), f"--env_only={num_envs}", f"--seconds={seconds}"]
    out = subprocess.run(cmd, capture_output=True, text=True, env=jaxued_env(), timeout=600)
    match = JAXUED_ENV_RE.search(out.stdout)
    if match is None:
        raise RuntimeError(f"jaxued env-only run failed: {out.stderr[-2000:]}")
    return float(match.group(2))


def children_cpu_seconds() -> float:
    """User + system CPU seconds used so far by this process's children (the run being measured and its workers)."""
    return cpu_seconds(psutil.Process().children(recursive=True))


def ours_training(method: str, seconds: float, args: argparse.Namespace, train_dir: str) -> dict[str, Any]:
    """One sf_curric training run for `seconds`: steady env steps/s (progress lines after the first), env steps per
    CPU second over the same lines, and peak PSS."""
    points: list[tuple[float, int, float]] = []

    def on_line(line: str, t: float) -> None:
        match = PROGRESS_RE.search(line)
        if match:
            points.append((t, int(match.group(1)), children_cpu_seconds()))

    cmd = [
        sys.executable, "-m", "sf_curric.train", "--env=ued_maze", f"--curriculum={method}",
        f"--experiment={method}_{int(time.time())}", f"--train_dir={train_dir}", "--train_for_env_steps=1000000000",
        f"--accel_min_fill={args.accel_min_fill}", "--progress_interval_sec=5", "--save_every_sec=100000", "--seed=1",
        *args.sfc_args.split(),
    ]  # fmt: skip
    start = time.monotonic()

    def enough() -> bool:  # `seconds`, and at least 3 progress lines after the first (at most 3 x `seconds`)
        return time.monotonic() - start >= seconds and len(points) >= 4

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    res = run_measured(cmd, on_line, timeout=3 * seconds, env=env, should_stop=enough)
    return {**_rate(points[1:]), "peak_pss_mib": res["peak_pss_bytes"] / 2**20, "tail": res["tail"][-5:]}


def jaxued_training(python: Path, method: str, seconds: float, args: argparse.Namespace) -> dict[str, Any]:
    """One jaxued run (jaxued_train.py) for `seconds`: env steps/s over the chunks after the first, and peak PSS."""
    chunks: list[tuple[int, float, float]] = []

    def on_line(line: str, t: float) -> None:
        match = JAXUED_CHUNK_RE.search(line)
        if match:
            chunks.append((int(match.group(2)), float(match.group(3)), children_cpu_seconds()))

    ratio = args.accel_min_fill / 4000
    cmd = [str(python), "-u", str(HERE / "jaxued_train.py"), f"--method={method}", "--updates=100000",
           f"--chunk={args.jaxued_chunk}", f"--min_fill_ratio={ratio}"]  # fmt: skip
    start = time.monotonic()

    def enough() -> bool:  # `seconds`, and at least 3 chunks after the first (at most 3 x `seconds`)
        return time.monotonic() - start >= seconds and len(chunks) >= 4

    res = run_measured(cmd, on_line, timeout=3 * seconds, env=jaxued_env(), should_stop=enough)
    later = chunks[1:]  # the first chunk compiles
    steps = (later[-1][0] - chunks[0][0]) if later else 0
    elapsed = sum(s for _, s, _ in later)
    cpu = (later[-1][2] - chunks[0][2]) if later else 0.0
    rate = {"sps": steps / elapsed if elapsed else None, "steps_timed": steps, "seconds_timed": elapsed,
            "steps_per_cpu_s": steps / cpu if cpu > 0 else None}  # fmt: skip
    return {**rate, "peak_pss_mib": res["peak_pss_bytes"] / 2**20, "tail": res["tail"][-5:]}


def _rate(points: list[tuple[float, int, float]]) -> dict[str, Any]:
    if len(points) < 2:
        return {"sps": None, "steps_timed": 0, "seconds_timed": 0.0, "steps_per_cpu_s": None}
    (t0, s0, c0), (t1, s1, c1) = points[0], points[-1]
    cpu = c1 - c0
    return {"sps": (s1 - s0) / (t1 - t0), "steps_timed": s1 - s0, "seconds_timed": t1 - t0,
            "steps_per_cpu_s": (s1 - s0) / cpu if cpu > 0 else None}  # fmt: skip


def _fmt(value: float | None, spec: str = ",.0f") -> str:
    return "-" if value is None else format(value, spec)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--methods", nargs="+", default=["dr", "accel"], choices=["dr", "plr", "robust_plr", "accel"])
    parser.add_argument(
        "--train_seconds", type=float, default=240.0, help="wall seconds of each training run (longer until 3 reports)"
    )
    parser.add_argument("--env_seconds", type=float, default=10.0, help="seconds of each env-only measurement")
    parser.add_argument("--accel_min_fill", type=int, default=32, help="levels in the buffer before replays")
    parser.add_argument("--jaxued_chunk", type=int, default=2, help="jaxued updates per jitted call")
    parser.add_argument("--sfc_args", default=DEFAULT_SFC_ARGS, help="sf_curric flags added (e.g. a layout)")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "ued_maze_speed.json")
    args = parser.parse_args(argv)
    python = ensure_jaxued()
    loads = [os.getloadavg()[0]]
    env_rows = []
    for n in (32, 256):
        ours, theirs = ours_env_only(n, args.env_seconds), jaxued_env_only(python, n, args.env_seconds)
        env_rows.append({"num_envs": n, "sf_curric": ours, "jaxued": theirs})
        print(f"env alone, {n} envs: sf_curric {ours:,.0f} steps/s, jaxued {theirs:,.0f} steps/s", flush=True)
    train_rows = []
    with tempfile.TemporaryDirectory(prefix="ued_speed_") as train_dir:
        for method in args.methods:
            loads.append(os.getloadavg()[0])
            ours = ours_training(method, args.train_seconds, args, train_dir)
            theirs = jaxued_training(python, method, args.train_seconds, args)
            train_rows.append({"method": method, "sf_curric": ours, "jaxued": theirs})
            print(f"training {method}: sf_curric {_fmt(ours['sps'])} steps/s, jaxued {_fmt(theirs['sps'])} steps/s",
                  flush=True)  # fmt: skip
    loads.append(os.getloadavg()[0])
    lines = [
        "| measurement | sf_curric | jaxued 0.0.1 | ratio | peak memory (PSS) sf_curric / jaxued |",
        "|---|---|---|---|---|",
    ]
    for row in env_rows:
        ratio = row["sf_curric"] / row["jaxued"]
        lines.append(f"| env alone, {row['num_envs']} envs, steps/s | {row['sf_curric']:,.0f} | {row['jaxued']:,.0f} "
                     f"| {ratio:.2f}x | |")  # fmt: skip
    for row in train_rows:
        ours, theirs = row["sf_curric"], row["jaxued"]
        for key, what in (("sps", "env steps/s"), ("steps_per_cpu_s", "env steps per CPU second")):
            ratio = ours[key] / theirs[key] if ours[key] and theirs[key] else None
            memory = f"{ours['peak_pss_mib']:,.0f} / {theirs['peak_pss_mib']:,.0f} MiB" if key == "sps" else ""
            lines.append(f"| training {row['method']}, {what} | {_fmt(ours[key])} | {_fmt(theirs[key])} | "
                         f"{_fmt(ratio, '.2f')}x | {memory} |")  # fmt: skip
    table = "\n".join(lines)
    print(f"\nload average (1 min) during the run: {', '.join(f'{x:.1f}' for x in loads)}; sf_curric: {args.sfc_args}")
    print(table)
    settings = {**vars(args), "out": str(args.out)}
    data = {"env_only": env_rows, "training": train_rows, "load_averages": loads, "args": settings, "table": table}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data, indent=1))
    return data


if __name__ == "__main__":
    main()
