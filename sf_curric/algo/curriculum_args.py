"""Option flags of the built-in curricula, one list per curriculum (`sf_curric.algo.curriculum_table` names which
curriculum reads which list; `--curriculum` and `--curriculum_seed` are in `sf_curric.cfg.arguments`).

Choice lists come from the code that checks them (PLR's strategies and transforms).
"""

from sf_curric.curricula.performance import BUILTIN_METRICS
from sf_curric.curricula.plr.options import SCHEDULES
from sf_curric.curricula.plr.scores import STRATEGIES
from sf_curric.curricula.plr.transforms import TRANSFORMS
from sf_curric.curricula.self_play import PFSP_WEIGHTINGS
from sf_curric.curricula.teacher import CONVERTERS, LP_ESTIMATORS
from sf_curric.model.args import FlagSpec

PREFETCH_ARGS: list[FlagSpec] = [
    (
        "--curriculum_prefetch",
        {"type": int, "default": 2, "help": "Tasks sampled ahead per env, so that env resets never wait."},
    ),
]

SIMPLE_BOX_ARGS: list[FlagSpec] = [
    ("--simple_box_steps", {"type": int, "default": 5, "help": "simple_box: widenings to reach the full range."}),
    (
        "--simple_box_success_threshold",
        {"type": float, "default": 0.75, "help": "simple_box: task_completion above this counts as a success."},
    ),
    (
        "--simple_box_required_successes",
        {"type": int, "default": 10, "help": "simple_box: consecutive successes needed to widen the range."},
    ),
]

LEARNING_PROGRESS_ARGS: list[FlagSpec] = [
    ("--lp_ema_alpha", {"type": float, "default": 0.1, "help": "learning_progress: weight of the newest report."}),
    ("--lp_p_theta", {"type": float, "default": 0.1, "help": "learning_progress: reweighting parameter theta."}),
    ("--lp_uniform_mix", {"type": float, "default": 0.05, "help": "learning_progress: uniform share of sampling."}),
]

PERFORMANCE_ARGS: list[FlagSpec] = [
    (
        "--perf_promote_threshold",
        {"type": float, "default": None, "help": "performance: mean metric needed to move one level up (required)."},
    ),
    ("--perf_window", {"type": int, "default": 100, "help": "performance: episodes averaged per level."}),
    (
        "--perf_metric",
        {"type": str, "default": "return", "choices": BUILTIN_METRICS, "help": "performance: the metric."},
    ),
    ("--perf_demote_threshold", {"type": float, "default": None, "help": "performance: move down at this mean."}),
    ("--perf_replay_easier", {"type": float, "default": 0.0, "help": "performance: share of easier levels."}),
]

SELF_PLAY_ARGS: list[FlagSpec] = [
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
            "choices": PFSP_WEIGHTINGS,
            "help": "prioritized_fictitious_self_play: softmax of loss rates (Syllabus) or (1-win rate)^p (AlphaStar).",
        },
    ),
    ("--pfsp_p", {"type": float, "default": 2.0, "help": "prioritized_fictitious_self_play: p of the hard weighting."}),
]

CONSTANT_ARGS: list[FlagSpec] = [
    ("--constant_task", {"type": str, "default": None, "help": "constant: the task, as a Python literal (e.g. 3)."}),
]

SEQUENTIAL_ARGS: list[FlagSpec] = [
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
]

LEARNABILITY_ARGS: list[FlagSpec] = [
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
]

ACCEL_ARGS: list[FlagSpec] = [
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
            "choices": STRATEGIES,
            "help": "accel: level score (a --plr_strategy value; paper: positive_value_loss).",
        },
    ),  # fmt: skip
    ("--accel_temperature", {"type": float, "default": 0.3, "help": "accel: rank temperature (paper: 0.3)."}),
    ("--accel_staleness_coef", {"type": float, "default": 0.3, "help": "accel: staleness weight (paper: 0.3)."}),
]

PLR_ARGS: list[FlagSpec] = [  # plr and robust_plr
    (
        "--plr_strategy",
        {"type": str, "default": "value_l1", "choices": STRATEGIES, "help": "PLR score of a task."},
    ),
    (
        "--plr_score_transform",
        {
            "type": str,
            "default": "rank",
            "choices": TRANSFORMS,
            "help": "PLR transform from scores to replay weights.",
        },
    ),
    ("--plr_temperature", {"type": float, "default": 0.1, "help": "PLR score transform temperature."}),
    ("--plr_staleness_coef", {"type": float, "default": 0.1, "help": "PLR weight of staleness in the mix."}),
    (
        "--plr_staleness_transform",
        {"type": str, "default": "power", "choices": TRANSFORMS, "help": "PLR transform of staleness."},
    ),
    ("--plr_rho", {"type": float, "default": 1.0, "help": "PLR: fraction of tasks seen before replay starts."}),
    ("--plr_nu", {"type": float, "default": 0.5, "help": "PLR replay probability with --plr_replay_schedule=fixed."}),
    ("--plr_alpha", {"type": float, "default": 1.0, "help": "PLR score EMA weight of the newest score."}),
    (
        "--plr_replay_schedule",
        {
            "type": str,
            "default": "proportionate",
            "choices": SCHEDULES,
            "help": "PLR replay probability: proportionate to tasks seen, or fixed at --plr_nu.",
        },
    ),
    ("--plr_eps", {"type": float, "default": 0.05, "help": "PLR epsilon of the eps_greedy transform."}),
]

# teacher_student and mastering_rate (Willems, Lahlou & Bengio 2020; defaults are the paper code's)
TEACHER_ARGS: list[FlagSpec] = [
    (
        "--teacher_lp_estimator",
        {
            "type": str,
            "default": "linreg",
            "choices": LP_ESTIMATORS,
            "help": "teacher_student, mastering_rate: learning-progress estimator (paper: linreg, the slope over the "
            "last --teacher_lp_window points; online/naive/window/sampling are Matiisen et al. 2017's).",
        },
    ),
    ("--teacher_lp_window", {"type": int, "default": 10, "help": "teacher: K, history points per estimate."}),
    ("--teacher_lp_alpha", {"type": float, "default": 0.1, "help": "teacher: EMA weight (online/naive/window)."}),
    (
        "--teacher_converter",
        {
            "type": str,
            "default": None,
            "choices": CONVERTERS,
            "help": "teacher: attention-to-distribution converter (default: greedy_prop for teacher_student, prop "
            "for mastering_rate, the paper's choices).",
        },
    ),
    ("--teacher_eps", {"type": float, "default": 0.1, "help": "teacher: uniform share of greedy converters."}),
    ("--teacher_tau", {"type": float, "default": 4e-4, "help": "teacher: temperature of the boltzmann converter."}),
    (
        "--teacher_update_every",
        {"type": int, "default": 2048, "help": "teacher: env steps per teacher step (paper: one 16x128 update)."},
    ),
]

MASTERING_RATE_ARGS: list[FlagSpec] = [
    ("--mr_window", {"type": int, "default": 10, "help": "mastering_rate: K, points in the mean return r_c."}),
    ("--mr_power", {"type": float, "default": 6.0, "help": "mastering_rate: p, power of Mast(ancestors)."}),
    (
        "--mr_potential_prop",
        {"type": float, "default": 0.5, "help": "mastering_rate: weight of 1 - Mast(c) against the learning progress."},
    ),
    ("--mr_pred_share", {"type": float, "default": 0.2, "help": "mastering_rate: attention passed to predecessors."}),
    ("--mr_succ_share", {"type": float, "default": 0.05, "help": "mastering_rate: attention passed to successors."}),
    (
        "--mr_min_return",
        {"type": float, "default": None, "help": "mastering_rate: m_c, lowest mean return (default: the env's, or 0)."},
    ),
    (
        "--mr_max_return",
        {
            "type": float,
            "default": None,
            "help": "mastering_rate: M_c, highest mean return (default: the env's, or 0.5).",
        },
    ),
]

# every option flag above, in one list (the old name, for code that imports it)
CURRICULUM_OPTION_ARGS: list[FlagSpec] = [
    *PREFETCH_ARGS,
    *PLR_ARGS,
    *SIMPLE_BOX_ARGS,
    *LEARNING_PROGRESS_ARGS,
    *PERFORMANCE_ARGS,
    *SELF_PLAY_ARGS,
    *CONSTANT_ARGS,
    *SEQUENTIAL_ARGS,
    *LEARNABILITY_ARGS,
    *ACCEL_ARGS,
    *TEACHER_ARGS,
    *MASTERING_RATE_ARGS,
]
