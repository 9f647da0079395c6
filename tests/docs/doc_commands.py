"""Find every `python -m sf_curric...` command in README.md and docs/*.md (new pages are found by the glob).

A command is a line of a ```bash block (a `\\` continuation joined, the part after `&&` that runs sf_curric) or an
inline code span that starts with `python -m sf_curric.<program>` and has arguments. A doc that cannot run one
here says why next to it: `# not run by the docs test: <why>` at the end of the block line, or
`<!-- not run by the docs test: <why> -->` on the line of an inline span.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SKIP_MARK = "not run by the docs test:"
_PROGRAM = re.compile(r"(?:^|\s)((?:[A-Z_]+=\S+\s+)*python3? -m sf_curric[\w.]*)")
_INLINE = re.compile(r"`((?:[A-Z_]+=\S+\s+)*python3? -m sf_curric\.[\w.]+ [^`]+)`")


@dataclass(frozen=True)
class DocCommand:
    """One command of a doc page.

    Attributes:
        page: the page, relative to the repository root.
        line: its line number (of the first line, for a continued one).
        command: the command as written (comment and pip install steps before `&&` removed).
        skip_reason: what the doc says next to it when it cannot run here (None: it runs).
    """

    page: str
    line: int
    command: str
    skip_reason: str | None


def doc_pages() -> list[Path]:
    """README.md and every page under docs/."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def _skip_reason(text: str) -> str | None:
    if SKIP_MARK not in text:
        return None
    return text.split(SKIP_MARK, 1)[1].split("-->", 1)[0].strip()


def _sf_curric_part(line: str) -> str | None:
    """The `python -m sf_curric...` part of a shell line (after `&&`), without its comment."""
    code = line.split(" #", 1)[0].strip()
    for part in code.split("&&"):
        if _PROGRAM.search(" " + part.strip()):
            return part.strip()
    return None


def _block_lines(lines: list[str]) -> list[tuple[int, str]]:
    """`(line number, line)` of the ```bash / ```sh / ```console blocks, continuations joined."""
    out, in_block, pending, start = [], False, "", 0
    for number, raw in enumerate(lines, 1):
        stripped = raw.strip()
        if stripped.startswith("```"):
            in_block = not in_block and stripped[3:].strip() in ("bash", "sh", "shell", "console")
            continue
        if not in_block:
            continue
        text = raw.rstrip().removeprefix("$ ")
        if not pending:
            start = number
        if text.endswith("\\") and " #" not in text:
            pending += text[:-1].rstrip() + " "
            continue
        out.append((start, pending + text.strip()))
        pending = ""
    return out


def page_commands(page: Path) -> list[DocCommand]:
    """The commands of one page, in page order."""
    lines = page.read_text().splitlines()
    name = page.relative_to(ROOT).as_posix()
    found: list[DocCommand] = []
    block_numbers = set()
    for number, line in _block_lines(lines):
        block_numbers.add(number)
        command = _sf_curric_part(line)
        if command:
            found.append(DocCommand(name, number, command, _skip_reason(line)))
    prose, in_block = [], False  # the text outside code blocks, line numbers kept: a span may wrap a line
    for line in lines:
        fence = line.strip().startswith("```")
        in_block = in_block != fence
        prose.append("" if in_block or fence else line)
    text = "\n".join(prose)
    for match in _INLINE.finditer(text):
        first = text.count("\n", 0, match.start())
        last = text.count("\n", 0, match.end())
        around = "\n".join(prose[first : last + 1])
        command = " ".join(match.group(1).split())
        found.append(DocCommand(name, first + 1, command, _skip_reason(around)))
    return sorted(found, key=lambda c: c.line)


def all_commands() -> list[DocCommand]:
    """Every command of README.md and docs/."""
    return [command for page in doc_pages() for command in page_commands(page)]
