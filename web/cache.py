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
from dataclasses import replace
from typing import Any, Callable, Hashable
from urllib.parse import urlencode

import sqlalchemy as sa
from starlette.datastructures import MutableHeaders

from storage.data_version import DataVersion
from web.params import PAGE_SIZE, SearchParams
from web.search import ResultView, Searcher
from web.shared_cache import SHARED_ENV, SharedCache

CACHE_ENV = "TENDERWATCH_SEARCH_CACHE"
HEADER = "X-Cache"  # HIT or MISS on responses that ran a search, as caching proxies say it
# The request's note of what the cache did: set by CacheHeader per request, filled in by the search (which runs
# in a worker thread with a copy of the request's context — the note itself is shared).
_NOTE: ContextVar[dict | None] = ContextVar("search_cache_note", default=None)
# Entries are counted in pages of PAGE_HITS hits (a page of 100 counts 5): measured ~60 kB per 20 hits with
# facets, so the default holds ~60 MB per worker whatever page sizes are asked.
DEFAULT_ENTRIES = 1000
PAGE_HITS = 20
COUNTED_TEXTS = 10_000  # texts whose match counts a worker keeps (an int and a short string each)
# ResultView's fields that are the same on every page of a search (the rest: the page's hits and their order).
WHOLE = ("total", "facets", "facet_labels", "facets_complete", "candidates", "scope_note", "total_exact",
         "ranked_of", "facets_source")


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
    through whole result sets with `iter_all`, are not cached). `answer` caches a search's rendered form beside
    it (the API's JSON bytes): a repeated API search does no rendering either. With `shared` (several workers,
    web/shared_cache.py) what one worker computed is found by the others."""

    def __init__(self, engine: sa.Engine, entries: int, shared: SharedCache | None = None):
        super().__init__(engine)
        self.version = DataVersion(engine)
        self.cache = LruCache(entries)
        self.shared = shared
        self._lock = threading.Lock()
        self._running: dict[tuple, threading.Event] = {}  # searches being computed, by (key, stamp)
        # Texts' match counts (storage.search.engine.run_search's `counts`) under the stamp they were made at.
        self._counts: tuple[object, dict[str, int]] = (object(), {})
        if shared is not None:
            # Join at start-up (a new generation: commits before this worker started count as seen), not at the
            # first search, which would discard what the others computed meanwhile.
            self._stamp()

    def search(self, p: SearchParams, *, facets: bool = True) -> ResultView:
        stamp = self._stamp()
        return self._cached(_key("view", p, facets), stamp, lambda: self._search(p, facets, stamp))

    def answer(self, p: SearchParams, render: Callable[[ResultView], bytes], *, facets: bool = True,
               form: str = "") -> bytes:
        # `form` names everything the rendering depends on beyond the search (the format): the same for every
        # client (/api/search renders a placeholder for the site's address, web/views/search.py).
        stamp = self._stamp()
        return self._cached(_key("answer " + form, p, facets), stamp, lambda: self._render(p, facets, stamp, render),
                            note_miss=False)  # _render says whether a search ran

    def _render(self, p: SearchParams, facets: bool, stamp: Stamp, render: Callable[[ResultView], bytes]
                ) -> tuple[bytes, int]:
        # The answer alone is kept (not the search's view as well: the bound counts memory); a view the HTML
        # page cached is reused.
        view = self._lookup(_key("view", p, facets), stamp)
        _note("MISS" if view is None else "HIT")
        if view is None:
            view, _ = self._search(p, facets, stamp)
        return render(view), _weight(view)

    def _search(self, p: SearchParams, facets: bool, stamp: Stamp) -> tuple[ResultView, int]:
        # What every page of a search shares (the total, the facets — about 40 % of a search — and what the
        # result says about its scope): another page of a search seen under this stamp counts no facets again.
        whole = _key("whole", replace(p, page=1, size=PAGE_SIZE), facets)
        known = self._lookup(whole, stamp) if facets else None
        if known is not None:
            result = replace(super().search(p, facets=False), **known)
        else:
            result = super().search(p, facets=facets)
            if facets:
                # Weighed by its facet values too (hundreds of labels on a broad search).
                self._store(whole, stamp, {name: getattr(result, name) for name in WHOLE},
                            1 + sum(len(v) for v in result.facets.values()) // 200)
        return result, _weight(result)

    def text_counts(self) -> dict[str, int]:
        # The worker's own stamp, read now (a search reads its own stamp first: a commit between the two only
        # makes this a fresh, empty map). A few thousand texts at most: bounded by clearing.
        local = self.version.stamp()
        with self._lock:
            if self._counts[0] != local or len(self._counts[1]) >= COUNTED_TEXTS:
                self._counts = (local, {})
            return self._counts[1]

    def _lookup(self, key: str, stamp: Stamp) -> Any | None:
        local, shared = stamp
        value = self.cache.get(key, local)
        if value is None and self.shared is not None:
            found = self.shared.get(key, shared)
            if found is not None:
                value, weight = found
                self.cache.put(key, local, value, weight)
        return value

    def _store(self, key: str, stamp: Stamp, value: Any, weight: int) -> None:
        local, shared = stamp
        self.cache.put(key, local, value, weight)
        if self.shared is not None:
            self.shared.put(key, shared, value, weight)

    def _stamp(self) -> Stamp:
        # Read before the search: a commit during it changes the next stamp. The worker's own cache is keyed by
        # the worker's own stamp (unchanged: nothing was committed since, whatever the other workers did); the
        # shared file by the shared one, None when the shared level is not usable for this search.
        local = self.version.stamp()
        return local, (self.shared.stamp(local) if self.shared is not None else None)

    def _cached(self, key: str, stamp: Stamp, compute: Callable[[], tuple[Any, int]],
                note_miss: bool = True) -> Any:
        while True:
            value = self._lookup(key, stamp)
            if value is not None:
                _note("HIT")
                return value
            with self._lock:
                running = self._running.get((key, stamp[0]))
                if running is None:
                    running = self._running[(key, stamp[0])] = threading.Event()
                    break  # this thread computes
            # The same search is running in another thread (a popular search just after a write): wait for its
            # answer instead of computing it again; if it failed, the loop computes here.
            running.wait()
        if note_miss:
            _note("MISS")
        try:
            value, weight = compute()
            self._store(key, stamp, value, weight)
        finally:
            with self._lock:
                del self._running[(key, stamp[0])]
            running.set()
        return value


Stamp = tuple  # (the worker's own stamp, the shared file's stamp or None)


def _key(kind: str, p: SearchParams, facets: bool) -> str:
    """The cache key: the search's canonical query string (equal searches, equal strings; web/params.py)."""
    return f"{kind}|{int(facets)}|{urlencode(p.query_items())}"


def _weight(result: ResultView) -> int:
    return max(1, -(-len(result.hits) // PAGE_HITS))


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
    """The site's searcher: cached unless `entries` is 0; shared with the other workers when `serve --workers N`
    made a shared cache file (SHARED_ENV)."""
    entries = cache_entries(entries)
    if entries <= 0:
        return Searcher(engine)
    path = os.environ.get(SHARED_ENV)
    shared = SharedCache.open(path, entries, generations=engine.dialect.name == "sqlite") if path else None
    return CachedSearcher(engine, entries, shared)
