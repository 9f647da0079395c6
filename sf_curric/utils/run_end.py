"""`run_end.json`: how the last session of a training run ended, written by `sf_curric.train` in the experiment
folder. The sweep launcher reads it to tell a run that reached its budget (finished: skipped on re-launch) from one
that was stopped early by a signal (resumed on re-launch), since both exit with status 0."""

from __future__ import annotations

import json
import os
from pathlib import Path

RUN_END_FILE = "run_end.json"
FINISHED_REASONS = ("env_steps", "seconds", "avg_return")  # RunResult.reason of a run that reached its budget


def write_run_end(exp_dir: Path | str, reason: str, env_steps: int) -> None:
    """Record why the session stopped (`RunResult.reason`) and at how many env steps (atomic rename).

    Args:
        exp_dir: the experiment folder.
        reason: env_steps, seconds, avg_return or interrupted.
        env_steps: total env steps of the run.
    """
    path = Path(exp_dir) / RUN_END_FILE
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps({"reason": reason, "env_steps": int(env_steps)}) + "\n")
    os.replace(tmp, path)


def read_run_end(exp_dir: Path | str) -> dict | None:
    """What `write_run_end` wrote, or None (no session ended normally since the file was removed)."""
    path = Path(exp_dir) / RUN_END_FILE
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None
