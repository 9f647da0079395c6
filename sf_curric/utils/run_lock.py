"""One training run per experiment: an OS file lock held for the life of the run.

The lock is `fcntl.flock` on `<train_dir>/.<experiment>.lock`, a file beside the experiment folder (so
`--restart_behavior=restart` can rename the folder, and `overwrite` delete it, while the lock stays put). The
kernel releases it when the process ends, however it ends (kill -9 included), so a lock is never stale. The file
holds the pid of the run that holds it, for the refusal message. A start that failed leaves no experiment folder,
and then its lock file (and a `--train_dir` it created, when empty) is removed too; the holder deletes it before it
lets go, and a process that locked the file just as it was deleted sees that the path no longer names the file it
locked and tries again.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import socket
from pathlib import Path
from typing import Iterator

from sf_curric.cfg.experiment import experiment_dir
from sf_curric.cfg.validation import ConfigError


class ExperimentInUse(ConfigError):
    """Another live process trains this experiment."""


def lock_path(cfg: argparse.Namespace) -> Path:
    """`<train_dir>/.<experiment>.lock`.

    Args:
        cfg: the run's config.
    """
    exp_dir = experiment_dir(cfg)  # checks the name: the lock file is always directly inside train_dir
    return exp_dir.parent / f".{exp_dir.name}.lock"


def _prepare_train_dir(train_dir: Path) -> list[Path]:
    """Create `train_dir` if missing; returns the folders created (deepest first)."""
    if train_dir.exists() and not train_dir.is_dir():
        raise ConfigError(f"--train_dir={train_dir} is a file, not a folder: pass a folder (it is created if missing)")
    created = [folder for folder in [train_dir, *train_dir.parents] if not folder.exists()]
    try:
        train_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ConfigError(
            f"cannot create --train_dir={train_dir} ({e.strerror or e}): pass a writable folder"
        ) from None
    return created


def _lock(path: Path, cfg: argparse.Namespace) -> int:
    """Open and flock the lock file; retry when it was deleted (by a failed start's release) after we opened it."""
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as e:
            raise ConfigError(
                f"cannot create the lock file {path} ({e.strerror or e}): pass a writable --train_dir"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or "unknown pid"
            os.close(fd)
            raise ExperimentInUse(
                f"experiment {experiment_dir(cfg)} is in use by another run ({holder}): wait for it to end or stop "
                f"it, or pass another --experiment"
            ) from None
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(path))
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)


def _remove_if_unused(path: Path, exp_dir: Path, created_dirs: list[Path]) -> None:
    """A lock without its experiment folder (a failed start) goes, with the train_dir folders made for it if empty."""
    if exp_dir.exists() or exp_dir.is_symlink():
        return
    path.unlink(missing_ok=True)  # still locked by us: see _lock for the process that opened it meanwhile
    for folder in created_dirs:
        try:
            folder.rmdir()  # only when empty
        except OSError:
            break


@contextlib.contextmanager
def experiment_lock(cfg: argparse.Namespace) -> Iterator[Path]:
    """Hold the experiment's lock inside the `with` block; refuse at once when another process holds it.

    Args:
        cfg: the run's config (`--train_dir`, `--experiment`).

    Raises:
        ExperimentInUse: another live process holds the lock (one line naming its pid).
        ConfigError: train_dir is a file or cannot be written.

    Example:
        >>> with experiment_lock(cfg):
        ...     Runner(cfg).run()
    """
    path = lock_path(cfg)
    created_dirs = _prepare_train_dir(path.parent)
    fd = _lock(path, cfg)
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()}\n".encode(), 0)
        yield path
    finally:
        try:
            _remove_if_unused(path, experiment_dir(cfg), created_dirs)
        finally:
            os.close(fd)  # releases the lock (the kernel does the same when the process dies)
