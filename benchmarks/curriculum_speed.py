"""Cost per call of curriculum sampling and updates with 10,000 tasks.

Run (from the repository root, after `pip install -e .`): python benchmarks/curriculum_speed.py [--tasks 10000]

Prints one row per operation: microseconds per call (best of `--repeat` timing runs, each long enough to
average out timer noise). Shared machines are noisy: compare rows within one run.
"""

from __future__ import annotations

import argparse
import time
from typing import Callable

import numpy as np
from gymnasium.spaces import Discrete

from sf_curric.curricula import DomainRandomization, LearningProgress, PerformanceCurriculum, PrioritizedLevelReplay


def _time_per_call(fn: Callable[[], None], calls: int, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter() - start) / calls)
    return best * 1e6


def _plr_all_seen(n: int, num_actors: int, **kwargs) -> PrioritizedLevelReplay:
    plr = PrioritizedLevelReplay(Discrete(n), num_steps=128, num_processes=num_actors, seed=0, **kwargs)
    rng = np.random.default_rng(0)
    for task, score in enumerate(rng.random(n)):
        plr.task_sampler.update_task_score(task, float(score))
    return plr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    n, repeat = args.tasks, args.repeat
    rng = np.random.default_rng(1)
    rows = []

    dr = DomainRandomization(Discrete(n), seed=0)
    rows.append(("DomainRandomization.sample(1)", _time_per_call(lambda: dr.sample(1), 20_000, repeat)))
    rows.append(
        (
            "Curriculum.update_on_episode (via update_curriculum dict)",
            _time_per_call(
                lambda: dr.update_curriculum({"update_type": "episode", "metrics": (1.0, 10, 5, None)}), 20_000, repeat
            ),
        )
    )
    rows.append(
        (
            "Curriculum.update_on_step (direct call)",
            _time_per_call(lambda: dr.update_on_step(3, None, 0.0, False, False, {}, None, 0), 20_000, repeat),
        )
    )
    step_batch = ([3] * 32, [None] * 32, [0.0] * 32, [False] * 32, [False] * 32, [{}] * 32)
    rows.append(
        (
            "Curriculum.update_on_step_batch, 32 steps (per step)",
            _time_per_call(lambda: dr.update_on_step_batch(step_batch), 2_000, repeat) / 32,
        )
    )

    lp = LearningProgress(Discrete(n), seed=0)
    for _ in range(2000):
        lp.update_task_progress(int(rng.integers(n)), float(rng.random()))
    rows.append(
        (
            "LearningProgress.update_task_progress",
            _time_per_call(lambda: lp.update_task_progress(7, 1.0), 20_000, repeat),
        )
    )
    rows.append(("LearningProgress.sample(1)", _time_per_call(lambda: lp.sample(1), 500, repeat)))

    perf = PerformanceCurriculum(Discrete(n), promote_threshold=1e9, window=100)
    rows.append(
        (
            "PerformanceCurriculum.update_on_episode",
            _time_per_call(lambda: perf.update_on_episode(1.0, 10, 0), 20_000, repeat),
        )
    )

    for label, kwargs in (
        ("PLR.sample(1), all seen, rank + staleness 0.1", {}),
        ("PLR.sample(1), all seen, rank, no staleness", {"staleness_coef": 0.0}),
        (
            "PLR.sample(1), all seen, power + staleness 0.3",
            {"score_transform": "power", "staleness_coef": 0.3, "temperature": 0.3},
        ),
    ):
        plr = _plr_all_seen(n, 64, **kwargs)
        rows.append((label, _time_per_call(lambda plr=plr: plr.sample(1), 2_000, repeat)))
    half = PrioritizedLevelReplay(Discrete(n), num_processes=64, seed=0, rho=0.0)
    for task in range(0, n, 2):
        half.task_sampler.update_task_score(task, float(rng.random()))
    rows.append(("PLR.sample(1), half seen (proportionate)", _time_per_call(lambda: half.sample(1), 2_000, repeat)))

    t_len, b = 128, 64
    tasks = rng.integers(n, size=(t_len, b))
    dones = rng.random((t_len, b)) < 0.02
    values = rng.normal(size=(t_len + 1, b))
    advantages = rng.normal(size=(t_len, b))
    plr = _plr_all_seen(n, b)
    ids = np.arange(b)
    per_rollout = _time_per_call(lambda: plr.update_with_rollout(tasks, dones, values, advantages, ids), 50, repeat)
    rows.append((f"PLR.update_with_rollout [{t_len}x{b}] (per rollout)", per_rollout))
    rows.append((f"PLR.update_with_rollout [{t_len}x{b}] (per env step)", per_rollout / (t_len * b)))

    cycle = _plr_all_seen(n, b)

    def rollout_then_resets() -> None:
        # the trainer's cycle: one rollout update (scores change, rank weights are rebuilt), then env resets
        cycle.update_with_rollout(tasks, dones, values, advantages, ids)
        cycle.sample(int(dones.sum()))

    rows.append(
        (
            f"PLR rollout update + {int(dones.sum())} samples (per rollout)",
            _time_per_call(rollout_then_resets, 50, repeat),
        )
    )

    stream = _plr_all_seen(n, b)
    step_tasks = list(rng.integers(n, size=b))
    metrics = {
        "value": rng.normal(size=b),
        "next_value": rng.normal(size=b),
        "rew": rng.normal(size=b),
        "dones": rng.random(b) < 0.02,
        "tasks": step_tasks,
    }
    update = {"update_type": "on_demand", "metrics": metrics}
    per_call = _time_per_call(lambda: stream.update_curriculum(update), 2_000, repeat)
    rows.append((f"PLR on_demand step update, {b} envs (per call)", per_call))
    rows.append((f"PLR on_demand step update, {b} envs (per env step)", per_call / b))

    width = max(len(name) for name, _ in rows)
    print(f"curriculum speed, {n} tasks (best of {repeat}; shared machine, expect noise)")
    print(f"{'operation':<{width}}  {'us/call':>10}")
    print("-" * (width + 12))
    for name, us in rows:
        print(f"{name:<{width}}  {us:>10.2f}")


if __name__ == "__main__":
    main()
