"""Reading a faster-fifo queue whose lock was left held by a process that died.

faster-fifo (1.5.x) guards each queue with a plain process-shared pthread mutex, which is not robust: a process
killed while it holds it leaves the queue locked for good, and every later `put`/`get` on it, even a non-blocking
one or one with a timeout, blocks forever. The messages that were completely written before that stay readable in
the queue's shared memory. When the lock's owner is provably dead, nobody can change the queue any more, so this
module reads those messages without the lock. It relies on faster-fifo's `Queue` struct layout and glibc's mutex
layout, and checks both once (`salvage_supported()`); where the check fails, nothing is read and the caller counts
the queue's content as lost.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import struct
import threading
from functools import lru_cache
from typing import Any

log = logging.getLogger(__name__)

# faster-fifo's `struct Queue`: six size_t (max_size_bytes, maxsize, head, tail, size, num_elem), then
# pthread_mutexattr_t (4 bytes), then the pthread_mutex_t, aligned to 8
_HEAD_OFFSET, _SIZE_OFFSET, _MUTEX_OFFSET = 16, 32, 56
# glibc's pthread_mutex_t starts with `int __lock; unsigned int __count; int __owner;` (the owner's thread id)
_OWNER_OFFSET = _MUTEX_OFFSET + 8
_SIZE_T = struct.calcsize("N")


def lock_owner(q: Any) -> int:
    """Thread id of the thread that holds `q`'s lock (0 when free), read without taking the lock."""
    return ctypes.c_int.from_buffer(q.queue_obj_buffer, _OWNER_OFFSET).value


def owner_is_dead(tid: int) -> bool:
    """True when `tid` (a lock owner) is no running thread: the lock it holds will never be released."""
    return tid > 0 and not os.path.exists(f"/proc/{tid}")


@lru_cache(maxsize=1)
def salvage_supported() -> bool:
    """Check once, on a fresh queue, that the struct offsets above are those of the installed faster-fifo/glibc."""
    from sf_curric.algo.parallel.queues import make_queue

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        q = make_queue(4096)
        header_ok = ctypes.c_size_t.from_buffer(q.queue_obj_buffer, 0).value == 4096
        mutex = ctypes.addressof(q.queue_obj_buffer) + _MUTEX_OFFSET
        if not header_ok or lock_owner(q) != 0 or libc.pthread_mutex_trylock(ctypes.c_void_p(mutex)) != 0:
            return False
        try:
            owned = lock_owner(q) == threading.get_native_id()
        finally:
            libc.pthread_mutex_unlock(ctypes.c_void_p(mutex))
        q.put(b"probe")
        ok = owned and lock_owner(q) == 0 and read_unlocked(q) == [b"probe"]
    except (OSError, AttributeError, ValueError, TypeError):
        ok = False
    if not ok:
        log.warning("faster-fifo's queue layout is not the expected one: messages in a queue left locked by a dead "
                    "worker cannot be read and are counted as lost")  # fmt: skip
    return ok


def read_unlocked(q: Any) -> list[Any]:
    """Every complete message in `q`, read without its lock, in order. Only for a queue nobody else can touch (its
    lock owner is dead). A message cut short by the death of its writer is not returned."""
    header = q.queue_obj_buffer
    head = ctypes.c_size_t.from_buffer(header, _HEAD_OFFSET).value
    remaining = ctypes.c_size_t.from_buffer(header, _SIZE_OFFSET).value
    capacity = q.max_size_bytes
    data = memoryview(q.shared_memory).cast("B")

    def take(n: int) -> bytes:
        nonlocal head, remaining
        end = head + n
        chunk = bytes(data[head:end]) if end <= capacity else bytes(data[head:]) + bytes(data[: end - capacity])
        head, remaining = end % capacity, remaining - n
        return chunk

    out = []
    while remaining >= _SIZE_T:
        (msg_size,) = struct.unpack("N", take(_SIZE_T))
        if msg_size > remaining:
            break  # its writer died in the middle of it
        out.append(q.loads(take(msg_size)))
    return out
