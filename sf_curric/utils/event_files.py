"""Read the scalars back from tensorboard event files with tensorboardX's own protobufs (a core dependency), so
that `sf_curric.report` does not need the `tensorboard` package (its server and gRPC stack, 0.06 GB) to read them.

An event file is a sequence of records: an 8-byte little-endian length, a 4-byte CRC of it, the serialized
`Event`, a 4-byte CRC of that. A run killed while writing leaves a cut last record, which is skipped.
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

    data = Path(path).read_bytes()
    pos = 0
    while pos + 12 <= len(data):
        (length,) = struct.unpack("<Q", data[pos : pos + 8])
        if pos + 12 + length + 4 > len(data):
            return  # a record cut by a kill: the events before it are whole
        event = event_pb2.Event()
        event.ParseFromString(data[pos + 12 : pos + 12 + length])
        pos += 12 + length + 4
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
