"""The scale benchmark's SQLite million is a generated corpus copied inside its file with FTS5's merging off
(bench/bench_scale.py `replicate`): the copies must be indexed as the corpus is, the index left in one segment,
and FTS5's settings given back to the app."""

from __future__ import annotations

import sys
from pathlib import Path

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
