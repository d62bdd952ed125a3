"""The serving benchmark's queueing model (bench/bench_serve_load.py `fifo_p95`): what a first-come-first-served
server makes of the single-client service times when 16 clients send their searches in a closed loop — the figure
the benchmark prints beside the measured one, so it must be the closed loop's known arithmetic."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from bench_serve_load import fifo_p95  # noqa: E402


@pytest.mark.parametrize("clients, servers", [(16, 1), (16, 2), (8, 2), (16, 4)])
def test_equal_searches_each_wait_for_the_others_ahead_of_them(clients, servers):
    # Every search takes 10 ms: each waits for the clients ÷ servers − 1 searches ahead of it on its server.
    assert fifo_p95([10.0], clients, servers) == pytest.approx(10.0 * clients / servers)


def test_with_a_server_per_client_nobody_waits():
    times = [1.0, 2.0, 5.0, 40.0]
    assert fifo_p95(times, 4, 4) == pytest.approx(40.0)  # the p95 of the service times themselves


def test_a_mixed_load_waits_longer_at_its_p95_than_on_average_and_less_with_more_servers():
    # Little's law sets the mean latency at clients × mean service ÷ servers whatever the mix; the p95 lies above it
    # and below what waiting behind only the slowest searches would take.
    times = [1.0] * 60 + [30.0] * 40
    mean = sum(times) / len(times)
    p95_two, p95_four = fifo_p95(times, 16, 2), fifo_p95(times, 16, 4)
    assert 16 * mean / 2 < p95_two < 16 * 30.0 / 2
    assert p95_four < p95_two
