"""The UED maze table as a sweep: DR, Robust PLR and ACCEL (PLR optional) on `ued_maze`, every method with every
seed, each run evaluated during training on the 8 hand-designed mazes (`--eval_test_level_set=hand_designed`, jaxued's
`eval_num_attempts` episodes per maze). `benchmarks/ued_maze_table.py` launches it and prints the table; it also runs
on its own:

    UED_MAZE_SCALE=cpu python -m sf_curric.launch --run=benchmarks/sweeps/ued_maze.py --max_parallel=1

Scales (`UED_MAZE_SCALE`, default cpu; the table script's `--scale`): see `SCALES`. Every run uses ued_maze's per-env
defaults (jaxued's agent and PPO settings, docs/ued_maze.md); a scale adds only its layout and budget.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run from a checkout without installing
from sf_curric.sweeps import Experiment, RunDescription  # noqa: E402

METHODS = ("dr", "plr", "robust_plr", "accel")
PAPER_STEPS = 30_000 * 32 * 256  # jaxued's and the Robust PLR paper's budget: 30k updates of 32 envs x 256 steps


@dataclass(frozen=True)
class Scale:
    """One setting of the table.

    Attributes:
        seeds: training seeds per method.
        steps: env steps per run (every method the same: jaxued counts updates, new-level rollouts included).
        evaluations: evaluations during training (the last one at the end is the table's).
        episodes_per_maze: evaluation episodes on each hand-designed maze (jaxued: 10 attempts).
        train_args: flags added to ued_maze's defaults (layout, device, buffer size of short runs).
        methods: the curricula compared.
        jobs: runs trained side by side.
        notes: kept in the results JSON.
    """

    seeds: tuple[int, ...]
    steps: int
    evaluations: int
    episodes_per_maze: int
    train_args: str
    methods: tuple[str, ...] = ("dr", "robust_plr", "accel")
    jobs: int = 1
    notes: str = ""

    @property
    def eval_every(self) -> int:
        """Env steps between evaluations."""
        return self.steps // self.evaluations

    def replace(self, **changes) -> Scale:
        """A copy with `changes`."""
        return dataclasses.replace(self, **changes)


SCALES = {
    # pipeline check (tests): a few thousand steps, small buffers; the numbers mean nothing
    "tiny": Scale(
        seeds=(0, 1),
        steps=4096,
        evaluations=1,
        episodes_per_maze=1,
        train_args="--serial_mode=True --num_workers=1 --num_envs_per_worker=8 --rollout=64 --batch_size=512 "
        "--num_epochs=1 --rnn_size=32 --accel_buffer_size=16 --accel_min_fill=4 --device=cpu",
        notes="pipeline check only",
    ),
    # the 2 CPU cores, at most ~60 minutes for the whole table: a reduced budget (see docs/ued_maze.md); replays
    # start after 200 levels (jaxued's 2000 take ~500k env steps of new levels: Robust PLR and ACCEL would never train)
    "cpu": Scale(
        seeds=(0, 1),
        steps=300_000,
        evaluations=1,
        episodes_per_maze=10,
        train_args="--device=cpu --accel_min_fill=200",
        notes="reduced budget: 1/800 of the papers' (300k of 246M env steps per run); replays after 200 levels",
    ),
    # the papers' budget (246M env steps per run, 5 seeds) on one CUDA GPU: days, not minutes
    "gpu": Scale(
        seeds=(0, 1, 2, 3, 4),
        steps=PAPER_STEPS,
        evaluations=10,
        episodes_per_maze=10,
        train_args="--device=gpu",
        methods=METHODS,
        notes="the papers' budget",
    ),
}


def train_command(scale: Scale, method: str) -> str:
    """The command of one run of `method` (seeds are added by the launcher)."""
    return (
        f"python -m sf_curric.train --env=ued_maze --curriculum={method} {scale.train_args} "
        f"--train_for_env_steps={scale.steps} --eval_every_env_steps={scale.eval_every} "
        f"--eval_episodes_per_level={scale.episodes_per_maze} --eval_test_level_set=hand_designed "
        "--keep_checkpoints=1 --save_every_sec=120 --log_level=warning"
    )


def ued_maze_sweep(scale: Scale, run_name: str) -> RunDescription:
    """One experiment per method (named after it), every method with every seed."""
    experiments = [Experiment(method, train_command(scale, method)) for method in scale.methods]
    return RunDescription(run_name, experiments=experiments, seeds=scale.seeds)


def scale_from_env() -> str:
    """`UED_MAZE_SCALE` (default cpu), checked."""
    name = os.environ.get("UED_MAZE_SCALE", "cpu")
    if name not in SCALES:
        raise SystemExit(f"UED_MAZE_SCALE={name!r}: use one of {', '.join(SCALES)}")
    return name


_SCALE = scale_from_env()
RUN_DESCRIPTION = ued_maze_sweep(SCALES[_SCALE], f"ued_maze_{_SCALE}")
