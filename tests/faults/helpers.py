"""Shared helpers of the fault-injection tests: configs, subprocess runs of `python -m sf_curric.train`."""

import errno
import os
import subprocess
import sys
import zipfile
from pathlib import Path

from sf_curric.command_line import default_cfg

REPO = Path(__file__).resolve().parents[2]
TRAIN_SCRIPT = "tests.faults.train_faulty"


def small_cfg(tmp_path, env="test_faulty_env", **overrides):
    """A tiny fast config for the fault envs (serial mode unless overridden)."""
    base = dict(
        train_dir=str(tmp_path), experiment="exp", serial_mode=True, num_workers=1, num_envs_per_worker=4,
        rollout=8, batch_size=32, num_batches_per_epoch=1, num_epochs=1, device="cpu", seed=1,
        train_for_env_steps=3000, save_every_sec=1000, restart_behavior="restart", num_torch_threads=1,
    )  # fmt: skip
    base.update(overrides)
    return default_cfg(env, **base)


def train_subprocess(args, timeout=120, env_vars=None, wait=True):
    """Run `python -m tests.faults.train_faulty ARGS` (the fault envs registered, then sf_curric.train.run())."""
    env = dict(os.environ, **(env_vars or {}))
    cmd = [sys.executable, "-m", TRAIN_SCRIPT, *args]
    if not wait:
        return subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                start_new_session=True)  # fmt: skip
    return subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)


def flip_bytes_inside_tensor(path, record_suffix="/data/0", count=100):
    """XOR `count` bytes in the middle of a tensor's record (what issue 28 did to an Adam moment)."""
    with zipfile.ZipFile(path) as archive:
        info = next(i for i in archive.infolist() if i.filename.endswith(record_suffix))
    raw = bytearray(path.read_bytes())
    name_len, extra_len = (
        int.from_bytes(raw[info.header_offset + 26 : info.header_offset + 28], "little"),
        int.from_bytes(raw[info.header_offset + 28 : info.header_offset + 30], "little"),
    )
    start = info.header_offset + 30 + name_len + extra_len + info.file_size // 2 - count // 2
    for i in range(start, start + count):
        raw[i] ^= 0x5A
    path.write_bytes(bytes(raw))


class _FileOnAFullDisk:
    """A checkpoint's temp file whose writes fail with ENOSPC when `refuse(data)` says so."""

    def __init__(self, f, refuse):
        self.f, self.refuse = f, refuse

    def write(self, data):
        if self.refuse(data):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return self.f.write(data)

    def __getattr__(self, name):
        return getattr(self.f, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.f.close()


def full_disk_at_write(monkeypatch, refuse):
    """Make every checkpoint write (`write_checkpoint_file`'s temp file) raise ENOSPC where `refuse(data)` is true:
    a full disk injected at the write (mounting a small tmpfs needs root)."""
    from sf_curric.utils import checkpoint as checkpoint_module

    real_fdopen = os.fdopen
    monkeypatch.setattr(
        checkpoint_module.os, "fdopen", lambda fd, mode: _FileOnAFullDisk(real_fdopen(fd, mode), refuse)
    )
