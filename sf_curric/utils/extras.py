"""The install command of an optional extra, as error messages and hints print it.

sf_curric is installed from a clone (`pip install -e .`, README line 1): it is not on the package index, so
`pip install` of `sf_curric[video]` fails in a fresh venv. The hint names the checkout this sf_curric was imported
from, so the command works from any folder.
"""

from __future__ import annotations

from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parents[2]  # the folder holding setup.py when sf_curric comes from a clone


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
