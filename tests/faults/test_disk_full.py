"""A full disk at any checkpoint write (periodic, best) warns, keeps the previous checkpoint and training goes on,
however torch reports it: an OSError at the write (which torch turns into `RuntimeError: ... unexpected pos`), or
torch's RuntimeError itself. Mounting a small tmpfs needs root, so ENOSPC is injected at the write here
(`test_stop_and_save.py` uses a real tmpfs where it can)."""

import errno
import logging
import os
import signal

import pytest
import torch

from sf_curric.algo.runner import Runner
from sf_curric.algo.stop_and_save import periodic_save
from sf_curric.utils import checkpoint_integrity
from sf_curric.utils.checkpoint import list_checkpoints, load_checkpoint
from tests.faults import envs
from tests.faults.helpers import full_disk_at_write, small_cfg


def _enospc():
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


class _Disk:
    """Whether the disk is full now, and the checkpoint writes that found it full."""

    def __init__(self):
        self.full = False
        self.refused = 0


def _install(monkeypatch, disk, how):
    if how == "oserror_at_write":

        def refuse(data):
            disk.refused += disk.full
            return disk.full

        full_disk_at_write(monkeypatch, refuse)
        return
    real_save = torch.save

    def save_as_torch_reports_it(obj, f):
        if not disk.full:
            return real_save(obj, f)
        disk.refused += 1
        try:
            raise _enospc()
        except OSError:
            raise RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 704 vs 598")  # noqa: B904

    monkeypatch.setattr(checkpoint_integrity.torch, "save", save_as_torch_reports_it)


@pytest.fixture
def logged():
    """The sf_curric logger's records (it does not propagate to pytest's caplog once a run set up logging)."""
    records = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = records.append
    logger = logging.getLogger("sf_curric")
    logger.addHandler(handler)
    yield records
    logger.removeHandler(handler)


def _no_temp_files(ckpt_dir):
    return not [p for p in ckpt_dir.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize("how", ["oserror_at_write", "runtime_error_from_torch"])
def test_disk_full_at_periodic_saves_warns_and_training_goes_on(tmp_path, monkeypatch, logged, how):
    envs.set_faults(monkeypatch)
    disk = _Disk()
    _install(monkeypatch, disk, how)
    cfg = small_cfg(tmp_path, train_for_env_steps=10**9, save_every_sec=1, save_best_every_sec=10**6)
    runner = Runner(cfg)
    seen = {"saves": 0}
    real_periodic = periodic_save

    def counted_periodic_save(r):  # disk full for saves 2-4; after save 5 the run gets SIGTERM
        seen["saves"] += 1
        disk.full = 2 <= seen["saves"] <= 4
        saved = real_periodic(r)
        if seen["saves"] == 5:
            signal.raise_signal(signal.SIGTERM)
        return saved

    monkeypatch.setattr("sf_curric.algo.runner.periodic_save", counted_periodic_save)
    result = runner.run()
    assert result.reason == "interrupted" and seen["saves"] == 5 and disk.refused >= 3  # torch may write again
    warnings = [r.getMessage() for r in logged if "could not write a checkpoint" in r.getMessage()]
    assert len(warnings) == 3 and all("No space left on device" in w for w in warnings)
    assert "the last good checkpoint is" in warnings[0]
    ckpt_dir = tmp_path / "exp" / "checkpoint_p0"
    assert _no_temp_files(ckpt_dir)
    newest = list_checkpoints(ckpt_dir)[-1]
    assert load_checkpoint(newest)["env_steps"] == runner.env_steps  # the final save, verified by its SHA-256


@pytest.mark.parametrize("how", ["oserror_at_write", "runtime_error_from_torch"])
def test_disk_full_at_a_best_checkpoint_save_warns_and_keeps_the_previous_best(tmp_path, monkeypatch, logged, how):
    envs.set_faults(monkeypatch)
    runner = Runner(small_cfg(tmp_path, train_for_env_steps=256))
    runner.run()
    ckpt_dir = tmp_path / "exp" / "checkpoint_p0"
    [previous_best] = list_checkpoints(ckpt_dir, "best")
    disk = _Disk()
    _install(monkeypatch, disk, how)
    disk.full = True
    runner.best_avg_return = float("-inf")  # the next check is an improvement: it writes
    assert runner.save_best_if_improved() is False  # issue 28: "stopping on RuntimeError" and a traceback
    assert periodic_save(runner) is False
    assert disk.refused >= 2
    assert any("could not write the best checkpoint (No space left on device)" in r.getMessage() for r in logged)
    assert list_checkpoints(ckpt_dir, "best") == [previous_best] and _no_temp_files(ckpt_dir)
    load_checkpoint(previous_best)
    disk.full = False  # space is back: the next check writes it
    assert runner.save_best_if_improved() is True
    [new_best] = list_checkpoints(ckpt_dir, "best")
    assert load_checkpoint(new_best)["best_avg_return"] == runner.best_avg_return
