"""`TrainingInfoBoard`: the one channel of training info from the runner to every env, in every mode.

The runner's `_propagate_training_info()` publishes `{"approx_total_training_steps": ...}` on the board; each
`RolloutWorker` reads the board before every env reset and gives a newer info to that env (the first wrapper of its
chain implementing `TrainingInfoInterface`, envs/training_info.py). The board lives in shared memory, so the same
object serves the serial mode's worker and every worker process (a replaced process reads the latest info at its
first reset; nothing is resent). A reset costs one shared-memory read when nothing changed.

One writer (the runner's main thread) and any number of readers in any processes and threads: a seqlock (odd while
a write is in progress) lets readers retry a torn read without a lock between processes, as `SharedWeights` does.
"""

from __future__ import annotations

import pickle
from typing import Any

import torch

# pickled training info up to this size; bigger ones are refused with the fix named
DEFAULT_CAPACITY = 64 * 1024
_SEQ, _VERSION, _LENGTH = 0, 1, 2


class TrainingInfoBoard:
    """The newest training info and its version (0: none published yet), readable from any process.

    Args:
        capacity: bytes for the pickled info.

    Example:
        >>> board = TrainingInfoBoard()
        >>> board.publish({"approx_total_training_steps": 100})
        >>> board.version, board.read()
        (1, (1, {'approx_total_training_steps': 100}))
    """

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self._header = torch.zeros(3, dtype=torch.int64).share_memory_()
        self._data = torch.zeros(int(capacity), dtype=torch.uint8).share_memory_()
        self._attach()

    def _attach(self) -> None:
        self._header_np = self._header.numpy()
        self._data_np = self._data.numpy()

    def __getstate__(self) -> dict:
        return {"header": self._header, "data": self._data}

    def __setstate__(self, state: dict) -> None:
        self._header, self._data = state["header"], state["data"]
        self._attach()

    def publish(self, info: dict[str, Any]) -> None:
        """Make `info` the newest training info (one writer: the runner's main thread).

        Args:
            info: e.g. `{"approx_total_training_steps": 12345}`.
        """
        payload = pickle.dumps(dict(info), protocol=pickle.HIGHEST_PROTOCOL)
        if len(payload) > len(self._data_np):
            raise ValueError(
                f"training info of {len(payload)} bytes pickled does not fit the board's {len(self._data_np)}: "
                "send smaller values (numbers, short strings) in training info"
            )
        header = self._header_np
        header[_SEQ] += 1  # odd: a write is in progress
        self._data_np[: len(payload)] = memoryview(payload)
        header[_LENGTH] = len(payload)
        header[_VERSION] += 1
        header[_SEQ] += 1

    @property
    def version(self) -> int:
        """How many infos were published (one shared-memory read)."""
        return int(self._header_np[_VERSION])

    def read(self) -> tuple[int, dict[str, Any] | None]:
        """`(version, info)` of the newest training info (`(0, None)` before the first `publish`)."""
        header = self._header_np
        while True:
            seq = int(header[_SEQ])
            if seq % 2:
                continue  # the runner is writing: a few microseconds
            version, length = int(header[_VERSION]), int(header[_LENGTH])
            payload = self._data_np[:length].tobytes()
            if int(header[_SEQ]) == seq:
                return version, (pickle.loads(payload) if version else None)
