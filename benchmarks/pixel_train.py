"""Train on pixel Breakout (`pixel_env.py`) with sf_curric or with Sample Factory 2.1.1, or time the raw env.

`benchmarks/throughput.py --pixels` starts this file once per run, with the Python of the trainer's environment:

    python benchmarks/pixel_train.py sf_curric --env=breakout_pixels ...        # Python with ale-py 0.12
    benchmarks/.venv-sf/bin/python benchmarks/pixel_train.py sample_factory --env=breakout_pixels ...
    python benchmarks/pixel_train.py raw --num_envs=8 --seconds=5              # prints one JSON line

The remaining arguments go to the trainer's own command-line parser unchanged; `breakout_pixels` is registered
with the trainer first (HWC observations for sf_curric, CHW for Sample Factory).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import List

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # pixel_env, also for spawned worker processes (they inherit sys.path)

from pixel_env import make_breakout, make_breakout_hwc  # noqa: E402

ENV_NAME = "breakout_pixels"


def _make_sample_factory_env(full_env_name, cfg=None, env_config=None, render_mode=None):
    return make_breakout(channels_last=False)


def train_sample_factory(argv: List[str]) -> int:
    """Sample Factory's own `run_rl` with `breakout_pixels` registered (CHW frames)."""
    from sample_factory.cfg.arguments import parse_full_cfg, parse_sf_args
    from sample_factory.envs.env_utils import register_env
    from sample_factory.train import run_rl

    register_env(ENV_NAME, _make_sample_factory_env)
    parser, _ = parse_sf_args(argv)
    return run_rl(parse_full_cfg(parser, argv))


def train_sf_curric(argv: List[str]) -> int:
    """`sf_curric.train.run` with `breakout_pixels` registered (HWC frames)."""
    from sf_curric import register_env
    from sf_curric.train import run

    register_env(ENV_NAME, make_breakout_hwc)
    run(argv)
    return 0


def raw_rate(argv: List[str]) -> int:
    """Steps per wall second and per CPU second of a SyncVectorEnv of Breakout with random actions (one process)."""
    import argparse

    import gymnasium as gym

    parser = argparse.ArgumentParser()
    parser.add_argument("--num_envs", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args(argv)
    venv = gym.vector.SyncVectorEnv([make_breakout_hwc for _ in range(args.num_envs)])
    venv.reset(seed=0)
    venv.action_space.seed(0)
    actions = [venv.action_space.sample() for _ in range(64)]
    steps, start, cpu_start = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - start < args.seconds:
        venv.step(actions[steps // args.num_envs % 64])
        steps += args.num_envs
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    venv.close()
    import ale_py

    print(json.dumps({"fps": steps / wall, "steps_per_cpu_s": steps / cpu, "ale_py": ale_py.__version__,
                      "gymnasium": gym.__version__}))  # fmt: skip
    return 0


MODES = {"sample_factory": train_sample_factory, "sf_curric": train_sf_curric, "raw": raw_rate}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in MODES:
        sys.exit(f"usage: pixel_train.py {{{','.join(MODES)}}} [trainer flags...]")
    sys.exit(MODES[sys.argv[1]](sys.argv[2:]))
