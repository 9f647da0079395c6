"""Read the scalars back from a run's tensorboard event files with tensorboardX alone (a core dependency), so that
`--with_wandb` can re-log them without the `report` extra's tensorboard package.

The files are TFRecords: an 8-byte length, its masked CRC-32C, an `Event` protobuf, its masked CRC-32C. A record cut
short by a kill ends the file's reading; a record whose CRC does not match is skipped.
"""

from __future__ import annotations

import struct
from pathlib import Path

from tensorboardX.proto import event_pb2
from tensorboardX.record_writer import masked_crc32c


def _records(data: bytes):
    pos = 0
    while pos + 12 <= len(data):
        header = data[pos : pos + 8]
        (length,) = struct.unpack("<Q", header)
        (header_crc,) = struct.unpack("<I", data[pos + 8 : pos + 12])
        end = pos + 12 + length + 4
        if header_crc != masked_crc32c(header) or end > len(data):
            return  # a damaged or cut-short record: nothing after it can be framed
        payload = data[pos + 12 : pos + 12 + length]
        (payload_crc,) = struct.unpack("<I", data[end - 4 : end])
        if payload_crc == masked_crc32c(payload):
            yield payload
        pos = end


def read_scalars(folder: Path | str) -> dict[str, dict[int, float]]:
    """tag -> {step: value} of every scalar in the event files of `folder`, oldest file first (a later file's value
    of a step wins, as a resumed session's does).

    Args:
        folder: a tensorboard folder (`<experiment>/tensorboard`).
    """
    scalars: dict[str, dict[int, float]] = {}
    for path in sorted(Path(folder).glob("events.out.tfevents.*")):  # the name starts with the time
        for payload in _records(path.read_bytes()):
            event = event_pb2.Event()
            event.ParseFromString(payload)
            for value in event.summary.value:
                if value.HasField("simple_value"):
                    scalars.setdefault(value.tag, {})[int(event.step)] = float(value.simple_value)
    return scalars
