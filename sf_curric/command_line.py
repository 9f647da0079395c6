"""The command line of sf_curric's programs: each package hands its flag list to the parser here.

`python -m sf_curric.train`, `enjoy` and `eval` (and a user's script that calls `sf_curric.run()`) parse with
`parse_args`. Every flag is defined once, in the list beside the code that reads it; this module only puts the lists
in `--help` order, so the packages that define flags import nothing above them (no package imports cfg's parser for
its flags, and cfg imports no package).

A new flag is one `(flag, kwargs)` entry in the list of the module that reads it; a new package's list is one more
group below.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, Sequence

from sf_curric.algo.args import ALGO_ARGS
from sf_curric.cfg import arguments
from sf_curric.cfg.population import POPULATION_ARGS
from sf_curric.curricula.registry import curriculum_args
from sf_curric.envs.args import ENV_ARGS
from sf_curric.evaluation.args import evaluation_args
from sf_curric.flags import FlagSpec
from sf_curric.model.args import MODEL_ARGS
from sf_curric.tracking.args import TRACKING_ARGS


def flag_groups(evaluation: bool = False, extra_args: Sequence[FlagSpec] | None = None) -> list[tuple[str, list]]:
    """Every program's flag groups, in `--help` order: cfg's own groups, then each package's list.

    Args:
        evaluation: add the flags of `python -m sf_curric.enjoy` / `sf_curric.eval`.
        extra_args: more `(flag, kwargs)` specs, e.g. flags of a user's own env.
    """
    return [
        *arguments.CFG_GROUPS,
        ("multi-policy training and population-based training", list(POPULATION_ARGS)),
        ("curriculum", curriculum_args()),  # the curricula registered so far, with their flags
        ("tracking and evaluation during training", list(TRACKING_ARGS)),
        ("environment", list(ENV_ARGS)),
        ("model and learner", [*MODEL_ARGS, *ALGO_ARGS]),
        ("evaluation", evaluation_args() if evaluation else []),
        ("extra", list(extra_args or [])),
    ]


def build_parser(
    evaluation: bool = False, extra_args: Sequence[FlagSpec] | None = None, program: str | None = None
) -> argparse.ArgumentParser:
    """The argument parser with every flag of sf_curric (`--help` lists the essential flags first, then the groups).

    Args:
        evaluation: add the flags of `python -m sf_curric.enjoy` / `sf_curric.eval`.
        extra_args: more `(flag, kwargs)` specs, e.g. flags of a user's own env.
        program: "train", "enjoy", "eval" or "export": the usage line and the errors name that entry point
            (default: "eval" when `evaluation`, else "train").

    Example:
        >>> build_parser().parse_args(["--env=CartPole-v1"]).gamma
        0.99
    """
    return arguments.make_parser(flag_groups(evaluation, extra_args), program or ("eval" if evaluation else "train"))


def parse_args(
    argv: Sequence[str] | None = None,
    evaluation: bool = False,
    extra_args: Sequence[FlagSpec] | None = None,
    program: str | None = None,
) -> argparse.Namespace:
    """Parse the command line into `cfg`, applying the per-env defaults of `--env` below the user's flags.

    `cfg.cli_args` holds the flags given explicitly (used to override a saved config on resume).

    Args:
        argv: arguments without the program name (default: `sys.argv[1:]`).
        evaluation: also accept the evaluation flags (enjoy / eval scripts).
        extra_args: more `(flag, kwargs)` specs to accept.
        program: the entry point named by the usage line ("train", "enjoy", "eval"; see `build_parser`).

    Example:
        >>> cfg = parse_args(["--env=CartPole-v1", "--gamma=0.9"])
        >>> cfg.gamma, cfg.cli_args["gamma"]
        (0.9, 0.9)
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    return arguments.parse_with(build_parser(evaluation, extra_args, program), argv)


def default_cfg(env: str | None = None, **overrides: Any) -> argparse.Namespace:
    """A complete `cfg` for programmatic use (tests, notebooks): defaults, per-env defaults, then `overrides`.

    Args:
        env: env name whose per-env defaults apply.
        overrides: flag values that win over every default; they count as explicitly given.

    Example:
        >>> default_cfg("CartPole-v1", seed=3).seed
        3
    """
    return arguments.with_overrides(parse_args([f"--env={env}"] if env else []), **overrides)


def declared_default(name: str) -> Any:
    """The default of any flag `--name` of the programs, as declared in its one definition.

    Example:
        >>> declared_default("plr_strategy")
        'value_l1'
    """
    return arguments.declared_default(name, *(specs for _, specs in flag_groups(evaluation=True)))
