"""Which episodes eval runs: the task groups (training tasks, held-out tasks) and the episodes per task.

- Training tasks: every task of the env's registered task space when it is finite; `--eval_num_tasks` tasks drawn
  with `--seed` from a continuous one (20 by default, logged; 0: the env's default task, plain resets); one
  "default" task for an env without a task space.
- Held-out tasks: the integer level seeds `--test_tasks=START:STOP`, which must not overlap the training tasks.
  By default the seeds right after the largest training task, as many as there are training tasks (at most 100).
  They exist only when the training tasks are integers (level seeds).
"""

from __future__ import annotations

import argparse
import logging
import math
from typing import Any, NamedTuple

import numpy as np

from sf_curric.cfg.arguments import flag_value
from sf_curric.evaluation.args import evaluation_args
from sf_curric.evaluation.episodes import EpisodeJob
from sf_curric.evaluation.policy import EvaluationError

log = logging.getLogger("sf_curric")

DEFAULT_EPISODES_PER_GROUP = 100
DEFAULT_MAX_TEST_TASKS = 100


class TaskGroup(NamedTuple):
    """The tasks of one group, in evaluation order.

    Attributes:
        name: "train", "test" or "default" (an env without tasks).
        tasks: decoded tasks (None: plain resets).
        labels: printable name of each task.
    """

    name: str
    tasks: list[Any]
    labels: list[str]


def task_label(task: Any) -> str:
    """A short printable name of a task.

    Args:
        task: a decoded task (int, tuple, array, None).
    """
    if task is None:
        return "default"
    if isinstance(task, np.ndarray):
        return np.array2string(task, precision=4, separator=",")
    if isinstance(task, (np.integer, np.floating)):
        return str(task.item())
    return str(task)


def parse_task_range(text: str) -> range:
    """`"START:STOP"` -> `range(START, STOP)`.

    Args:
        text: the `--test_tasks` value.

    Raises:
        EvaluationError: not two integers with START < STOP.
    """
    parts = str(text).split(":")
    try:
        start, stop = (int(p) for p in parts) if len(parts) == 2 else (None, None)
    except ValueError:
        start = stop = None
    if start is None or stop is None or start >= stop:
        raise EvaluationError(
            f"--test_tasks={text} must be START:STOP with integers START < STOP, e.g. --test_tasks=1000:1100"
        )
    return range(start, stop)


def _is_int(task: Any) -> bool:
    return isinstance(task, (int, np.integer)) and not isinstance(task, (bool, np.bool_))


def _registered_task_space(env_name: str) -> Any:
    from sf_curric.curricula.task_space import as_task_space
    from sf_curric.envs.registry import get_env_spec

    spec = get_env_spec(env_name)
    if spec is None or spec.task_space is None:
        return None
    return as_task_space(spec.task_space)


def task_groups(cfg: argparse.Namespace, task_space: Any = "registered") -> list[TaskGroup]:
    """The task groups that `--eval_tasks` asks for.

    Args:
        cfg: reads `--env`, `--eval_tasks`, `--test_tasks`, `--eval_num_tasks`, `--seed`.
        task_space: the env's task space (default: the one given to `register_env`; None: no tasks).

    Raises:
        EvaluationError: held-out tasks were asked for but cannot exist, or overlap the training tasks.
    """
    if isinstance(task_space, str) and task_space == "registered":
        task_space = _registered_task_space(cfg.env)
    want_train = cfg.eval_tasks in ("train", "all")
    explicit_test = cfg.eval_tasks == "test" or cfg.test_tasks is not None
    want_test = cfg.eval_tasks in ("test", "all")

    if task_space is None:
        if explicit_test:
            raise EvaluationError(
                f"env {cfg.env!r} has no task space, so it has no held-out tasks: register it with "
                f"register_env(..., task_space=...) or use --eval_tasks=train"
            )
        return [TaskGroup("default", [None], ["default"])]

    if task_space.is_finite:
        train = list(task_space.tasks)
    elif cfg.eval_num_tasks > 0:
        task_space.seed(0 if cfg.seed is None else int(cfg.seed))
        train = [task_space.sample() for _ in range(cfg.eval_num_tasks)]
        log.info(
            "eval: %d training tasks drawn (seed %s) from %r (--eval_num_tasks): %s",
            len(train),
            0 if cfg.seed is None else int(cfg.seed),
            task_space,
            ", ".join(task_label(t) for t in train),
        )
    else:
        train = [None]
    groups = []
    if want_train:
        groups.append(TaskGroup("train", train, [task_label(t) for t in train]))

    if want_test:
        ints = task_space.is_finite and all(_is_int(t) for t in train)
        if not ints:
            if explicit_test:
                raise EvaluationError(
                    f"held-out tasks are integer level seeds, but the tasks of {cfg.env!r} are not integers: "
                    f"use --eval_tasks=train"
                )
            log.info("eval: no held-out tasks (the tasks of %s are not integer level seeds)", cfg.env)
        else:
            train_set = {int(t) for t in train}
            if cfg.test_tasks is not None:
                test = parse_task_range(cfg.test_tasks)
            else:
                start = max(train_set) + 1
                test = range(start, start + min(len(train_set), DEFAULT_MAX_TEST_TASKS))
            overlap = train_set.intersection(test)
            if overlap:
                above = max(train_set) + 1
                raise EvaluationError(
                    f"--test_tasks={test.start}:{test.stop} overlaps {len(overlap)} training task(s) "
                    f"(e.g. {min(overlap)}): choose seeds outside them, e.g. --test_tasks={above}:{above + 100}"
                )
            groups.append(TaskGroup("test", list(test), [str(t) for t in test]))
    level_set = flag_value(cfg, "eval_level_set", evaluation_args())
    if level_set:
        groups.append(_level_set_group(cfg.env, level_set))
    return groups


def _level_set_group(env_name: str, name: str) -> TaskGroup:
    """The named held-out levels of `register_env(level_sets={name: ...})`, as a task group called `name`."""
    from sf_curric.envs.registry import get_env_spec

    sets = getattr(get_env_spec(env_name), "level_sets", None) or {}
    if name not in sets:
        raise EvaluationError(f"--eval_level_set={name}: env {env_name!r} has level sets {sorted(sets)}; pick one")
    levels = sets[name]
    if isinstance(levels, dict):
        return TaskGroup(name, list(levels.values()), list(levels))
    return TaskGroup(name, list(levels), [f"{name}{i}" for i in range(len(levels))])


def episodes_per_task(num_tasks: int, cfg: argparse.Namespace) -> list[int]:
    """How many episodes each task of a group gets.

    `--eval_episodes_per_task=K`: K each. `--eval_num_episodes=N`: N in total, round-robin (the first N % tasks
    tasks get one more). Neither: ceil(100 / tasks) each.

    Args:
        num_tasks: tasks in the group.
        cfg: reads `--eval_episodes_per_task` and `--eval_num_episodes`.
    """
    per_task, total = cfg.eval_episodes_per_task, cfg.eval_num_episodes
    if per_task is not None and total is not None:
        raise EvaluationError("give either --eval_episodes_per_task or --eval_num_episodes, not both")
    if per_task is not None:
        if per_task < 1:
            raise EvaluationError(f"--eval_episodes_per_task={per_task} must be at least 1")
        return [per_task] * num_tasks
    if total is not None:
        if total < 1:
            raise EvaluationError(f"--eval_num_episodes={total} must be at least 1")
        return [total // num_tasks + (1 if i < total % num_tasks else 0) for i in range(num_tasks)]
    return [math.ceil(DEFAULT_EPISODES_PER_GROUP / num_tasks)] * num_tasks


def episode_jobs(groups: list[TaskGroup], cfg: argparse.Namespace) -> list[EpisodeJob]:
    """All episodes of an evaluation, task by task, each with its own reset seed drawn from `--seed`.

    Args:
        groups: from `task_groups`.
        cfg: reads `--seed` (None counts as 0) and the episode-count flags.
    """
    jobs = []
    base = 0 if cfg.seed is None else int(cfg.seed)
    for group_index, group in enumerate(groups):
        counts = episodes_per_task(len(group.tasks), cfg)
        for task_index, (task, label, count) in enumerate(zip(group.tasks, group.labels, counts)):
            if count == 0:
                continue
            # one independent stream per (seed, group, task): adding tasks or episodes changes no other seed
            seeds = np.random.SeedSequence([base, group_index, task_index]).generate_state(count)
            for episode in range(count):
                jobs.append(EpisodeJob(group.name, task, label, episode, int(seeds[episode] % (2**31 - 1))))
    return jobs
