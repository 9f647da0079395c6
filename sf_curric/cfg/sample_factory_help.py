"""Sample Factory 2.1.1's flags as data, parsed from its `--help` text.

The help of SF's gym example (`python -m sf_examples.train_gym_env --help`, 115 flags) is kept in
`tests/data/sample_factory_2.1.1_help_gym.txt`; this module parses it into `sample_factory_2.1.1_flags.json` (next to
this file), which the flag walk test (`tests/cfg/test_sample_factory_flags.py`), the run's notes on SF flags
(`sf_curric.cfg.sample_factory`) and the table of docs/migrating_from_sample_factory.md read.

    python -m sf_curric.cfg.sample_factory_help tests/data/sample_factory_2.1.1_help_gym.txt
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import NamedTuple, Sequence

FLAGS_FILE = Path(__file__).with_name("sample_factory_2.1.1_flags.json")
_FLAG_LINE = re.compile(r"^  (--\w+)(?: (\{[^}]*\}|\[?[A-Z_]+(?: \.\.\.\])?\]?|\S+))?(?:\s{2,}(.*))?$")
_DEFAULT = re.compile(r"\s*\(default: (.*)\)$")


class SampleFactoryFlag(NamedTuple):
    """One flag of Sample Factory 2.1.1, as its `--help` shows it.

    Attributes:
        flag: e.g. `--num_workers`.
        default: the default as printed (`2`, `None`, `[512, 512]`, `APPO`).
        choices: the values it accepts, when `--help` lists them.
        help: its description, without the default.
    """

    flag: str
    default: str
    choices: tuple[str, ...] | None
    help: str

    @property
    def is_list(self) -> bool:
        """A list flag (`[X ...]` in the help, values separated by spaces)."""
        return self.default.startswith("[")


def _join(lines: Sequence[str]) -> str:
    text = ""
    for line in lines:
        line = line.strip()
        if text.endswith("-") and line[:1].isalpha():  # argparse wraps after hyphens too: "multi-" + "agent"
            text += line
        else:
            text = f"{text} {line}" if text else line
    return text


def parse_help(text: str) -> list[SampleFactoryFlag]:
    """Every flag of an argparse `--help` text (Sample Factory's), in its order, `-h/--help` left out.

    Args:
        text: the whole help output.

    Example:
        >>> parse_help("options:\\n  --seed SEED   Set a seed (default: None)\\n")[0].default
        'None'
    """
    body = text.split("\noptions:\n", 1)[1]
    entries: list[tuple[str, str, list[str]]] = []
    for line in body.splitlines():
        match = _FLAG_LINE.match(line)
        if match:
            entries.append((match.group(1), match.group(2) or "", [match.group(3) or ""]))
        elif entries and line.startswith(" " * 4):
            entries[-1][2].append(line)
    flags = []
    for flag, metavar, lines in entries:
        description = _join(lines)
        found = _DEFAULT.search(description)
        if found is None:
            raise ValueError(f"{flag}: no '(default: ...)' in its help text")
        choices = tuple(metavar[1:-1].split(",")) if metavar.startswith("{") else None
        flags.append(SampleFactoryFlag(flag, found.group(1), choices, description[: found.start()].strip()))
    return flags


def load_flags(path: Path | str = FLAGS_FILE) -> list[SampleFactoryFlag]:
    """Sample Factory 2.1.1's flags from the JSON this module wrote.

    Example:
        >>> len(load_flags())
        115
    """
    rows = json.loads(Path(path).read_text())
    return [SampleFactoryFlag(r["flag"], r["default"], tuple(r["choices"]) if r["choices"] else None, r["help"])
            for r in rows]  # fmt: skip


def to_json(flags: Sequence[SampleFactoryFlag]) -> str:
    """The JSON text of `flags` (one object per flag, in order)."""
    rows = [{**f._asdict(), "choices": list(f.choices) if f.choices else None} for f in flags]
    return json.dumps(rows, indent=1) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Parse a Sample Factory `--help` text file and write the flags' JSON."""
    parser = argparse.ArgumentParser(description="Write Sample Factory's flags as JSON from its --help text.")
    parser.add_argument("help_file", type=Path, help="the saved --help output")
    parser.add_argument("--out", type=Path, default=FLAGS_FILE, help="JSON file to write")
    args = parser.parse_args(argv)
    args.out.write_text(to_json(parse_help(args.help_file.read_text())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
