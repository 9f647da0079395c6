"""Shared memory that each sync object owns alone, so that it can travel inside cloudpickled env factories.

gymnasium's `AsyncVectorEnv` and SB3's `SubprocVecEnv` send env factories to spawned/forkserver workers with
cloudpickle, which does not know multiprocessing's reducers for shared memory; faster-fifo queues built on
`multiprocessing.RawArray` then fail to pickle ("cannot pickle 'mmap.mmap' object"). The objects here keep their
memory in a private `multiprocessing.heap.Arena` (a /dev/shm file unlinked at once, passed to children as a file
descriptor) and pickle that arena with multiprocessing's own pickler inside their reduction. One arena per object
means each descriptor is passed once per child, and nothing is left in /dev/shm when the processes exit.
"""

from __future__ import annotations

import ctypes
from multiprocessing.heap import Arena
from multiprocessing.reduction import ForkingPickler
from typing import Any

from faster_fifo import Queue

_ALIGN = 64


def _aligned(n: int) -> int:
    return (n + _ALIGN - 1) // _ALIGN * _ALIGN


def _rebuild_block(payload: bytes) -> SharedBlock:
    block = SharedBlock.__new__(SharedBlock)
    block._arena = ForkingPickler.loads(payload)
    return block


class SharedBlock:
    """A block of shared memory in its own arena; picklable (by any pickler) while a child process starts.

    Args:
        nbytes: size of the block.
    """

    def __init__(self, nbytes: int) -> None:
        self._arena = Arena(max(1, nbytes))

    @property
    def buffer(self) -> Any:
        """The mapped memory (an mmap)."""
        return self._arena.buffer

    def __reduce__(self) -> tuple:
        return _rebuild_block, (bytes(ForkingPickler.dumps(self._arena)),)


class ShareableQueue(Queue):
    """A faster-fifo queue whose memory lives in its own `SharedBlock` (see the module docstring).

    Args:
        max_size_bytes: capacity of the queue.
    """

    _VIEWS = ("queue_obj_buffer", "shared_memory", "closed")

    def __init__(self, max_size_bytes: int) -> None:
        super().__init__(max_size_bytes=max_size_bytes)
        initialized = bytes(self.queue_obj_buffer)  # mutex, condition variables and counters set up by faster-fifo
        self._obj_size = len(initialized)
        self._data_offset = _aligned(self._obj_size)
        self._closed_offset = self._data_offset + _aligned(max_size_bytes)
        self._block = SharedBlock(self._closed_offset + _ALIGN)
        self._attach()
        # a never-used process-shared mutex/condition is plain data: copying it gives a valid one
        ctypes.memmove(self.queue_obj_buffer, initialized, self._obj_size)

    def _attach(self) -> None:
        buf = self._block.buffer
        self.queue_obj_buffer = (ctypes.c_ubyte * self._obj_size).from_buffer(buf, 0)
        self.shared_memory = (ctypes.c_ubyte * self.max_size_bytes).from_buffer(buf, self._data_offset)
        self.closed = ctypes.c_bool.from_buffer(buf, self._closed_offset)

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k not in self._VIEWS}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._attach()
