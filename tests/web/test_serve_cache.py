"""The site's search cache (web/cache.py): a repeated search is answered from the worker's cache, and a write to
the database is seen by the very next search in every worker — never a stale page."""

from __future__ import annotations

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

    def held_search(query):  # the real search, held until every client has asked
        calls.append(query)
        gate.wait(30)
        return real_search(query)

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
