"""Timing helpers: per-phase time accounting and a windowed rate (FPS) meter."""

from __future__ import annotations

import time
from collections import defaultdict, deque
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator


class PhaseTimer:
    """Accumulates wall time per phase (env step, inference, learning, ...).

    Example:
        >>> timer = PhaseTimer()
        >>> with timer.time("learn"):
        ...     pass
        >>> sorted(timer.totals)
        ['learn']
    """

    def __init__(self) -> None:
        self.totals: dict[str, float] = defaultdict(float)

    @contextmanager
    def time(self, phase: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.totals[phase] += time.perf_counter() - start

    def add(self, phase: str, seconds: float) -> None:
        """Add `seconds` to `phase` (for code timed by hand).

        Args:
            phase: phase name.
            seconds: elapsed time.
        """
        self.totals[phase] += seconds

    def summary(self) -> str:
        """One line: each phase's seconds and share of the timed total."""
        total = sum(self.totals.values()) or 1.0
        parts = [f"{name}: {sec:.1f}s ({100 * sec / total:.0f}%)" for name, sec in sorted(self.totals.items())]
        return ", ".join(parts)


class RateMeter:
    """Rate of a growing counter over a sliding time window (e.g. env steps -> FPS over the last 10 s).

    Example:
        >>> meter = RateMeter(window_sec=10.0)
        >>> meter.record(0, now=0.0); meter.record(500, now=1.0)
        >>> meter.rate()
        500.0
    """

    def __init__(self, window_sec: float = 10.0) -> None:
        self.window_sec = window_sec
        self._points: deque[tuple[float, int]] = deque()

    def record(self, count: int, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        self._points.append((now, count))
        while len(self._points) > 2 and now - self._points[1][0] >= self.window_sec:
            self._points.popleft()

    def rate(self) -> float:
        if len(self._points) < 2:
            return 0.0
        (t0, c0), (t1, c1) = self._points[0], self._points[-1]
        return (c1 - c0) / (t1 - t0) if t1 > t0 else 0.0


class SummaryClock:
    """When the next summary is due: every `interval_sec` seconds or every `every_env_steps` env steps, whichever
    comes first (a short, fast run gets points along its curve, not only its first and last).

    Args:
        interval_sec: seconds between two summaries.
        every_env_steps: env steps between two summaries (0: a hundredth of `budget_env_steps`).
        budget_env_steps: the run's env-step budget.

    Example:
        >>> clock = SummaryClock(10.0, 0, budget_env_steps=300_000)
        >>> clock.every_env_steps
        3000
        >>> clock.mark(now=0.0, env_steps=0); clock.due(now=1.0, env_steps=3000)
        True
    """

    def __init__(self, interval_sec: float, every_env_steps: int, budget_env_steps: int) -> None:
        self.interval_sec = interval_sec
        self.every_env_steps = int(every_env_steps) or max(1, int(budget_env_steps) // 100)
        self._last_time = float("-inf")
        self._last_steps = 0

    def due(self, now: float, env_steps: int) -> bool:
        """True when a summary is due at time `now` (monotonic seconds) after `env_steps` env steps."""
        return now - self._last_time >= self.interval_sec or env_steps - self._last_steps >= self.every_env_steps

    def mark(self, now: float, env_steps: int) -> None:
        """A summary was written at `now`, after `env_steps` env steps."""
        self._last_time, self._last_steps = now, env_steps


@dataclass
class LoopClock:
    """When a training loop last did each periodic thing (monotonic seconds, from `start`), and when its run was
    solved (`sf_curric.algo.runner.Runner`)."""

    start: float
    summaries: SummaryClock
    last_progress: float = field(init=False)
    last_info: float = field(init=False)
    last_save: float = field(init=False)
    last_best: float = field(init=False)
    last_milestone: float = field(init=False)
    solved_steps: int | None = None
    solved_seconds: float | None = None

    def __post_init__(self) -> None:
        self.last_progress = self.last_info = self.last_save = self.last_best = self.last_milestone = self.start
