"""Flags of `python -m sf_curric.enjoy` and `python -m sf_curric.eval`.

`sf_curric.command_line.build_parser(evaluation=True)` adds them (group "evaluation"); they are never saved in a
training run's config.json because the trainer parses without them.
"""

from __future__ import annotations

import argparse
from typing import Any

from sf_curric.flags import FlagSpec, bool_flag

EVAL_TASK_GROUPS = ("train", "test", "all")
DEFAULT_EVAL_NUM_TASKS = 20  # tasks drawn from a continuous task space
# enjoy's episodes when no window is shown: a few returns to read (or a short video), then the program ends
DEFAULT_EPISODES_WITHOUT_WINDOW = 10


# the flags of the enjoy and eval scripts
EVALUATION_ARGS: list[FlagSpec] = [
    ("--deterministic", bool_flag(False, "Take the most likely action (the mean for Box) instead of sampling.")),
    # enjoy
    (
        "--max_num_episodes",
        {
            "type": int,
            "default": None,
            "help": f"enjoy: stop after this many episodes (default: {DEFAULT_EPISODES_WITHOUT_WINDOW} when no window "
            "is shown, e.g. without a display or with --no_render; with a window, until you close it or press "
            "Ctrl-C).",
        },
    ),
    (
        "--max_num_frames",
        {"type": int, "default": 1_000_000_000, "help": "enjoy: stop after this many env steps in total."},
    ),
    ("--no_render", bool_flag(False, "enjoy: never open a window (one opens only when DISPLAY is set).")),
    ("--save_video", bool_flag(False, "enjoy: write the episodes to an mp4 file in the experiment folder.")),
    ("--video_name", {"type": str, "default": None, "help": "enjoy: file name of the video (default replay.mp4)."}),
    ("--video_frames", {"type": int, "default": 1_000_000_000, "help": "enjoy: record at most this many frames."}),
    (
        "--fps",
        {
            "type": int,
            "default": 0,
            "help": "enjoy: frames per second of the window and the video (0: as fast as possible in the window, "
            "the env's render_fps or 30 in the video).",
        },
    ),
    # eval
    (
        "--eval_tasks",
        {
            "type": str,
            "default": "all",
            "choices": EVAL_TASK_GROUPS,
            "help": "eval: the training tasks (the env's registered task space), the held-out tasks "
            "(--test_tasks), or both.",
        },
    ),
    (
        "--test_tasks",
        {
            "type": str,
            "default": None,
            "metavar": "START:STOP",
            "help": "eval: held-out tasks, the integer level seeds START..STOP-1 (default: as many seeds as there "
            "are training tasks, at most 100, right after the largest training task).",
        },
    ),
    (
        "--eval_episodes_per_task",
        {"type": int, "default": None, "help": "eval: episodes on every task of a group."},
    ),
    (
        "--eval_num_episodes",
        {
            "type": int,
            "default": None,
            "help": "eval: episodes per task group, spread round-robin over its tasks (default when neither this "
            "nor --eval_episodes_per_task is given: 100, rounded up to whole passes over the tasks).",
        },
    ),
    (
        "--eval_level_set",
        {
            "type": str,
            "default": None,
            "help": "eval: also evaluate on this named set of levels given to register_env(level_sets=...), e.g. "
            "hand_designed for maze_levels (a task group of its own, named after the set).",
        },
    ),
    (
        "--levels",
        {
            "type": str,
            "default": None,
            "metavar": "FILE",
            "help": "eval: also evaluate on the named levels of FILE, read by the env's task space (ued_maze: "
            "'== Name' before each maze's 13 rows of '#.G><v^'); a task group 'levels' with one row per level "
            "(episodes, solve rate, mean return).",
        },
    ),
    (
        "--eval_num_tasks",
        {
            "type": int,
            "default": DEFAULT_EVAL_NUM_TASKS,
            "help": "eval: tasks drawn (with --seed) from a continuous task space, which cannot be listed; eval "
            "prints them (0: the env's default task, plain resets).",
        },
    ),
    (
        "--eval_num_envs",
        {"type": int, "default": 16, "help": "eval: envs stepped together, one batched forward pass per step."},
    ),
    (
        "--eval_output",
        {
            "type": str,
            "default": None,
            "help": "eval: folder of eval.json, eval_summary.csv and eval_episodes.csv "
            "(default <train_dir>/<experiment>/eval; eval_p<i> with --policy_index=i > 0).",
        },
    ),
]


def evaluation_args() -> list[FlagSpec]:
    """The `(flag, kwargs)` specs of the enjoy and eval scripts.

    Example:
        >>> [flag for flag, _ in evaluation_args()][:2]
        ['--deterministic', '--max_num_episodes']
    """
    return list(EVALUATION_ARGS)


def evaluation_config(run_cfg: argparse.Namespace, **settings: Any) -> argparse.Namespace:
    """The config of `python -m sf_curric.eval` for the run whose config is `run_cfg`, without a parser: the run's
    flags, the evaluation flags' defaults, then `settings`, which count as typed (they win over the run's saved
    config.json, as flags typed on the eval command line do).

    Args:
        run_cfg: the training run's config.
        **settings: evaluation flags by name, e.g. `eval_tasks="all"`.
    """
    values = {flag[2:]: kwargs.get("default") for flag, kwargs in evaluation_args()}
    values.update((k, v) for k, v in vars(run_cfg).items() if k != "cli_args")
    values.update(settings)
    cfg = argparse.Namespace(**values)
    cfg.cli_args = dict(settings)
    return cfg
