"""Checkpoint integrity: a SHA-256 of each checkpoint file, written at save and verified before it is loaded, and
disk errors seen however torch wraps them.

`torch.save` writes a zip archive, and `torch.load` checks none of its CRCs: a damaged byte inside a tensor loads
silently (an Adam moment off by 3e7 in issue 28). So the file's SHA-256 goes into the archive's own comment field
(the last bytes of the file, after the zip's end record): one file, still a plain zip that torch, `zipfile` and
`unzip` read, and the digest covers every byte before the comment. Files written before this have no digest; for
them the zip's per-record CRC-32s (which torch writes) are checked instead.

A write that fails inside `torch.save` (ENOSPC) reaches the caller as torch's `RuntimeError: ... unexpected pos`;
the writer here records the `OSError` at the write and raises it instead, so callers handle one exception type.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from pathlib import Path
from typing import Any, BinaryIO

import torch

_MARK = b"sf_curric-sha256:"
_COMMENT_LEN = len(_MARK) + 64  # the mark and the hex digest
_END_RECORD = b"PK\x05\x06"  # zip "end of central directory" signature
_END_RECORD_LEN = 22  # without its comment
_CHUNK = 1 << 20


class DamagedFileError(ValueError):
    """The file's bytes are not the bytes that were saved (the message says what did not match)."""


class _HashingWriter:
    """What `torch.save` writes to: forwards the bytes to `raw` and hashes them, holding back the last 22 bytes (the
    zip's end record, whose comment length is set in `finish` before it is hashed and written). An `OSError` of a
    write is kept in `error` (torch replaces it by a RuntimeError)."""

    def __init__(self, raw: BinaryIO):
        self.raw = raw
        self.sha = hashlib.sha256()
        self.tail = b""
        self.error: OSError | None = None

    def _emit(self, chunk: bytes | memoryview) -> None:
        self.sha.update(chunk)
        try:
            self.raw.write(chunk)
        except OSError as e:
            self.error = e
            raise

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        size = len(view)
        if size >= _END_RECORD_LEN:
            if self.tail:
                self._emit(self.tail)
            self._emit(view[:-_END_RECORD_LEN])
            self.tail = bytes(view[-_END_RECORD_LEN:])
        else:
            joined = self.tail + bytes(view)
            if len(joined) > _END_RECORD_LEN:
                self._emit(joined[:-_END_RECORD_LEN])
            self.tail = joined[-_END_RECORD_LEN:]
        return size

    def flush(self) -> None:
        self.raw.flush()

    def finish(self) -> None:
        """Write the end record with the digest as its comment (or plain, when torch wrote no bare end record)."""
        end = bytearray(self.tail)
        if len(end) != _END_RECORD_LEN or end[:4] != _END_RECORD or end[20:22] != b"\x00\x00":
            self._emit(bytes(end))  # not the layout we know: a file without digest (its CRCs are still checked)
            return
        end[20:22] = _COMMENT_LEN.to_bytes(2, "little")
        self._emit(bytes(end))
        comment = _MARK + self.sha.hexdigest().encode()
        try:
            self.raw.write(comment)
        except OSError as e:
            self.error = e
            raise


def disk_error(error: BaseException) -> OSError | None:
    """The `OSError` behind `error` (itself, or its cause/context chain), or None: torch reports a failed write as
    a RuntimeError whose context is the OSError.

    Args:
        error: the exception raised by a save.
    """
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, OSError):
            return error
        error = error.__cause__ or error.__context__
        seen += 1
    return None


def save_with_checksum(state: dict[str, Any], f: BinaryIO) -> None:
    """`torch.save(state, f)` with the SHA-256 of the file as the zip's comment.

    Args:
        state: what to save.
        f: a binary file open for writing, at position 0.

    Raises:
        OSError: a write failed (ENOSPC, EIO), however torch reported it.
    """
    writer = _HashingWriter(f)
    try:
        torch.save(state, writer)
        writer.finish()
    except Exception as e:
        found = writer.error or disk_error(e)
        if found is not None and found is not e:
            raise found from None
        raise


def _stored_digest(f: BinaryIO, size: int) -> bytes | None:
    if size < _END_RECORD_LEN + _COMMENT_LEN:
        return None
    f.seek(size - _END_RECORD_LEN - _COMMENT_LEN)
    end = f.read()
    if (
        end[:4] != _END_RECORD
        or end[20:22] != _COMMENT_LEN.to_bytes(2, "little")
        or end[_END_RECORD_LEN : _END_RECORD_LEN + len(_MARK)] != _MARK
    ):
        return None
    return end[_END_RECORD_LEN + len(_MARK) :]


def verify_checksum(path: Path | str) -> bool:
    """Check a checkpoint's bytes against its SHA-256 (or, for a file written without one, its zip CRCs).

    Args:
        path: the file.

    Returns:
        True when a SHA-256 was checked, False when only the CRCs were (an older file).

    Raises:
        DamagedFileError: the bytes do not match (one line saying what).
        OSError: the file cannot be read.
    """
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        expected = _stored_digest(f, size)
        if expected is not None:
            sha = hashlib.sha256()
            f.seek(0)
            remaining = size - _COMMENT_LEN
            while remaining > 0:
                chunk = f.read(min(_CHUNK, remaining))
                if not chunk:
                    break
                sha.update(chunk)
                remaining -= len(chunk)
            if sha.hexdigest().encode() != expected:
                raise DamagedFileError("its SHA-256 does not match the one written at save")
            return True
    try:
        with zipfile.ZipFile(path) as archive:
            bad = archive.testzip()
    except (zipfile.BadZipFile, EOFError, ValueError) as e:
        raise DamagedFileError(f"not a readable zip archive ({e})") from None
    if bad is not None:
        raise DamagedFileError(f"the CRC of its record {bad} does not match")
    return False
