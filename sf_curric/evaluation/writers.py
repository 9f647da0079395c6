"""JSON and CSV files of an evaluation, written atomically (temp file then rename).

Non-finite floats (nan, inf: e.g. the interval of a group with one episode) are written as JSON `null` and as an
empty CSV cell, so every file parses with standard readers.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np


def jsonable(value: Any) -> Any:
    """`value` with numpy scalars/arrays turned into Python values and non-finite floats into None.

    Args:
        value: nested dicts, lists, tuples, numbers, strings.
    """
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, str):
        return value
    return repr(value)


def _atomic_write_text(path: Path, text: str) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", newline="") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def write_json(path: Path | str, data: Any) -> Path:
    """Write `data` as indented JSON (strict: no NaN tokens).

    Args:
        path: the file.
        data: what to write (passed through `jsonable`).
    """
    return _atomic_write_text(Path(path), json.dumps(jsonable(data), indent=2, allow_nan=False) + "\n")


def _cell(value: Any) -> Any:
    value = jsonable(value)
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return value


def write_csv(path: Path | str, rows: Iterable[dict[str, Any]], columns: Sequence[str]) -> Path:
    """Write `rows` as CSV with a header line of `columns` (missing keys: empty cells).

    Args:
        path: the file.
        rows: one dict per line.
        columns: the column names, in order.
    """
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: _cell(row.get(key)) for key in columns})
    return _atomic_write_text(Path(path), buffer.getvalue())
