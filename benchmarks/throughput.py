"""Throughput benchmark: sf_curric against Sample Factory 2.1.1, and against the raw env step rate.

Run from the repository root (installs Sample Factory into benchmarks/.venv-sf on first use):

    python benchmarks/throughput.py                          # everything, 1 seed
    python benchmarks/throughput.py --seeds 1 2 3            # medians over 3 seeds
    python benchmarks/throughput.py --skip_sf --skip_sampling   # sf_curric learning runs only
    python benchmarks/throughput.py --pixels --skip_cartpole    # pixel Breakout only (sections 3 and 4)
    python benchmarks/throughput.py --sf_curric_args="--num_torch_threads=2"   # extra flags for every sf_curric run
    python benchmarks/throughput.py --puffer                 # PufferLib 2.0.2 in the CartPole table (own venv)
    python benchmarks/throughput.py --time_to_solve --skip_learning --skip_sampling --seeds 1 2 3   # race only

Sections (each prints a table):
  1. CartPole-v1 learning runs, same model (MLP 64-64, no RNN), workers and envs for both:
     FPS (median of the 10-s reports), frames and seconds until the average return of the last 100
     episodes is >= 475, wall time, peak memory (PSS summed over the whole process tree, sampled
     every 0.5 s) and the ratios sf_curric / Sample Factory.
  2. Sampling only (no learning): sf_curric's parallel sampler with its policy inference, against
     the raw step rate of a gymnasium SyncVectorEnv with random actions.
  3. With --pixels: ALE Breakout from pixels (benchmarks/pixel_env.py: 84x84 grayscale, frame skip 4, 4 stacked
     frames, identical code on both sides) with the same Nature-DQN CNN and the same PPO settings, sf_curric
     against Sample Factory in several of its configurations (batched sampling or not, serial mode): FPS, mean
     return of the last 100 episodes at the end of the fixed frame budget, wall time, peak PSS, ratios against
     Sample Factory's fastest configuration. Needs ale-py: the script re-runs itself with benchmarks/.venv-ale
     (created on first use) when the current Python lacks it.
  4. With --pixels: sampling only on Breakout against the raw SyncVectorEnv, with the raw rate measured in
     Sample Factory's venv too (its ale-py and gymnasium versions differ).

Every learning table gives the median over --seeds and, in brackets, the per-seed values.
"""

import argparse
import importlib.util
import os
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

from measure import fmt, median, run_measured  # benchmarks/measure.py, next to this script
from puffer_bench import PUFFER_FPS_RE, PUFFER_FRAMES_RE, PUFFER_NAME, PUFFER_REWARD_RE, puffer_command, puffer_env
from sample_factory_peer import SF_NAME, SF_PYTHON, SF_SAME_MODEL, ensure_sample_factory
from solve_race import add_race_args, race_table
from throughput_sampling import PIXEL_TRAIN, sampling_section  # sections 2 and 4

ROOT = Path(__file__).resolve().parent.parent
ALE_VENV = ROOT / "benchmarks" / ".venv-ale"
ALE_PYTHON = ALE_VENV / "bin" / "python"
SOLVED = 475.0


def ensure_ale_python() -> str:
    """A Python that imports ale-py and sf_curric's dependencies: this one, or benchmarks/.venv-ale (created with
    --system-site-packages and ale-py 0.12.1 on first use, so it shares this Python's torch and gymnasium)."""
    if importlib.util.find_spec("ale_py") is not None:
        return sys.executable
    if ALE_PYTHON.exists() and subprocess.run([str(ALE_PYTHON), "-c", "import ale_py"]).returncode == 0:
        return str(ALE_PYTHON)
    print(f"installing ale-py 0.12.1 into {ALE_VENV}...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(ALE_VENV)], check=True)
    subprocess.run([str(ALE_PYTHON), "-m", "pip", "install", "-q", "--disable-pip-version-check", "ale-py==0.12.1"],
                   check=True)  # fmt: skip
    return str(ALE_PYTHON)


class ProgressParser:
    """Collects FPS reports, the last average return and the first (frames, seconds) at which it is >= `solved`."""

    def __init__(self, fps_re: str, frames_re: str, reward_re: str, solved: float = SOLVED):
        self.fps_re, self.frames_re, self.reward_re = re.compile(fps_re), re.compile(frames_re), re.compile(reward_re)
        self.solved = solved
        self.fps: List[float] = []
        self.frames = 0
        self.last_return: Optional[float] = None
        self.frame_reports: List[tuple] = []  # (seconds, frames) of every report after the first FPS report
        self.solved_frames: Optional[int] = None
        self.solved_s: Optional[float] = None
        self.first_report_s: Optional[float] = None

    def __call__(self, line: str, t: float) -> None:
        m = self.fps_re.search(line)
        if m and m.group(1) != "nan":
            self.fps.append(float(m.group(1)))
            self.first_report_s = self.first_report_s or t
        m = self.frames_re.search(line)
        if m:
            self.frames = int(float(m.group(1)))
            if self.first_report_s is not None:
                self.frame_reports.append((t, self.frames))
        m = self.reward_re.search(line)
        if m:
            self.last_return = float(m.group(1))
            if self.solved_frames is None and self.last_return >= self.solved:
                self.solved_frames, self.solved_s = self.frames, t

    def summary(self) -> Dict:
        # the first report covers start-up; report the median of the steady-state ones
        steady = self.fps[1:] or self.fps
        (t0, f0), (t1, f1) = (self.frame_reports or [(0.0, 0)])[0], (self.frame_reports or [(0.0, 0)])[-1]
        return {
            "fps": statistics.median(steady) if steady else float("nan"),
            # frames over the time between the first and the last report: not quantized by the trainer's batches
            "steady_fps": (f1 - f0) / (t1 - t0) if t1 > t0 and f1 > f0 else None,
            "solved_frames": self.solved_frames,
            "solved_s": self.solved_s,
            "last_return": self.last_return,
        }


def run_sample_factory(args, train_dir: str, seed: int, model_args: List[str]) -> Dict:
    """One Sample Factory run on CartPole-v1 with its best CPU configuration (batched sampling)."""
    cmd = [
        str(SF_PYTHON), "-m", "sf_examples.train_gym_env", "--env=CartPole-v1", "--device=cpu",
        f"--experiment=sf_{seed}", f"--train_dir={train_dir}", "--restart_behavior=overwrite",
        f"--train_for_env_steps={args.frames}", "--algo=APPO", "--use_rnn=False", "--recurrence=1",
        "--with_vtrace=False", "--batch_size=512", "--reward_scale=0.1", f"--seed={seed}",
        f"--num_workers={args.num_workers}", f"--num_envs_per_worker={args.num_envs_per_worker}",
        "--policy_workers_per_policy=2", "--batched_sampling=True", *model_args,
    ]  # fmt: skip
    if args.sf_serial:
        cmd.append("--serial_mode=True")
    parser = ProgressParser(SF_FPS_RE, SF_FRAMES_RE, SF_REWARD_RE)
    res = run_measured(cmd, parser, timeout=args.timeout)
    return {**res, **parser.summary()}


def run_sf_curric(args, train_dir: str, seed: int, extra_args: List[str]) -> Dict:
    """One sf_curric run on CartPole-v1 with the same worker and env counts."""
    cmd = [
        sys.executable, "-m", "sf_curric.train", "--env=CartPole-v1", f"--experiment=sfc_{seed}",
        f"--train_dir={train_dir}", "--restart_behavior=overwrite", f"--train_for_env_steps={args.frames}",
        f"--seed={seed}", f"--num_workers={args.num_workers}", f"--num_envs_per_worker={args.num_envs_per_worker}",
        *extra_args, *args.sf_curric_args,
    ]  # fmt: skip
    parser = ProgressParser(SFC_FPS_RE, SFC_FRAMES_RE, SFC_REWARD_RE)
    res = run_measured(cmd, parser, timeout=args.timeout, env={**os.environ, "PYTHONPATH": str(ROOT)})
    return {**res, **parser.summary()}


# Pixel Breakout: the same PPO settings and model for both trainers (flag names are shared). 2 workers x 8 envs x
# rollout 32 = 512 samples per round; each iteration trains 2 epochs of 2 minibatches of 256 on 512 samples.
PIXEL_COMMON = [
    "--env=breakout_pixels", "--device=cpu", "--rollout=32", "--batch_size=256", "--num_batches_per_epoch=2",
    "--num_epochs=2", "--learning_rate=0.00025", "--lr_schedule=constant", "--gamma=0.99", "--gae_lambda=0.95",
    "--ppo_clip_ratio=0.1", "--ppo_clip_value=1.0", "--value_loss_coeff=0.5", "--exploration_loss_coeff=0.01",
    "--max_grad_norm=0.5", "--adam_eps=1e-5", "--reward_scale=1.0", "--use_rnn=False", "--with_vtrace=False",
    "--normalize_input=False", "--normalize_returns=True", "--nonlinearity=relu",
    "--encoder_conv_architecture=convnet_atari", "--encoder_conv_mlp_layers", "512", "--restart_behavior=overwrite",
]  # fmt: skip
# Sample Factory: asynchronous APPO like sf_curric's default; uint8 frames divided by 255 (sf_curric does this itself)
PIXEL_SF_COMMON = ["--algo=APPO", "--recurrence=1", "--obs_scale=255.0"]
# sf_curric: the flags whose defaults differ from Sample Factory's (constant clip, one network for actor and critic)
PIXEL_SFC_COMMON = [
    "--ppo_clip_schedule=constant", "--actor_critic_share_weights=True", "--progress_interval_sec=5",
    "--save_every_sec=100000",
]  # fmt: skip
PIXEL_SF_CONFIGS = {
    "nobatch": ("Sample Factory, per-env sampling (its Atari default), 1 policy worker",
                ["--batched_sampling=False", "--policy_workers_per_policy=1"]),
    "batched": ("Sample Factory, batched sampling, 1 policy worker",
                ["--batched_sampling=True", "--policy_workers_per_policy=1"]),
    "serial": ("Sample Factory, serial mode, batched sampling", ["--serial_mode=True", "--batched_sampling=True"]),
}  # fmt: skip
PIXEL_SFC_NAME = "sf_curric (async, local CPU inference)"


def run_pixel(args, trainer: str, train_dir: str, seed: int, extra_args: List[str]) -> Dict:
    """One Breakout-from-pixels run of `trainer` ("sf_curric" or "sample_factory") through pixel_train.py."""
    common = [
        *PIXEL_COMMON, f"--experiment={trainer}_{seed}", f"--train_dir={train_dir}", f"--seed={seed}",
        f"--train_for_env_steps={args.pixel_frames}", f"--num_workers={args.num_workers}",
        f"--num_envs_per_worker={args.pixel_envs_per_worker}",
    ]  # fmt: skip
    if trainer == "sample_factory":
        cmd = [str(SF_PYTHON), str(PIXEL_TRAIN), trainer, *common, *PIXEL_SF_COMMON, *extra_args]
        parser = ProgressParser(SF_FPS_RE, SF_FRAMES_RE, SF_REWARD_RE, solved=float("inf"))
    else:
        cmd = [ensure_ale_python(), str(PIXEL_TRAIN), trainer, *common, *PIXEL_SFC_COMMON, *extra_args]
        cmd += args.sf_curric_args
        parser = ProgressParser(SFC_FPS_RE, SFC_FRAMES_RE, SFC_REWARD_RE, solved=float("inf"))
    res = run_measured(cmd, parser, timeout=args.timeout, env={**os.environ, "PYTHONPATH": str(ROOT)})
    return {**res, **parser.summary(), "load": os.getloadavg()[0]}


# Sample Factory's log lines: "Fps is (10 sec: ...). Total num frames: N." and "Avg episode reward: [(0, 'R')]"
SF_FPS_RE = r"Fps is \(10 sec: ([0-9.]+|nan)"
SF_FRAMES_RE = r"Total num frames: (\d+)"
SF_REWARD_RE = r"Avg episode reward: \[\(0, '([-0-9.]+)'"

# sf_curric's progress line (sf_curric.algo.runner)
SFC_FPS_RE = r"FPS ([0-9.]+|nan)"
SFC_FRAMES_RE = r"env steps (\d+)"
SFC_REWARD_RE = r"avg return (-?[0-9.]+)"


# sf_curric's learning runs (model MLP 64-64 tanh, as given to Sample Factory too).
_SFC_COMMON = [
    "--device=cpu", "--encoder_mlp_layers", "64", "64", "--nonlinearity=tanh", "--progress_interval_sec=5",
    "--save_every_sec=100000",
]  # fmt: skip
SFC_VARIANTS = {
    # short rollouts, 4 epochs of 4 minibatches per 1024-sample batch: solves CartPole in ~150k frames
    "sf_curric (4 epochs)": ["--rollout=16", "--batch_size=256", "--num_batches_per_epoch=4", "--num_epochs=4"],
    # Sample Factory's own learning budget: 1 epoch of 512-sample minibatches over 32-step rollouts
    "sf_curric (SF's budget: 1 epoch, minibatch 512)": [
        "--rollout=32",
        "--batch_size=512",
        "--num_batches_per_epoch=2",
        "--num_epochs=1",
        "--reward_scale=0.1",
    ],
}


def run_all(trainers: Dict[str, Callable[[int], Dict]], seeds: List[int]) -> Dict[str, List[Dict]]:
    """Run every trainer on every seed, seed by seed (so a change of machine load hits all trainers alike), print
    one line per run (and the output tail when it failed); returns the runs per trainer name."""
    runs: Dict[str, List[Dict]] = {name: [] for name in trainers}
    for seed in seeds:
        for name, fn in trainers.items():
            res = fn(seed)
            res["pss_gib"] = res["peak_pss_bytes"] / 2**30
            print(
                f"  {name} seed {seed}: FPS {fmt(res['fps'])} (first to last report {fmt(res['steady_fps'])}), "
                f"solved at {fmt(res['solved_frames'])} frames / {fmt(res['solved_s'], '.1f')} s, last avg return "
                f"{fmt(res['last_return'], '.2f')}, wall {res['wall_s']:.1f} s, peak PSS {res['pss_gib']:.2f} GiB, "
                f"load average {os.getloadavg()[0]:.1f} (exit {res['returncode']})",
                flush=True,
            )
            if res["returncode"] != 0:
                print("\n".join(res["tail"]), flush=True)
            runs[name].append(res)
    return runs


def summarize(runs: List[Dict], keys: List[str]) -> Dict[str, Dict]:
    """Per key: the median over runs and the per-run values."""
    return {k: {"median": median([r[k] for r in runs]), "values": [r[k] for r in runs]} for k in keys}


def cell(summary: Dict[str, Dict], key: str, spec: str = ",.0f") -> str:
    """`median` alone for one seed, `median (seed values)` for several."""
    entry = summary[key]
    text = fmt(entry["median"], spec)
    if len(entry["values"]) > 1:
        text += " (" + " / ".join(fmt(v, spec) for v in entry["values"]) + ")"
    return text


def ratio_cell(ours: Dict[str, Dict], theirs: Dict[str, Dict], key: str) -> str:
    """Ratio of the medians, `-` when one is missing."""
    a, b = ours[key]["median"], theirs[key]["median"]
    missing = a is None or b is None or a != a or b != b or b == 0  # x != x: NaN (no FPS report in a short run)
    return "-" if missing else f"{a / b:.2f}x"


def learning_section(args) -> List[str]:
    """CartPole learning runs of both trainers; returns markdown table lines."""
    keys = ["fps", "solved_frames", "solved_s", "wall_s", "pss_gib"]
    with tempfile.TemporaryDirectory(prefix="sfc_bench_") as train_dir:
        trainers = {
            name: (lambda s, extra=extra: run_sf_curric(args, train_dir, s, [*_SFC_COMMON, *extra]))
            for name, extra in SFC_VARIANTS.items()
        }
        if args.puffer:
            trainers[PUFFER_NAME] = lambda s: run_puffer(args, s)
        if not args.skip_sf:
            ensure_sample_factory()
            trainers[SF_NAME] = lambda s: run_sample_factory(args, train_dir, s, SF_SAME_MODEL)
            if args.sf_default_model:
                trainers["Sample Factory 2.1.1, its default model (MLP 512-512 elu)"] = lambda s: run_sample_factory(
                    args, train_dir, s, []
                )
        rows = {name: summarize(runs, keys) for name, runs in run_all(trainers, args.seeds).items()}
    lines = [
        f"CartPole-v1, {args.num_workers} workers x {args.num_envs_per_worker} envs, MLP 64-64, medians over seeds "
        f"{args.seeds} (per seed in brackets), up to {args.frames:,} frames",
        "",
        "| trainer | FPS (median of 10-s reports) | frames to avg >= 475 | seconds to avg >= 475 | wall (s) "
        "| peak PSS (GiB) |",
        "|---|---|---|---|---|---|",
    ]
    for name, r in rows.items():
        lines.append(
            f"| {name} | {cell(r, 'fps')} | {cell(r, 'solved_frames')} | {cell(r, 'solved_s', '.1f')} | "
            f"{cell(r, 'wall_s', '.1f')} | {cell(r, 'pss_gib', '.2f')} |"
        )
    for peer, short in ((SF_NAME, "SF"), (PUFFER_NAME, "PufferLib")):
        theirs = rows.get(peer)
        for name in SFC_VARIANTS if theirs is not None else []:
            ours = rows[name]
            lines.append(f"| ratio {name} / {short} | " + " | ".join(ratio_cell(ours, theirs, k) for k in keys) + " |")
    return lines


def run_puffer(args, seed: int) -> Dict:
    """One PufferLib run on CartPole-v1 (benchmarks/puffer_train.py in its own venv), up to --frames env steps."""
    parser = ProgressParser(PUFFER_FPS_RE, PUFFER_FRAMES_RE, PUFFER_REWARD_RE)
    res = run_measured(puffer_command(seed, args.frames), parser, timeout=args.timeout, env=puffer_env())
    return {**res, **parser.summary()}


def pixel_learning_section(args) -> List[str]:
    """Breakout-from-pixels learning runs: sf_curric against the chosen Sample Factory configurations."""
    keys = ["fps", "steady_fps", "last_return", "wall_s", "pss_gib", "load"]
    with tempfile.TemporaryDirectory(prefix="sfc_pixel_bench_") as train_dir:
        trainers = {PIXEL_SFC_NAME: lambda s: run_pixel(args, "sf_curric", train_dir, s, [])}
        if not args.skip_sf:
            ensure_sample_factory()
            for key in args.pixel_sf_configs:
                name, flags = PIXEL_SF_CONFIGS[key]
                trainers[name] = lambda s, flags=flags: run_pixel(args, "sample_factory", train_dir, s, flags)
        rows = {name: summarize(runs, keys) for name, runs in run_all(trainers, args.seeds).items()}
    lines = [
        f"ALE Breakout from pixels (84x84x4 uint8, frame skip 4), Nature-DQN CNN + 512, {args.num_workers} workers x "
        f"{args.pixel_envs_per_worker} envs, {args.pixel_frames:,} env steps (x4 frames) per run, medians over seeds "
        f"{args.seeds} (per seed in brackets)",
        "",
        "| trainer | FPS (median of 10-s reports) | FPS (first to last report) | avg return at the end (last 100 "
        "episodes) | wall (s) | peak PSS (GiB) | load average at the end |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, r in rows.items():
        lines.append(
            f"| {name} | {cell(r, 'fps')} | {cell(r, 'steady_fps')} | {cell(r, 'last_return', '.2f')} | "
            f"{cell(r, 'wall_s', '.1f')} | {cell(r, 'pss_gib', '.2f')} | {cell(r, 'load', '.1f')} |"
        )
    sf_rows = {n: r for n, r in rows.items() if n != PIXEL_SFC_NAME}
    if sf_rows:
        fastest = max(sf_rows, key=lambda n: sf_rows[n]["steady_fps"]["median"] or 0.0)  # start-up excluded
        ours, theirs = rows[PIXEL_SFC_NAME], sf_rows[fastest]
        lines.append(
            f"| ratio sf_curric / fastest SF ({fastest}) | {ratio_cell(ours, theirs, 'fps')} | "
            f"{ratio_cell(ours, theirs, 'steady_fps')} | - | {ratio_cell(ours, theirs, 'wall_s')} | "
            f"{ratio_cell(ours, theirs, 'pss_gib')} | - |"
        )
    return lines


def parse_cli(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """The benchmark's command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=1_000_000, help="Frame budget of each CartPole learning run.")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1], help="Seeds of the learning runs.")
    parser.add_argument("--num_workers", type=int, default=2)
    parser.add_argument("--num_envs_per_worker", type=int, default=32, help="Envs per worker on CartPole.")
    parser.add_argument("--timeout", type=float, default=600.0, help="Seconds before a learning run is killed.")
    parser.add_argument("--sampling_seconds", type=float, default=10.0)
    parser.add_argument("--sf_serial", action="store_true", help="Sample Factory in --serial_mode (CartPole).")
    parser.add_argument("--skip_sf", action="store_true", help="Only sf_curric in the learning sections.")
    parser.add_argument(
        "--sf_default_model", action="store_true", help="Also run Sample Factory with its default MLP 512-512 elu."
    )
    parser.add_argument("--skip_learning", action="store_true")
    parser.add_argument("--skip_sampling", action="store_true")
    parser.add_argument("--skip_cartpole", action="store_true", help="Only the pixel sections (with --pixels).")
    parser.add_argument(
        "--pixels", action="store_true", help="Also ALE Breakout from pixels with a CNN, learning and sampling only."
    )
    parser.add_argument("--pixel_frames", type=int, default=30_000, help="Env steps of each Breakout learning run.")
    parser.add_argument("--pixel_envs_per_worker", type=int, default=8, help="Envs per worker on Breakout.")
    parser.add_argument(
        "--pixel_sf_configs", nargs="+", choices=sorted(PIXEL_SF_CONFIGS), default=["nobatch", "batched", "serial"],
        help="Sample Factory configurations run on Breakout (nobatch: per-env sampling, its Atari default).",
    )  # fmt: skip
    parser.add_argument("--puffer", action="store_true", help="Also PufferLib 2.0.2 in the CartPole learning table.")
    parser.add_argument(
        "--time_to_solve", action="store_true",
        help="Also the time-to-solve race (benchmarks/solve_race.py: start-up included, every trainer, all seeds).",
    )  # fmt: skip
    add_race_args(parser)
    parser.add_argument(
        "--sf_curric_args", type=shlex.split, default=[],
        help='Extra flags for every sf_curric run, in one string: --sf_curric_args="--num_torch_threads=2".',
    )  # fmt: skip
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> List[List[str]]:
    """Run the chosen sections, print their tables; returns the tables (lists of markdown lines)."""
    args = parse_cli(argv)
    if args.pixels and importlib.util.find_spec("ale_py") is None:
        python = ensure_ale_python()  # the sampling-only section steps Breakout in this process
        print(f"ale-py is not installed here: running again with {python}", flush=True)
        os.execv(python, [python, str(Path(__file__).resolve()), *(sys.argv[1:] if argv is None else argv)])

    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start", flush=True)
    tables = []
    if not args.skip_cartpole and not args.skip_learning:
        tables.append(learning_section(args))
    if not args.skip_cartpole and not args.skip_sampling:
        tables.append(sampling_section(args))
    if args.time_to_solve:
        tables.append(race_table(args))
    if args.pixels and not args.skip_learning:
        tables.append(pixel_learning_section(args))
    if args.pixels and not args.skip_sampling:
        cnn = {"encoder_conv_architecture": "convnet_atari", "encoder_conv_mlp_layers": [512], "nonlinearity": "relu"}
        tables.append(sampling_section(args, "breakout_pixels", cnn, args.pixel_envs_per_worker))
    print(f"load average {os.getloadavg()[0]:.1f} at the end", flush=True)
    for lines in tables:
        print()
        print("\n".join(lines))
    return tables


if __name__ == "__main__":
    main()
