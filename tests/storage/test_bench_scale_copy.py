"""The scale benchmark's databases are a generated corpus copied inside the database (bench/bench_scale.py
`replicate`): on SQLite with FTS5's merging off — the copies indexed as the corpus is, the index left in one
segment, FTS5's settings given back to the app; on PostgreSQL into the partitions of the copies' moved years."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import bench_scale  # noqa: E402
import make_corpus  # noqa: E402

from storage.search import SearchQuery  # noqa: E402
from storage.store import Store  # noqa: E402

QUERIES = ["云", "算力", "阿里云", "A100", '"GPU 服务器"', "服务器 -维修"]


def totals(url: str) -> dict[str, int]:
    store = Store.open(url, read_only=True)
    try:
        return {text: store.search(SearchQuery(text=text)).total for text in QUERIES}
    finally:
        store.close()


def test_a_sqlite_corpus_copied_three_times_matches_three_times_with_one_merged_segment_and_default_settings(tmp_path):
    url = f"sqlite:///{tmp_path / 'copied.db'}"
    make_corpus.build(url, 40, blob_dir=tmp_path / "raw", progress=False)
    base = totals(url)
    assert any(base.values())

    info = bench_scale.replicate(url, 3, progress=False)

    assert info["notices"] == 120 and info["fts_segments_copied"] > 1
    assert bench_scale.fts_segments(url) == 1
    assert totals(url) == {text: 3 * n for text, n in base.items()}
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        config = dict(conn.execute(sa.text("SELECT k, v FROM notice_fts_config")).all())
        conn.execute(sa.text("INSERT INTO notice_fts(notice_fts, rank) VALUES('integrity-check', 0)"))
    engine.dispose()
    assert (config["automerge"], config["hashsize"]) == (4, 1 << 20)  # FTS5's defaults, for the app's writes


@pytest.mark.postgres
def test_a_postgresql_corpus_copied_three_times_puts_each_copys_parts_in_the_year_of_its_moved_date(postgres_url, tmp_path):
    """PostgreSQL's copy moves each copy's dates back and writes its index rows into the partitions of the moved
    years (made as needed), with the moved dates: the year-by-year search finds three times the matches."""
    from storage import db

    db.upgrade(db.make_engine(postgres_url))
    make_corpus.build(postgres_url, 40, blob_dir=tmp_path / "raw", progress=False)
    base = totals(postgres_url)
    assert any(base.values())

    bench_scale.replicate(postgres_url, 3, progress=False)

    assert totals(postgres_url) == {text: 3 * n for text, n in base.items()}
    engine = sa.create_engine(postgres_url)
    with engine.connect() as conn:
        wrong = conn.execute(sa.text(
            "SELECT count(*) FROM notice_search s JOIN notice n ON n.id = s.notice_id"
            " WHERE s.bucket <> coalesce(extract(year FROM n.published_at)::int, 0)"
            " OR s.published_at IS DISTINCT FROM n.published_at")).scalar_one()
    engine.dispose()
    assert wrong == 0
