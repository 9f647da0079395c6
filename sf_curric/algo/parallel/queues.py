"""faster-fifo queues with back pressure: a full queue blocks the sender, nothing is ever dropped."""

import pickle
import queue
from typing import Any, Callable, List

from faster_fifo import Queue

# Room for many episode summaries per message; a message never needs more than a fraction of this.
DEFAULT_QUEUE_BYTES = 8 * 1024 * 1024


def make_queue(max_size_bytes: int = DEFAULT_QUEUE_BYTES) -> Queue:
    """A multi-process FIFO queue (faster-fifo) that holds up to `max_size_bytes` of pickled messages."""
    return Queue(max_size_bytes=max_size_bytes)


class QueueStopped(Exception):
    """Raised by a blocking queue operation when the stop flag was set while it waited."""


def put_blocking(q: Queue, msg: Any, should_stop: Callable[[], bool], poll_s: float = 0.1) -> None:
    """Put `msg` on `q`, waiting for as long as the queue is full (back pressure, never a drop).

    Args:
        q: the queue.
        msg: a picklable message.
        should_stop: called between waits; when it returns True, `QueueStopped` is raised.
        poll_s: seconds per wait.

    Raises:
        QueueStopped: the stop flag was set while the queue was full.
        ValueError: the message is larger than the whole queue and could never fit.
    """
    checked_size = False
    while True:
        try:
            q.put(msg, block=True, timeout=poll_s)
            return
        except queue.Full:
            if not checked_size:
                checked_size = True
                size = len(pickle.dumps(msg))
                if size > q.max_size_bytes:
                    raise ValueError(
                        f"a {type(msg).__name__} message of {size} bytes does not fit in its queue; "
                        "report fewer/smaller items per message (e.g. smaller episode_extra_stats)"
                    ) from None
            if should_stop():
                raise QueueStopped() from None


def get_many_blocking(q: Queue, should_stop: Callable[[], bool], poll_s: float = 0.1) -> List[Any]:
    """Wait until at least one message is available and return all that are (at least one).

    Raises:
        QueueStopped: the stop flag was set while the queue was empty.
    """
    while True:
        try:
            return q.get_many(block=True, timeout=poll_s)
        except queue.Empty:
            if should_stop():
                raise QueueStopped() from None


def get_all_nowait(q: Queue) -> List[Any]:
    """All messages currently in `q` (possibly none), without waiting."""
    try:
        return q.get_many(block=False)
    except queue.Empty:
        return []
