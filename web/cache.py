"""The site's search cache: the answers to recent searches, per worker process, reused while the database has
not changed.

A journalist's desk sends the same searches again and again (the front page, a provider, the next page and
back, a colleague following the same link); each costs tens to hundreds of milliseconds of CPU, and on a
busy site that CPU is what every other request queues for. Entries are bounded (least recently used
dropped) and each carries the data-version stamp it was computed under (storage/data_version.py): a commit
anywhere in the database changes the stamp, so the next search after a write is computed afresh — a
reviewer's decision or a newly crawled notice shows at once, never a stale page.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from contextvars import ContextVar
from typing import Any, Hashable

import sqlalchemy as sa
from starlette.datastructures import MutableHeaders

from storage.data_version import DataVersion
from web.params import SearchParams
from web.search import ResultView, Searcher

CACHE_ENV = "TENDERWATCH_SEARCH_CACHE"
HEADER = "X-Cache"  # HIT or MISS on responses that ran a search, as caching proxies say it
# The request's note of what the cache did: set by CacheHeader per request, filled in by the search (which runs
# in a worker thread with a copy of the request's context — the note itself is shared).
_NOTE: ContextVar[dict | None] = ContextVar("search_cache_note", default=None)
# Entries are counted in pages of PAGE_HITS hits (a page of 100 counts 5): measured ~60 kB per 20 hits with
# facets, so the default holds ~60 MB per worker whatever page sizes are asked.
DEFAULT_ENTRIES = 1000
PAGE_HITS = 20


def cache_entries(explicit: int | None = None) -> int:
    """How many searches each worker keeps: `explicit`, else TENDERWATCH_SEARCH_CACHE, else the default; 0 = off."""
    if explicit is not None:
        return explicit
    value = os.environ.get(CACHE_ENV, "").strip()
    return int(value) if value.isdigit() else DEFAULT_ENTRIES


class LruCache:
    """A bounded map whose entries are valid only under the stamp they were stored with."""

    def __init__(self, entries: int):
        self.entries = entries  # the bound, in weights (pages of PAGE_HITS hits)
        self._data: OrderedDict[Hashable, tuple[object, Any, int]] = OrderedDict()
        self._weight = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable, stamp: object) -> Any | None:
        with self._lock:
            found = self._data.get(key)
            if found is None or found[0] != stamp:
                return None
            self._data.move_to_end(key)
            return found[1]

    def put(self, key: Hashable, stamp: object, value: Any, weight: int = 1) -> None:
        if weight > self.entries:  # larger than the whole cache: keep the others rather than this one
            return
        with self._lock:
            old = self._data.pop(key, None)
            if old is not None:
                self._weight -= old[2]
            self._data[key] = (stamp, value, weight)
            self._weight += weight
            while self._weight > self.entries and self._data:
                self._weight -= self._data.popitem(last=False)[1][2]


class CachedSearcher(Searcher):
    """web.search.Searcher whose `search` answers repeated searches from an LruCache, and computes a search
    that several threads ask for at once only once (pages, the API and feeds; the streamed exports, which page
    through whole result sets with `iter_all`, are not cached)."""

    def __init__(self, engine: sa.Engine, entries: int):
        super().__init__(engine)
        self.version = DataVersion(engine)
        self.cache = LruCache(entries)
        self._lock = threading.Lock()
        self._running: dict[tuple, threading.Event] = {}  # searches being computed, by (key, stamp)

    def search(self, p: SearchParams, *, facets: bool = True) -> ResultView:
        stamp = self.version.stamp()  # before the search: a commit during it changes the next stamp
        key = (p, facets)
        while True:
            result = self.cache.get(key, stamp)
            if result is not None:
                _note("HIT")
                return result
            with self._lock:
                running = self._running.get((key, stamp))
                if running is None:
                    running = self._running[(key, stamp)] = threading.Event()
                    break  # this thread searches
            # The same search is running in another thread (a popular search just after a write): wait for its
            # answer instead of computing it again; if it failed, the loop searches here.
            running.wait()
        _note("MISS")
        try:
            result = super().search(p, facets=facets)
            self.cache.put(key, stamp, result, weight=max(1, -(-len(result.hits) // PAGE_HITS)))
        finally:
            with self._lock:
                del self._running[(key, stamp)]
            running.set()
        return result


def _note(lookup: str) -> None:
    note = _NOTE.get()
    if note is not None:
        note["lookup"] = lookup


class CacheHeader:
    """ASGI middleware: `X-Cache: HIT|MISS` on a response whose page ran a cached search."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        note: dict = {}
        token = _NOTE.set(note)

        async def send_noted(message):
            if message["type"] == "http.response.start" and "lookup" in note:
                MutableHeaders(scope=message).append(HEADER, note["lookup"])
            await send(message)

        try:
            await self.app(scope, receive, send_noted)
        finally:
            _NOTE.reset(token)


def make_searcher(engine: sa.Engine, entries: int | None = None) -> Searcher:
    entries = cache_entries(entries)
    return CachedSearcher(engine, entries) if entries > 0 else Searcher(engine)
