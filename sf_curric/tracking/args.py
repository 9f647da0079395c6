"""Flags of tracking during training (wandb, evaluation during training, videos), registered by
`sf_curric.cfg.arguments` in the group "tracking and evaluation during training". Names follow Sample Factory."""

from __future__ import annotations

from sf_curric.flags import FlagSpec, bool_flag

TRACKING_ARGS: list[FlagSpec] = [
    (
        "--flush_summaries_interval",
        {
            "type": float,
            "default": 1.0,
            "help": "Seconds between two flushes of the tensorboard files to disk (Sample Factory's default is 30; "
            "here 1: a hard kill loses at most that much, and a resumed offline wandb run re-logs from these files).",
        },
    ),
    (
        "--with_wandb",
        bool_flag(False, 'Log to Weights & Biases too (the wandb extra: pip install -e ".[wandb]").'),
    ),
    ("--wandb_project", {"type": str, "default": "sf_curric", "help": "wandb project."}),
    ("--wandb_user", {"type": str, "default": None, "help": "wandb entity (user or team; None: your default)."}),
    ("--wandb_group", {"type": str, "default": None, "help": "wandb group of the run (None: the env name)."}),
    ("--wandb_job_type", {"type": str, "default": "SF", "help": "wandb job type."}),
    ("--wandb_tags", {"type": str, "nargs": "*", "default": [], "help": "wandb tags of the run."}),
    (
        "--eval_every_env_steps",
        {
            "type": int,
            "default": 0,
            "help": "Evaluate the current policy on the task groups of sf_curric.eval (training and held-out tasks) "
            "every this many env steps, in a separate low-priority process; 0: never. Logged as eval/<group>/*.",
        },
    ),
    (
        "--eval_episodes",
        {"type": int, "default": 50, "help": "Episodes per task group of each evaluation during training."},
    ),
    (
        "--eval_episodes_per_level",
        {
            "type": int,
            "default": None,
            "help": "Episodes on every task (level) of every group of each evaluation during training, instead of "
            "--eval_episodes per group (sf_curric.eval's --eval_episodes_per_task).",
        },
    ),
    (
        "--eval_test_tasks",
        {
            "type": str,
            "default": None,
            "metavar": "START:STOP",
            "help": "Held-out level seeds of evaluation during training (sf_curric.eval's --test_tasks; default: as "
            "many seeds as there are training tasks, at most 100, right after the largest training task).",
        },
    ),
    (
        "--eval_test_level_set",
        {
            "type": str,
            "default": None,
            "help": "A named level set also evaluated during training, as a group of its own (sf_curric.eval's "
            "--eval_level_set), e.g. hand_designed for maze_levels.",
        },
    ),
    (
        "--eval_levels",
        {
            "type": str,
            "default": None,
            "metavar": "FILE",
            "help": "A level file also evaluated during training, as the group 'levels' (sf_curric.eval's --levels), "
            "each level's solve rate logged as eval/levels/solve_rate/<name>.",
        },
    ),
    (
        "--eval_best_group",
        {
            "type": str,
            "default": "auto",
            "choices": ("auto", "train", "test", "default", "levels"),
            "help": "With --eval_every_env_steps, the best checkpoint is the one with the highest eval return on this "
            "group (auto: test when there are held-out tasks, else the first group) instead of the training return.",
        },
    ),
    (
        "--video_every_env_steps",
        {
            "type": int,
            "default": 0,
            "help": "Record one episode of the current policy every this many env steps (mp4 in <experiment>/videos, "
            "tensorboard and wandb); 0: never.",
        },
    ),
    ("--video_max_frames", {"type": int, "default": 1000, "help": "Frames recorded at most per video."}),
]
