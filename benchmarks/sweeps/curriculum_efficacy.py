"""Curriculum efficacy as a sweep: DR (uniform levels), PLR, Robust PLR, ACCEL and learnability on held-out levels.

Every run is an ordinary training run with evaluation during training (`--eval_every_env_steps`): on all its
training levels, on held-out levels and, on maze_levels, on the hand-designed mazes, logged as `eval/<group>/*`.
`benchmarks/curriculum_efficacy.py` launches this sweep and makes one `sf_curric.report` call (plus its own
tables); the sweep also runs on its own:

    python -m sf_curric.launch --run=benchmarks/sweeps/curriculum_efficacy.py --max_parallel=2
    EFFICACY_SCALE=small python -m sf_curric.launch --run=benchmarks/sweeps/curriculum_efficacy.py --max_parallel=2
    python -m sf_curric.report train_dir/curriculum_efficacy_small

Scales (`EFFICACY_SCALE`, default `cpu`; the benchmark script's `--scale`): see `SCALES`.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run from a checkout without installing
from sf_curric.sweeps import Experiment, RunDescription  # noqa: E402

METHODS = ("dr", "plr", "robust_plr", "accel", "learnability")
TRAIN_MAZE = Path(__file__).with_name("train_maze_levels.py")

MAZE_TRAIN_ARGS = (
    "--serial_mode=True --num_workers=1 --num_envs_per_worker=64 --rollout=32 --batch_size=1024 --num_epochs=4 "
    "--gamma=0.99 --gae_lambda=0.95 --learning_rate=5e-4 --exploration_loss_coeff=0.01 --encoder_mlp_layers 128 128 "
    "--device=cpu"
)


@dataclass(frozen=True)
class Scale:
    """One benchmark setting.

    Attributes:
        env: registered env name (maze_levels or procgen_bigfish_plr).
        num_levels: training levels (seeds 0 .. num_levels - 1).
        test_tasks: held-out level seeds as `START:STOP`.
        seeds: training seeds per method.
        steps: env steps per run.
        eval_every: env steps between evaluations during training.
        train_args: trainer flags shared by every method.
        plr_args: extra trainer flags of the PLR and Robust PLR runs.
        accel_args: extra flags of the ACCEL runs (e.g. `--accel_generator=empty`, train_maze_levels.py's).
        eval_episodes_per_task: eval episodes on every training, held-out and hand-designed level.
        jobs: runs trained at the same time.
        notes: a remark kept in the results JSON.
        env_kwargs: keyword arguments of the env's registration (maze_levels' `view`).
        methods: curricula compared (dr and plr are needed).
        step_factors: method -> env-step budget factor. A method with factor f trains f times `steps` env steps
            and is evaluated every f * `eval_every` (its k-th evaluation is reported at point k): to compare Robust
            PLR and ACCEL, which train only on replays, at the number of trained-on steps of the others, as their
            papers compare at equal gradient updates (f = 1 / its trained fraction).
    """

    env: str
    num_levels: int
    test_tasks: str
    seeds: tuple[int, ...]
    steps: int
    eval_every: int
    train_args: str
    plr_args: tuple[str, ...] = ()
    accel_args: tuple[str, ...] = ()
    eval_episodes_per_task: int = 1
    jobs: int = 2
    notes: str = ""
    env_kwargs: dict = field(default_factory=dict)
    methods: tuple[str, ...] = METHODS
    step_factors: dict = field(default_factory=dict)

    def eval_every_of(self, method: str) -> int:
        """Env steps between the evaluations of `method` (`eval_every` times its step factor)."""
        return int(round(self.eval_every * float(self.step_factors.get(method, 1.0))))

    def steps_of(self, method: str) -> int:
        """Env steps of one run of `method`."""
        return self.eval_every_of(method) * len(self.eval_points)

    @property
    def eval_points(self) -> tuple[int, ...]:
        """The env steps at which every run is evaluated (the last one is the budget)."""
        return tuple(range(self.eval_every, self.steps + 1, self.eval_every))

    def replace(self, **changes) -> Scale:
        """A copy with `changes`."""
        return dataclasses.replace(self, **changes)


# chosen from pilots (docs/benchmarks.md): rank temperature 0.1 and 0.3 were slower than DR here, 1.0 was not
_PLR = ("--plr_temperature=1.0", "--plr_staleness_coef=0.3")
SCALES = {
    # pipeline check only (the tests): 8 levels, 2 seeds, a few thousand steps; its numbers mean nothing
    "tiny": Scale(
        env="maze_levels",
        num_levels=8,
        test_tasks="10000:10008",
        seeds=(0, 1),
        steps=4096,
        eval_every=2048,
        train_args="--serial_mode=True --num_workers=1 --num_envs_per_worker=8 --rollout=16 --batch_size=64 "
        "--num_epochs=1 --encoder_mlp_layers 32 --device=cpu",
        notes="pipeline check only",
        methods=("dr", "plr"),
    ),
    # the docs' example of the tools: 3 seeds, a tenth of the budget; says little about the methods
    "small": Scale(
        env="maze_levels",
        num_levels=200,
        test_tasks="10000:10200",
        seeds=(10, 11, 12),
        steps=60_000,
        eval_every=20_000,
        train_args=MAZE_TRAIN_ARGS,
        plr_args=_PLR,
        env_kwargs={"view": 5},
        methods=("dr", "plr"),
    ),
    # maze_levels, 5x5 view, 200 training levels, 10 fresh seeds (1 and 2 were the pilots'), 600k steps
    "cpu": Scale(
        env="maze_levels",
        num_levels=200,
        test_tasks="10000:10200",
        seeds=tuple(range(10, 20)),
        steps=600_000,
        eval_every=100_000,
        train_args=MAZE_TRAIN_ARGS,
        plr_args=_PLR,
        eval_episodes_per_task=4,
        env_kwargs={"view": 5},
    ),
    # the PLR paper's setting: Procgen bigfish (procgen2, easy), 200 levels, 25M steps; CUDA
    "gpu": Scale(
        env="procgen_bigfish_plr",
        num_levels=200,
        test_tasks="1000:1200",
        seeds=(0, 1, 2),
        steps=25_000_000,
        eval_every=2_500_000,
        train_args="--device=gpu",  # the rest: procgen_plr.py's registered defaults (PLR paper's PPO settings)
        jobs=1,
        notes="Procgen bigfish easy, procgen2",
        methods=("dr", "plr"),
    ),
}


def train_command(scale: Scale, method: str = "dr") -> str:
    """The command every run of `method` starts with (env registration, trainer and evaluation flags)."""
    if scale.env == "maze_levels":
        view = scale.env_kwargs.get("view", 3)
        base = f"python {TRAIN_MAZE} --num_levels={scale.num_levels} --view={view} {scale.train_args}"
        level_set = " --eval_test_level_set=hand_designed"
    elif scale.env == "procgen_bigfish_plr":
        base, level_set = f"python -m sf_curric_examples.procgen_plr {scale.train_args}", ""
    else:
        raise ValueError(f"unknown benchmark env {scale.env!r}; add its command to train_command")
    return (
        f"{base} --train_for_env_steps={scale.steps_of(method)} --eval_every_env_steps={scale.eval_every_of(method)} "
        f"--eval_episodes_per_level={scale.eval_episodes_per_task} --eval_test_tasks={scale.test_tasks}{level_set} "
        "--keep_checkpoints=1 --save_every_sec=60 --log_level=warning"
    )


def efficacy_sweep(scale: Scale, run_name: str) -> RunDescription:
    """One experiment per method (named after it), every method with every seed.

    Args:
        scale: the setting.
        run_name: the sweep's folder name under the launcher's `--train_dir`.
    """
    experiments = []
    for method in scale.methods:
        extra = {"plr": scale.plr_args, "robust_plr": scale.plr_args, "accel": scale.accel_args}.get(method, ())
        extra = " ".join(extra)
        experiments.append(Experiment(method, f"{train_command(scale, method)} --curriculum={method} {extra}".strip()))
    return RunDescription(run_name, experiments=experiments, seeds=scale.seeds)


def scale_from_env(names: Sequence[str] = tuple(SCALES)) -> str:
    """`EFFICACY_SCALE` (default cpu), checked."""
    name = os.environ.get("EFFICACY_SCALE", "cpu")
    if name not in names:
        raise SystemExit(f"EFFICACY_SCALE={name!r}: use one of {', '.join(names)}")
    return name


_SCALE = scale_from_env()
RUN_DESCRIPTION = efficacy_sweep(SCALES[_SCALE], f"curriculum_efficacy_{_SCALE}")
