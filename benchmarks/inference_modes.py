"""Local vs central inference (`--inference_mode`) on this machine: sampling-only rates and CartPole learning runs.

Usage: `python benchmarks/inference_modes.py [--seconds 8] [--rounds 3] [--learning_seeds 1] [--skip_pixels]`.

Prints markdown tables:

1. Sampling only (no learning) with the parallel sampler: CartPole (MLP 64-64) and a synthetic pixel env (random
   84x84x4 uint8 frames, a step costs almost nothing, so the CNN's forward pass dominates), for each mode. The modes
   alternate round by round so that a change of load on a shared machine hits both; the median round is reported,
   with steps per CPU-second of all processes (workers and the runner process with its inference thread).
2. CartPole learning runs to an average return of 475 (the configuration of the asynchronous learning test):
   seconds and env steps to the target, and FPS.

Every figure depends on the machine and its load: compare modes within one run of this script only.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import gymnasium as gym
import numpy as np
import psutil
from measure import cpu_seconds  # benchmarks/measure.py, next to this script

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# (label, --inference_mode, --worker_num_splits)
MODES = (("local", "local", 1), ("central", "central", 1), ("central, 2 splits", "central", 2))


class RandomFrames(gym.Env):
    """84x84x4 uint8 frames of noise, 4 actions, 100-step episodes: a pixel env whose step costs almost nothing."""

    observation_space = gym.spaces.Box(0, 255, (84, 84, 4), np.uint8)
    action_space = gym.spaces.Discrete(4)

    def __init__(self):
        self._frames = np.random.default_rng(0).integers(0, 256, (8, 84, 84, 4), dtype=np.uint8)
        self.t = 0

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.t = 0
        return self._frames[0], {}

    def step(self, action):
        self.t += 1
        return self._frames[self.t % 8], 0.0, False, self.t >= 100, {}


def make_random_frames(cfg=None, env_config=None) -> gym.Env:
    """Factory of `RandomFrames` (module level: picklable for spawned workers)."""
    return RandomFrames()


def _register() -> None:
    from sf_curric.envs.registry import register_env

    register_env("bench_random_frames", make_random_frames)


def sampling_rate(
    env: str, mode: tuple, workers: int, envs: int, seconds: float, model: dict, device: str = "cpu"
) -> dict:
    """Steps/s and steps per CPU-second of the parallel sampler without learning, in inference `mode`."""
    from sf_curric.algo.learner import Learner
    from sf_curric.algo.parallel.sampler import ParallelSampler
    from sf_curric.command_line import default_cfg
    from sf_curric.envs.registry import make_env

    cfg = default_cfg(
        env, num_workers=workers, num_envs_per_worker=envs, rollout=32, batch_size=32 * envs, num_batches_per_epoch=1,
        device=device, seed=0, inference_mode=mode[1], worker_num_splits=mode[2], **model,
    )  # fmt: skip
    probe = make_env(cfg)
    learner = Learner(cfg, probe.observation_space, probe.action_space)
    probe.close()
    sampler = ParallelSampler(cfg, learner)
    try:
        sampler.wait_for_workers()
        warmup_end = time.perf_counter() + 1.0
        while time.perf_counter() < warmup_end:
            sampler.get_batch()
        sampler.stats()
        procs = [psutil.Process(), *(psutil.Process(p.pid) for p in sampler.processes)]
        cpu_before = cpu_seconds(procs)
        steps, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            steps += sampler.get_batch().env_steps
        elapsed = time.perf_counter() - start
        cpu = cpu_seconds(procs) - cpu_before
        stats = sampler.stats()
    finally:
        sampler.close()
    return {"fps": steps / elapsed, "cpu": steps / cpu, "per_forward": stats.get("inference_rows_per_forward")}


def sampling_table(args: argparse.Namespace) -> list[str]:
    setups = [("CartPole-v1", "MLP 64-64", {"encoder_mlp_layers": [64, 64], "nonlinearity": "tanh"})]
    if not args.skip_pixels:
        setups.append(("bench_random_frames", "CNN (convnet_simple)", {}))
    lines = [
        f"Sampling only, {args.workers} workers x {args.envs} envs, rollout 32, {args.seconds:.0f} s per round, "
        f"median of {args.rounds} rounds (modes alternate)",
        "",
        "| env | model | inference | steps/s | steps per CPU-second | rows per forward pass |",
        "|---|---|---|---|---|---|",
    ]
    for env, model_name, model in setups:
        results: dict[tuple, list[dict]] = {m: [] for m in MODES}
        for r in range(args.rounds):
            for mode in MODES if r % 2 == 0 else MODES[::-1]:
                res = sampling_rate(env, mode, args.workers, args.envs, args.seconds, model, args.device)
                print(f"  {env} {mode[0]} round {r}: {res['fps']:,.0f} steps/s", flush=True)
                results[mode].append(res)
        for mode in MODES:
            fps = statistics.median(r["fps"] for r in results[mode])
            cpu = statistics.median(r["cpu"] for r in results[mode])
            rows = [r["per_forward"] for r in results[mode] if r["per_forward"] is not None]
            per = f"{statistics.median(rows):.1f}" if rows else f"{args.envs} (each worker)"
            lines.append(f"| {env} | {model_name} | {mode[0]} | {fps:,.0f} | {cpu:,.0f} | {per} |")
    return lines


def learning_table(args: argparse.Namespace) -> list[str]:
    from sf_curric.algo.runner import Runner
    from sf_curric.command_line import default_cfg

    lines = [
        "CartPole-v1 to an average return of 475: 2 workers x 32 envs, rollout 16, 4 epochs of 4 minibatches of 256",
        "",
        "| inference | seed | seconds to 475 | env steps to 475 | FPS |",
        "|---|---|---|---|---|",
    ]
    for seed in range(1, args.learning_seeds + 1):
        for label, mode, splits in MODES:
            with tempfile.TemporaryDirectory() as train_dir:
                cfg = default_cfg(
                    "CartPole-v1", train_dir=train_dir, experiment=f"{mode}_{splits}_{seed}", num_workers=2,
                    num_envs_per_worker=32, rollout=16, batch_size=256, num_batches_per_epoch=4, num_epochs=4,
                    train_for_env_steps=600_000, stop_when_avg_return=475.0, seed=seed, save_every_sec=100000,
                    device=args.device, inference_mode=mode, worker_num_splits=splits, progress_interval_sec=1000,
                )  # fmt: skip
                start = time.perf_counter()
                result = Runner(cfg).run()
                wall = time.perf_counter() - start
            solved_s = "-" if result.solved_at_seconds is None else f"{result.solved_at_seconds:.1f}"
            solved_steps = "-" if result.solved_at_env_steps is None else f"{result.solved_at_env_steps:,}"
            fps = result.env_steps / wall
            print(f"  learning {label} seed {seed}: solved at {solved_s} s, {fps:,.0f} FPS", flush=True)
            lines.append(f"| {label} | {seed} | {solved_s} | {solved_steps} | {fps:,.0f} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="Seconds per sampling round.")
    parser.add_argument("--rounds", type=int, default=3, help="Sampling rounds per mode (median reported).")
    parser.add_argument("--workers", type=int, default=2, help="Worker processes.")
    parser.add_argument("--envs", type=int, default=32, help="Envs per worker.")
    parser.add_argument("--learning_seeds", type=int, default=1, help="CartPole learning runs per mode (0: none).")
    parser.add_argument("--skip_pixels", action="store_true", help="No sampling rows for the synthetic pixel env.")
    parser.add_argument("--device", default="cpu", choices=("cpu", "gpu"), help="The learner's and inference device.")
    args = parser.parse_args()
    _register()
    import logging

    import torch

    logging.getLogger("sf_curric").setLevel(logging.WARNING)
    # as the runner does (--num_torch_threads=1): the inference thread uses the runner process's torch threads
    torch.set_num_threads(1)
    tables = [sampling_table(args)]
    if args.learning_seeds > 0:
        tables.append(learning_table(args))
    print(f"\nload average at the end: {psutil.getloadavg()[0]:.1f} (machine shared with other jobs: noisy)\n")
    print("\n\n".join("\n".join(t) for t in tables))


if __name__ == "__main__":
    main()
