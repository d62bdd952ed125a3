"""Serve the ccgp ReplicaSite over HTTP on 127.0.0.1 (stdlib threaded server; one thread per connection).

The server itself is the one every replica uses (crawler/replica/multi.py); this module only builds the
ccgp site from options."""

from __future__ import annotations

import contextlib
from typing import Iterator

from crawler.replica import multi
from crawler.replica.site import ReplicaOptions, ReplicaSite

ReplicaServer = multi.MultiServer


@contextlib.contextmanager
def serving(site: ReplicaSite | None = None, port: int = 0, **options) -> Iterator[ReplicaServer]:
    """Run the replica in a background thread for the duration of the block; `port=0` picks a free port."""
    with multi.serving(site or ReplicaSite(ReplicaOptions(**options)), port) as server:
        yield server
