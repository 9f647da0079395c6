"""PLR overhead benchmark: training FPS with Prioritized Level Replay on vs off, on the same env and settings.

Run from the repository root:

    python benchmarks/plr_overhead.py                       # parallel mode, 3 alternating runs per setting
    python benchmarks/plr_overhead.py --serial --steps=100000 --repeats=5

The env is CartPole with 200 levels (level k fixes the initial state, drawn from a generator seeded with k). "off"
trains it without a curriculum (the env keeps its default level); "plr" samples every reset's level from PLR, which
the learner's value_l1 scores update after every batch. Runs alternate (off, plr, off, plr, ...) so that machine load
drifts hit both alike; the table shows the median FPS of each setting, the change (target: within 3 %) and the share
of wall time spent in the curriculum itself (sampling, updates, logging; `perf/curriculum_sec`).
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sf_curric.cfg.env_defaults import get_env_defaults, register_env_defaults  # noqa: E402
from sf_curric.envs.registry import register_env  # noqa: E402
from sf_curric.envs.task_wrapper import TaskWrapper  # noqa: E402

NUM_LEVELS = 200


class CartPoleLevels(TaskWrapper):
    """CartPole whose level k starts from a fixed initial state (drawn once from a generator seeded with k)."""

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        self.level = 0

    def change_task(self, new_task: int) -> None:
        self.level = int(new_task)

    def reset(self, **kwargs):
        _, info = super().reset(**kwargs)
        state = np.random.default_rng(self.level).uniform(-0.05, 0.05, size=(4,))
        self.env.unwrapped.state = state
        return state.astype(np.float32), info


def make_cartpole_levels() -> gym.Env:
    return CartPoleLevels(gym.make("CartPole-v1"))


register_env("bench_cartpole_levels", make_cartpole_levels, task_space=gym.spaces.Discrete(NUM_LEVELS))
# the tuned CartPole-v1 settings (8 envs per worker, rollouts of 32, MLP 64-64, ...)
register_env_defaults("bench_cartpole_levels", **get_env_defaults("CartPole-v1"))


def run_once(curriculum: str, steps: int, serial: bool, train_dir: str, index: int) -> tuple[float, float, int]:
    """Train once; return (FPS, share of wall time in the curriculum, episodes)."""
    from sf_curric.algo.runner import Runner
    from sf_curric.cfg.experiment import prepare_experiment_dir, resolve_config
    from sf_curric.cfg.validation import validate_cfg
    from sf_curric.command_line import parse_args

    argv = [
        "--env=bench_cartpole_levels",
        f"--curriculum={curriculum}",
        f"--train_dir={train_dir}",
        f"--experiment=run{index}_{curriculum}",
        f"--train_for_env_steps={steps}",
        f"--serial_mode={serial}",
        "--num_workers=2",
        "--save_every_sec=100000",
        "--log_level=warning",
        "--seed=1",
    ]
    cfg = resolve_config(parse_args(argv))
    validate_cfg(cfg)
    prepare_experiment_dir(cfg)
    runner = Runner(cfg)
    result = runner.run()
    host = getattr(runner, "curriculum_host", None)
    curriculum_seconds = host.seconds if host is not None else 0.0
    return result.env_steps / runner.train_seconds, curriculum_seconds / runner.train_seconds, result.num_episodes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200_000, help="env steps per run")
    parser.add_argument("--repeats", type=int, default=3, help="runs per setting (alternating)")
    parser.add_argument("--serial", action="store_true", help="serial mode instead of 2 worker processes")
    args = parser.parse_args()

    results: dict[str, list[tuple[float, float, int]]] = {"none": [], "plr": []}
    with tempfile.TemporaryDirectory() as train_dir:
        for i in range(args.repeats):
            for curriculum in ("none", "plr"):
                start = time.monotonic()
                fps, share, episodes = run_once(curriculum, args.steps, args.serial, train_dir, i)
                results[curriculum].append((fps, share, episodes))
                print(
                    f"run {i} {curriculum:>4}: {fps:8.0f} FPS, {episodes} episodes, curriculum {100 * share:.2f} % "
                    f"of wall ({time.monotonic() - start:.0f} s)",
                    flush=True,
                )

    mode = "serial" if args.serial else "parallel, 2 workers x 8 envs"
    print(f"\nPLR overhead on CartPole with {NUM_LEVELS} levels ({mode}, {args.steps} env steps per run)")
    print("| setting | median FPS | FPS per run | curriculum share of wall |")
    print("|---|---|---|---|")
    medians = {}
    for curriculum, rows in results.items():
        fps = [r[0] for r in rows]
        medians[curriculum] = statistics.median(fps)
        share = statistics.median(r[1] for r in rows)
        runs = " / ".join(f"{x:.0f}" for x in fps)
        name = "PLR on (--curriculum=plr)" if curriculum == "plr" else "PLR off (--curriculum=none)"
        print(f"| {name} | {medians[curriculum]:.0f} | {runs} | {100 * share:.2f} % |")
    change = 100.0 * (medians["plr"] - medians["none"]) / medians["none"]
    print(f"\nFPS change with PLR: {change:+.1f} % (target: within -3 %)")


if __name__ == "__main__":
    main()
