"""Command-line flags read by the learner and the PPO update (`sf_curric.algo.learner`, `sf_curric.algo.ppo`).

Each entry is `(flag, kwargs_for_add_argument)`; `sf_curric.algo.learner.learner_args()` is this list plus the
model's and `--device` (a general flag of `sf_curric.cfg.arguments`). `--train_for_env_steps` and
`--train_for_seconds` are read by the runner too: register each flag once.

Minibatch semantics (Sample Factory's): `--batch_size` is the number of samples in one SGD minibatch. `train()`
uses every sample of the trajectory it is given (T*B of them), `--num_epochs` times, split into
`max(1, round(T*B / batch_size))` nearly equal minibatches (recurrent models: whole env columns, `batch_size // T`
columns each). How many samples one `train()` call gets is the runner's choice (Sample Factory:
`batch_size * num_batches_per_epoch`).
"""

from __future__ import annotations

from sf_curric.flags import FlagSpec, bool_flag

# the step budget of an env without per-env defaults: rl-zoo's PPO budget (n_timesteps 1e6) for Acrobot, MountainCar,
# LunarLander and the MuJoCo envs; a budget in days (1e10, Sample Factory's) shows nobody an end
DEFAULT_ENV_STEPS = 1_000_000

ALGO_ARGS: list[FlagSpec] = [
    (
        "--train_for_env_steps",
        {
            "type": int,
            "default": DEFAULT_ENV_STEPS,
            "help": "Stop after this many env steps, counted over every session of the experiment. The default, 1M, "
            "is rl-zoo's PPO budget for most classic-control, Box2D and MuJoCo envs (minutes on a laptop); envs with "
            "per-env defaults set their own (CartPole-v1: 300k); pixel envs such as Atari need ~10M: type it. "
            "Ignored when you type --train_for_seconds without it. The linear schedules end with the budget.",
        },
    ),
    (
        "--train_for_seconds",
        {
            "type": int,
            "default": 10_000_000_000,
            "help": "Stop after this many seconds of training, counted over every session of the experiment (the "
            "default: no limit). Typed without --train_for_env_steps it is the only budget (the step budget is "
            "lifted); the linear schedules then follow the seconds.",
        },
    ),
    ("--gamma", {"type": float, "default": 0.99, "help": "Discount factor."}),
    ("--gae_lambda", {"type": float, "default": 0.95, "help": "GAE lambda (bias/variance trade-off)."}),
    (
        "--value_bootstrap",
        bool_flag(
            True,
            "An episode cut by a time limit (truncated) bootstraps its return from the value of its final "
            "observation; False: it ends the return like a terminal state (Sample Factory's default; its True "
            "bootstraps from the value of the last observation before the cut).",
        ),
    ),
    (
        "--with_vtrace",
        bool_flag(False, "Use V-trace (IMPALA) targets and advantages instead of GAE, correcting for policy lag."),
    ),
    ("--vtrace_rho", {"type": float, "default": 1.0, "help": "V-trace clip of importance ratios (rho bar)."}),
    ("--vtrace_c", {"type": float, "default": 1.0, "help": "V-trace clip of trace-cutting ratios (c bar)."}),
    (
        "--learning_rate",
        {"type": float, "default": 3e-4, "help": "Adam learning rate (the initial one with --lr_schedule=linear)."},
    ),
    (
        "--lr_schedule",
        {
            "type": str,
            "default": "constant",
            "choices": ["constant", "linear", "linear_decay", "kl_adaptive_minibatch", "kl_adaptive_epoch"],
            "help": "constant; linear (Sample Factory: linear_decay): decay from --learning_rate to 0 over the "
            "training budget (--train_for_env_steps or --train_for_seconds, whichever ends the run first); "
            "kl_adaptive_minibatch / kl_adaptive_epoch (Sample Factory's): after each "
            "minibatch / epoch, divide the rate by 1.5 when the KL divergence from the acting policy is above twice "
            "--lr_schedule_kl_threshold, multiply it by 1.5 when below half of it, within [--lr_adaptive_min, "
            "--lr_adaptive_max].",
        },
    ),
    (
        "--lr_schedule_kl_threshold",
        {"type": float, "default": 0.008, "help": "The KL divergence the kl_adaptive learning-rate schedules aim at."},
    ),
    ("--lr_adaptive_min", {"type": float, "default": 1e-6, "help": "Lowest rate of the kl_adaptive schedules."}),
    ("--lr_adaptive_max", {"type": float, "default": 1e-2, "help": "Highest rate of the kl_adaptive schedules."}),
    (
        "--optimizer",
        {
            "type": str,
            "default": "adam",
            "choices": ["adam", "lamb"],
            "help": "adam, or lamb (Sample Factory's LAMB: Adam's step scaled per tensor by min(||w||, 10) / ||step||, "
            "clipped to [0.01, 100], weight decay 1e-4; sf_curric/algo/lamb.py). Both read --adam_eps/beta1/beta2.",
        },
    ),
    ("--adam_eps", {"type": float, "default": 1e-6, "help": "Adam (and LAMB) epsilon."}),
    ("--adam_beta1", {"type": float, "default": 0.9, "help": "Adam (and LAMB) beta1."}),
    ("--adam_beta2", {"type": float, "default": 0.999, "help": "Adam (and LAMB) beta2."}),
    (
        "--ppo_clip_ratio",
        {"type": float, "default": 0.2, "help": "PPO policy clip: ratios outside [1 - x, 1 + x] get no gradient."},
    ),
    (
        "--ppo_clip_schedule",
        {
            "type": str,
            "default": "constant",
            "choices": ["constant", "linear"],
            "help": "constant, or linear decay of --ppo_clip_ratio to 0 over the training budget (as --lr_schedule).",
        },
    ),
    (
        "--ppo_clip_value",
        {
            "type": float,
            "default": 0.0,
            "help": "Clip the change of the value prediction relative to the acting policy's value to +-x (in "
            "value-head units, i.e. normalized returns with --normalize_returns); 0 (default) disables it. "
            "Without --normalize_returns a small x slows value learning on large returns.",
        },
    ),
    (
        "--value_loss_coeff",
        {"type": float, "default": 0.5, "help": "Weight of the value loss (mean squared error of normalized returns)."},
    ),
    (
        "--exploration_loss",
        {
            "type": str,
            "default": "entropy",
            "choices": ["entropy", "symmetric_kl"],
            "help": "entropy: a bonus for the policy's entropy; symmetric_kl (Sample Factory's): a penalty on the "
            "symmetric KL divergence between the policy and the uniform distribution over actions (Discrete and "
            "MultiDiscrete actions), which grows without bound as an action's probability goes to 0.",
        },
    ),
    (
        "--exploration_loss_coeff",
        {"type": float, "default": 0.003, "help": "Weight of the exploration loss (--exploration_loss)."},
    ),
    (
        "--kl_loss_coeff",
        {
            "type": float,
            "default": 0.0,
            "help": "Weight of a penalty on the KL divergence of the trained policy from the one that acted (Schulman "
            "et al. 2017's fixed KL loss; Sample Factory recommends 0.1 for continuous actions). 0: none.",
        },
    ),
    (
        "--max_grad_norm",
        {"type": float, "default": 0.5, "help": "Clip the gradient's global norm to this; 0 disables clipping."},
    ),
    ("--normalize_advantage", bool_flag(True, "Normalize advantages to zero mean, unit std per minibatch.")),
    ("--num_epochs", {"type": int, "default": 4, "help": "Passes over each training batch."}),
    (
        "--recurrence",
        {
            "type": int,
            "default": -1,
            "help": "Steps of one backpropagation-through-time sequence of a recurrent model (must divide --rollout); "
            "-1: the whole rollout. Each sequence starts from the recurrent state the current weights reach there. "
            "No effect on a feed-forward model (samples are drawn one by one).",
        },
    ),
    (
        "--shuffle_minibatches",
        bool_flag(
            True,
            "Draw each epoch's minibatches in a new random order; False: Sample Factory's fixed order, env by env "
            "(consecutive steps stay together), the same minibatches every epoch.",
        ),
    ),
    (
        "--batch_size",
        {
            "type": int,
            "default": 256,
            "help": "Samples per SGD minibatch; a training batch of N samples is split into round(N / batch_size) "
            "minibatches.",
        },
    ),
    (
        "--target_kl",
        {
            "type": float,
            "default": 0.0,
            "help": "Stop the epochs of a training batch early when a minibatch's approx KL exceeds 1.5 * this; "
            "0 disables.",
        },
    ),
]
