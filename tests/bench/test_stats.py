"""Benchmark accounting: percentiles, loss, rates, bounded samples (bench/stats.py)."""

from __future__ import annotations

import pytest

from hubbub.bench.stats import (
    LatencySummary,
    Loss,
    SampleReservoir,
    micros_per,
    per_second,
    percentile,
)


def test_percentile_uses_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.50) == 50.0
    assert percentile(values, 0.99) == 99.0
    assert percentile(values, 1.0) == 100.0
    assert percentile([], 0.5) is None


def test_latency_summary_sorts_its_samples() -> None:
    summary = LatencySummary.of([5.0, 1.0, 3.0, 2.0, 4.0])
    assert (summary.count, summary.p50_ms, summary.max_ms) == (5, 3.0, 5.0)


def test_latency_of_nothing_is_not_zero_but_unknown() -> None:
    # Printed "n/a" and written as JSON null, not as a latency of 0 ms.
    summary = LatencySummary.of([])
    assert summary == LatencySummary(0, None, None, None, None)


def test_loss_counts_missing_deliveries_and_never_goes_negative() -> None:
    assert Loss(expected=100, received=97).lost == 3
    assert Loss(expected=100, received=97).fraction == pytest.approx(0.03)
    assert Loss(expected=10, received=12).lost == 0
    assert Loss(expected=0, received=0).fraction == 0.0


def test_rates_handle_empty_windows() -> None:
    assert per_second(100, 2.0) == 50.0
    assert per_second(100, 0.0) == 0.0
    assert micros_per(0.5, 1_000_000) == pytest.approx(0.5)
    assert micros_per(1.0, 0) == 0.0


def test_reservoir_memory_stays_bounded() -> None:
    reservoir = SampleReservoir(capacity=100)
    for value in range(100_000):
        reservoir.add(float(value))
    assert len(reservoir.samples) < 100
    # Thinning keeps samples spread over the whole run, not just the start.
    assert max(reservoir.samples) > 90_000


def test_a_cleared_reservoir_starts_again_at_full_intake() -> None:
    reservoir = SampleReservoir(capacity=10)
    for value in range(1000):
        reservoir.add(float(value))
    reservoir.clear()
    for value in range(5):
        reservoir.add(float(value))
    assert reservoir.samples == [0.0, 1.0, 2.0, 3.0, 4.0]
