"""The MiniGrid curricula of the Mastering Rate paper as a sweep: per curriculum, Mastering Rate, the paper's
learning-progress teacher (gProp Linreg), uniform sampling over the curriculum's envs and direct training on the
last env alone, every method with every seed, at one budget, with the paper's agent and PPO (the mr_* env defaults).

`benchmarks/minigrid_curricula.py` launches this sweep (resumable) and reads the runs; the sweep also runs alone:

    MINIGRID_CURRICULUM=mr_blockedunlockpickup python -m sf_curric.launch --run=benchmarks/sweeps/minigrid_curricula.py

A setting may keep only a prefix of the curriculum's env list (`prefix`): its runs go through
`train_env_list_prefix.py`, which registers the first envs of the list (and the graph's edges between them) under
`<curriculum>_p<prefix>` with the same defaults.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run from a checkout without installing
from sf_curric.envs.builtin.minigrid_curricula import MASTERING_RATE_CURRICULA  # noqa: E402
from sf_curric.sweeps import Experiment, RunDescription  # noqa: E402

PREFIX_SCRIPT = Path(__file__).with_name("train_env_list_prefix.py")
METHODS = ("mastering_rate", "teacher_student", "uniform", "direct")


@dataclass(frozen=True)
class Setting:
    """One benchmarked curriculum.

    Attributes:
        curriculum: the built-in env name (mr_blockedunlockpickup, mr_keycorridor, mr_obstructedmaze).
        steps: env steps of every run.
        seeds: training seeds.
        prefix: envs of the list kept (None: all).
        jobs: runs trained at the same time.
        extra: trainer flags every run gets.
    """

    curriculum: str
    steps: int
    seeds: tuple[int, ...] = (1, 2, 3)
    prefix: int | None = None
    jobs: int = 2
    extra: str = "--keep_checkpoints=1 --save_every_sec=120 --log_level=warning --experiment_summaries_interval=20"

    @property
    def env_ids(self) -> tuple[str, ...]:
        """The envs trained on, easiest first; the last is the target."""
        ids = MASTERING_RATE_CURRICULA[self.curriculum].env_ids
        return ids if self.prefix is None else ids[: self.prefix]

    @property
    def name(self) -> str:
        """The sweep's folder name."""
        suffix = "" if self.prefix is None else f"_p{self.prefix}"
        return f"minigrid_{self.curriculum}{suffix}"

    def base_command(self) -> str:
        """The trainer command of every method (the env and the budget)."""
        if self.prefix is None:
            base = f"python -m sf_curric.train --env={self.curriculum}"
        else:
            base = f"python {PREFIX_SCRIPT} --env_list={self.curriculum} --env_prefix={self.prefix}"
        return f"{base} --train_for_env_steps={self.steps} {self.extra}"


def method_flags(method: str, target: str) -> str:
    """The `--curriculum` flags of a benchmarked method."""
    return {
        "mastering_rate": "--curriculum=mastering_rate",
        "teacher_student": "--curriculum=teacher_student",
        "uniform": "--curriculum=dr",
        "direct": f"--curriculum=constant --constant_task={target}",
    }[method]


# BlockedUnlockPickup and KeyCorridor were measured before the mr_* defaults took torch's weight init: their
# settings keep the orthogonal init they ran with, so that the command reproduces (and resumes) the published table
MEASURED_ORTHOGONAL = f"{Setting.extra} --policy_initialization=orthogonal"

# full budgets sized from this machine's speed (docs/minigrid_curricula.md); the paper's own budgets were 30 min
# (BlockedUnlockPickup), 2 h (KeyCorridor) and 3 h (ObstructedMaze) on a GPU with 4 CPUs
SETTINGS = {
    "mr_blockedunlockpickup": Setting("mr_blockedunlockpickup", steps=3_000_000, extra=MEASURED_ORTHOGONAL),
    "mr_keycorridor": Setting("mr_keycorridor", steps=1_500_000, prefix=3, extra=MEASURED_ORTHOGONAL),
    "mr_obstructedmaze": Setting("mr_obstructedmaze", steps=3_000_000, prefix=3),
    # pipeline check only (the tests): two methods, a few thousand steps; its numbers mean nothing
    "tiny": Setting(
        "mr_blockedunlockpickup",
        steps=4096,
        seeds=(1,),
        prefix=2,
        extra="--log_level=warning --num_envs_per_worker=4 --experiment_summaries_interval=1",
    ),
}


def curriculum_sweep(
    setting: Setting, methods: tuple[str, ...] = METHODS, run_name: str | None = None
) -> RunDescription:
    """One experiment per method (named after it), every method with every seed, in `<train_dir>/<run_name>`
    (default: the setting's name)."""
    experiments = [Experiment(m, f"{setting.base_command()} {method_flags(m, setting.env_ids[-1])}") for m in methods]
    return RunDescription(run_name or setting.name, experiments=experiments, seeds=setting.seeds)


def setting_from_env() -> Setting:
    """`MINIGRID_CURRICULUM` (default mr_blockedunlockpickup), checked."""
    name = os.environ.get("MINIGRID_CURRICULUM", "mr_blockedunlockpickup")
    if name not in SETTINGS:
        raise SystemExit(f"MINIGRID_CURRICULUM={name!r}: use one of {', '.join(SETTINGS)}")
    return SETTINGS[name]


RUN_DESCRIPTION = curriculum_sweep(setting_from_env())
