"""Checkpoint files: atomic writes (temp file then `os.replace`), keep the newest K plus the best, load newest.

Layout: `<experiment>/checkpoint_p0/checkpoint_<iteration:09d>_<env_steps>.pth`, one
`best_<iteration:09d>_<env_steps>_<metric>_<value>.pth` (metric `return` unless `--save_best_metric` names another)
and, with `--save_milestones_sec`, `milestones/checkpoint_<iteration:09d>_<env_steps>.pth` (never deleted). Only files
matching these names are ever deleted.
Loading uses `torch.load(weights_only=True)`: tensors, plain containers and numpy arrays only, never code.
"""

from __future__ import annotations

import logging
import os
import pickle
import re
import tempfile
from pathlib import Path
from typing import Any

import torch

from sf_curric.version import __version__

log = logging.getLogger("sf_curric")

CHECKPOINT_SUBDIR = "checkpoint_p0"
_LATEST_RE = re.compile(r"^checkpoint_(\d{9})_(\d+)\.pth$")
_BEST_RE = re.compile(r"^best_(\d{9})_(\d+)_([A-Za-z0-9-]+)_(-?[\d.]+|nan|-?inf)\.pth$")
MILESTONES_SUBDIR = "milestones"


class CheckpointError(RuntimeError):
    """A checkpoint exists but cannot be used; the message is one line that names the file and the fix."""


def _safe_globals() -> list[Any]:
    """What our checkpoints hold beyond tensors and plain containers: numpy arrays, dtypes and scalars (curriculum
    state). Nothing here runs code when unpickled; everything else is refused by `torch.load(weights_only=True)`."""
    import numpy as np

    core = np._core if hasattr(np, "_core") else np.core
    allowed: list[Any] = [core.multiarray._reconstruct, core.multiarray.scalar, np.ndarray, np.dtype]
    allowed += [c for c in vars(np.dtypes).values() if isinstance(c, type) and issubclass(c, np.dtype)]
    return allowed


def checkpoint_dir(exp_dir: Path | str) -> Path:
    """The checkpoint folder of an experiment.

    Args:
        exp_dir: `<train_dir>/<experiment>`.
    """
    return Path(exp_dir) / CHECKPOINT_SUBDIR


def _atomic_torch_save(state: dict[str, Any], path: Path) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(state, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def list_checkpoints(ckpt_dir: Path | str, kind: str = "latest") -> list[Path]:
    """Checkpoint files of one kind, oldest first.

    Args:
        ckpt_dir: the checkpoint folder.
        kind: "latest" (periodic checkpoints) or "best".
    """
    ckpt_dir = Path(ckpt_dir)
    if not ckpt_dir.is_dir():
        return []
    pattern = _LATEST_RE if kind == "latest" else _BEST_RE
    found = []
    for path in ckpt_dir.iterdir():
        match = pattern.match(path.name)
        if match:
            found.append(((int(match.group(1)), int(match.group(2))), path))
    return [path for _, path in sorted(found)]


def save_checkpoint(
    ckpt_dir: Path | str,
    state: dict[str, Any],
    iteration: int,
    env_steps: int,
    keep: int,
) -> Path:
    """Write a periodic checkpoint and delete the older ones beyond the newest `keep`.

    Args:
        ckpt_dir: the checkpoint folder (created if missing).
        state: what to save; the sf_curric version is added under "sf_curric_version".
        iteration: training iterations so far (orders checkpoints).
        env_steps: env steps so far.
        keep: how many periodic checkpoints to keep.

    Returns:
        The path written.
    """
    ckpt_dir = Path(ckpt_dir)
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    path = ckpt_dir / f"checkpoint_{iteration:09d}_{env_steps}.pth"
    _atomic_torch_save({**state, "sf_curric_version": __version__}, path)
    for old in list_checkpoints(ckpt_dir, "latest")[:-keep]:
        if old != path:
            old.unlink()
    return path


def save_best_checkpoint(
    ckpt_dir: Path | str,
    state: dict[str, Any],
    iteration: int,
    env_steps: int,
    avg_return: float,
    metric: str = "return",
) -> Path:
    """Write the best checkpoint so far and delete the previous best.

    Args:
        ckpt_dir: the checkpoint folder.
        state: what to save.
        iteration: training iterations so far.
        env_steps: env steps so far.
        avg_return: the value that makes it the best (the average return, or the `--save_best_metric` value).
        metric: its name in the file name (other characters than letters and digits become '-').
    """
    ckpt_dir = Path(ckpt_dir)
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    slug = re.sub(r"[^A-Za-z0-9]+", "-", metric).strip("-") or "metric"
    path = ckpt_dir / f"best_{iteration:09d}_{env_steps}_{slug}_{avg_return:.3f}.pth"
    _atomic_torch_save({**state, "sf_curric_version": __version__}, path)
    for old in list_checkpoints(ckpt_dir, "best"):
        if old != path:
            old.unlink()
    return path


def save_milestone(ckpt_dir: Path | str, state: dict[str, Any], iteration: int, env_steps: int) -> Path:
    """Write a milestone: a checkpoint kept for later evaluation, in `<ckpt_dir>/milestones` (Sample Factory's
    `--save_milestones_sec`); milestones are never deleted.

    Args:
        ckpt_dir: the checkpoint folder.
        state: what to save.
        iteration: training iterations so far.
        env_steps: env steps so far.
    """
    folder = Path(ckpt_dir) / MILESTONES_SUBDIR
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"checkpoint_{iteration:09d}_{env_steps}.pth"
    _atomic_torch_save({**state, "sf_curric_version": __version__}, path)
    return path


def _unreadable(path: Path, e: BaseException) -> str:
    reason = str(e).splitlines()[0] if str(e) else e.__class__.__name__
    return (
        f"cannot read checkpoint {path} ({reason[:160]}): move it away to resume from an older one, "
        f"or pass --restart_behavior=restart"
    )


def load_checkpoint(path: Path | str, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Read one checkpoint.

    Args:
        path: the file.
        map_location: torch device for the tensors.

    Raises:
        CheckpointError: the file cannot be read or is not an sf_curric checkpoint (one line, names the fix).
    """
    path = Path(path)
    try:
        # weights_only: a checkpoint is data, never code (a planted file must not run anything when loaded)
        with torch.serialization.safe_globals(_safe_globals()):
            state = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as e:
        # what weights_only raises for anything beyond tensors and plain data (a damaged file is "cannot read")
        found = re.search(r"(GLOBAL \S+|got <class '[^']+'>)", str(e))
        if found is None:
            raise CheckpointError(_unreadable(path, e)) from None
        raise CheckpointError(
            f"refusing to load {path}: it needs {found.group(1)}, which could run code; sf_curric never writes that, "
            f"so move the file away unless you made it yourself"
        ) from None
    except Exception as e:  # torch raises many types for a damaged file; all mean "cannot read"
        raise CheckpointError(_unreadable(path, e)) from None
    if not isinstance(state, dict) or "sf_curric_version" not in state:
        raise CheckpointError(
            f"{path} is not an sf_curric checkpoint: move it out of {path.parent} or pass --restart_behavior=restart"
        )
    return state


def find_newest_checkpoint(exp_dir: Path | str, kind: str = "latest") -> Path | None:
    """The newest checkpoint file of an experiment, or None when it has none.

    Args:
        exp_dir: `<train_dir>/<experiment>`.
        kind: "latest" or "best".
    """
    found = list_checkpoints(checkpoint_dir(exp_dir), kind)
    return found[-1] if found else None


def load_newest_checkpoint(
    exp_dir: Path | str, kind: str = "latest", map_location: str | torch.device = "cpu"
) -> tuple[Path, dict[str, Any]] | None:
    """Load the newest checkpoint of an experiment.

    A newest checkpoint that cannot be read is an error, never a silent fall-back: the user decides.

    Args:
        exp_dir: `<train_dir>/<experiment>`.
        kind: "latest" or "best".
        map_location: torch device for the tensors.

    Returns:
        (path, state), or None when the experiment has no checkpoint.

    Raises:
        CheckpointError: the newest checkpoint exists but cannot be read.
    """
    path = find_newest_checkpoint(exp_dir, kind)
    if path is None:
        return None
    return path, load_checkpoint(path, map_location)
