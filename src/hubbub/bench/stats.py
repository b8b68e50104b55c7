"""Counting for benchmarks: latency percentiles, loss, rates. Pure functions."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


def percentile(sorted_values: Sequence[float], fraction: float) -> float | None:
    """The nearest-rank percentile of already sorted values (None when empty)."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


@dataclass(frozen=True, slots=True)
class LatencySummary:
    """Latency percentiles in milliseconds; None when there was no sample
    (nothing arrived): "n/a", not a latency of zero."""

    count: int
    p50_ms: float | None
    p90_ms: float | None
    p99_ms: float | None
    max_ms: float | None

    @classmethod
    def of(cls, samples_ms: Iterable[float]) -> LatencySummary:
        """Summarise samples (any order)."""
        ordered = sorted(samples_ms)
        return cls(
            count=len(ordered),
            p50_ms=percentile(ordered, 0.50),
            p90_ms=percentile(ordered, 0.90),
            p99_ms=percentile(ordered, 0.99),
            max_ms=ordered[-1] if ordered else None,
        )


@dataclass(frozen=True, slots=True)
class Loss:
    """Deliveries expected against deliveries received."""

    expected: int
    received: int

    @property
    def lost(self) -> int:
        """Deliveries that never arrived (never negative)."""
        return max(0, self.expected - self.received)

    @property
    def fraction(self) -> float:
        """Lost share of the expected deliveries."""
        return self.lost / self.expected if self.expected else 0.0


def per_second(count: float, seconds: float) -> float:
    """A rate, 0.0 for an empty window."""
    return count / seconds if seconds > 0 else 0.0


def micros_per(cpu_seconds: float, count: int) -> float:
    """CPU microseconds per unit of work (0.0 when nothing was done)."""
    return cpu_seconds * 1e6 / count if count else 0.0


class SampleReservoir:
    """At most `capacity` latency samples (every k-th once full): bounded memory."""

    def __init__(self, capacity: int = 200_000) -> None:
        self.capacity = capacity
        self.samples: list[float] = []
        self._stride = 1
        self._seen = 0

    def clear(self) -> None:
        """Forget every sample and start again at full intake."""
        self.samples = []
        self._stride = 1
        self._seen = 0

    def add(self, value: float) -> None:
        """Offer one sample."""
        self._seen += 1
        if self._seen % self._stride:
            return
        self.samples.append(value)
        if len(self.samples) >= self.capacity:
            # Thin out: keep every other sample and halve the intake from now on.
            self.samples = self.samples[::2]
            self._stride *= 2
