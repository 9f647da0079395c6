"""Checkpoint integrity: the SHA-256 written at save and checked at load, damaged files on resume, disk-full however
torch wraps it, and the temp files of cut-short writes."""

import errno
import hashlib
import logging
import os
import zipfile

import pytest
import torch

from sf_curric.utils.checkpoint import (
    DAMAGED_SUFFIX,
    CheckpointError,
    DamagedCheckpointError,
    list_checkpoints,
    load_checkpoint,
    load_newest_checkpoint,
    remove_orphan_temp_files,
    save_checkpoint,
    write_checkpoint_file,
)
from sf_curric.utils.checkpoint_integrity import verify_checksum
from sf_curric.version import __version__
from tests.faults.helpers import flip_bytes_inside_tensor, full_disk_at_write


def _state(value=1.0):
    return {"learner": {"w": torch.full((4096,), value), "exp_avg": torch.arange(512.0)}, "env_steps": 10}


def test_the_stored_digest_is_the_sha256_of_every_byte_before_it(tmp_path):
    path = write_checkpoint_file(_state(), tmp_path / "c.pth")
    raw = path.read_bytes()
    with zipfile.ZipFile(path) as archive:
        comment = archive.comment  # the zip's own comment field: a plain archive that any zip reader opens
        assert archive.testzip() is None
    assert comment.startswith(b"sf_curric-sha256:")
    assert comment[len(b"sf_curric-sha256:") :].decode() == hashlib.sha256(raw[: -len(comment)]).hexdigest()
    assert verify_checksum(path) is True
    assert load_checkpoint(path)["sf_curric_version"] == __version__


def test_a_flipped_tensor_byte_is_caught_where_torch_loads_it_silently(tmp_path):
    path = save_checkpoint(tmp_path, _state(), iteration=1, env_steps=10, keep=2)
    flip_bytes_inside_tensor(path)
    silently = torch.load(path, weights_only=True)  # why the check exists: torch checks no CRC
    assert not torch.equal(silently["learner"]["w"], torch.full((4096,), 1.0))
    with pytest.raises(DamagedCheckpointError) as e:
        load_checkpoint(path)
    message = str(e.value)
    assert "\n" not in message and str(path) in message and "SHA-256 does not match" in message


def test_files_written_without_a_digest_are_checked_by_their_zip_crcs(tmp_path):
    path = tmp_path / "checkpoint_000000001_10.pth"
    torch.save({**_state(), "sf_curric_version": "0.old"}, path)  # what sf_curric wrote before the digest
    assert verify_checksum(path) is False
    assert load_checkpoint(path)["env_steps"] == 10
    flip_bytes_inside_tensor(path)
    with pytest.raises(DamagedCheckpointError, match="CRC of its record .*data/0 does not match"):
        load_checkpoint(path)


def test_resume_moves_damaged_newest_aside_and_loads_the_newest_good_one(tmp_path, caplog):
    exp = tmp_path
    ckpt_dir = exp / "checkpoint_p0"
    for it in (1, 2, 3):
        save_checkpoint(ckpt_dir, _state(float(it)), iteration=it, env_steps=it * 10, keep=3)
    newest, middle = list_checkpoints(ckpt_dir)[-1], list_checkpoints(ckpt_dir)[-2]
    flip_bytes_inside_tensor(newest)
    middle.write_bytes(middle.read_bytes()[:1000])  # cut short
    with pytest.raises(DamagedCheckpointError):  # enjoy, eval, export: refused, nothing moved
        load_newest_checkpoint(exp)
    assert newest.exists()
    with caplog.at_level(logging.WARNING, logger="sf_curric"):
        path, state = load_newest_checkpoint(exp, skip_damaged=True)
    assert path.name == "checkpoint_000000001_10.pth" and float(state["learner"]["w"][0]) == 1.0
    assert sorted(p.name for p in ckpt_dir.iterdir()) == [
        "checkpoint_000000001_10.pth",
        "checkpoint_000000002_20.pth" + DAMAGED_SUFFIX,
        "checkpoint_000000003_30.pth" + DAMAGED_SUFFIX,
    ]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2 and all("damaged" in w and "resuming from" in w for w in warnings)


def test_resume_with_every_checkpoint_damaged_is_an_error_and_moves_nothing(tmp_path):
    ckpt_dir = tmp_path / "checkpoint_p0"
    path = save_checkpoint(ckpt_dir, _state(), iteration=1, env_steps=10, keep=2)
    flip_bytes_inside_tensor(path)
    with pytest.raises(CheckpointError, match="checkpoint_000000001_10.pth is damaged .*--restart_behavior=restart"):
        load_newest_checkpoint(tmp_path, skip_damaged=True)
    assert path.exists()  # a later resume must not start from scratch silently


@pytest.mark.parametrize("room", [0, 100, 3000, 20000])
def test_enospc_inside_torch_save_is_an_oserror_and_the_old_file_stays(tmp_path, monkeypatch, room):
    path = write_checkpoint_file(_state(7.0), tmp_path / "c.pth")
    left = [room]  # bytes the disk still takes

    def refuse(data):
        if len(data) > left[0]:
            return True
        left[0] -= len(data)
        return False

    full_disk_at_write(monkeypatch, refuse)
    with pytest.raises(OSError) as e:
        write_checkpoint_file(_state(8.0), path)
    assert e.value.errno == errno.ENOSPC  # not torch's "RuntimeError: unexpected pos"
    assert [p.name for p in tmp_path.iterdir()] == ["c.pth"]  # no temp file left
    assert float(load_checkpoint(path)["learner"]["w"][0]) == 7.0


def test_a_runtime_error_caused_by_enospc_is_reported_as_the_oserror(tmp_path, monkeypatch):
    def torch_save_like_torch_does(obj, f):
        try:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        except OSError:
            raise RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 704 vs 598") from None

    monkeypatch.setattr(torch, "save", torch_save_like_torch_does)
    with pytest.raises(OSError) as e:
        write_checkpoint_file(_state(), tmp_path / "c.pth")
    assert e.value.errno == errno.ENOSPC
    assert list(tmp_path.iterdir()) == []


def test_orphan_temp_files_of_cut_short_writes_are_removed_and_nothing_else(tmp_path):
    ckpt_dir = tmp_path / "checkpoint_p0"
    good = save_checkpoint(ckpt_dir, _state(), iteration=1, env_steps=10, keep=2)
    orphans = [
        ckpt_dir / ".checkpoint_000000002_20.pth.k2j3h4g5.tmp",
        ckpt_dir / ".best_000000002_20_return_3.000.pth.abcdefgh.tmp",
    ]
    mine = [ckpt_dir / "notes.tmp", ckpt_dir / ".hidden.tmp", ckpt_dir / "checkpoint_000000002_20.pth.damaged"]
    for p in orphans + mine:
        p.write_bytes(b"x" * 100)
    assert sorted(remove_orphan_temp_files(ckpt_dir)) == sorted(orphans)
    assert good.exists() and all(p.exists() for p in mine) and not any(p.exists() for p in orphans)
