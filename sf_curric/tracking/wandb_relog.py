"""Why a hard kill loses an offline wandb run's last rows, and how a resumed run puts them back.

wandb's service process (wandb-core) writes a run's transaction log `run-<id>.wandb` in the LevelDB log format and
keeps the current 32 KiB block in memory until the block is full or the run finishes (wandb's
`core/pkg/leveldb/record.go`: `Writer.writeBlock` runs only for a full block, `writePending` only in `Close`/`Flush`;
`core/internal/stream/writer.go` never flushes). A kill -9 of the training process ends the service too, so every
row since the last full block is lost: a short run keeps only the log's 7-byte header (issue 28: 184k env steps
after 15 s). wandb offers no call that writes the block out.

So a resumed `--with_wandb` run in offline mode re-logs, from the experiment's tensorboard files (flushed every
second), every scalar row after the last row that the earlier sessions' logs hold, up to the env step of the
checkpoint it resumes from (the resumed session logs the steps after that itself). Images, histograms and videos
are not re-logged. Online runs are left alone: their rows were sent to the server as they were logged.
"""

from __future__ import annotations

import json
import logging
import struct
import zlib
from pathlib import Path
from typing import Any

log = logging.getLogger("sf_curric")

_BLOCK = 32768
_HEADER = 7  # ":W&B", magic (2 bytes), version (1 byte)
_FULL, _FIRST, _MIDDLE, _LAST = 1, 2, 3, 4


def read_log_records(data: bytes) -> list[bytes]:
    """The complete records of a wandb transaction log (LevelDB log format); reading stops at a chunk that is cut
    short or whose CRC-32 does not match (the end of what a killed service wrote).

    Args:
        data: the bytes of a `run-<id>.wandb` file.
    """
    if data[:4] != b":W&B":
        return []
    records, pending, pos = [], b"", _HEADER
    while pos + 7 <= len(data):
        left = _BLOCK - pos % _BLOCK
        if left < 7:  # the block's trailer is padding
            pos += left
            continue
        crc, length, kind = struct.unpack("<IHB", data[pos : pos + 7])
        if kind == 0 and length == 0:  # zeros: padding up to the next block
            pos += left
            continue
        chunk = data[pos + 7 : pos + 7 + length]
        if len(chunk) < length or zlib.crc32(bytes([kind]) + chunk) != crc:
            break
        pos += 7 + length
        if kind == _FULL:
            records.append(chunk)
        elif kind == _FIRST:
            pending = chunk
        elif kind == _MIDDLE:
            pending += chunk
        elif kind == _LAST:
            records.append(pending + chunk)
    return records


def last_logged_step(run_logs: list[Path], step_key: str) -> int:
    """The largest `step_key` value of any history row in these transaction logs (-1 when there is none).

    Args:
        run_logs: `run-<id>.wandb` files.
        step_key: the step column, e.g. "global_step".
    """
    from wandb.proto import wandb_internal_pb2

    last = -1
    for path in run_logs:
        for raw in read_log_records(path.read_bytes()):
            record = wandb_internal_pb2.Record()
            try:
                record.ParseFromString(raw)
            except Exception:  # noqa: BLE001 - a record we cannot parse holds no row we can use
                continue
            if record.WhichOneof("record_type") != "history":
                continue
            for item in record.history.item:
                if item.key == step_key:
                    last = max(last, int(json.loads(item.value_json)))
    return last


def relog_lost_rows(run: Any, exp_dir: Path, this_session_dir: Path, upto_step: int, step_key: str) -> int:
    """Re-log to an offline wandb run the tensorboard scalar rows its earlier sessions' logs lack (see module doc).

    Args:
        run: the wandb run (resumed).
        exp_dir: the experiment folder (`wandb/` and `tensorboard/` in it).
        this_session_dir: this session's wandb run folder (left out: it holds nothing yet).
        upto_step: the env step of the checkpoint this session resumes from.
        step_key: the step column.

    Returns:
        The number of rows re-logged.
    """
    from sf_curric.utils.event_files import read_scalars

    earlier = [p for p in sorted((exp_dir / "wandb").glob("*run-*/run-*.wandb")) if p.parent != this_session_dir]
    after = last_logged_step(earlier, step_key)
    rows: dict[int, dict[str, float]] = {}
    for tag, points in read_scalars(exp_dir / "tensorboard").items():
        for step, value in points.items():
            if after < step <= upto_step:
                rows.setdefault(step, {})[tag] = value
    for step in sorted(rows):
        run.log({**rows[step], step_key: step})
    if rows:
        log.info(
            "wandb: re-logged %d rows (env steps %d-%d) from tensorboard that the earlier session's offline log lost "
            "(a hard kill loses wandb's unwritten buffer: docs/tracking.md)",
            len(rows),
            min(rows),
            max(rows),
        )
    return len(rows)
