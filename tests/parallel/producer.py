"""A queue producer for the back-pressure test; imports no torch so that its process starts fast."""

from sf_curric.algo.parallel.queues import put_blocking


def produce(q, n: int) -> None:
    """Put `n` numbered messages on `q`, blocking whenever it is full."""
    for i in range(n):
        put_blocking(q, ("msg", i, "x" * 50), lambda: False)
