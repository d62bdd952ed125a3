"""The site's search cache (web/cache.py): a repeated search is answered from the worker's cache, and a write to
the database is seen by the very next search in every worker — never a stale page."""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from web_site import _build, serve_process

from tenderwatch.cli import main

NOTICE = Path(__file__).resolve().parents[1] / "fixtures" / "notices" / "hk_award_en.txt"
EVERY_NOTICE = {"cases": "0"}


def ingest(url: str, path: Path) -> None:
    result = CliRunner().invoke(main, ["ingest", str(path), "--database-url", url])
    assert result.exit_code == 0, result.output


def answers(base: str, n: int) -> list[httpx.Response]:
    """n answers to the same search, over n connections at once (so every worker answers some)."""
    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(lambda _: httpx.get(base + "/api/search", params=EVERY_NOTICE, timeout=60), range(n)))


def test_a_write_is_seen_by_the_next_search_in_every_worker(tmp_path):
    url = f"sqlite:///{tmp_path / 'tw.db'}"
    _build(url, tmp_path / "raw")
    with serve_process(["--database-url", url, "--workers", "2"], tmp_path, "/api/search?cases=0") as (base, first):
        before = answers(base, 12)
        assert {r.json()["total"] for r in before} == {first.json()["total"]}
        assert "HIT" in {r.headers["X-Cache"] for r in before}  # answered again without searching
        assert {r.json()["results"][0]["id"] for r in before} == {first.json()["results"][0]["id"]}

        ingest(url, NOTICE)  # a crawler's write, through another process's connection
        after = answers(base, 12)
        assert {r.json()["total"] for r in after} == {first.json()["total"] + 1}
        assert "MISS" in {r.headers["X-Cache"] for r in after}
        assert "HIT" in {r.headers["X-Cache"] for r in answers(base, 4)}  # cached again under the new version


@pytest.mark.postgres
def test_a_write_is_seen_at_once_on_postgresql(postgres_url, tmp_path):
    from web.app import create_app
    from web_site import LiveServer

    _build(postgres_url, tmp_path / "raw")
    with LiveServer(create_app(postgres_url, blob_root=tmp_path / "raw")) as base:
        # (Whether the second search is a HIT depends on the shared server: any database's write advances the
        # WAL position the stamp reads.)
        total = answers(base, 1)[0].json()["total"]
        ingest(postgres_url, NOTICE)
        [after] = answers(base, 1)
        assert after.headers["X-Cache"] == "MISS" and after.json()["total"] == total + 1


def test_the_cache_can_be_turned_off(tmp_path):
    from web.app import create_app
    from web_site import LiveServer

    url = f"sqlite:///{tmp_path / 'tw.db'}"
    _build(url, tmp_path / "raw")
    with LiveServer(create_app(url, blob_root=tmp_path / "raw", search_cache=0)) as base:
        assert ["X-Cache" in r.headers for r in answers(base, 2)] == [False, False]
    with LiveServer(create_app(url, blob_root=tmp_path / "raw", search_cache=1)) as base:
        with httpx.Client(base_url=base, timeout=60) as http:
            seen = [http.get("/api/search", params=q).headers["X-Cache"]
                    for q in ({"q": "云"}, {"q": "云"}, {"q": "GPU"}, {"q": "云"})]
        assert seen == ["MISS", "HIT", "MISS", "MISS"]  # one entry: GPU pushed 云 out


def test_the_same_search_asked_at_once_is_computed_once(tmp_path):
    from web.cache import CachedSearcher
    from web.params import parse_params
    from storage.db import make_engine

    url = f"sqlite:///{tmp_path / 'tw.db'}"
    _build(url, tmp_path / "raw")
    engine = make_engine(url, read_only=True)
    searcher = CachedSearcher(engine, 10)
    real_search, gate, calls = searcher.store.search, threading.Event(), []

    def held_search(query, *known):  # the real search, held until every client has asked
        calls.append(query)
        gate.wait(30)
        return real_search(query, *known)

    searcher.store.search = held_search
    p = parse_params([("q", "云")])
    with ThreadPoolExecutor(6) as pool:
        answers = [pool.submit(searcher.search, p) for _ in range(6)]
        while not calls:
            time.sleep(0.01)
        time.sleep(0.3)  # the other five have asked by now
        gate.set()
        totals = {a.result().total for a in answers}
    engine.dispose()
    assert len(calls) == 1 and len(totals) == 1 and totals.pop() > 0


def test_the_cache_bound_counts_a_long_page_as_the_pages_of_twenty_it_holds():
    from web.cache import LruCache

    cache = LruCache(entries=6)
    cache.put("short", 1, "a page of 20", weight=1)
    cache.put("long", 1, "a page of 100", weight=5)
    assert cache.get("short", 1) and cache.get("long", 1)
    cache.put("another", 1, "a page of 20", weight=1)  # 7 > 6: the least recently used goes
    assert cache.get("short", 1) is None and cache.get("long", 1) and cache.get("another", 1)
    cache.put("huge", 1, "a page of 200", weight=10)  # more than the whole bound: not kept, nothing else dropped
    assert cache.get("huge", 1) is None and cache.get("long", 1) and cache.get("another", 1)


def test_a_stamp_that_cannot_be_read_caches_nothing():
    import sqlalchemy as sa

    from storage.data_version import DataVersion

    version = DataVersion(sa.create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none"))
    assert version.stamp() != version.stamp()  # each search runs; none is answered from the cache


def test_a_text_is_counted_once_while_the_database_is_unchanged(tmp_path):
    """Searches of one text with other filters, pages or switches count its matches once (a broad text's count
    is a pass over its whole index list); after a write the next search counts again."""
    import sqlalchemy as sa

    from storage.db import make_engine
    from web.cache import CachedSearcher
    from web.params import parse_params

    url = f"sqlite:///{tmp_path / 'tw.db'}"
    _build(url, tmp_path / "raw")
    engine = make_engine(url, read_only=True)
    searcher, counted = CachedSearcher(engine, 100), []
    sa.event.listen(engine, "before_cursor_execute",
                    lambda _c, _cur, sql, *_: counted.append(sql) if "count(*) FROM (SELECT rowid" in sql else None)
    for query in ([("q", "云")], [("q", "云"), ("cases", "0")], [("q", "云"), ("cases", "0"), ("year", "2024")]):
        searcher.search(parse_params(query))
    assert len(counted) == 1
    total = searcher.search(parse_params([("q", "cloud"), ("cases", "0")])).total
    ingest(url, NOTICE)  # a notice with "cloud" in it, written by another process
    assert searcher.search(parse_params([("q", "cloud"), ("cases", "0"), ("page", "2")])).total == total + 1
    searcher.search(parse_params([("q", "云"), ("cases", "0"), ("year", "2023")]))
    assert len(counted) == 4  # cloud, cloud after the write, 云 after the write
    engine.dispose()


# ------------------------------------------------------------------------------ answers, pages, shared workers
def counting(searcher) -> list:
    """The storage searches `searcher` runs from now on (each SearchQuery asked of the real Store)."""
    real, calls = searcher.store.search, []

    def search(query, *known):
        calls.append(query)
        return real(query, *known)

    searcher.store.search = search
    return calls


def test_a_repeated_api_search_answers_the_same_bytes_as_an_uncached_site(tmp_path):
    from web.app import create_app
    from web_site import LiveServer

    url = f"sqlite:///{tmp_path / 'tw.db'}"
    _build(url, tmp_path / "raw")
    searches = [{"q": "云"}, {"q": "云", "size": "2"}, {"q": "云", "facets": "0"}, {"cases": "0", "page": "2", "size": "3"},
                {"cases": "0", "sort": "relevance"}, {"cases": "0", "candidates": "1"}]
    with LiveServer(create_app(url, blob_root=tmp_path / "raw", search_cache=0)) as base:
        fresh = [httpx.get(base + "/api/search", params=q).text.replace(base, "SITE") for q in searches]
    with LiveServer(create_app(url, blob_root=tmp_path / "raw")) as base:
        first = [httpx.get(base + "/api/search", params=q) for q in searches]
        again = [httpx.get(base + "/api/search", params=q) for q in searches]
    # No two searches share an entry (size, facets, page, sort …); the links name the server's own address.
    assert [r.text.replace(base, "SITE") for r in first] == fresh
    assert [r.text.replace(base, "SITE") for r in again] == fresh
    assert {r.headers["X-Cache"] for r in first} == {"MISS"} and {r.headers["X-Cache"] for r in again} == {"HIT"}


def test_another_page_of_a_search_reuses_its_facets_and_equals_the_page_computed_whole(tmp_path):
    from storage.db import make_engine
    from web.cache import CachedSearcher
    from web.params import parse_params
    from web.search import Searcher

    url = f"sqlite:///{tmp_path / 'tw.db'}"
    _build(url, tmp_path / "raw")
    engine = make_engine(url, read_only=True)
    cached, plain = CachedSearcher(engine, 100), Searcher(engine)
    calls = counting(cached)
    for query in ([("cases", "0")], [("q", "云"), ("cases", "0")], [("cases", "0"), ("sort", "relevance"), ("q", "GPU")]):
        first = cached.search(parse_params(query + [("size", "1")]))
        assert calls.pop().facets
        for page in ("2", "3"):
            p = parse_params(query + [("size", "1"), ("page", page)])
            assert cached.search(p) == plain.search(p)
            assert not calls.pop().facets  # the facets came from the first page's search
        assert first.facets and first.total >= 3  # pages 2 and 3 hold a hit each
    engine.dispose()


def test_what_one_worker_computed_the_other_answers_until_a_write(tmp_path):
    from web import shared_cache
    from web.params import parse_params

    url = f"sqlite:///{tmp_path / 'tw.db'}"
    _build(url, tmp_path / "raw")
    path = shared_cache.create(str(tmp_path))
    # Two workers: each its own engine (connections, data-version stamp) and handle on the shared file.
    workers = two_workers(url, path)
    a_calls, b_calls = counting(workers[0]), counting(workers[1])
    p = parse_params([("cases", "0")])
    total = workers[0].search(p).total
    assert len(a_calls) == 1
    assert workers[1].search(p).total == total and b_calls == []  # found in the shared file

    ingest(url, NOTICE)  # a crawler's write
    assert workers[1].search(p).total == total + 1 and len(b_calls) == 1
    # The other worker computed it after the write; this one must not reuse its own older answer either.
    assert workers[0].search(p).total == total + 1
    for w in workers:
        w.engine.dispose()
        w.shared.close()


def test_the_shared_cache_keeps_within_its_bound(tmp_path):
    from web import shared_cache

    path = shared_cache.create(str(tmp_path))
    cache = shared_cache.SharedCache(path, 50, generations=True)
    stamp = cache.stamp(1)
    for i in range(200):
        cache.put(f"search {i}", stamp, f"answer {i}", weight=1 + i % 3)
    kept = [i for i in range(200) if cache.get(f"search {i}", stamp) is not None]
    weight = sum(1 + i % 3 for i in kept)
    assert 0 < weight <= 50 + shared_cache.TRIM_EVERY * 3  # trimmed every TRIM_EVERY puts
    assert 199 in kept and 0 not in kept  # the oldest stored went first
    assert cache.get("search 199", cache.stamp(2)) is None  # a commit seen: a new generation
    cache.close()


# ------------------------------------------------------------------------------ the shared file: safety and failures
def two_workers(url: str, path: str, entries: int = 100):
    """Two workers' searchers on the same database, each with its own engine and handle on the shared file."""
    from storage.db import make_engine
    from web import shared_cache
    from web.cache import CachedSearcher

    return [CachedSearcher(make_engine(url, read_only=True), entries,
                           shared_cache.SharedCache(path, entries, generations=True)) for _ in range(2)]


def two_workers_after_a_search(tmp_path):
    """A database, the shared file, two workers on it, and a search the first made: (url, path, a, b, params,
    total)."""
    from web import shared_cache
    from web.params import parse_params

    url = f"sqlite:///{tmp_path / 'tw.db'}"
    _build(url, tmp_path / "raw")
    path = shared_cache.create(str(tmp_path))
    a, b = two_workers(url, path)
    p = parse_params([("cases", "0")])
    return url, path, a, b, p, a.search(p).total


def generation(path: str) -> int:
    import sqlite3

    with sqlite3.connect(path) as db:
        return db.execute("SELECT generation FROM meta").fetchone()[0]


def test_serve_keeps_its_shared_files_in_a_private_directory_removed_when_it_stops(tmp_path):
    import stat

    url = f"sqlite:///{tmp_path / 'tw.db'}"
    _build(url, tmp_path / "raw")
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    for cache, files in (("1000", {"cache.sqlite", "cache.sqlite-wal", "cache.sqlite-shm"}), ("0", set())):
        with serve_process(["--database-url", url, "--workers", "2", "--search-cache", cache], tmp_path,
                           "/api/search?cases=0", env={"TMPDIR": str(tmp)}) as (base, first):
            assert first.status_code == 200
            [run] = tmp.iterdir()  # one directory, only this user's, holding everything the workers share
            mode = run.lstat().st_mode
            assert stat.S_ISDIR(mode) and stat.S_IMODE(mode) == 0o700 and run.lstat().st_uid == os.getuid()
            names = {p.name for p in run.iterdir()}
            assert {n for n in names if n.startswith("cache")} == files  # --search-cache 0: no cache file
            assert len([n for n in names if n.endswith(".board")]) == 1
        assert list(tmp.iterdir()) == []  # stopped (SIGTERM): nothing left


def test_a_shared_cache_path_others_could_write_is_refused_and_the_site_still_starts(tmp_path, caplog):
    from web import shared_cache

    open_dir = tmp_path / "open"
    open_dir.mkdir()
    open_dir.chmod(0o777)  # like /tmp without its sticky bit
    planted = shared_cache.create(str(open_dir))
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    (private / "link.sqlite").symlink_to(planted)
    missing = private / "missing.sqlite"
    for path in (planted, private / "link.sqlite", missing):
        with caplog.at_level("WARNING", logger="web.shared_cache"):
            caplog.clear()
            assert shared_cache.SharedCache.open(str(path), 100, generations=True) is None
        assert len(caplog.records) == 1 and "not used" in caplog.records[0].getMessage()
    assert not missing.exists()  # never created

    # A real `serve` given such a path answers, caching on its own, and creates nothing there.
    url = f"sqlite:///{tmp_path / 'tw.db'}"
    _build(url, tmp_path / "raw")
    with serve_process(["--database-url", url], tmp_path, "/api/search?cases=0",
                       env={shared_cache.SHARED_ENV: str(missing)}) as (base, first):
        again = httpx.get(base + "/api/search", params=EVERY_NOTICE, timeout=60)
        assert first.status_code == again.status_code == 200 and again.headers["X-Cache"] == "HIT"
    assert not missing.exists()


def test_the_shared_file_holds_data_not_code(tmp_path):
    import json
    import sqlite3

    from web import shared_cache
    from web.params import parse_params

    url = f"sqlite:///{tmp_path / 'tw.db'}"
    _build(url, tmp_path / "raw")
    path = shared_cache.create(str(tmp_path))
    a, b = two_workers(url, path)
    for query in ([("cases", "0")], [("q", "云"), ("cases", "0"), ("page", "2"), ("size", "1")]):
        p = parse_params(query)
        view = a.search(p)
        assert b.search(p) == view  # read back from the file: the same hits, dates, markup and organisations
    b_view = b.search(parse_params([("cases", "0")]))
    assert type(b_view.hits[0].snippet_html).__name__ == "Markup" and b_view.hits[0].published_at is not None
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT kind, value FROM entry").fetchall()
    assert rows and {kind for kind, _ in rows} == {"json"}
    for _, value in rows:
        json.loads(value)  # plain JSON: nothing in the file is run when read

    # What is not data stays in the worker's own cache.
    stamp = a._stamp()
    a._store("not data", stamp, {1, 2}, 1)
    assert a.cache.get("not data", stamp[0]) == {1, 2} and b._lookup("not data", b._stamp()) is None
    for w in (a, b):
        w.engine.dispose()
        w.shared.close()


def test_a_broken_shared_file_turns_off_only_the_shared_level_with_one_warning(tmp_path, caplog):
    import sqlite3

    from web import shared_cache
    from web.params import parse_params

    url = f"sqlite:///{tmp_path / 'tw.db'}"
    _build(url, tmp_path / "raw")
    path = shared_cache.create(str(tmp_path))
    [worker, _] = two_workers(url, path)
    calls = counting(worker)
    with sqlite3.connect(path) as db:  # the tables gone under the workers (a tmp cleaner, another layout)
        db.execute("DROP TABLE entry")
        db.execute("DROP TABLE meta")
    with caplog.at_level("WARNING", logger="web.shared_cache"):
        searches = [parse_params([("q", q), ("cases", "0")]) for q in ("云", "GPU", "云", "GPU", "云")]
        totals = [worker.search(p).total for p in searches]
    assert totals[0] == totals[2] == totals[4] and totals[1] == totals[3]
    assert len(calls) == 2  # the worker's own cache still answered the repeats
    assert worker.shared.off and len(caplog.records) == 1
    worker.engine.dispose()


def test_an_entry_that_does_not_decode_is_a_miss(tmp_path):
    import sqlite3

    url, path, a, b, p, total = two_workers_after_a_search(tmp_path)
    with sqlite3.connect(path) as db:  # entries of a class this code does not know, and broken JSON
        db.execute("""UPDATE entry SET value = CASE WHEN key LIKE 'view%' THEN '{"$":"Gone","v":[]}'"""
                   " ELSE '{not json' END")
    b_calls = counting(b)
    assert b.search(p).total == total and len(b_calls) == 1  # computed again
    assert not b.shared.off and b.search(p).total == total and len(b_calls) == 1  # and cached again
    for w in (a, b):
        w.engine.dispose()
        w.shared.close()


def test_a_locked_shared_file_is_a_miss_and_the_shared_level_comes_back(tmp_path):
    import sqlite3

    url, path, a, b, p, total = two_workers_after_a_search(tmp_path)
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # another worker in a write transaction
    ingest(url, NOTICE)  # b must bump the generation, and cannot now
    b_calls = counting(b)
    assert b.search(p).total == total + 1 and b.search(p).total == total + 1
    assert len(b_calls) == 1 and not b.shared.off  # its own cache answered the repeat; the file is only busy
    writer.execute("ROLLBACK")
    writer.close()
    assert b.search(p).total == total + 1  # bumped now: computed under the new generation, stored for a
    a_calls = counting(a)
    assert a.search(p).total == total + 1
    assert len(a_calls) == 1  # (a saw the commit itself: its own bump made b's entry older than its search)
    for w in (a, b):
        w.engine.dispose()
        w.shared.close()


def test_workers_of_other_code_do_not_read_each_others_entries(tmp_path):
    import sqlite3

    from web import shared_cache

    path = shared_cache.create(str(tmp_path))
    new, old = (shared_cache.SharedCache(path, 100, generations=True) for _ in range(2))
    old.version = "the code before a deploy"  # a rolling restart: one worker still runs the old code
    stamp = new.stamp(1)
    old.put("search", stamp, b"old answer", 1)
    new.put("search", stamp, b"new answer", 1)
    assert new.get("search", stamp) == (b"new answer", 1) and old.get("search", stamp) == (b"old answer", 1)
    new.close()
    old.close()
    with sqlite3.connect(path) as db:  # a file of another layout is not used at all
        db.execute("UPDATE meta SET schema = schema + 1")
    assert shared_cache.SharedCache.open(path, 100, generations=True) is None


def test_a_new_generation_is_one_row_and_dead_entries_go_in_small_batches(tmp_path):
    import sqlite3

    from web import shared_cache

    path = shared_cache.create(str(tmp_path))
    cache = shared_cache.SharedCache(path, 10_000, generations=True)
    first = cache.stamp(1)
    for i in range(3 * shared_cache.DEAD_BATCH):
        cache.put(f"search {i}", first, b"x", 1)

    def rows():
        with sqlite3.connect(path) as db:
            return db.execute("SELECT count(*) FROM entry").fetchone()[0]

    assert rows() == 3 * shared_cache.DEAD_BATCH
    second = cache.stamp(2)  # a commit seen
    assert second == first + 1 and rows() == 3 * shared_cache.DEAD_BATCH  # nothing deleted by the bump itself
    assert cache.get("search 0", second) is None  # but nothing of the old generation is answered
    left = [rows()]
    for i in range(4 * shared_cache.TRIM_EVERY):
        cache.put(f"new {i}", second, b"y", 1)
        if (i + 1) % shared_cache.TRIM_EVERY == 0:
            left.append(rows() - (i + 1))  # old entries left
    assert left == [max(0, 3 - n) * shared_cache.DEAD_BATCH for n in range(5)]  # DEAD_BATCH per clean-up
    cache.close()


def test_another_workers_start_does_not_empty_this_workers_cache(tmp_path):
    from storage.db import make_engine
    from web import shared_cache
    from web.cache import CachedSearcher
    from web.params import parse_params

    url = f"sqlite:///{tmp_path / 'tw.db'}"
    _build(url, tmp_path / "raw")
    path = shared_cache.create(str(tmp_path))
    [a, _] = two_workers(url, path)
    calls = counting(a)
    p = parse_params([("q", "云"), ("cases", "0")])
    a.search(p)
    before = generation(path)
    late = CachedSearcher(make_engine(url, read_only=True), 100, shared_cache.SharedCache(path, 100, generations=True))
    assert generation(path) == before + 1  # it joined: a new generation
    a.search(p)
    assert len(calls) == 1  # no commit since: still this worker's own answer
    late.engine.dispose()
    a.engine.dispose()


def test_every_host_gets_the_one_cached_answer_with_its_own_links(tmp_path):
    from web.app import create_app
    from web_site import LiveServer

    url = f"sqlite:///{tmp_path / 'tw.db'}"
    _build(url, tmp_path / "raw")
    with LiveServer(create_app(url, blob_root=tmp_path / "raw")) as base:
        seen = []
        for host in ("a.example", "b.example:8080", "c.example"):
            r = httpx.get(base + "/api/search", params=EVERY_NOTICE, headers={"Host": host})
            seen.append(r.headers["X-Cache"])
            body = r.json()
            assert body["links"]["self"].startswith(f"http://{host}/api/search?")
            assert body["results"][0]["permalink"].startswith(f"http://{host}/notices/")
            assert "\\u0000" not in r.text
        odd = httpx.get(base + "/api/search", params=EVERY_NOTICE, headers={"Host": 'd.example"x'})
        assert odd.headers["X-Cache"] == "HIT" and odd.json()["total"] == body["total"]  # valid JSON still
    assert seen == ["MISS", "HIT", "HIT"]  # a made-up Host cannot force a search
    # The address goes in as JSON writes it: a quote in it cannot end the string.
    import json

    from web.views.common import json_body
    from web.views.search import SITE, with_site

    assert json.loads(with_site(json_body({"link": SITE + "/x"}), 'http://a"b')) == {"link": 'http://a"b/x'}


def test_facets_on_and_off_pages_share_only_what_they_can(tmp_path):
    from storage.db import make_engine
    from web.cache import CachedSearcher
    from web.params import parse_params

    url = f"sqlite:///{tmp_path / 'tw.db'}"
    _build(url, tmp_path / "raw")
    engine = make_engine(url, read_only=True)
    cached = CachedSearcher(engine, 100)
    calls = counting(cached)
    page = [("cases", "0"), ("size", "1")]
    cached.search(parse_params(page), facets=True)
    cached.search(parse_params(page + [("page", "2")]), facets=False)
    cached.search(parse_params(page + [("page", "2")]), facets=True)
    # page 1 with facets; page 2 without (its own search); page 2 with: facets from page 1, hits searched again
    assert [q.facets for q in calls] == [True, False, False]
    assert [q.page for q in calls] == [1, 2, 2]
    engine.dispose()


@pytest.mark.postgres
def test_postgresql_workers_share_answers_under_the_snapshot_and_see_a_write(postgres_url, tmp_path):
    from storage.db import make_engine
    from web import shared_cache
    from web.cache import CachedSearcher
    from web.params import parse_params

    _build(postgres_url, tmp_path / "raw")
    path = shared_cache.create(str(tmp_path))
    # No shared generation: a snapshot is the same stamp in every process.
    workers = [CachedSearcher(make_engine(postgres_url, read_only=True), 100,
                              shared_cache.SharedCache(path, 100, generations=False)) for _ in range(2)]
    p = parse_params([("cases", "0")])
    total = workers[0].search(p).total
    assert workers[1].search(p).total == total
    ingest(postgres_url, NOTICE)
    assert [w.search(p).total for w in workers] == [total + 1, total + 1]
    assert generation(path) == 0  # never bumped
    for w in workers:
        w.engine.dispose()
        w.shared.close()


def test_pages_reuse_the_whole_search_also_where_storage_caps_it(tmp_path, monkeypatch):
    # The contract web/cache.py relies on: what WHOLE names does not depend on the page, its size or facets=False,
    # also where a search ranks or counts facets over only the newest matches (limits made small here).
    from storage.db import make_engine
    from storage.search import engine as search_engine
    from web.cache import CachedSearcher
    from web.params import parse_params
    from web.search import Searcher

    for name, value in (("CANDIDATES", 3), ("FACET_LIMIT", 4), ("SORT_MAX", 4), ("ID_LIST_MAX", 4)):
        monkeypatch.setattr(search_engine, name, value)
    url = f"sqlite:///{tmp_path / 'tw.db'}"
    _build(url, tmp_path / "raw")
    engine = make_engine(url, read_only=True)
    plain = Searcher(engine)
    capped = 0
    for query in ([("cases", "0")], [("q", "云"), ("cases", "0"), ("sort", "date")], [("q", "云"), ("cases", "0")],
                  [("cases", "0"), ("candidates", "1")]):
        cached = CachedSearcher(engine, 1000)
        for size in ("1", "2"):
            for page in ("1", "2", "3"):
                p = parse_params(query + [("size", size), ("page", page)])
                view = cached.search(p)
                assert view == plain.search(p)
                capped += view.ranked_of is not None or not view.facets_complete
    assert capped  # the capped paths were taken
    engine.dispose()
