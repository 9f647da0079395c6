"""Time to solve CartPole-v1 with start-up included: sf_curric (defaults and tuned), Stable-Baselines3 (rl-zoo),
Sample Factory 2.1.1 (its best CPU config) and PufferLib 2.0.2 (benchmarks/puffer_train.py), interleaved in one run.

    python benchmarks/throughput.py --time_to_solve --seeds 1 2 3        # via the throughput benchmark
    python benchmarks/solve_race.py --seeds 1 2 3 [--trainers sfc_defaults sb3 ...]

Each run is a fresh process; the clock starts when the command is launched and stops at the first report whose
average return over the last 100 episodes is >= 475 (the process is then killed: its shutdown is not counted).
Reports come every 0.5 s for sf_curric (`--progress_interval_sec=0.5`, logging only), per rollout for SB3 and
PufferLib, and every 5 s for Sample Factory (its fixed report interval: up to 5 s late). The first progress line
is each trainer's first report of training progress. The peers run in their own virtual environments under
benchmarks/ (made on first use, see docs/PEERS in the issue tracker): .venv-sb3, .venv-sf, .venv-puffer.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Callable, Dict, List

from measure import fmt, median, run_measured  # benchmarks/measure.py, next to this script

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SOLVED = 475.0

# SB3's progress report (child code, run in SB3's venv): the average return of the last 100 episodes per rollout
SB3_REPORT = r"""
from collections import deque
from stable_baselines3.common.callbacks import BaseCallback

class Report(BaseCallback):
    def __init__(self):
        super().__init__()
        self.returns = deque(maxlen=100)

    def _on_rollout_end(self):
        avg = sum(self.returns) / len(self.returns) if self.returns else float("nan")
        print(f"progress steps {self.num_timesteps} avg {avg:.3f} n {len(self.returns)}", flush=True)

    def _on_step(self):
        for info in self.locals["infos"]:
            if "episode" in info:
                self.returns.append(info["episode"]["r"])
        return True
"""

SB3_CHILD = (
    SB3_REPORT
    + r"""
import sys, time
import torch
from stable_baselines3 import PPO
from stable_baselines3.common.env_util import make_vec_env

seed, budget = int(sys.argv[1]), int(sys.argv[2])
torch.set_num_threads(1)

lin = lambda v: (lambda p: p * v)
env = make_vec_env("CartPole-v1", n_envs=8, seed=seed)
model = PPO("MlpPolicy", env, n_steps=32, batch_size=256, gae_lambda=0.8, gamma=0.98, n_epochs=20, ent_coef=0.0,
            learning_rate=lin(0.001), clip_range=lin(0.2), seed=seed, device="cpu", verbose=0)
model.learn(total_timesteps=budget, callback=Report())
"""
)


class SolveWatcher:
    """Parses a trainer's output lines: first progress report, first (steps, seconds) with avg >= target."""

    def __init__(self, progress_re: str, target: float = SOLVED):
        self.progress_re = re.compile(progress_re)  # groups: steps, avg (and optionally the episode count)
        self.target = target
        self.first_progress_s: float | None = None
        self.solved_s: float | None = None
        self.solved_steps: int | None = None
        self.last_steps = 0
        self.last_avg: float | None = None  # the latest average return reported

    def __call__(self, line: str, t: float) -> None:
        m = self.progress_re.search(line)
        if not m:
            return
        if self.first_progress_s is None:
            self.first_progress_s = t
        steps, avg = int(float(m.group("steps"))), float(m.group("avg"))
        episodes = int(m.group("n")) if "n" in m.groupdict() and m.group("n") else 100
        self.last_steps, self.last_avg = steps, avg
        if self.solved_s is None and episodes >= 100 and avg >= self.target:
            self.solved_s, self.solved_steps = t, steps

    def solved(self) -> bool:
        return self.solved_s is not None


# sf_curric's progress line: "env steps N (..%), FPS F, avg return R (last K episodes)"
SFC_RE = r"env steps (?P<steps>\d+) .*avg return (?P<avg>-?[0-9.]+|nan) \(last (?P<n>\d+) episodes\)"
SB3_RE = r"progress steps (?P<steps>\d+) avg (?P<avg>-?[0-9.]+|nan) n (?P<n>\d+)"
# Sample Factory prints frames and the average of the last 100 episodes in two lines of one report
SF_FRAMES_RE = re.compile(r"Total num frames: (\d+)")
SF_REWARD_RE = re.compile(r"Avg episode reward: \[\(0, '([-0-9.]+)'")
PUFFER_RE = r"progress steps (?P<steps>\d+) avg (?P<avg>-?[0-9.]+|nan) n (?P<n>\d+)"

# sf_curric's tuned config: the throughput benchmark's (2 workers x 32 envs, rollout 16, 4 epochs of 4 x 256)
SFC_TUNED = [
    "--num_workers=2", "--num_envs_per_worker=32", "--rollout=16", "--batch_size=256", "--num_batches_per_epoch=4",
    "--num_epochs=4", "--train_for_env_steps=1000000", "--serial_mode=False",
]  # fmt: skip


class SfWatcher(SolveWatcher):
    """Sample Factory: frames and the average return come on separate lines of one report."""

    def __init__(self, target: float = SOLVED):
        super().__init__(r"(?!)", target)
        self.frames = 0

    def __call__(self, line: str, t: float) -> None:
        m = SF_FRAMES_RE.search(line)
        if m:
            self.frames = int(m.group(1))
            if self.first_progress_s is None and self.frames > 0:
                self.first_progress_s = t
        m = SF_REWARD_RE.search(line)
        if m:
            self.last_steps, self.last_avg = self.frames, float(m.group(1))
        if m and self.solved_s is None and float(m.group(1)) >= self.target:
            self.solved_s, self.solved_steps = t, self.frames


def sfc_command(train_dir: str, seed: int, extra: List[str], budget: int | None = None) -> List[str]:
    """`python -m sf_curric.train --env=CartPole-v1` as a user types it, plus `extra` (reports every 0.5 s)."""
    cmd = [sys.executable, "-m", "sf_curric.train", "--env=CartPole-v1", f"--seed={seed}", f"--train_dir={train_dir}",
           f"--experiment=race_{seed}", "--restart_behavior=overwrite", "--progress_interval_sec=0.5",
           f"--stop_when_avg_return={SOLVED}", *extra]  # fmt: skip
    return cmd + ([f"--train_for_env_steps={budget}"] if budget else [])


def run_until_solved(cmd: List[str], watcher: SolveWatcher, env: Dict[str, str], timeout: float) -> Dict:
    """Run `cmd` until `watcher` sees the target (then the process is killed) or `timeout`; what was measured."""
    res = run_measured(cmd, watcher, timeout=timeout, env=env, should_stop=watcher.solved)
    return {**res, "solved_s": watcher.solved_s, "solved_steps": watcher.solved_steps,
            "first_progress_s": watcher.first_progress_s, "last_steps": watcher.last_steps,
            "last_avg": watcher.last_avg}  # fmt: skip


def trainers(args, train_dir: str) -> Dict[str, Callable[[int], Dict]]:
    """name -> run(seed) for every trainer asked for."""
    sfc_env = {**os.environ, "PYTHONPATH": str(ROOT)}
    peer_env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}

    def race(cmd, watcher, env) -> Dict:
        return run_until_solved(cmd, watcher, env, args.timeout)

    runs: Dict[str, Callable[[int], Dict]] = {}
    if "sfc_defaults" in args.trainers:
        runs["sf_curric, defaults (`--env=CartPole-v1`)"] = lambda s: race(
            sfc_command(train_dir, s, []), SolveWatcher(SFC_RE), sfc_env
        )
    if "sfc_tuned" in args.trainers:
        runs["sf_curric, tuned (2 workers x 32 envs, 4 epochs)"] = lambda s: race(
            sfc_command(train_dir, s, SFC_TUNED), SolveWatcher(SFC_RE), sfc_env
        )
    if "sb3" in args.trainers:
        from time_to_solve import ensure_sb3_venv

        python = ensure_sb3_venv(HERE / ".venv-sb3")
        runs["Stable-Baselines3 PPO, rl-zoo settings"] = lambda s: race(
            [str(python), "-u", "-c", SB3_CHILD, str(s), str(args.budget)], SolveWatcher(SB3_RE), peer_env
        )
    if "sf" in args.trainers:
        from sample_factory_peer import SF_PYTHON, SF_SAME_MODEL, ensure_sample_factory

        ensure_sample_factory()
        runs["Sample Factory 2.1.1, batched sampling, 2 x 32 envs"] = lambda s: race(
            [
                str(SF_PYTHON),
                "-m",
                "sf_examples.train_gym_env",
                "--env=CartPole-v1",
                "--device=cpu",
                f"--experiment=race_sf_{s}",
                f"--train_dir={train_dir}",
                "--restart_behavior=overwrite",
                "--train_for_env_steps=1000000",
                "--algo=APPO",
                "--use_rnn=False",
                "--recurrence=1",
                "--with_vtrace=False",
                "--batch_size=512",
                "--reward_scale=0.1",
                f"--seed={s}",
                "--num_workers=2",
                "--num_envs_per_worker=32",
                "--policy_workers_per_policy=2",
                "--batched_sampling=True",
                *SF_SAME_MODEL,
            ],  # fmt: skip
            SfWatcher(),
            peer_env,
        )
    if "puffer" in args.trainers:
        from puffer_bench import PUFFER_NAME, ensure_pufferlib, puffer_command

        ensure_pufferlib()
        runs[PUFFER_NAME] = lambda s: race(puffer_command(s, args.puffer_budget), SolveWatcher(PUFFER_RE), peer_env)
    return runs


def race_table(args) -> List[str]:
    """Run every trainer on every seed (interleaved), return the markdown table."""
    with tempfile.TemporaryDirectory(prefix="sfc_race_") as train_dir:
        runs = trainers(args, train_dir)
        results: Dict[str, List[Dict]] = {name: [] for name in runs}
        load_start = os.getloadavg()[0]
        for seed in args.seeds:
            for name, run in runs.items():
                res = run(seed)
                results[name].append(res)
                print(f"  {name} seed {seed}: solved at {fmt(res['solved_s'], '.1f')} s / "
                      f"{fmt(res['solved_steps'])} steps, first progress {fmt(res['first_progress_s'], '.1f')} s, "
                      f"load {os.getloadavg()[0]:.1f}", flush=True)  # fmt: skip
                if res["solved_s"] is None:
                    print("\n".join(res["tail"][-8:]), flush=True)
    lines = [
        f"CartPole-v1, seconds from the command's start until avg return (last 100 episodes) >= {SOLVED:g}, "
        f"start-up included; medians over seeds {args.seeds} (per seed in brackets); {os.cpu_count()} cores, load "
        f"average {load_start:.1f} at the start, {os.getloadavg()[0]:.1f} at the end",
        "",
        "| trainer | seconds to solve | env steps to solve | first progress line (s) |",
        "|---|---|---|---|",
    ]

    def cell(values, spec):
        text = fmt(median(values), spec)
        return text + (" (" + " / ".join(fmt(v, spec) for v in values) + ")" if len(values) > 1 else "")

    for name, runs_ in results.items():
        lines.append(
            f"| {name} | {cell([r['solved_s'] for r in runs_], '.1f')} | "
            f"{cell([r['solved_steps'] for r in runs_], ',.0f')} | "
            f"{cell([r['first_progress_s'] for r in runs_], '.1f')} |"
        )
    medians = {name: median([r["solved_s"] for r in rs]) for name, rs in results.items()}
    ours = [n for n in medians if n.startswith("sf_curric")]
    theirs = [n for n in medians if not n.startswith("sf_curric")]
    for a in ours:
        for b in theirs:
            if medians[a] and medians[b]:
                lines.append(f"| ratio {a} / {b} | {medians[a] / medians[b]:.2f}x | | |")
    return lines


TRAINERS = ("sfc_defaults", "sfc_tuned", "sb3", "sf", "puffer")


def add_race_args(parser: argparse.ArgumentParser) -> None:
    """The race's flags (shared with throughput.py's --time_to_solve)."""
    parser.add_argument("--trainers", nargs="+", choices=TRAINERS, default=list(TRAINERS))
    parser.add_argument("--budget", type=int, default=200_000, help="Env steps of SB3's schedule.")
    parser.add_argument(
        "--puffer_budget", type=int, default=500_000,
        help="Env steps of PufferLib's learning-rate schedule (with 200k the annealed rate left seed 3 unsolved).",
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--timeout", type=float, default=300.0, help="Seconds before an unsolved run is killed.")
    add_race_args(parser)
    print("\n".join(race_table(parser.parse_args())))


if __name__ == "__main__":
    main()
