"""`python benchmarks/soak_train.py ARGS`: `sf_curric.train` for the soak (benchmarks/soak.py), with the fault envs
of tests/faults/envs.py registered and a disk that fills up on demand.

While the file named by $SOAK_DISK_FULL exists, every write of a checkpoint (periodic, best or final) fails with
ENOSPC at the write, inside `torch.save`, as on a real full disk (a small tmpfs would need root). Nothing else of
the run is changed.
"""

from __future__ import annotations

import errno
import os
import sys
import types
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository: tests.faults.envs

import tests.faults.envs  # noqa: E402, F401 - registers test_faulty_env and test_faulty_task_env
from sf_curric.train import main  # noqa: E402
from sf_curric.utils import checkpoint  # noqa: E402

_FLAG = os.environ.get("SOAK_DISK_FULL")


class _FileOnFullingDisk:
    """A checkpoint's temp file: its writes fail with ENOSPC while the flag file exists."""

    def __init__(self, f):
        self.f = f

    def write(self, data):
        if _FLAG and os.path.exists(_FLAG):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return self.f.write(data)

    def __getattr__(self, name):
        return getattr(self.f, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.f.close()


class _OsWithFullingDisk(types.ModuleType):
    """`os` as sf_curric.utils.checkpoint sees it: `fdopen` hands out files on the filling disk."""

    def __getattr__(self, name):
        return getattr(os, name)

    @staticmethod
    def fdopen(fd, mode="r", *args, **kwargs):
        return _FileOnFullingDisk(os.fdopen(fd, mode, *args, **kwargs))


checkpoint.os = _OsWithFullingDisk("os")

if __name__ == "__main__":
    sys.exit(main())
