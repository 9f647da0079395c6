"""The flag type of every package's flag list: `(flag, add_argument kwargs)`, and Sample Factory's booleans.

Each package keeps the flags it reads in a list of `FlagSpec`s beside the code that reads them (`MODEL_ARGS`,
`ALGO_ARGS`, the curricula's lists, ...); the programs' entry points hand those lists to the parser
(`sf_curric.command_line`), so no package imports another to learn its flags.
"""

from __future__ import annotations

import argparse
from typing import Any

# a flag's definition: `(flag, kwargs for argparse's add_argument)`
FlagSpec = tuple[str, dict[str, Any]]


def str2bool(value: str | bool) -> bool:
    """Parse a boolean flag value the way Sample Factory does (`--use_rnn=True`, `--use_rnn=false`, `1`, `0`).

    Args:
        value: the text given on the command line (or an already parsed bool).

    Example:
        >>> str2bool("False")
        False
    """
    if isinstance(value, bool):
        return value
    text = value.strip().lower()
    if text in ("true", "t", "yes", "y", "1"):
        return True
    if text in ("false", "f", "no", "n", "0"):
        return False
    raise argparse.ArgumentTypeError(f"expected True or False, got {value!r}: write e.g. --flag=True")


def bool_flag(default: bool, help_text: str) -> dict[str, Any]:
    """`add_argument` kwargs for a boolean flag: a bare `--flag` means True, `--flag=False` works too
    (`--help` shows `--flag [BOOL]`).

    Args:
        default: the value when the flag is not given.
        help_text: the flag's help line.
    """
    return {"type": str2bool, "nargs": "?", "const": True, "default": default, "help": help_text, "metavar": "BOOL"}
