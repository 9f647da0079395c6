"""Curriculum efficacy as a sweep: PLR vs domain randomization (uniform levels) on `maze_levels`.

The same comparison as benchmarks/curriculum_efficacy.py (same trainer settings, training levels and seeds at the
`cpu` scale), expressed as a `RunDescription` for `sf_curric.launch`; `sf_curric.report` then gives the table
(mean and IQM over seeds with stratified-bootstrap 95 % intervals, probability of improvement) and the curves:

    python -m sf_curric.launch --run=benchmarks/sweeps/curriculum_efficacy.py --max_parallel=2
    python -m sf_curric.report train_dir/curriculum_efficacy_cpu

    EFFICACY_SCALE=small python -m sf_curric.launch --run=benchmarks/sweeps/curriculum_efficacy.py --max_parallel=2

Scales (`EFFICACY_SCALE`): `cpu` (default): 200 levels, seeds 10-19, 600k env steps per run; `small`: 200 levels,
seeds 10-12, 60k env steps (the docs' example; its numbers say little about PLR vs DR).
The report reads the training return (`charts/episodic_return`) and any held-out `eval/*` scalars the runs log.
"""

import os
from pathlib import Path

from sf_curric.sweeps import Experiment, RunDescription

SCALE = os.environ.get("EFFICACY_SCALE", "cpu")
SCALES = {"cpu": (tuple(range(10, 20)), 600_000), "small": ((10, 11, 12), 60_000)}
if SCALE not in SCALES:
    raise ValueError(f"EFFICACY_SCALE={SCALE!r}: use one of {', '.join(SCALES)}")
SEEDS, STEPS = SCALES[SCALE]
TRAIN = Path(__file__).with_name("train_maze_levels.py")

# benchmarks/curriculum_efficacy.py's MAZE_TRAIN_ARGS (maze_levels, 5x5 view, 200 training levels)
COMMON = (
    f"python {TRAIN} --num_levels=200 --view=5 --serial_mode=True --num_workers=1 --num_envs_per_worker=64 "
    "--rollout=32 --batch_size=1024 --num_epochs=4 --gamma=0.99 --gae_lambda=0.95 --learning_rate=5e-4 "
    f"--exploration_loss_coeff=0.01 --encoder_mlp_layers 128 128 --device=cpu --train_for_env_steps={STEPS} "
    "--keep_checkpoints=1 --save_every_sec=60 --log_level=warning"
)

RUN_DESCRIPTION = RunDescription(
    f"curriculum_efficacy_{SCALE}",
    experiments=[
        Experiment("dr", f"{COMMON} --curriculum=dr"),
        # the benchmark's PLR settings, chosen from pilots (docs/benchmarks.md)
        Experiment("plr", f"{COMMON} --curriculum=plr --plr_temperature=1.0 --plr_staleness_coef=0.3"),
    ],
    seeds=SEEDS,
)
