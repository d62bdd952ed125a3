"""Timing helpers shared by the benchmarks: the best of a few runs (throughput), and every round's milliseconds
after a warm-up (latency percentiles)."""

from __future__ import annotations

import time
from typing import Callable


def best(fn: Callable[[], object], repeat: int) -> float:
    """Seconds of the fastest of `repeat` calls of `fn`: the least disturbed by the rest of a shared machine."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def timed(fn: Callable[[], object], rounds: int) -> list[float]:
    """Milliseconds of each of `rounds` calls of `fn`, after one untimed call that fills the caches."""
    fn()
    out = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out
