"""Shared pieces of the launcher tests: writing a sweep file, starting the launcher as a process."""

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


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
