"""Throughput benchmark: sf_curric against Sample Factory 2.1.1, and against the raw env step rate.

Run from the repository root (installs Sample Factory into benchmarks/.venv-sf on first use):

    python benchmarks/throughput.py                 # everything, 1 seed, 1M frames
    python benchmarks/throughput.py --frames=300000 --skip_sf    # quick look at sf_curric only

Sections (each prints a table):
  1. CartPole-v1 learning runs, same model (MLP 64-64, no RNN), workers and envs for both:
     FPS (median of the 10-s reports), frames and seconds until the average return of the last 100
     episodes is >= 475, wall time, peak memory (PSS summed over the whole process tree, sampled
     every 0.5 s) and the ratios sf_curric / Sample Factory.
  2. Sampling only (no learning): sf_curric's parallel sampler with its policy inference, against
     the raw step rate of a gymnasium SyncVectorEnv with random actions.
"""

import os
import re
import statistics
import subprocess
import sys
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


def run_sample_factory(args, train_dir: str, seed: int) -> Dict:
    """One Sample Factory run on CartPole-v1 with its best CPU configuration (batched sampling)."""
    cmd = [
        str(SF_PYTHON), "-m", "sf_examples.train_gym_env", "--env=CartPole-v1", "--device=cpu",
        f"--experiment=sf_{seed}", f"--train_dir={train_dir}", "--restart_behavior=overwrite",
        f"--train_for_env_steps={args.frames}", "--algo=APPO", "--use_rnn=False", "--recurrence=1",
        "--with_vtrace=False", "--batch_size=512", "--reward_scale=0.1", f"--seed={seed}",
        f"--num_workers={args.num_workers}", f"--num_envs_per_worker={args.num_envs_per_worker}",
        "--policy_workers_per_policy=2", "--batched_sampling=True",
        "--encoder_mlp_layers", "64", "64", "--nonlinearity=tanh",
    ]  # fmt: skip
    if args.sf_serial:
        cmd.append("--serial_mode=True")
    parser = ProgressParser(SF_FPS_RE, SF_FRAMES_RE, SF_REWARD_RE)
    res = run_measured(cmd, parser, timeout=args.timeout)
    return {**res, **parser.summary()}


def run_sf_curric(args, train_dir: str, seed: int) -> Dict:
    """One sf_curric run on CartPole-v1 with the same worker and env counts."""
    cmd = [
        sys.executable, "-m", "sf_curric.train", "--env=CartPole-v1", f"--experiment=sfc_{seed}",
        f"--train_dir={train_dir}", "--restart_behavior=overwrite", f"--train_for_env_steps={args.frames}",
        f"--seed={seed}", f"--num_workers={args.num_workers}", f"--num_envs_per_worker={args.num_envs_per_worker}",
        *args.sfc_args,
    ]  # fmt: skip
    parser = ProgressParser(SFC_FPS_RE, SFC_FRAMES_RE, SFC_REWARD_RE)
    res = run_measured(cmd, parser, timeout=args.timeout, env={**os.environ, "PYTHONPATH": str(ROOT)})
    return {**res, **parser.summary()}


# Sample Factory's log lines: "Fps is (10 sec: ...). Total num frames: N." and "Avg episode reward: [(0, 'R')]"
SF_FPS_RE = r"Fps is \(10 sec: ([0-9.]+|nan)"
SF_FRAMES_RE = r"Total num frames: (\d+)"
SF_REWARD_RE = r"Avg episode reward: \[\(0, '([-0-9.]+)'"

# sf_curric's progress line (sf_curric.algo.runner)
SFC_FPS_RE = r"FPS[:= ]+([0-9.]+|nan)"
SFC_FRAMES_RE = r"env steps[:= ]+(\d+)"
SFC_REWARD_RE = r"avg return[^:=]*[:= ]+([-0-9.]+)"
