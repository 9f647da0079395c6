"""Every `python -m sf_curric...` command of README.md and docs/ runs as written (exit status 0), with a small step
budget appended to training commands; a command that cannot run here says why next to it in the doc.

Each page runs in its own folder (its commands in page order: a page's `enjoy` finds the experiment its `train`
wrote; a command written on several pages runs once), which holds the README's `demo` experiment (the pages that
export or evaluate it) and links to `benchmarks/`; pages run two at a time. Commands that need an extra of
`test-heavy` (videos, ONNX, wandb, Ray, EnvPool) run in the `heavy` test, with their page, in CI's second step.

Run just these: `python -m pytest tests/docs -q` (add `-m heavy` for the heavy ones).
"""

from __future__ import annotations

import importlib.util
import os
import shlex
import shutil
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.docs.doc_commands import ROOT, DocCommand, all_commands, doc_pages, page_commands

TRAIN_BUDGET = ["--train_for_env_steps=1024"]  # appended: the last value of a flag wins
COMMAND_TIMEOUT_S = 300
PAGES_TIMEOUT_S = 1800  # ~1 minute on an idle 2-core machine; 10x that when the machine is shared
PARALLEL_PAGES = 2
# a command needs these modules when it contains the key (the extra that installs them is in test-heavy)
HEAVY_NEEDS = {
    "--save_video": "imageio_ffmpeg",
    "--video_every_env_steps": "imageio_ffmpeg",
    "--format=onnx": "onnxruntime",
    "--with_wandb": "wandb",
    "--backend=ray": "ray",
    "--env=envpool:": "envpool",
}


def _heavy_modules(command: DocCommand) -> set[str]:
    return {module for key, module in HEAVY_NEEDS.items() if key in command.command}


def _argv(command: DocCommand) -> tuple[dict[str, str], list[str]]:
    """Environment assignments and argv of the command, `python` replaced by this interpreter and the training
    budget appended to `sf_curric.train`."""
    tokens = shlex.split(command.command)
    env = {}
    while "=" in tokens[0] and not tokens[0].startswith("-"):
        name, value = tokens.pop(0).split("=", 1)
        env[name] = value
    tokens[0] = sys.executable
    if tokens[2] == "sf_curric.train":
        tokens += TRAIN_BUDGET
    return env, tokens


def _trains_its_own_demo(commands: list[DocCommand], readme_demo: DocCommand) -> bool:
    """The page trains an experiment named `demo` with another command than README line 1 (e.g. another env)."""
    return any("sf_curric.train" in c.command and "--experiment=demo" in c.command and c.command != readme_demo.command
               for c in commands)  # fmt: skip


def _prepare(folder: Path, demo: Path | None) -> None:
    folder.mkdir(parents=True)
    (folder / "docs").mkdir()  # `python -m sf_curric.reference --out docs/configuration.md` writes here
    (folder / "benchmarks").symlink_to(ROOT / "benchmarks")
    if demo is not None:
        shutil.copytree(demo, folder / "train_dir" / "demo")


class _Once:
    """Commands already run, by their text: a command written on several pages (README line 1 on the demo and
    index pages, the reference generator on three) runs once; the `demo` it trains is in every page's folder."""

    def __init__(self) -> None:
        self.lock, self.done = threading.Lock(), set()

    def claim(self, command: DocCommand) -> bool:
        with self.lock:
            new = command.command not in self.done
            self.done.add(command.command)
            return new


def _run_page(commands: list[DocCommand], folder: Path, once: _Once | None = None) -> list[str]:
    """Run a page's commands in order in `folder` (those `once` saw run elsewhere left out); one line per failure."""
    failures = []
    for command in commands:
        if once is not None and not once.claim(command):
            continue
        extra_env, argv = _argv(command)
        env = dict(os.environ, PYTHONPATH=str(ROOT), **extra_env)
        for name in ("DISPLAY", "WAYLAND_DISPLAY"):
            env.pop(name, None)  # no window: enjoy records or plays without one
        try:
            result = subprocess.run(argv, cwd=folder, env=env, capture_output=True, text=True,
                                    timeout=COMMAND_TIMEOUT_S, stdin=subprocess.DEVNULL)  # fmt: skip
        except subprocess.TimeoutExpired:
            failures.append(f"{command.page}:{command.line}: `{command.command}` ran over {COMMAND_TIMEOUT_S} s")
            continue
        if result.returncode != 0:
            last = (result.stderr.strip() or result.stdout.strip()).splitlines()[-3:]
            failures.append(f"{command.page}:{command.line}: `{command.command}` exited {result.returncode}: {last}")
    return failures


@pytest.fixture(scope="module")
def demo_experiment(tmp_path_factory) -> Path:
    """The README's line 1 experiment (`demo`), trained once with the small budget."""
    [first] = [c for c in page_commands(ROOT / "README.md") if "--experiment=demo" in c.command]
    folder = tmp_path_factory.mktemp("readme_demo")
    failures = _run_page([first], folder)
    assert not failures, failures
    return folder / "train_dir" / "demo"


def _run_pages(pages: dict[str, list[DocCommand]], root: Path, demo: Path) -> list[str]:
    once = _Once()
    [readme_demo] = [c for c in page_commands(ROOT / "README.md") if "--experiment=demo" in c.command]
    once.claim(readme_demo)  # the demo_experiment fixture ran it

    def run(item):
        page, commands = item
        folder = root / page.replace("/", "_")
        _prepare(folder, None if _trains_its_own_demo(commands, readme_demo) else demo)
        return _run_page(commands, folder, once)

    with ThreadPoolExecutor(PARALLEL_PAGES) as pool:
        return [line for failures in pool.map(run, sorted(pages.items())) for line in failures]


def _runnable() -> list[DocCommand]:
    return [c for c in all_commands() if c.skip_reason is None]


@pytest.mark.timeout(PAGES_TIMEOUT_S)
def test_every_command_of_the_docs_runs(tmp_path, demo_experiment):
    pages: dict[str, list[DocCommand]] = {}
    for command in _runnable():
        if not _heavy_modules(command):
            pages.setdefault(command.page, []).append(command)
    assert sum(len(c) for c in pages.values()) >= 20  # the extraction found the commands
    failures = _run_pages(pages, tmp_path, demo_experiment)
    assert not failures, "\n".join(failures)


@pytest.mark.heavy
@pytest.mark.timeout(PAGES_TIMEOUT_S)
def test_every_command_needing_a_heavy_extra_runs(tmp_path, demo_experiment):
    """The pages that record videos, export ONNX, log to wandb, ...: each whole page (their heavy commands use
    what the page's earlier commands wrote)."""
    heavy = [c for c in _runnable() if _heavy_modules(c)]
    missing = sorted({m for c in heavy for m in _heavy_modules(c) if importlib.util.find_spec(m) is None})
    if missing:
        pytest.skip(f"needs {', '.join(missing)}: pip install -e '.[test-heavy]'")
    pages = {page: [c for c in _runnable() if c.page == page] for page in {c.page for c in heavy}}
    failures = _run_pages(pages, tmp_path, demo_experiment)
    assert not failures, "\n".join(failures)


def test_skipped_commands_say_why_and_new_pages_are_read():
    commands = all_commands()
    assert {p.relative_to(ROOT).as_posix() for p in doc_pages()} >= {"README.md", "docs/index.md", "docs/demo.md"}
    for command in commands:
        if command.skip_reason is not None:
            assert len(command.skip_reason) >= 10, f"{command.page}:{command.line}: say why it cannot run here"
    placeholders = [c for c in commands if c.skip_reason is None and any(t in c.command for t in ("[", "|", "..."))]
    assert not placeholders, f"optional-flag syntax cannot run as written: mark it {placeholders}"
