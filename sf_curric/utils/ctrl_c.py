"""Ctrl-C as a request to stop at the next safe point, for loops that own the main thread (enjoy).

Python's default SIGINT handler raises KeyboardInterrupt wherever the main thread happens to be, and C code that
runs Python callbacks and clears their errors (attribute probes, finalizers) can swallow it: the program then plays
on. A handler that only sets a flag cannot be lost; the loop checks the flag once per step. A second Ctrl-C raises
KeyboardInterrupt as usual, for a loop stuck inside an env.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def ctrl_c_requests() -> Iterator[threading.Event]:
    """Within the block, the first SIGINT sets the yielded event; the previous handler is restored on exit.

    Outside the main thread (where handlers cannot be installed) the event is never set and SIGINT keeps its
    handler.
    """
    requested = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield requested
        return

    def on_sigint(signum: int, frame: object) -> None:
        if requested.is_set():
            raise KeyboardInterrupt
        requested.set()

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield requested
    finally:
        signal.signal(signal.SIGINT, previous)
