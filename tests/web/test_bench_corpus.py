"""The benchmark's generated database: its fast bulk path must build exactly what Store.save_notice builds,
or the search benchmark would measure a database no crawl could produce."""

from __future__ import annotations

import sys
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import make_corpus  # noqa: E402

QUERIES = ["云", "算力", "阿里云", "A100", "GPU 算力", "亚马逊云 OR Azure", "服务器 -维修", ""]


def snapshot(url: str) -> dict:
    engine = sa.create_engine(url)
    with engine.connect() as c:
        org = dict(c.execute(sa.text("SELECT id, normalised_name FROM organisation")).all())
        out = {
            "notices": c.execute(sa.text(
                "SELECT id, source, url, title, notice_type, published_at, region, project_code, text, content_hash,"
                " raw_sha256, remote_compute, hardware_purchase, procurement_key, extractor_version FROM notice ORDER BY id"
            )).all(),
            "buyers": [(i, org.get(b)) for i, b in c.execute(sa.text("SELECT id, buyer_id FROM notice ORDER BY id"))],
            "parties": sorted((n, org[o], r) for n, o, r in c.execute(sa.text("SELECT notice_id, organisation_id, role FROM noticeparty"))),
            "amounts": sorted(c.execute(sa.text("SELECT notice_id, kind, value_cny, raw FROM noticeamount")).all()),
            "tags": sorted(c.execute(sa.text("SELECT notice_id, facet, value, inherited FROM noticetag")).all()),
            "attachments": sorted(c.execute(sa.text("SELECT notice_id, url, name, sha256, size, text, status FROM attachment")).all()),
            "versions": sorted(c.execute(sa.text("SELECT notice_id, content_hash, title, text FROM noticeversion")).all()),
            "extractions": sorted((n, v, str(r)) for n, v, r in c.execute(sa.text("SELECT notice_id, extractor_version, result FROM extraction"))),
        }
    engine.dispose()
    return out


def search_results(url: str) -> dict:
    from storage.search.model import SearchQuery
    from storage.store import Store

    store = Store.open(url, read_only=True)
    try:
        out = {}
        for q in QUERIES:
            r = store.search(SearchQuery(text=q, per_page=1000, sort="date"))
            out[q] = (r.total, [h.id for h in r.hits],
                      {k: [(f.value, f.count) for f in v] for k, v in r.facets.items() if k not in ("buyer", "vendor")})
        return out
    finally:
        store.close()


def test_bulk_corpus_equals_what_the_store_writes(tmp_path):
    slow, fast = f"sqlite:///{tmp_path / 'store.db'}", f"sqlite:///{tmp_path / 'bulk.db'}"
    # A high case rate so cases, intermediaries, pairs and inherited flags all occur in a small sample.
    make_corpus.build(slow, 240, fast=False, progress=False, case_rate=0.5, blob_dir=tmp_path / "raw1")
    make_corpus.build(fast, 240, fast=True, progress=False, case_rate=0.5, blob_dir=tmp_path / "raw2")
    a, b = snapshot(slow), snapshot(fast)
    assert len(a["notices"]) == 240
    assert any(t[3] for t in a["tags"]), "the sample should contain an inherited flag"
    assert any(n[13] and sum(1 for m in a["notices"] if m[13] == n[13]) > 1 for n in a["notices"]), "and a procurement pair"
    for key in a:
        assert a[key] == b[key], key
    assert search_results(slow) == search_results(fast)


def test_generated_lengths_look_like_real_notices():
    gen = make_corpus.Generator(seed=1)
    lengths = sorted(len(gen.notice(i).body.text) for i in range(2000))
    median = lengths[len(lengths) // 2]
    assert 1700 <= median <= 2600  # the 598 real notices: median 2,011
    assert lengths[len(lengths) * 9 // 10] < 5000
