"""Shared pieces of the launcher and report tests: writing a sweep file, starting the launcher as a process, the
marks of a test that runs the report."""

import importlib.util
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# sf_curric.report computes with rliable, the `report` extra; it is in `test-heavy` (rliable brings pandas,
# statsmodels and arch), so the tests that run the report belong to CI's second step and skip without it
REPORT_EXTRA = [
    pytest.mark.heavy,
    pytest.mark.skipif(
        importlib.util.find_spec("rliable") is None, reason='the report extra: pip install -e ".[report]"'
    ),
]


def needs_report_extra(test):
    """Mark one test function with `REPORT_EXTRA`."""
    for mark in REPORT_EXTRA:
        test = mark(test)
    return test


def write_sweep(path: Path, body: str) -> Path:
    """A sweep file with `body` (dedented) after the imports."""
    path.write_text("from sf_curric.sweeps import Experiment, ParamGrid, ParamList, RunDescription\n\n")
    with open(path, "a") as f:
        f.write(textwrap.dedent(body))
    return path


def start_launcher(sweep: Path, train_dir: Path, *flags: str) -> subprocess.Popen:
    """`python -m sf_curric.launch` as a child process (output in train_dir/launcher.log)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    log = open(train_dir / "launcher.log", "ab")
    cmd = [sys.executable, "-m", "sf_curric.launch", f"--run={sweep}", f"--train_dir={train_dir}", *flags]
    return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT)


def wait_for(condition, timeout: float, what: str) -> None:
    """Poll `condition()` until it is true; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.2)
