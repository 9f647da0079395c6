"""Section 2 (and 4 with --pixels) of benchmarks/throughput.py: sampling only, no learning.

sf_curric's parallel sampler with its policy inference against the raw step rate of a gymnasium SyncVectorEnv with
random actions (and, on Breakout, the raw rate in Sample Factory's venv, whose ale-py and gymnasium differ).
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

import psutil
from measure import cpu_seconds, tree_pss  # benchmarks/measure.py, next to this script
from sample_factory_peer import SF_PYTHON

ROOT = Path(__file__).resolve().parent.parent
PIXEL_TRAIN = ROOT / "benchmarks" / "pixel_train.py"


def env_makers() -> Dict[str, Callable]:
    """The benchmark's own envs by name: `breakout_pixels` (pixel_env.py, HWC frames; importing it needs no ale-py)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))  # spawned sampler workers inherit sys.path and unpickle pixel_env
    from pixel_env import make_breakout_hwc

    return {"breakout_pixels": make_breakout_hwc}


def register_benchmark_envs() -> None:
    """Register the pixel env with sf_curric (module-level factory: picklable for the worker processes)."""
    from sf_curric.envs.registry import register_env

    for name, fn in env_makers().items():
        register_env(name, fn)


def raw_vector_env_rate(env_id: str, num_envs: int, seconds: float) -> Dict:
    """Steps per wall second and per CPU second of a gymnasium SyncVectorEnv with random actions (one process,
    gymnasium's default autoreset)."""
    import gymnasium as gym

    make = env_makers().get(env_id, lambda: gym.make(env_id))
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


def sampling_only_rate(
    env_id: str, num_workers: int, num_envs: int, seconds: float, model_args: Dict, extra_args: Sequence[str] = ()
) -> Dict:
    """Steps/s of sf_curric's parallel sampler without learning (policy inference included) and peak PSS.

    `extra_args` are sf_curric command-line flags (`--sf_curric_args`); they win over everything else.
    """
    sys.path.insert(0, str(ROOT))
    from sf_curric.algo.learner import Learner
    from sf_curric.algo.parallel.sampler import ParallelSampler
    from sf_curric.command_line import default_cfg, parse_args
    from sf_curric.envs.registry import make_env

    register_benchmark_envs()
    extra = dict(parse_args([f"--env={env_id}", *extra_args]).cli_args)
    extra.pop("env")
    cfg = default_cfg(
        env_id, num_workers=num_workers, num_envs_per_worker=num_envs, rollout=32, device="cpu", seed=0,
        batch_size=32 * num_envs, num_batches_per_epoch=1,
        **{**(model_args or {"encoder_mlp_layers": [64, 64], "nonlinearity": "tanh"}), **extra},
    )  # fmt: skip
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
        cpu_before = cpu_seconds(procs)
        steps, peak, start = 0, 0, time.perf_counter()
        next_pss = start
        while time.perf_counter() - start < seconds:
            steps += sampler.get_batch().env_steps
            if time.perf_counter() >= next_pss:
                peak, next_pss = max(peak, tree_pss(me)), next_pss + 0.5
        elapsed = time.perf_counter() - start
        cpu = cpu_seconds(procs) - cpu_before
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


def sample_factory_raw_rate(num_envs: int, seconds: float) -> Optional[Dict]:
    """The raw Breakout rate in Sample Factory's venv (ale-py 0.9.1, gymnasium 0.29): its env may step faster or
    slower than sf_curric's (ale-py 0.12.1, gymnasium 1.x). None when that venv is missing."""
    if not SF_PYTHON.exists():
        return None
    cmd = [str(SF_PYTHON), str(PIXEL_TRAIN), "raw", f"--num_envs={num_envs}", f"--seconds={seconds}"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def sampling_section(
    args, env_id: str = "CartPole-v1", model_args: Optional[Dict] = None, num_envs: Optional[int] = None
) -> List[str]:
    """Sampling only (no learning) against the raw vector-env rate; returns markdown table lines.

    Besides steps per wall second (sensitive to whatever else runs on the machine), steps per CPU second of
    all processes involved are compared: the share of the raw env's efficiency that survives the sampler.
    """
    n = num_envs or args.num_envs_per_worker
    raw = raw_vector_env_rate(env_id, n, args.sampling_seconds)
    lines = [
        f"Sampling only (no learning), {env_id}, {n} envs per worker, rollout 32, {args.sampling_seconds:.0f} s "
        f"each; raw = gymnasium SyncVectorEnv({n}) with random actions in one process; load average "
        f"{os.getloadavg()[0]:.1f} at the start",
        "",
        "| setup | steps/s | vs raw | steps per CPU-second | vs raw | inference share of worker time "
        "| peak PSS (GiB) |",
        "|---|---|---|---|---|---|---|",
        f"| raw SyncVectorEnv, 1 process | {raw['fps']:,.0f} | 100% | {raw['steps_per_cpu_s']:,.0f} | 100% | - | - |",
    ]
    if env_id == "breakout_pixels" and not args.skip_sf:
        theirs = sample_factory_raw_rate(n, args.sampling_seconds)
        if theirs is not None:
            lines.append(
                f"| raw SyncVectorEnv in Sample Factory's venv (ale-py {theirs['ale_py']}, gymnasium "
                f"{theirs['gymnasium']}) | {theirs['fps']:,.0f} | {100 * theirs['fps'] / raw['fps']:.0f}% | "
                f"{theirs['steps_per_cpu_s']:,.0f} | {100 * theirs['steps_per_cpu_s'] / raw['steps_per_cpu_s']:.0f}% "
                "| - | - |"
            )
    for workers in sorted({1, args.num_workers}):
        res = sampling_only_rate(env_id, workers, n, args.sampling_seconds, model_args or {}, args.sf_curric_args)
        print(f"  sampling only, {env_id}, {workers} worker(s): {res['fps']:,.0f} steps/s (raw {raw['fps']:,.0f})")
        lines.append(
            f"| sf_curric, {workers} worker process(es) | {res['fps']:,.0f} | {100 * res['fps'] / raw['fps']:.0f}% | "
            f"{res['steps_per_cpu_s']:,.0f} | {100 * res['steps_per_cpu_s'] / raw['steps_per_cpu_s']:.0f}% | "
            f"{100 * res['inference_share']:.0f}% | {res['pss_gib']:.2f} |"
        )
    return lines
