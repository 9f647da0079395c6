"""sf_curric's general flags (basic, reinforcement learning, sampling, logging) and how a program's parser is made.

Flag names follow Sample Factory where it has one. Every other flag is defined in a list next to the code that reads
it (`MODEL_ARGS`, `ALGO_ARGS`, the curricula's lists, `TRACKING_ARGS`, the evaluation flags); the programs' entry
points hand those lists to `make_parser` (`sf_curric.command_line`), so each flag has exactly one definition and this
package imports none of them.

Order of precedence for a flag's value: the command line, then the per-env defaults
(`sf_curric.cfg.env_defaults`), then the default below. On resume, `sf_curric.cfg.experiment` puts the saved
config.json between the command line and the defaults.
"""

from __future__ import annotations

import argparse
import os
from typing import Any, Iterable, NoReturn, Sequence

from sf_curric.cfg.sample_factory import SAMPLE_FACTORY_ARGS
from sf_curric.flags import FlagSpec, bool_flag

RESTART_BEHAVIORS = ("resume", "restart", "overwrite")
# listed first by --help, in this order (each is defined in its own group's list)
ESSENTIAL_FLAGS = (
    "--env",
    "--experiment",
    "--train_dir",
    "--train_for_env_steps",
    "--train_for_seconds",
    "--num_workers",
    "--num_envs_per_worker",
    "--curriculum",
    "--device",
    "--seed",
)
# --inference_mode's values (sf_curric.algo.parallel.central_inference resolves "auto")
INFERENCE_MODES = ("auto", "local", "central")


BASIC_ARGS: list[FlagSpec] = [
    (
        "--algo",
        {
            "type": str,
            "default": "APPO",
            "choices": ["APPO"],
            "help": "The algorithm: APPO, the only one, as in Sample Factory (asynchronous PPO; --async_rl=False "
            "makes it synchronous).",
        },
    ),
    (
        "--env",
        {
            "type": str,
            "default": None,
            "help": "Env name: a registered name, any gymnasium id, or module:EnvId (imports module first).",
        },
    ),
    (
        "--device",
        {
            "type": str,
            "default": "auto",
            "choices": ["auto", "cpu", "gpu"],
            "help": "Where the learner runs: auto (cuda when available, else cpu), cpu or gpu.",
        },
    ),
    ("--experiment", {"type": str, "default": "default_experiment", "help": "Experiment name (a folder)."}),
    ("--train_dir", {"type": str, "default": "./train_dir", "help": "Root folder of all experiments."}),
    ("--seed", {"type": int, "default": None, "help": "Seed for python, numpy, torch and every env (None: random)."}),
    (
        "--restart_behavior",
        {
            "type": str,
            "default": "resume",
            "choices": RESTART_BEHAVIORS,
            "help": "resume: continue from the newest checkpoint; restart: start fresh and move old checkpoints "
            "aside; overwrite: delete the experiment folder first.",
        },
    ),
    (
        "--stop_when_avg_return",
        {
            "type": float,
            "default": None,
            "help": "Stop as soon as the average return over the last --stats_avg episodes reaches this value.",
        },
    ),
    (
        "--num_torch_threads",
        {"type": int, "default": 1, "help": "torch.set_num_threads in the learner process (0: leave torch's choice)."},
    ),
    ("--log_level", {"type": str, "default": "info", "choices": ("debug", "info", "warning"), "help": "Log level."}),
    ("--log_to_file", bool_flag(True, "Also write the log to sf_log.txt in the experiment folder.")),
    (
        "--default_niceness",
        {
            "type": int,
            "default": 0,
            "help": "Niceness (Unix scheduling priority) of the training process (the learner; in serial mode "
            "everything); 0 leaves it. Below 0 needs privileges. Worker processes keep their own.",
        },
    ),
]

RL_ARGS: list[FlagSpec] = [
    ("--rollout", {"type": int, "default": 32, "help": "Steps per env in one trajectory slot (T)."}),
    (
        "--num_batches_per_epoch",
        {
            "type": int,
            "default": 1,
            "help": "One training iteration uses batch_size * num_batches_per_epoch transitions (in serial mode: "
            "the nearest whole number of rollouts of all envs, at least one).",
        },
    ),
    (
        "--reward_scale",
        {"type": float, "default": 1.0, "help": "Rewards are multiplied by this before learning (not in logs)."},
    ),
    (
        "--reward_clip",
        {"type": float, "default": 1000.0, "help": "Scaled rewards are clipped to [-reward_clip, reward_clip]."},
    ),
]

SAMPLING_ARGS: list[FlagSpec] = [
    (
        "--auto_defaults",
        bool_flag(
            True,
            "Choose --serial_mode, --num_workers, --num_envs_per_worker, --num_batches_per_epoch and "
            "--num_torch_threads from the CPU cores and the env's step cost (logged at start) for those you do not "
            "type, around those you type (docs/fast_defaults.md); False: the static defaults below.",
        ),
    ),
    (
        "--serial_mode",
        bool_flag(False, "Run envs, inference and learning in one process (the same components, easy to debug)."),
    ),
    (
        "--num_workers",
        {
            "type": int,
            "default": os.cpu_count() or 1,
            "help": "Rollout worker processes (the default is this machine's number of CPU cores).",
        },
    ),
    (
        "--num_envs_per_worker",
        {"type": int, "default": 2, "help": "Envs per worker; in serial mode the run has num_workers times this."},
    ),
    (
        "--batched_envs",
        bool_flag(
            True,
            "Step a worker's envs in one call through the env's batched form when it has one (register_env("
            "vector_env=...), e.g. ued_maze); False: one env object per column, stepped in turn.",
        ),
    ),
    (
        "--worker_num_splits",
        {
            "type": int,
            "default": 2,
            "help": "Groups of envs per worker, stepped alternately (double buffering: one group steps while another "
            "waits for its actions) with --inference_mode=central; no effect with local inference.",
        },
    ),
    ("--async_rl", bool_flag(True, "Asynchronous APPO (sampling never waits on learning); False: synchronous PPO.")),
    (
        "--num_batches_to_accumulate",
        {
            "type": int,
            "default": 2,
            "help": "Asynchronous mode: training batches that may be collected ahead of the learner before the "
            "workers wait (more: throughput when collection is uneven; fewer: less policy lag). No effect in serial "
            "or synchronous mode.",
        },
    ),
    (
        "--max_policy_lag",
        {"type": int, "default": 1000, "help": "Drop transitions acted by weights older than this many versions."},
    ),
    (
        "--inference_mode",
        {
            "type": str,
            "default": "auto",
            "choices": INFERENCE_MODES,
            "help": "Where workers' actions are computed: local (a CPU copy of the policy in each worker), central "
            "(one batched forward pass over all workers' requests on the learner's device, in the runner process) "
            "or auto (central when the learner runs on CUDA, else local). No effect with --serial_mode.",
        },
    ),
    (
        "--policy_refresh_rollouts",
        {
            "type": int,
            "default": 1,
            "help": "Workers with a local policy copy check for newer weights every this many rollouts.",
        },
    ),
    (
        "--training_info_interval_sec",
        {"type": float, "default": 1.0, "help": "Seconds between two training-info messages to every env."},
    ),
    (
        "--max_env_errors",
        {
            "type": int,
            "default": 10,
            "help": "Env exceptions tolerated per worker within --env_error_window env steps (each env is "
            "recreated); also the worker process restarts tolerated per worker.",
        },
    ),
    (
        "--env_error_window",
        {
            "type": int,
            "default": 100_000,
            "help": "Env steps of one worker over which --max_env_errors is counted (a rate, so rare errors never "
            "add up to a stop); 0 counts over the whole run.",
        },
    ),
    (
        "--worker_stall_timeout_sec",
        {
            "type": float,
            "default": 120.0,
            "help": "Seconds without progress (env step, reset or wait) before a rollout worker process is killed "
            "and replaced; 0 disables the check.",
        },
    ),
    (
        "--max_nan_batches",
        {"type": int, "default": 20, "help": "Training batches in a row with NaN/Inf data (skipped) before stopping."},
    ),
]

LOGGING_ARGS: list[FlagSpec] = [
    ("--save_every_sec", {"type": int, "default": 120, "help": "Seconds between two checkpoints."}),
    (
        "--save_best_every_sec",
        {
            "type": int,
            "default": 5,
            "help": "Seconds between two checks of the average return; a new best writes the best checkpoint.",
        },
    ),
    ("--keep_checkpoints", {"type": int, "default": 2, "help": "Newest checkpoints kept (plus the best one)."}),
    (
        "--save_best_metric",
        {
            "type": str,
            "default": "reward",
            "help": "What makes a checkpoint the best (higher is better): reward (the average return of the last "
            "--stats_avg episodes), or any scalar the run logs (e.g. eval/test/return, curriculum/mean_level, or an "
            "env's episode statistic by its name or custom/<name>), at its newest logged value.",
        },
    ),
    (
        "--save_best_after",
        {
            "type": int,
            "default": 0,
            "help": "No best checkpoint before this many env steps (filters lucky early episodes; Sample Factory: "
            "100000).",
        },
    ),
    (
        "--save_milestones_sec",
        {
            "type": int,
            "default": -1,
            "help": "Also keep a checkpoint every this many seconds in checkpoint_p0/milestones (never deleted); "
            "-1: never.",
        },
    ),
    (
        "--load_checkpoint_kind",
        {
            "type": str,
            "default": "latest",
            "choices": ("latest", "best"),
            "help": "Checkpoint that a resumed run, enjoy, eval and export load: the newest periodic one, or the best "
            "one (--save_best_metric).",
        },
    ),
    ("--stats_avg", {"type": int, "default": 100, "help": "Episodes averaged for the progress line and tensorboard."}),
    (
        "--experiment_summaries_interval",
        {
            "type": float,
            "default": 10.0,
            "help": "Seconds between two tensorboard summaries (or fewer: see --summaries_every_env_steps).",
        },
    ),
    (
        "--summaries_every_env_steps",
        {
            "type": int,
            "default": 0,
            "help": "Env steps between two tensorboard summaries, whichever of this and "
            "--experiment_summaries_interval comes first (0: a hundredth of --train_for_env_steps, so a short "
            "run's curves have points too).",
        },
    ),
    ("--progress_interval_sec", {"type": float, "default": 5.0, "help": "Seconds between two progress lines."}),
    (
        "--final_eval_episodes",
        {
            "type": int,
            "default": 0,
            "help": "At the end of training, play this many episodes per task group (e.g. easiest, hardest, whole "
            "task space) and print a table of their returns (0: none).",
        },
    ),
    (
        "--baseline_curriculum",
        {
            "type": str,
            "default": None,
            "help": "Also train the same command with --curriculum=NAME in a second process (experiment "
            "<experiment>_NAME) and print both end-of-training tables side by side (e.g. none; needs "
            "--final_eval_episodes).",
        },
    ),
]


# the flag groups of this package, in --help order (a program's parser adds the other packages' groups after them)
CFG_GROUPS: list[tuple[str, list[FlagSpec]]] = [
    ("basic", BASIC_ARGS),
    ("reinforcement learning", RL_ARGS),
    ("sampling", SAMPLING_ARGS),
    ("logging and checkpoints", LOGGING_ARGS),
    ("Sample Factory flags accepted without an effect here", SAMPLE_FACTORY_ARGS),
]


def declared_default(name: str, *spec_lists: Iterable[FlagSpec]) -> Any:
    """The default of flag `--name` as declared in its one definition (per-env defaults not applied), looked up in
    `spec_lists` (the lists of the package that defines it) and in this package's own lists.

    Example:
        >>> declared_default("worker_num_splits")
        2
    """
    for specs in (*spec_lists, *(group for _, group in CFG_GROUPS)):
        for flag, kwargs in specs:
            if flag == f"--{name}":
                return kwargs.get("default")
    raise AttributeError(f"no flag --{name}: see `python -m sf_curric.train --help`")


def flag_value(cfg: Any, name: str, *spec_lists: Iterable[FlagSpec]) -> Any:
    """`cfg.name`, or the flag's declared default when `cfg` lacks it (a config built by hand or by older code).

    Code that may get such a config reads flags through this rather than `getattr(cfg, name, <a copy of the
    default>)`, so a default is written in one place. A flag of another package is found in the list(s) given.

    Example:
        >>> flag_value(argparse.Namespace(), "with_wandb", TRACKING_ARGS)  # sf_curric.tracking.args
        False
    """
    return getattr(cfg, name) if hasattr(cfg, name) else declared_default(name, *spec_lists)


class _EnvDefaultsHelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """`--help` with each default, saying where a per-env default applies: "set by --env=NAME" for the flags the
    given env's defaults set, "set by the env" (then the static default) for those some env sets when none is
    given. `parse_args` makes a subclass that knows the env (`for_env`)."""

    env_name: str | None = None
    set_by_env: frozenset[str] = frozenset()  # flags the given --env's defaults set
    set_by_some_env: frozenset[str] = frozenset()  # flags any env's defaults set (without --env)

    @classmethod
    def for_env(cls, env_name: str | None, set_by_env: Iterable[str], set_by_some_env: Iterable[str]) -> type:
        attributes = {"env_name": env_name, "set_by_env": frozenset(set_by_env),
                      "set_by_some_env": frozenset(set_by_some_env)}  # fmt: skip
        return type("EnvDefaultsHelpFormatter", (cls,), attributes)

    def _get_help_string(self, action: argparse.Action) -> str:
        text = super()._get_help_string(action) or ""
        shown = "(default: %(default)s)"
        if shown not in text:
            return text
        if action.dest in self.set_by_env:
            return text.replace(shown, f"(default: %(default)s, set by --env={self.env_name})")
        if self.env_name is None and action.dest in self.set_by_some_env:
            return text.replace(shown, "(default: set by the env; %(default)s for an env without per-env defaults)")
        return text


class _OneLineErrorParser(argparse.ArgumentParser):
    """argparse, but a bad flag is reported in one line (the full usage is long: it is in --help)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _add_group(parser: argparse.ArgumentParser, title: str, specs: Iterable[FlagSpec]) -> None:
    group = parser.add_argument_group(title)
    for flag, kwargs in specs:
        if flag in parser._option_string_actions:  # defined by the component that reads it
            continue
        group.add_argument(flag, **kwargs)


def _essential_args(*spec_lists: Iterable[FlagSpec]) -> list[FlagSpec]:
    """The specs of ESSENTIAL_FLAGS, in that order, picked from the lists where they are defined."""
    by_flag = {flag: kwargs for specs in spec_lists for flag, kwargs in specs}
    return [(flag, by_flag[flag]) for flag in ESSENTIAL_FLAGS if flag in by_flag]


PROGRAMS = {
    "train": ("python -m sf_curric.train", "Train a policy with asynchronous PPO and optional curricula."),
    "enjoy": ("python -m sf_curric.enjoy", "Watch or record a trained policy, printing each episode's return."),
    "eval": ("python -m sf_curric.eval", "Evaluate a trained policy on its training tasks and on held-out tasks."),
    "export": ("python -m sf_curric.export", "Write a trained policy as one TorchScript or ONNX file."),
}
_EPILOG = (
    "Defaults shown include the per-env defaults of the --env given with --help (docs/configuration.md); without "
    "--env, 'set by the env' marks the flags an env's defaults set. Every flag you type wins over them."
)


def make_parser(groups: Sequence[tuple[str, Sequence[FlagSpec]]], program: str = "train") -> argparse.ArgumentParser:
    """A program's parser from its flag groups: `--help` lists the essential flags first, then the groups in order,
    each flag with its default (a flag already defined by an earlier group is not defined again).

    Args:
        groups: `(title, specs)` in `--help` order (`sf_curric.command_line` assembles each program's).
        program: "train", "enjoy", "eval" or "export": the usage line and the errors name that entry point.
    """
    prog, description = PROGRAMS[program]
    parser = _OneLineErrorParser(
        prog=prog,
        usage="%(prog)s --env=ENV --experiment=NAME [FLAGS...]",  # the full list (300 lines) is below, by group
        description=description,
        epilog=_EPILOG,
        allow_abbrev=False,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    _add_group(parser, "essential", _essential_args(*(specs for _, specs in groups)))
    for title, specs in groups:
        if specs:
            _add_group(parser, title, specs)
    return parser


def _explicit_args(parser: argparse.ArgumentParser, argv: Sequence[str]) -> dict[str, Any]:
    """The flags the user actually typed, with their parsed values (defaults suppressed)."""
    saved = {action.dest: action.default for action in parser._actions}
    try:
        for action in parser._actions:
            action.default = argparse.SUPPRESS
        # --help is answered by the full parse, with the defaults in place (and --env's per-env ones)
        namespace, _ = parser.parse_known_args([a for a in argv if a not in ("-h", "--help")])
    finally:
        for action in parser._actions:
            action.default = saved[action.dest]
    return vars(namespace)


def parse_with(parser: argparse.ArgumentParser, argv: Sequence[str]) -> argparse.Namespace:
    """Parse `argv` into `cfg`, applying the per-env defaults of `--env` below the user's flags.

    `cfg.cli_args` holds the flags given explicitly (used to override a saved config on resume).

    Args:
        parser: a program's parser (`make_parser`).
        argv: arguments without the program name.
    """
    from sf_curric.cfg.env_defaults import flags_set_by_some_env, get_env_defaults

    explicit = _explicit_args(parser, argv)
    env_name = explicit.get("env")
    defaults = get_env_defaults(env_name) if env_name else {}
    unknown = sorted(set(defaults) - {action.dest for action in parser._actions})
    if unknown:
        raise ValueError(f"per-env defaults of {env_name!r} name unknown flags {unknown}: fix env_defaults")
    parser.set_defaults(**defaults)
    parser.formatter_class = _EnvDefaultsHelpFormatter.for_env(env_name, defaults, flags_set_by_some_env())
    cfg = parser.parse_args(argv)
    cfg.cli_args = explicit
    return cfg


def with_overrides(cfg: argparse.Namespace, **overrides: Any) -> argparse.Namespace:
    """`cfg` with `overrides` set, counted as explicitly given (tests, notebooks); an unknown name is an error."""
    known = vars(cfg)
    for key, value in overrides.items():
        if key not in known:
            raise ValueError(f"unknown flag {key!r}: see `python -m sf_curric.train --help`")
        setattr(cfg, key, value)
        cfg.cli_args[key] = value
    return cfg
