"""Flags of the curricula other than PLR (whose `--plr_*` flags live in `sf_curric.cfg.arguments`).

Kept free of heavy imports: `sf_curric.cfg.arguments` registers these when it builds the parser.
"""

from typing import Any, Dict, List, Tuple

FlagSpec = Tuple[str, Dict[str, Any]]

CURRICULUM_OPTION_ARGS: List[FlagSpec] = [
    (
        "--curriculum_prefetch",
        {"type": int, "default": 2, "help": "Tasks sampled ahead per env, so that env resets never wait."},
    ),
    ("--simple_box_steps", {"type": int, "default": 5, "help": "simple_box: widenings to reach the full range."}),
    (
        "--simple_box_success_threshold",
        {"type": float, "default": 0.75, "help": "simple_box: task_completion above this counts as a success."},
    ),
    (
        "--simple_box_required_successes",
        {"type": int, "default": 10, "help": "simple_box: consecutive successes needed to widen the range."},
    ),
    ("--lp_ema_alpha", {"type": float, "default": 0.1, "help": "learning_progress: weight of the newest report."}),
    ("--lp_p_theta", {"type": float, "default": 0.1, "help": "learning_progress: reweighting parameter theta."}),
    ("--lp_uniform_mix", {"type": float, "default": 0.05, "help": "learning_progress: uniform share of sampling."}),
    (
        "--perf_promote_threshold",
        {"type": float, "default": None, "help": "performance: mean metric needed to move one level up (required)."},
    ),
    ("--perf_window", {"type": int, "default": 100, "help": "performance: episodes averaged per level."}),
    (
        "--perf_metric",
        {"type": str, "default": "return", "choices": ("return", "progress"), "help": "performance: the metric."},
    ),
    ("--perf_demote_threshold", {"type": float, "default": None, "help": "performance: move down at this mean."}),
    ("--perf_replay_easier", {"type": float, "default": 0.0, "help": "performance: share of easier levels."}),
    (
        "--selfplay_snapshot_every",
        {"type": int, "default": 20000, "help": "self-play: env steps between snapshots of the policy into the pool."},
    ),
    (
        "--selfplay_pool_size",
        {"type": int, "default": 10, "help": "self-play: snapshots kept (the oldest is replaced when full)."},
    ),
    (
        "--pfsp_weighting",
        {
            "type": str,
            "default": "softmax",
            "choices": ("softmax", "hard"),
            "help": "prioritized_fictitious_self_play: softmax of loss rates (Syllabus) or (1-win rate)^p (AlphaStar).",
        },
    ),
    ("--pfsp_p", {"type": float, "default": 2.0, "help": "prioritized_fictitious_self_play: p of the hard weighting."}),
    ("--constant_task", {"type": str, "default": None, "help": "constant: the task, as a Python literal (e.g. 3)."}),
    (
        "--sequential_stages",
        {
            "type": str,
            "default": None,
            "help": "sequential: stages separated by ';', each a curriculum name (dr, plr, learning_progress, "
            "performance) or a task / list of tasks as Python literals, e.g. '0;[1,2];dr'.",
        },
    ),
    (
        "--sequential_conditions",
        {
            "type": str,
            "default": None,
            "help": "sequential: stopping conditions separated by ';', one per stage but the last, e.g. "
            "'episode_return>0.9&episodes>100;total_steps>=1e6'.",
        },
    ),
    (
        "--learnability_window",
        {"type": int, "default": 20, "help": "learnability: recent episodes per level in its success rate p."},
    ),
    (
        "--learnability_topk",
        {"type": int, "default": 0, "help": "learnability: sample only the k most learnable levels (0: all)."},
    ),  # fmt: skip
    (
        "--learnability_uniform_mix",
        {"type": float, "default": 0.05, "help": "learnability: share of draws uniform over all levels."},
    ),
    (
        "--learnability_success_threshold",
        {"type": float, "default": 1.0, "help": "learnability: task_completion at or above this is a success."},
    ),
    ("--accel_buffer_size", {"type": int, "default": 4000, "help": "accel: levels kept in the buffer (paper: 4000)."}),
    ("--accel_num_edits", {"type": int, "default": 5, "help": "accel: edits per child level (paper: 5)."}),
    (
        "--accel_replay_prob",
        {"type": float, "default": 0.8, "help": "accel: probability of replaying a buffer level (paper: 0.8)."},
    ),
    (
        "--accel_strategy",
        {
            "type": str,
            "default": "positive_value_loss",
            "help": "accel: level score (a --plr_strategy value; paper: positive_value_loss).",
        },
    ),  # fmt: skip
    ("--accel_temperature", {"type": float, "default": 0.3, "help": "accel: rank temperature (paper: 0.3)."}),
    ("--accel_staleness_coef", {"type": float, "default": 0.3, "help": "accel: staleness weight (paper: 0.3)."}),
]
