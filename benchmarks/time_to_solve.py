"""Time to solve CartPole-v1: env steps and wall seconds until the average return of the last 100 episodes
reaches 475, for sf_curric (serial mode, rl-zoo's settings typed: `CARTPOLE_RL_ZOO`, the CartPole defaults before
they became PufferLib's recipe) and Stable-Baselines3 PPO (rl-zoo settings): the same algorithm settings on both
sides. `benchmarks/solve_race.py` races the current defaults.

Both run in the same invocation, one process at a time, 3 seeds each, with the same budget of env steps (the
horizon of both linear schedules). SB3 is installed by this script into its own virtual environment
(torch==2.13.0 first, so pip never pulls a CUDA build).

    python benchmarks/time_to_solve.py                 # both, seeds 1 2 3
    python benchmarks/time_to_solve.py --skip_sb3      # sf_curric only

"training s" counts from the first env step to the step where the average reached 475 (process start-up,
imports and env creation excluded for both); "process s" is the whole subprocess.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
THRESHOLD = 475.0
sys.path.insert(0, str(ROOT))  # sf_curric's settings are read from this checkout

SF_CHILD = """
import json, sys
from sf_curric.train import run_with_result
r = run_with_result(sys.argv[1:])
print("RESULT " + json.dumps({"steps": r.solved_at_env_steps, "seconds": r.solved_at_seconds,
                              "final_avg": r.avg_return, "total_steps": r.env_steps}))
"""

SB3_CHILD = """
import json, sys, time
from collections import deque
import torch
from stable_baselines3 import PPO
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.env_util import make_vec_env

seed, budget, threads, threshold = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
torch.set_num_threads(threads)

def linear(initial):
    return lambda progress_remaining: progress_remaining * initial

class StopAtThreshold(BaseCallback):
    def __init__(self):
        super().__init__()
        self.returns = deque(maxlen=100)
        self.solved = None

    def _on_training_start(self):
        self.start = time.perf_counter()

    def _on_step(self):
        for info in self.locals["infos"]:
            if "episode" in info:
                self.returns.append(info["episode"]["r"])
        if len(self.returns) == 100 and sum(self.returns) / 100 >= threshold:
            self.solved = (self.num_timesteps, time.perf_counter() - self.start)
            return False
        return True

env = make_vec_env("CartPole-v1", n_envs=8, seed=seed)
# rl-zoo hyperparams/ppo.yml, CartPole-v1
model = PPO("MlpPolicy", env, n_steps=32, batch_size=256, gae_lambda=0.8, gamma=0.98, n_epochs=20, ent_coef=0.0,
            learning_rate=linear(0.001), clip_range=linear(0.2), seed=seed, device="cpu", verbose=0)
cb = StopAtThreshold()
model.learn(total_timesteps=budget, callback=cb)
steps, seconds = cb.solved if cb.solved else (None, None)
final = sum(cb.returns) / max(1, len(cb.returns))
print("RESULT " + json.dumps({"steps": steps, "seconds": seconds, "final_avg": final,
                              "total_steps": model.num_timesteps}))
"""


def _run_child(cmd: list[str], env: dict[str, str], timeout: float) -> dict:
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    wall = time.perf_counter() - start
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        tail = proc.stdout[-2000:] + proc.stderr[-3000:]
        raise RuntimeError(f"{' '.join(cmd[:4])} failed ({proc.returncode}):\n{tail}")
    result = json.loads(lines[-1][len("RESULT ") :])
    result["process_seconds"] = wall
    return result


def run_sf_curric(seed: int, budget: int, timeout: float) -> dict:
    with tempfile.TemporaryDirectory(prefix="tts_sf_") as train_dir:
        from sf_curric.cfg.env_defaults import CARTPOLE_RL_ZOO

        rl_zoo = [f"--{k}={v}" for k, v in CARTPOLE_RL_ZOO.items() if k not in ("train_for_env_steps", "device")]
        argv = [
            "--env=CartPole-v1",
            *[a for a in rl_zoo if not a.startswith("--encoder_mlp_layers")],
            "--encoder_mlp_layers",
            "64",
            "64",
            "--serial_mode=True",
            f"--seed={seed}",
            f"--train_for_env_steps={budget}",
            f"--stop_when_avg_return={THRESHOLD}",
            f"--train_dir={train_dir}",
            "--experiment=tts",
            "--log_level=warning",
        ]
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        return _run_child([sys.executable, "-c", SF_CHILD, *argv], env, timeout)


def ensure_sb3_venv(venv: Path) -> Path:
    python = venv / "bin" / "python"
    check = [str(python), "-c", "import stable_baselines3"]
    if python.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return python
    print(f"installing Stable-Baselines3 into {venv} (torch==2.13.0 first) ...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    subprocess.run([*pip, "torch==2.13.0"], check=True)
    subprocess.run([*pip, "stable-baselines3"], check=True)
    return python


def run_sb3(python: Path, seed: int, budget: int, threads: int, timeout: float) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    cmd = [str(python), "-c", SB3_CHILD, str(seed), str(budget), str(threads), str(THRESHOLD)]
    return _run_child(cmd, env, timeout)


def _fmt(value, digits=0) -> str:
    if value is None:
        return "not solved"
    return f"{value:,.{digits}f}"


def _median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--budget", type=int, default=100_000, help="env steps per run (schedule horizon)")
    parser.add_argument("--skip_sb3", action="store_true")
    parser.add_argument("--sb3_venv", type=Path, default=HERE / ".venv-sb3")
    parser.add_argument("--sb3_threads", type=int, default=1, help="torch threads of SB3 (sf_curric uses 1)")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per run")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args()

    results: dict[str, list[dict]] = {"sf_curric": [], "sb3": []}
    sb3_python = None if args.skip_sb3 else ensure_sb3_venv(args.sb3_venv)
    for seed in args.seeds:  # alternate the two so that machine load affects both alike
        results["sf_curric"].append({"seed": seed, **run_sf_curric(seed, args.budget, args.timeout)})
        print("sf_curric", results["sf_curric"][-1], flush=True)
        if sb3_python is not None:
            sb3 = run_sb3(sb3_python, seed, args.budget, args.sb3_threads, args.timeout)
            results["sb3"].append({"seed": seed, **sb3})
            print("sb3", results["sb3"][-1], flush=True)

    print()
    print(f"CartPole-v1, env steps and seconds until avg return (last 100 episodes) >= {THRESHOLD:g}")
    print()
    print("| trainer | seed | env steps | training s | process s | final avg return |")
    print("|---|---|---|---|---|---|")
    for name, runs in results.items():
        for r in runs:
            print(
                f"| {name} | {r['seed']} | {_fmt(r['steps'])} | {_fmt(r['seconds'], 1)} | "
                f"{r['process_seconds']:.1f} | {r['final_avg']:.1f} |"
            )
    medians = {
        name: (_median([r["steps"] for r in runs]), _median([r["seconds"] for r in runs]))
        for name, runs in results.items()
        if runs
    }
    for name, (steps, seconds) in medians.items():
        print(f"| {name} | median | {_fmt(steps)} | {_fmt(seconds, 1)} | | |")
    if "sb3" in medians and medians["sb3"][1] and medians["sf_curric"][1]:
        sf_steps, sf_sec = medians["sf_curric"]
        sb_steps, sb_sec = medians["sb3"]
        print()
        print(
            f"ratio sf_curric / SB3: env steps {sf_steps / sb_steps:.2f}x, training seconds {sf_sec / sb_sec:.2f}x "
            f"(< 1 means sf_curric is faster)"
        )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
