"""A Fenwick (binary indexed) tree of two exact integer sums, for O(log n) staleness-proportional draws."""

from __future__ import annotations

from typing import List

import numpy as np


class StalenessTree:
    """Draws index i with probability proportional to `seen[i] * (now - last[i])` in O(log n).

    Staleness grows by one for every task at every draw, so instead of storing it the tree stores, over seen
    tasks, the count (`seen`) and the sum of `last`; the staleness mass of any range is then
    `now * count - sum_last`. Python ints keep every sum exact.

    Args:
        seen: bool array, tasks that take part.
        last: int array, draw counter at each task's last draw.
    """

    def __init__(self, seen: np.ndarray, last: np.ndarray) -> None:
        n = len(seen)
        self.n = n
        self._count: List[int] = [0] * (n + 1)
        self._last: List[int] = [0] * (n + 1)
        counts = seen.astype(np.int64)
        lasts = np.where(seen, last, 0).astype(np.int64)
        # O(n) build: each node adds itself to its parent
        for i, (c, s) in enumerate(zip(counts.tolist(), lasts.tolist()), start=1):
            self._count[i] += c
            self._last[i] += s
            parent = i + (i & -i)
            if parent <= n:
                self._count[parent] += self._count[i]
                self._last[parent] += self._last[i]
        self.total_count = int(counts.sum())
        self.total_last = int(lasts.sum())
        self._top = 1 << (n.bit_length() - 1) if n else 0

    def add(self, index: int, count: int, last: int) -> None:
        """Add `count` to the count and `last` to the last-sum of task `index`."""
        self.total_count += count
        self.total_last += last
        i = index + 1
        n, counts, lasts = self.n, self._count, self._last
        while i <= n:
            counts[i] += count
            lasts[i] += last
            i += i & -i

    def total(self, now: int) -> int:
        """Total staleness mass at draw counter `now`."""
        return now * self.total_count - self.total_last

    def find(self, now: int, target: float) -> int:
        """Smallest index whose cumulative staleness mass exceeds `target` (0 <= target < total(now))."""
        pos, step = 0, self._top
        counts, lasts, n = self._count, self._last, self.n
        while step:
            nxt = pos + step
            if nxt <= n:
                mass = now * counts[nxt] - lasts[nxt]
                if mass <= target:
                    pos = nxt
                    target -= mass
            step >>= 1
        return min(pos, n - 1)
