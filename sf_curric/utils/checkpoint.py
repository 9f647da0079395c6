"""Checkpoint files: atomic writes (temp file then `os.replace`), keep the newest K plus the best, load newest.

Layout: `<experiment>/checkpoint_p<policy>/checkpoint_<iteration:09d>_<env_steps>.pth`, one
`best_<iteration:09d>_<env_steps>_<metric>_<value>.pth` (metric `return` unless `--save_best_metric` names another)
and, with `--save_milestones_sec`, `milestones/checkpoint_<iteration:09d>_<env_steps>.pth` (never deleted). Only files
matching these names (and the temp files of their writes) are ever deleted. Every file carries the SHA-256 of its
bytes, checked before it is loaded (`checkpoint_integrity.py`). Loading uses `torch.load(weights_only=True)`:
tensors, plain containers and numpy arrays only, never code.
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

from sf_curric.utils.checkpoint_integrity import DamagedFileError, save_with_checksum, verify_checksum
from sf_curric.version import __version__

log = logging.getLogger("sf_curric")

CHECKPOINT_SUBDIR = "checkpoint_p0"  # policy 0's; policy i of --num_policies writes checkpoint_p<i> (as SF)
_LATEST_RE = re.compile(r"^checkpoint_(\d{9})_(\d+)\.pth$")
_BEST_RE = re.compile(r"^best_(\d{9})_(\d+)_([A-Za-z0-9-]+)_(-?[\d.]+|nan|-?inf)\.pth$")
MILESTONES_SUBDIR = "milestones"
_TEMP_RE = re.compile(r"^\.(checkpoint|best)_\d{9}_.+\.pth\..+\.tmp$")  # write_checkpoint_file's temp files
DAMAGED_SUFFIX = ".damaged"


class CheckpointError(RuntimeError):
    """A checkpoint exists but cannot be used; the message is one line that names the file and the fix."""


class DamagedCheckpointError(CheckpointError):
    """A checkpoint's bytes are not those written at save (its SHA-256 or a zip CRC does not match, or it is cut).

    Args:
        path: the file.
        reason: what did not match, e.g. "its SHA-256 does not match the one written at save".
    """

    def __init__(self, path: Path, reason: str):
        super().__init__(
            f"checkpoint {path} is damaged ({reason}): it cannot be used; move it away to use an older one"
        )
        self.path = path
        self.reason = reason


def _safe_globals() -> list[Any]:
    """What our checkpoints hold beyond tensors and plain containers: numpy arrays, dtypes and scalars (curriculum
    state). Nothing here runs code when unpickled; everything else is refused by `torch.load(weights_only=True)`."""
    import numpy as np

    core = np._core if hasattr(np, "_core") else np.core
    allowed: list[Any] = [core.multiarray._reconstruct, core.multiarray.scalar, np.ndarray, np.dtype]
    allowed += [c for c in vars(np.dtypes).values() if isinstance(c, type) and issubclass(c, np.dtype)]
    return allowed


def checkpoint_dir(exp_dir: Path | str, policy_id: int = 0) -> Path:
    """The checkpoint folder of an experiment's policy (Sample Factory's layout).

    Args:
        exp_dir: `<train_dir>/<experiment>`.
        policy_id: which policy of a `--num_policies` run (0: the only one otherwise).
    """
    return Path(exp_dir) / f"checkpoint_p{int(policy_id)}"


def write_checkpoint_file(state: dict[str, Any], path: Path | str, durable: bool = True) -> Path:
    """Write `state` with sf_curric's version and the file's SHA-256, atomically (temp file in the same folder, then
    rename): a reader sees the old file or the new one, never a part.

    Args:
        state: what to save.
        path: the file.
        durable: fsync before the rename (checkpoints); False for files that live for seconds (eval snapshots).

    Raises:
        OSError: the write failed (ENOSPC, EIO), however torch reported it; the temp file is gone.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            save_with_checksum({**state, "sf_curric_version": __version__}, f)
            f.flush()
            if durable:
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


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
    write_checkpoint_file(state, path)
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
    write_checkpoint_file(state, path)
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
    write_checkpoint_file(state, path)
    return path


def remove_orphan_temp_files(ckpt_dir: Path | str) -> list[Path]:
    """Delete the temp files of checkpoint writes cut short (kill -9 mid-write); call only while holding the
    experiment's lock (no write of this experiment can be under way).

    Args:
        ckpt_dir: the checkpoint folder.

    Returns:
        The files deleted.
    """
    ckpt_dir = Path(ckpt_dir)
    if not ckpt_dir.is_dir():
        return []
    removed = []
    for path in ckpt_dir.iterdir():
        if _TEMP_RE.match(path.name) and path.is_file() and not path.is_symlink():
            path.unlink(missing_ok=True)
            removed.append(path)
    if removed:
        log.info("removed %d temp file(s) of checkpoint writes that were cut short in %s", len(removed), ckpt_dir)
    return removed


def _unreadable(path: Path, e: BaseException) -> str:
    return (
        f"cannot read checkpoint {path} ({_first_line(e)}): move it away to resume from an older one, "
        f"or pass --restart_behavior=restart"
    )


def _first_line(e: BaseException) -> str:
    return (str(e).splitlines()[0] if str(e) else e.__class__.__name__)[:160]


def _verify(path: Path) -> None:
    try:
        verify_checksum(path)
    except DamagedFileError as e:
        raise DamagedCheckpointError(path, str(e)) from None
    except OSError as e:
        raise CheckpointError(_unreadable(path, e)) from None


def load_checkpoint(path: Path | str, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Read one checkpoint after checking its bytes against the SHA-256 written at save.

    Args:
        path: the file.
        map_location: torch device for the tensors.

    Raises:
        DamagedCheckpointError: its bytes do not match (one line naming the file).
        CheckpointError: the file cannot be read or is not an sf_curric checkpoint (one line, names the fix).
    """
    path = Path(path)
    _verify(path)
    try:
        # weights_only: a checkpoint is data, never code (a planted file must not run anything when loaded)
        with torch.serialization.safe_globals(_safe_globals()):
            state = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as e:
        # what weights_only raises for anything beyond tensors and plain data (a damaged file is "cannot read")
        found = re.search(r"(GLOBAL \S+|got <class '[^']+'>)", str(e))
        if found is None:
            raise DamagedCheckpointError(path, f"cannot unpickle it: {_first_line(e)}") from None
        raise CheckpointError(
            f"refusing to load {path}: it needs {found.group(1)}, which could run code; sf_curric never writes that, "
            f"so move the file away unless you made it yourself"
        ) from None
    except Exception as e:  # torch raises many types for a damaged file; all mean "cannot read"
        raise DamagedCheckpointError(path, f"torch cannot read it: {_first_line(e)}") from None
    if not isinstance(state, dict) or "sf_curric_version" not in state:
        raise CheckpointError(
            f"{path} is not an sf_curric checkpoint: move it out of {path.parent} or pass --restart_behavior=restart"
        )
    return state


def find_newest_checkpoint(exp_dir: Path | str, kind: str = "latest", policy_id: int = 0) -> Path | None:
    """The newest checkpoint file of an experiment's policy, or None when it has none.

    Args:
        exp_dir: `<train_dir>/<experiment>`.
        kind: "latest" or "best".
        policy_id: which policy of a `--num_policies` run.
    """
    found = list_checkpoints(checkpoint_dir(exp_dir, policy_id), kind)
    return found[-1] if found else None


def _set_damaged_aside(path: Path, error: DamagedCheckpointError, used: Path) -> None:
    aside = path.with_name(path.name + DAMAGED_SUFFIX)
    os.replace(path, aside)  # out of the checkpoint set (never loaded or rotated again), kept for a look
    log.warning("checkpoint %s is damaged (%s): moved aside to %s; resuming from %s", path, error.reason, aside, used)


def load_newest_checkpoint(
    exp_dir: Path | str,
    kind: str = "latest",
    map_location: str | torch.device = "cpu",
    skip_damaged: bool = False,
    policy_id: int = 0,
) -> tuple[Path, dict[str, Any]] | None:
    """Load the newest checkpoint of an experiment's policy.

    A damaged newest checkpoint is an error, never a silent fall-back, unless `skip_damaged` (resume): then it is
    moved aside to `<name>.damaged` with one warning line, and the next newest good one is loaded.

    Args:
        exp_dir: `<train_dir>/<experiment>`.
        kind: "latest" or "best".
        map_location: torch device for the tensors.
        skip_damaged: fall back to older checkpoints past damaged ones (a planted or foreign file still stops).
        policy_id: which policy of a `--num_policies` run.

    Returns:
        (path, state), or None when the experiment has no checkpoint.

    Raises:
        CheckpointError: the newest checkpoint exists but cannot be read (with `skip_damaged`: every one is damaged).
    """
    folder = checkpoint_dir(exp_dir, policy_id)
    candidates = list_checkpoints(folder, kind)
    if not candidates:
        return None
    if not skip_damaged:
        return candidates[-1], load_checkpoint(candidates[-1], map_location)
    damaged: list[tuple[Path, DamagedCheckpointError]] = []
    for path in reversed(candidates):
        try:
            state = load_checkpoint(path, map_location)
        except DamagedCheckpointError as e:
            damaged.append((path, e))
            continue
        for bad, error in damaged:  # only once a good one is found: a run never restarts from scratch silently
            _set_damaged_aside(bad, error, path)
        return path, state
    names = ", ".join(path.name for path, _ in damaged)
    raise CheckpointError(
        f"no usable {kind} checkpoint in {folder}: {names} {'is' if len(damaged) == 1 else 'are'} "
        f"damaged ({damaged[0][1].reason}); pass --restart_behavior=restart to start again (it renames the folder)"
    )
