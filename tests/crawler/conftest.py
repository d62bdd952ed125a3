"""Crawler test fixtures: the replica served on 127.0.0.1 and a fresh database per test."""

from __future__ import annotations

import pytest
from run_helpers import crawl_db  # noqa: F401 (the fixture)

from crawler.replica.server import serving
from crawler.replica.site import ReplicaOptions, ReplicaSite


@pytest.fixture
def replica():
    """Start a replica with the given options; returns (site, root URL). Stopped after the test."""
    stack = []

    def start(**options) -> tuple[ReplicaSite, str]:
        site = ReplicaSite(ReplicaOptions(**options))
        context = serving(site)
        server = context.__enter__()
        stack.append(context)
        return site, server.url

    yield start
    for context in reversed(stack):
        context.__exit__(None, None, None)
