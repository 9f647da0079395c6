"""The evaluation table at the end of a training run (`--final_eval_episodes`).

The trained policy plays `--final_eval_episodes` episodes in each task group and the run prints one line per group
(mean return, std, 95 % interval) and writes `final_eval.json` into the experiment folder. An env names its
groups with `register_eval_groups` (e.g. the built-in `cartpole_curriculum`: its easiest tasks, its hardest tasks
and tasks drawn from the whole task space); any other env with a task space gets one group, tasks drawn from the
whole space (every task of a finite one, in turn); an env without one plays its default task.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any, Callable

import numpy as np

from sf_curric.envs.builtin import BUILTIN_EVAL_GROUPS
from sf_curric.envs.registry import make_env
from sf_curric.evaluation.episodes import EpisodeJob, run_episodes
from sf_curric.evaluation.evaluate import format_table
from sf_curric.evaluation.group_stats import group_summaries
from sf_curric.evaluation.tasks import TaskGroup, task_label
from sf_curric.evaluation.writers import jsonable, write_json

log = logging.getLogger("sf_curric")

FINAL_EVAL_FILE = "final_eval.json"
MAX_EVAL_ENVS = 16
WHOLE_SPACE = "whole space"

# env name -> make_groups(rng, n): {group name: n tasks}
GroupsFn = Callable[[np.random.Generator, int], dict[str, list[Any]]]
_GROUPS: dict[str, GroupsFn] = {}


def register_eval_groups(env_name: str, make_groups: GroupsFn) -> None:
    """Name the task groups of an env's end-of-training table.

    Args:
        env_name: the `--env` value.
        make_groups: `make_groups(rng, n)` returns `{group name: list of n tasks}`, in table order.

    Example:
        >>> register_eval_groups("my_env", lambda rng, n: {"easy": [0] * n, "hard": [9] * n})
    """
    _GROUPS[env_name] = make_groups


def _whole_space(task_space: Any, rng: np.random.Generator, n: int) -> list[Any]:
    if task_space.is_finite:
        tasks = list(task_space.tasks)
        return [tasks[i % len(tasks)] for i in range(n)]
    task_space.seed(int(rng.integers(2**31 - 1)))
    return [task_space.sample() for _ in range(n)]


def final_task_groups(cfg: argparse.Namespace, n: int, seed: int) -> list[TaskGroup]:
    """The task groups of the end-of-training table, `n` tasks each (one episode per task).

    Args:
        cfg: reads `--env`.
        n: tasks (= episodes) per group.
        seed: seed of the task draws.
    """
    from sf_curric.evaluation.tasks import _registered_task_space

    rng = np.random.default_rng(seed)
    make_groups = _GROUPS.get(cfg.env) or BUILTIN_EVAL_GROUPS.get(cfg.env)
    if make_groups is not None:
        named = make_groups(rng, n)
    else:
        task_space = _registered_task_space(cfg.env)
        named = {"default": [None] * n} if task_space is None else {WHOLE_SPACE: _whole_space(task_space, rng, n)}
    return [TaskGroup(name, list(tasks), [task_label(t) for t in tasks]) for name, tasks in named.items()]


def final_evaluation(
    cfg: argparse.Namespace, model: Any, exp_dir: Path, file_name: str = FINAL_EVAL_FILE
) -> dict[str, Any]:
    """Play `--final_eval_episodes` episodes per task group with `model`, log the table, write final_eval.json.

    Args:
        cfg: the run's config.
        model: the trained `ActorCritic`.
        exp_dir: the experiment folder.
        file_name: the JSON file written there (policy i of a `--num_policies` run: final_eval_p<i>.json).

    Returns:
        `{group name: summary}` (n, mean, std, ci95_low, ci95_high, num_tasks, mean_length).
    """
    n = int(cfg.final_eval_episodes)
    seed = 0 if cfg.seed is None else int(cfg.seed)
    groups = final_task_groups(cfg, n, seed)
    jobs = []
    for group_index, group in enumerate(groups):
        seeds = np.random.SeedSequence([seed, 7, group_index]).generate_state(len(group.tasks))
        for task, label, episode_seed in zip(group.tasks, group.labels, seeds):
            jobs.append(EpisodeJob(group.name, task, label, 0, int(episode_seed % (2**31 - 1))))
    envs = [
        make_env(cfg, {"worker_index": 0, "vector_index": i, "env_id": i, "evaluation": True})
        for i in range(min(MAX_EVAL_ENVS, len(jobs)))
    ]
    try:
        records = run_episodes(envs, model, jobs)
    finally:
        for env in envs:
            env.close()
    summary, _ = group_summaries(groups, records)
    log.info("evaluation of the final policy, %d episodes per group:\n%s", n, format_table({"groups": summary}))
    write_json(exp_dir / file_name, jsonable({"episodes_per_group": n, "groups": summary}))
    return summary
