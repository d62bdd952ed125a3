"""The bulk loader writes what a crawl writes: the same notices stored one by one through `Store.save_notice`
and through `storage.bulk.BulkLoader` give the same rows in every table (ids and timestamps aside), on SQLite
and on PostgreSQL — republications at another source, re-fetched and changed pages, procurements spread over
batches, buyer-less corrections and failed attachments included."""

from __future__ import annotations

import copy
import sys
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from extract.types import DocumentText
from models.raw import RawAttachment
from storage import org_directory
from storage.store import Store

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import make_corpus  # noqa: E402

# Columns that say when a row was written, not what it holds.
WHEN = {"first_seen", "last_seen", "last_changed", "fetched_at", "created_at", "decided_at"}
# PostgreSQL spends a sequence value on every INSERT … ON CONFLICT DO NOTHING, so a source row's id depends on
# how often its name was offered; nothing refers to it.
SURROGATE = {("source", "id")}
# Tables of the facet summary: deltas are folded into totals at moments of their own; compared as sums.
SUMMARY = {"facet_delta", "facet_total"}
# The organisations directory's marks of organisations to recount: folded before comparing its summary.
MARKS = "org_summary_dirty"


def notices(count: int = 160):
    """Generated notices (many cases, tender/award pairs) plus the situations the one-notice path decides."""
    gen = make_corpus.Generator(seed=7, case_rate=0.5)
    out = [gen.notice(i) for i in range(count)]
    extra = []
    for n, g in enumerate(out[::9]):  # republished at ggzy: same text and code, another URL → a link
        r = copy.deepcopy(g)
        r.raw.source, r.raw.url = "ggzy", g.raw.url.replace("www.ccgp.gov.cn", "www.ggzy.gov.cn")
        extra.append((n * 9 + 3, r))
    changed = copy.deepcopy(out[5])  # the same page fetched again with another text → "changed"
    changed.body.text += "\n更正：开标时间顺延。"
    extra.append((count - 10, changed))
    extra.append((count - 5, copy.deepcopy(out[6])))  # fetched again unchanged
    correction = copy.deepcopy(out[20])  # a correction naming no buyer, of a code stored before and after
    correction.raw.url += "?correction"
    correction.body.text += "\n本更正公告未列采购人。"
    correction.extraction.fields.buyer, correction.raw.list_meta["buyer"] = None, None
    extra.append((12, correction))
    failed = copy.deepcopy(out[30])  # an attachment that could not be fetched
    failed.raw.url += "?failed"
    failed.attachments = [(RawAttachment(url="https://x.example/a.pdf", name="a.pdf", data=None, error="http_404"),
                           DocumentText(text="", kind="empty"))]
    extra.append((40, failed))
    codeless = copy.deepcopy(out[50])  # no project code: republication found by title
    codeless.extraction.fields.project_codes = []
    codeless.raw.url += "?codeless"
    twin = copy.deepcopy(codeless)
    twin.raw.source, twin.raw.url = "zcy", codeless.raw.url + "&zcy"
    extra += [(60, codeless), (70, twin)]
    for at, g in sorted(extra, key=lambda e: -e[0]):
        out.insert(at, g)
    return out


def snapshot(engine: sa.Engine) -> dict[str, list]:
    meta = sa.MetaData()
    meta.reflect(engine)
    if MARKS in meta.tables:
        with engine.begin() as conn:
            org_directory.fold(conn)
    out: dict[str, list] = {}
    with engine.connect() as conn:
        for name, table in sorted(meta.tables.items()):
            if name in SUMMARY or name == MARKS or name.startswith("notice_fts") or name == "alembic_version":
                continue
            cols = [c for c in table.columns if c.name not in WHEN and (name, c.name) not in SURROGATE]
            out[name] = sorted(tuple(repr(v) for v in row) for row in conn.execute(sa.select(*cols)))
        if engine.dialect.name == "sqlite":  # a contentless FTS5 table: its per-row token counts
            out["notice_fts_docsize"] = sorted(conn.execute(sa.text("SELECT id, sz FROM notice_fts_docsize")).all())
        if "facet_delta" in meta.tables:
            out["facet counts"] = sorted(conn.execute(sa.text(
                "SELECT facet, value, SUM(n) FROM (SELECT facet, value, n FROM facet_total UNION ALL"
                " SELECT facet, value, d FROM facet_delta) AS t GROUP BY facet, value HAVING SUM(n) <> 0"
            )).all())
    return out


def test_bulk_loading_writes_the_rows_saving_one_by_one_writes(database_url, second_database_url,
                                                                tmp_path):
    items = notices()
    one = Store.open(database_url, blob_dir=tmp_path / "one")
    statuses = [one.save_notice(g.raw, g.body, g.attachments, g.extraction).status for g in items]
    bulk = Store.open(second_database_url, blob_dir=tmp_path / "bulk")
    with bulk.bulk_loader(batch_size=40) as loader:  # batches cut through procurements and republications
        for g in items:
            loader.add(g.raw, g.body, g.attachments, g.extraction)
    assert {s: statuses.count(s) for s in set(statuses)} == {k: v for k, v in loader.counts.items() if v}
    assert {"new", "linked", "changed", "unchanged"} <= set(statuses)
    a, b = snapshot(one.engine), snapshot(bulk.engine)
    one.close()
    bulk.close()
    assert any(row for row in a["noticetag"] if row[-1] == "True"), "the sample should hold an inherited flag"
    assert a["noticelink"], "and republications"
    assert set(a) == set(b)
    for table in a:
        assert a[table] == b[table], table


def test_blobs_are_stored_and_the_search_finds_bulk_loaded_notices(database_url, tmp_path):
    from storage.search import SearchQuery

    store = Store.open(database_url, blob_dir=tmp_path / "raw")
    gen = make_corpus.Generator(seed=8)
    items = [gen.notice(i) for i in range(30)]
    with store.bulk_loader() as loader:
        for g in items:
            loader.add(g.raw, g.body, g.attachments, g.extraction)
    first = store.notice_ids()[0]
    assert store.raw_notice(first).data == items[0].raw.data
    assert store.search(SearchQuery(text=items[0].extraction.fields.buyer)).total >= 1
    store.close()


def test_a_bulk_load_packs_the_raw_bytes_each_committed_batch_names(database_url, tmp_path):
    from storage.blobs import BlobStore

    store = Store.open(database_url, blob_dir=tmp_path / "raw")
    gen = make_corpus.Generator(seed=12)
    items = [gen.notice(i) for i in range(25)]
    with store.bulk_loader(batch_size=10) as loader:
        for n, g in enumerate(items):
            loader.add(g.raw, g.body, g.attachments, g.extraction)
            if n == 14:  # the first batch is committed, the second not yet: what another process reads
                other = Store.open(database_url, blob_dir=tmp_path / "raw")
                assert [other.raw_notice(i).data for i in other.notice_ids()] == [g.raw.data for g in items[:10]]
                other.close()
    raw = tmp_path / "raw"
    BlobStore(raw).put(items[3].raw.data)  # a crawl fetching bytes a bulk load packed adds no loose file
    files = [p.relative_to(raw) for p in raw.rglob("*") if p.is_file()]
    assert {p.parts[0] for p in files} == {"packs"} and [p.suffix for p in files].count(".pack") == 1
    assert [store.raw_notice(i).data for i in store.notice_ids()] == [g.raw.data for g in items]
    store.close()


def test_an_error_in_a_batch_leaves_none_of_it(database_url, tmp_path):
    store = Store.open(database_url, blob_dir=tmp_path / "raw")
    gen = make_corpus.Generator(seed=9)
    items = [gen.notice(i) for i in range(10)]
    with pytest.raises(ZeroDivisionError):
        with store.bulk_loader(batch_size=100) as loader:
            for g in items:
                loader.add(g.raw, g.body, g.attachments, g.extraction)
            1 / 0
    assert store.notice_ids() == []
    assert not (tmp_path / "raw" / "packs" / "index.sqlite").exists(), "the failed batch's blobs are not indexed"
    store.close()


def test_a_batch_whose_blobs_cannot_be_indexed_is_not_committed(database_url, tmp_path):
    from storage.packs import PackError

    (tmp_path / "raw" / "packs").mkdir(parents=True)
    (tmp_path / "raw" / "packs" / "index.sqlite").write_bytes(b"not a database" * 100)
    store = Store.open(database_url, blob_dir=tmp_path / "raw")
    gen = make_corpus.Generator(seed=10)
    with pytest.raises(PackError, match="cannot be written: file is not a database"):
        with store.bulk_loader(batch_size=5) as loader:
            for i in range(10):
                g = gen.notice(i)
                loader.add(g.raw, g.body, g.attachments, g.extraction)
    assert store.notice_ids() == [], "the rows naming blobs the index does not hold were never committed"
    store.close()


def stored_urls(url: str) -> list[str]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        urls = list(conn.execute(sa.text("SELECT url FROM notice ORDER BY url")).scalars())
        assert conn.execute(sa.text("SELECT count(*) FROM noticeversion")).scalar() == len(urls)
    engine.dispose()
    return urls


def in_thread(fn) -> tuple[threading.Thread, list]:
    """Run `fn` in a thread; the list receives its result or its exception."""
    out: list = []

    def run():
        try:
            out.append(fn())
        except BaseException as exc:  # noqa: BLE001 — handed to the test
            out.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, out


def load(store: Store, items, **options) -> dict:
    with store.bulk_loader(**options) as loader:
        for g in items:
            loader.add(g.raw, g.body, g.attachments, g.extraction)
    return loader.counts


@pytest.mark.postgres
def test_a_batch_inserting_a_url_another_writer_stores_meanwhile_falls_back_and_loses_nothing(postgres_url, tmp_path):
    items = [make_corpus.Generator(seed=10).notice(i) for i in range(30)]
    writer = Store.open(postgres_url, blob_dir=tmp_path / "raw")
    loader_store = Store.open(postgres_url, blob_dir=tmp_path / "raw")
    writer.begin_batch()  # the crawler's storing worker: item 12 saved, not committed yet
    writer.save_notice(items[12].raw, items[12].body, items[12].attachments, items[12].extraction)
    thread, result = in_thread(lambda: load(loader_store, items))
    # The batch read the stored URLs without item 12's and now waits on the worker's uncommitted row.
    engine = sa.create_engine(postgres_url)
    deadline = time.monotonic() + 60
    with engine.connect() as conn:
        while not conn.execute(sa.text(
                "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )).first():
            assert time.monotonic() < deadline and thread.is_alive(), result
            time.sleep(0.05)
            conn.rollback()
    engine.dispose()
    writer.commit_batch()
    thread.join(120)
    assert not isinstance(result[0], BaseException), result[0]
    assert {k: v for k, v in result[0].items() if v} == {"new": 29, "unchanged": 1}
    assert stored_urls(postgres_url) == sorted(g.raw.url for g in items)
    writer.close()
    loader_store.close()


@pytest.mark.postgres
def test_two_loaders_of_overlapping_notices_at_once_store_each_once(postgres_url, tmp_path):
    gen = make_corpus.Generator(seed=11)
    items = [gen.notice(i) for i in range(120)]
    stores = [Store.open(postgres_url, blob_dir=tmp_path / "raw") for _ in range(2)]
    # The same notices in opposite orders, in small batches: the loaders meet on every URL of the overlap.
    runs = [in_thread(lambda: load(stores[0], items[:90], batch_size=15)),
            in_thread(lambda: load(stores[1], items[30:][::-1], batch_size=15))]
    for thread, _ in runs:
        thread.join(300)
    results = [out[0] for _, out in runs]
    assert not any(isinstance(r, BaseException) for r in results), results
    assert sum(r["new"] for r in results) == 120 and sum(r["unchanged"] for r in results) == 60
    assert stored_urls(postgres_url) == sorted(g.raw.url for g in items)
    for s in stores:
        s.close()
