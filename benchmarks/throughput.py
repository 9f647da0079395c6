"""Throughput benchmark: sf_curric against Sample Factory 2.1.1, and against the raw env step rate.

Run from the repository root (installs Sample Factory into benchmarks/.venv-sf on first use):

    python benchmarks/throughput.py                          # everything, 1 seed
    python benchmarks/throughput.py --seeds 1 2 3            # medians over 3 seeds
    python benchmarks/throughput.py --skip_sf --skip_sampling   # sf_curric learning runs only

Sections (each prints a table):
  1. CartPole-v1 learning runs, same model (MLP 64-64, no RNN), workers and envs for both:
     FPS (median of the 10-s reports), frames and seconds until the average return of the last 100
     episodes is >= 475, wall time, peak memory (PSS summed over the whole process tree, sampled
     every 0.5 s) and the ratios sf_curric / Sample Factory.
  2. Sampling only (no learning): sf_curric's parallel sampler with its policy inference, against
     the raw step rate of a gymnasium SyncVectorEnv with random actions.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional

import psutil

ROOT = Path(__file__).resolve().parent.parent
SF_VENV = ROOT / "benchmarks" / ".venv-sf"
SF_PYTHON = SF_VENV / "bin" / "python"
SOLVED = 475.0


def ensure_sample_factory() -> None:
    """Create benchmarks/.venv-sf with CPU torch first, then sample-factory 2.1.1 (torch pinned, never CUDA)."""
    if SF_PYTHON.exists() and subprocess.run([str(SF_PYTHON), "-c", "import sample_factory"]).returncode == 0:
        return
    print(f"installing Sample Factory 2.1.1 into {SF_VENV} (a few minutes)...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(SF_VENV)], check=True)
    pip = [str(SF_PYTHON), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    subprocess.run([*pip, "torch==2.13.0"], check=True)
    subprocess.run([*pip, "sample-factory==2.1.1"], check=True)


def tree_pss(proc: psutil.Process) -> int:
    """PSS in bytes summed over a process and all its descendants (0 for those that vanished)."""
    total = 0
    try:
        procs = [proc, *proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    for p in procs:
        try:
            total += p.memory_full_info().pss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return total


def run_measured(cmd: List[str], on_line: Callable[[str, float], None], timeout: float, env=None) -> Dict:
    """Run `cmd`, feed each output line with its time since start to `on_line`, sample PSS every 0.5 s.

    Returns:
        dict with `wall_s`, `peak_pss_bytes`, `returncode`, `tail` (the last output lines).
    """
    start = time.monotonic()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, start_new_session=True
    )
    ps = psutil.Process(proc.pid)
    tail: List[str] = []

    def reader() -> None:
        for line in proc.stdout:
            tail.append(line.rstrip())
            del tail[:-30]
            on_line(line, time.monotonic() - start)

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    peak = 0
    while proc.poll() is None:
        peak = max(peak, tree_pss(ps))
        if time.monotonic() - start > timeout:
            os.killpg(proc.pid, 9)
            break
        time.sleep(0.5)
    proc.wait()
    thread.join(5)
    return {"wall_s": time.monotonic() - start, "peak_pss_bytes": peak, "returncode": proc.returncode, "tail": tail}


class ProgressParser:
    """Collects FPS reports and the first (frames, seconds) at which the average return is >= 475."""

    def __init__(self, fps_re: str, frames_re: str, reward_re: str):
        self.fps_re, self.frames_re, self.reward_re = re.compile(fps_re), re.compile(frames_re), re.compile(reward_re)
        self.fps: List[float] = []
        self.frames = 0
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
        m = self.reward_re.search(line)
        if m and self.solved_frames is None and float(m.group(1)) >= SOLVED:
            self.solved_frames, self.solved_s = self.frames, t

    def summary(self) -> Dict:
        # the first report covers start-up; report the median of the steady-state ones
        steady = self.fps[1:] or self.fps
        return {
            "fps": statistics.median(steady) if steady else float("nan"),
            "solved_frames": self.solved_frames,
            "solved_s": self.solved_s,
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
        *extra_args,
    ]  # fmt: skip
    parser = ProgressParser(SFC_FPS_RE, SFC_FRAMES_RE, SFC_REWARD_RE)
    res = run_measured(cmd, parser, timeout=args.timeout, env={**os.environ, "PYTHONPATH": str(ROOT)})
    return {**res, **parser.summary()}


# Sample Factory's log lines: "Fps is (10 sec: ...). Total num frames: N." and "Avg episode reward: [(0, 'R')]"
SF_FPS_RE = r"Fps is \(10 sec: ([0-9.]+|nan)"
SF_FRAMES_RE = r"Total num frames: (\d+)"
SF_REWARD_RE = r"Avg episode reward: \[\(0, '([-0-9.]+)'"

# sf_curric's progress line (sf_curric.algo.runner)
SFC_FPS_RE = r"FPS ([0-9.]+|nan)"
SFC_FRAMES_RE = r"env steps (\d+)"
SFC_REWARD_RE = r"avg return (-?[0-9.]+)"


def make_breakout(cfg=None, env_config=None):
    """ALE Breakout with the usual preprocessing: 84x84 grayscale, 4 stacked frames, frame skip 4 (pixels)."""
    import ale_py
    import gymnasium as gym
    import numpy as np

    gym.register_envs(ale_py)
    env = gym.make("ALE/Breakout-v5", frameskip=1, repeat_action_probability=0.0)
    env = gym.wrappers.AtariPreprocessing(env, frame_skip=4, screen_size=84, grayscale_obs=True, noop_max=30)
    env = gym.wrappers.FrameStackObservation(env, 4)  # [4, 84, 84] uint8
    # sf_curric's CNN takes HWC images
    hwc = gym.spaces.Box(0, 255, (84, 84, 4), np.uint8)
    return gym.wrappers.TransformObservation(env, lambda obs: np.moveaxis(obs, 0, -1), hwc)


ENV_MAKERS = {"breakout_pixels": make_breakout}


def register_benchmark_envs() -> None:
    """Register the pixel env with sf_curric (module-level factory: picklable for the worker processes)."""
    from sf_curric.envs.registry import register_env

    for name, fn in ENV_MAKERS.items():
        register_env(name, fn)


SF_NAME = "Sample Factory 2.1.1 (MLP 64-64 tanh)"
SF_SAME_MODEL = ["--encoder_mlp_layers", "64", "64", "--nonlinearity=tanh"]

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


def median(values: List[Optional[float]]) -> Optional[float]:
    """Median of the values that are not None (None when there are none)."""
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def fmt(value: Optional[float], spec: str = ",.0f") -> str:
    return "-" if value is None or value != value else format(value, spec)


def learning_section(args) -> List[str]:
    """CartPole learning runs of both trainers; returns markdown table lines."""
    rows = {}
    with tempfile.TemporaryDirectory(prefix="sfc_bench_") as train_dir:
        trainers = {
            name: (lambda a, d, s, extra=extra: run_sf_curric(a, d, s, [*_SFC_COMMON, *extra]))
            for name, extra in SFC_VARIANTS.items()
        }
        if not args.skip_sf:
            ensure_sample_factory()
            trainers[SF_NAME] = lambda a, d, s: run_sample_factory(a, d, s, SF_SAME_MODEL)
            if args.sf_default_model:
                trainers["Sample Factory 2.1.1, its default model (MLP 512-512 elu)"] = lambda a, d, s: (
                    run_sample_factory(a, d, s, [])
                )
        for name, fn in trainers.items():
            runs = []
            for seed in args.seeds:
                res = fn(args, train_dir, seed)
                print(
                    f"  {name} seed {seed}: FPS {fmt(res['fps'])}, solved at {fmt(res['solved_frames'])} frames / "
                    f"{fmt(res['solved_s'], '.1f')} s, wall {res['wall_s']:.1f} s, peak PSS "
                    f"{res['peak_pss_bytes'] / 2**30:.2f} GiB (exit {res['returncode']})",
                    flush=True,
                )
                if res["returncode"] != 0:
                    print("\n".join(res["tail"]), flush=True)
                runs.append(res)
            rows[name] = {
                "fps": median([r["fps"] for r in runs]),
                "solved_frames": median([r["solved_frames"] for r in runs]),
                "solved_s": median([r["solved_s"] for r in runs]),
                "wall_s": median([r["wall_s"] for r in runs]),
                "pss_gib": median([r["peak_pss_bytes"] / 2**30 for r in runs]),
            }
    lines = [
        f"CartPole-v1, {args.num_workers} workers x {args.num_envs_per_worker} envs, MLP 64-64, medians over seeds "
        f"{args.seeds}, up to {args.frames:,} frames (runs stop at avg return >= {SOLVED:.0f})",
        "",
        "| trainer | FPS (median of 10-s reports) | frames to avg >= 475 | seconds to avg >= 475 | wall (s) "
        "| peak PSS (GiB) |",
        "|---|---|---|---|---|---|",
    ]
    for name, r in rows.items():
        lines.append(
            f"| {name} | {fmt(r['fps'])} | {fmt(r['solved_frames'])} | {fmt(r['solved_s'], '.1f')} | "
            f"{fmt(r['wall_s'], '.1f')} | {fmt(r['pss_gib'], '.2f')} |"
        )
    theirs = rows.get(SF_NAME)
    for name in SFC_VARIANTS:
        if theirs is None:
            break
        ours = rows[name]

        def ratio(key: str, ours: Dict = ours) -> str:
            a, b = ours[key], theirs[key]
            return "-" if a is None or b is None or b == 0 else f"{a / b:.2f}x"

        lines.append(
            f"| ratio {name} / SF | {ratio('fps')} | {ratio('solved_frames')} | {ratio('solved_s')} | "
            f"{ratio('wall_s')} | {ratio('pss_gib')} |"
        )
    return lines


def raw_vector_env_rate(env_id: str, num_envs: int, seconds: float) -> Dict:
    """Steps per wall second and per CPU second of a gymnasium SyncVectorEnv with random actions (one process,
    gymnasium's default autoreset)."""
    import gymnasium as gym

    make = ENV_MAKERS.get(env_id, lambda: gym.make(env_id))
    venv = gym.vector.SyncVectorEnv([make for _ in range(num_envs)])
    venv.reset(seed=0)
    venv.action_space.seed(0)
    actions = [venv.action_space.sample() for _ in range(64)]
    steps, start, cpu_start = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - start < seconds:
        venv.step(actions[steps // num_envs % 64])
        steps += num_envs
    rate = steps / (time.perf_counter() - start)
    cpu_rate = steps / (time.process_time() - cpu_start)
    venv.close()
    return {"fps": rate, "steps_per_cpu_s": cpu_rate}


def _cpu_seconds(procs: List[psutil.Process]) -> float:
    total = 0.0
    for p in procs:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return total


def sampling_only_rate(env_id: str, num_workers: int, num_envs: int, seconds: float, model_args: Dict) -> Dict:
    """Steps/s of sf_curric's parallel sampler without learning (policy inference included) and peak PSS."""
    sys.path.insert(0, str(ROOT))
    from sf_curric.algo.learner import Learner
    from sf_curric.algo.parallel.sampler import ParallelSampler
    from sf_curric.cfg.arguments import default_cfg
    from sf_curric.envs.registry import make_env

    cfg = default_cfg(
        env_id, num_workers=num_workers, num_envs_per_worker=num_envs, rollout=32, device="cpu", seed=0,
        batch_size=32 * num_envs, num_batches_per_epoch=1,
        **(model_args or {"encoder_mlp_layers": [64, 64], "nonlinearity": "tanh"}),
    )  # fmt: skip
    register_benchmark_envs()
    probe = make_env(cfg)
    learner = Learner(cfg, probe.observation_space, probe.action_space)
    probe.close()
    sampler = ParallelSampler(cfg, learner)
    me = psutil.Process()
    try:
        sampler.wait_for_workers()
        warmup_end = time.perf_counter() + 1.0
        while time.perf_counter() < warmup_end:
            sampler.get_batch()
        before = dict(sampler.timing())
        procs = [me, *(psutil.Process(p.pid) for p in sampler.processes)]
        cpu_before = _cpu_seconds(procs)
        steps, peak, start = 0, 0, time.perf_counter()
        next_pss = start
        while time.perf_counter() - start < seconds:
            steps += sampler.get_batch().env_steps
            if time.perf_counter() >= next_pss:
                peak, next_pss = max(peak, tree_pss(me)), next_pss + 0.5
        elapsed = time.perf_counter() - start
        cpu = _cpu_seconds(procs) - cpu_before
        timing = {k: v - before.get(k, 0.0) for k, v in sampler.timing().items()}
    finally:
        sampler.close()
    busy = timing.get("env_step", 0.0) + timing.get("inference", 0.0)
    return {
        "fps": steps / elapsed,
        "steps_per_cpu_s": steps / cpu,
        "pss_gib": peak / 2**30,
        "inference_share": timing.get("inference", 0.0) / busy if busy else float("nan"),
    }


def sampling_section(args, env_id: str = "CartPole-v1", model_args: Optional[Dict] = None) -> List[str]:
    """Sampling only (no learning) against the raw vector-env rate; returns markdown table lines.

    Besides steps per wall second (sensitive to whatever else runs on the machine), steps per CPU second of
    all processes involved are compared: the share of the raw env's efficiency that survives the sampler.
    """
    n = args.num_envs_per_worker
    raw = raw_vector_env_rate(env_id, n, args.sampling_seconds)
    lines = [
        f"Sampling only (no learning), {env_id}, {n} envs per worker, rollout 32, {args.sampling_seconds:.0f} s "
        f"each; raw = gymnasium SyncVectorEnv({n}) with random actions in one process",
        "",
        "| setup | steps/s | vs raw | steps per CPU-second | vs raw | inference share of worker time "
        "| peak PSS (GiB) |",
        "|---|---|---|---|---|---|---|",
        f"| raw SyncVectorEnv, 1 process | {raw['fps']:,.0f} | 100% | {raw['steps_per_cpu_s']:,.0f} | 100% | - | - |",
    ]
    for workers in sorted({1, args.num_workers}):
        res = sampling_only_rate(env_id, workers, n, args.sampling_seconds, model_args or {})
        print(f"  sampling only, {env_id}, {workers} worker(s): {res['fps']:,.0f} steps/s (raw {raw['fps']:,.0f})")
        lines.append(
            f"| sf_curric, {workers} worker process(es) | {res['fps']:,.0f} | {100 * res['fps'] / raw['fps']:.0f}% | "
            f"{res['steps_per_cpu_s']:,.0f} | {100 * res['steps_per_cpu_s'] / raw['steps_per_cpu_s']:.0f}% | "
            f"{100 * res['inference_share']:.0f}% | {res['pss_gib']:.2f} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=1_000_000, help="Frame budget of each learning run.")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1], help="Seeds of the learning runs.")
    parser.add_argument("--num_workers", type=int, default=2)
    parser.add_argument("--num_envs_per_worker", type=int, default=32)
    parser.add_argument("--timeout", type=float, default=600.0, help="Seconds before a learning run is killed.")
    parser.add_argument("--sampling_seconds", type=float, default=10.0)
    parser.add_argument("--sf_serial", action="store_true", help="Sample Factory in --serial_mode.")
    parser.add_argument("--skip_sf", action="store_true", help="Only sf_curric in the learning section.")
    parser.add_argument(
        "--sf_default_model", action="store_true", help="Also run Sample Factory with its default MLP 512-512 elu."
    )
    parser.add_argument("--skip_learning", action="store_true")
    parser.add_argument("--skip_sampling", action="store_true")
    parser.add_argument(
        "--pixels", action="store_true", help="Also sampling-only on ALE Breakout with a CNN (needs ale-py installed)."
    )
    args = parser.parse_args()

    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start", flush=True)
    tables = []
    if not args.skip_learning:
        tables.append(learning_section(args))
    if not args.skip_sampling:
        tables.append(sampling_section(args))
    if args.pixels:
        cnn = {"encoder_conv_architecture": "convnet_atari", "encoder_conv_mlp_layers": [512]}
        tables.append(sampling_section(args, "breakout_pixels", cnn))
    print(f"load average {os.getloadavg()[0]:.1f} at the end", flush=True)
    for lines in tables:
        print()
        print("\n".join(lines))


if __name__ == "__main__":
    main()
