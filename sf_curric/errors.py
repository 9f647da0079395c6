"""Errors a user fixes by changing their input, and the install command they print for a missing extra: the lowest
module of sf_curric, so every package can raise them."""

from __future__ import annotations

from pathlib import Path


class ConfigError(ValueError):
    """An invalid configuration; the message is one line that says what to change (the programs exit with 2)."""


# The install command of an optional extra, as error messages print it: sf_curric is installed from a clone
# (`pip install -e .`, README line 1) and is not on the package index, so the command names the checkout this
# sf_curric was imported from and works from any folder.
_CHECKOUT = Path(__file__).resolve().parents[1]  # the folder holding setup.py when sf_curric comes from a clone


def install_command(extra: str) -> str:
    """The pip command that installs `extra`, e.g. `pip install -e "/home/me/sf_curric[video]"`.

    Args:
        extra: the name of an extra of setup.py (`video`, `ray`, `report`, ...).

    Example:
        >>> install_command("video")
        'pip install -e "/home/me/sf_curric[video]"'
    """
    if (_CHECKOUT / "setup.py").is_file():
        return f'pip install -e "{_CHECKOUT}[{extra}]"'
    return f'pip install -e ".[{extra}]" in your sf_curric clone'  # installed from a wheel built from the clone
