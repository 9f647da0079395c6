"""Read the scalars back from tensorboard event files with tensorboardX's own protobufs (a core dependency), so
that `sf_curric.report` does not need the `tensorboard` package (its server and gRPC stack, 0.06 GB) to read them.

An event file is a sequence of TFRecords: an 8-byte little-endian length, its masked CRC-32C, the serialized
`Event`, the masked CRC-32C of that. A record cut short by a kill, or whose length does not match its CRC, ends the
file's reading (nothing after it can be framed); a record whose payload CRC does not match is skipped. The same
reader serves the report and `--with_wandb`'s re-logging after a hard kill (`sf_curric.tracking.wandb_relog`).
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any, Iterator


def summary_values(path: Path | str) -> Iterator[tuple[int, Any]]:
    """`(step, Summary.Value)` of every summary value in one event file (scalars, images, ...), in file order.

    Args:
        path: an `events.out.tfevents.*` file.
    """
    from tensorboardX.proto import event_pb2
    from tensorboardX.record_writer import masked_crc32c

    data = Path(path).read_bytes()
    pos = 0
    while pos + 12 <= len(data):
        header = data[pos : pos + 8]
        (length,) = struct.unpack("<Q", header)
        (header_crc,) = struct.unpack("<I", data[pos + 8 : pos + 12])
        end = pos + 12 + length + 4
        if header_crc != masked_crc32c(header) or end > len(data):
            return  # a damaged or cut-short record: the events before it are whole
        payload = data[pos + 12 : end - 4]
        pos = end
        if struct.unpack("<I", data[end - 4 : end])[0] != masked_crc32c(payload):
            continue  # a damaged payload: skip this event
        event = event_pb2.Event()
        event.ParseFromString(payload)
        for value in event.summary.value:
            yield int(event.step), value


def scalar_events(path: Path | str) -> Iterator[tuple[str, int, float]]:
    """`(tag, step, value)` of every scalar in one event file, in file order.

    Args:
        path: an `events.out.tfevents.*` file.
    """
    for step, value in summary_values(path):
        if value.WhichOneof("value") == "simple_value":
            yield value.tag, step, float(value.simple_value)


def read_scalars(event_dir: Path | str) -> dict[str, dict[int, float]]:
    """Every scalar tag of the event files in `event_dir` (oldest file first, so a resumed session's value of a
    step wins): tag -> {step: value}.

    Args:
        event_dir: a folder of `events.out.tfevents.*` files.
    """
    merged: dict[str, dict[int, float]] = {}
    for path in sorted(Path(event_dir).glob("events.out.tfevents.*")):  # the name starts with the time
        for tag, step, value in scalar_events(path):
            merged.setdefault(tag, {})[step] = value
    return merged
