"""The growth curve: how load, search, facets, exports and memory cost grow from 10k to 1M notices.

    python bench/bench_scale.py                 # build what is missing, then measure every size
    python bench/bench_scale.py --sizes 10k,100k --no-sqlite
    python bench/bench_scale.py --drop          # remove the benchmark databases

Databases are kept and reused: PostgreSQL databases `tw_scale_10k`, `tw_scale_100k`, `tw_scale_1m` on
--pg (default the local server) and SQLite files under data/bench/scale/. 10k are generated notices
(bench/make_corpus.py); every larger size is that 10k corpus copied inside the database, 100k ten times and
the million a hundred times (`ensure`, `replicate`): new ids, urls, project codes and procurement keys; copy
k's dates moved back k × 37 days (SHIFT_DAYS), so the million's archive spans roughly 2010-12 to 2026 and the
100k's 2020–2026. Generating and tokenising a million distinct notices in Python takes over an hour on these
shared cores, and the search cost depends on how many notices a term matches and how they are spread, which
the copies keep (a term in 1 % of the 10k is in 1 % of the million). Each copy's search index rows are copied
as they are, so every size is indexed exactly as the 10k. The copies keep the corpus's organisations: a buyer
of n notices in the 10k has 100 n in the million.

A database is built under a temporary name (`tw_scale_<size>_building`, `sqlite-<size>.db.building`) and
given its name only when complete, its build record (`<backend>-<size>.build.json`) after it: a build that
dies leaves nothing a later run takes for a finished database, and the next build starts the temporary one anew
(an SQLite file with the -wal/-shm files beside it); a complete build whose rename failed is only renamed by
the next run. One build at a time (a lock on data/bench/scale/.build.lock). A PostgreSQL database under its
name without a build record (one built in place by an earlier version of this script that did not finish)
stops the run with a message.

Printed per size: load rate (notices/s of the build that made it, when this run built it), search
p50/p95 per query kind with facets, facet time, export rate, bytes per notice, and peak RSS of the
streaming commands (stats, the digest of one week, the exports, the biggest buyer's page), each run in
its own process.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
if str(ROOT / "bench") not in sys.path:
    sys.path.insert(0, str(ROOT / "bench"))

import sqlalchemy as sa  # noqa: E402

from storage.search.partitions import BUCKET_SQL  # noqa: E402

DATA = ROOT / "data" / "bench" / "scale"
PG_SERVER = os.environ.get("TENDERWATCH_SCALE_POSTGRES", "postgresql+psycopg://root@127.0.0.1:5432")
SIZES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000}  # 10k generated, the others it copied (`ensure`)
PG_PREFIX = "tw_scale_"  # the databases' names: tw_scale_10k …
BUILDING = "_building"  # what a database is called until it is complete


class BuildError(RuntimeError):
    """A database that cannot be built or used as it is; the message says why and what to do."""


def pg_name(size: str) -> str:
    return f"{PG_PREFIX}{size}"


def pg_url(size: str, server: str = PG_SERVER) -> str:
    return f"{server}/{pg_name(size)}"


def sqlite_url(size: str) -> str:
    return f"sqlite:///{DATA / f'sqlite-{size}.db'}"


def _admin(server: str) -> sa.Engine:
    return sa.create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")


def pg_exists(size: str, server: str = PG_SERVER) -> bool:
    with _admin(server).connect() as conn:
        return conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": pg_name(size)}).first() is not None


def _meta_path(url: str) -> Path:
    return DATA / (url.rsplit("/", 1)[-1].replace(".db", "") + ".load.json")


def build_generated(url: str, count: int) -> dict:
    """Generate `count` notices into the empty database at `url`; on PostgreSQL the text index's GIN index
    is dropped during the load and built once after it (one sort instead of a million index inserts)."""
    import make_corpus

    _upgrade(url)
    engine = sa.create_engine(url)
    pg = engine.dialect.name == "postgresql"
    if pg:
        with engine.begin() as conn:
            conn.execute(sa.text("DROP INDEX IF EXISTS ix_notice_search_tsv"))
    started = time.perf_counter()
    stats = make_corpus.build(url, count, blob_dir=DATA / "raw", fast=True)
    if pg:
        with engine.connect() as conn:
            conn.execute(sa.text("SET maintenance_work_mem = '512MB'"))
            conn.execute(sa.text("CREATE INDEX ix_notice_search_tsv ON notice_search USING GIN (tsv)"))
            conn.commit()
    _after_load(engine)
    stats["seconds"] = round(time.perf_counter() - started, 1)
    stats["rate"] = round(count / stats["seconds"], 1)
    engine.dispose()
    return stats


def _upgrade(url: str) -> None:
    from storage import db

    engine = db.make_engine(url)
    db.upgrade(engine)
    engine.dispose()


def _after_load(engine: sa.Engine) -> None:
    """What a bulk load ends with: summary tables refreshed, planner statistics."""
    from storage import org_directory
    from storage.search import summary

    with engine.begin() as conn:
        summary.refresh(conn)
        org_directory.refresh(conn)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            # The notice table for index-only date walks (visibility map), statistics for the estimates.
            conn.execute(sa.text("VACUUM ANALYZE notice"))
            conn.execute(sa.text("ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(sa.text("ANALYZE"))


def vacuum(url: str) -> None:
    """PostgreSQL, after the last bulk write: VACUUM sets the rows' hint bits and the visibility map once, so
    the first searches neither write every page they read nor visit the heap for index-only scans (a
    `spread_first_seen` UPDATE of every notice clears both), and empties the facet deltas' pages (a bulk
    load's deltas, deleted by the summary refresh, are otherwise scanned by every search that reads them)."""
    engine = sa.create_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            # `spread_first_seen` wrote a second copy of every notice row (a crawl writes first_seen once, at
            # insert): without the rewrite half the notice table's pages are free space, 1.1 KB a notice.
            conn.execute(sa.text("VACUUM FULL notice"))
            conn.execute(sa.text("VACUUM ANALYZE"))  # every table a load wrote (parties, tags, amounts …)
    engine.dispose()


# Copying a generated corpus inside the database: every table a notice has rows in, with new ids (the base's
# id + k × the base's largest id), urls and project codes; published_at moves back k × SHIFT_DAYS days.
SHIFT_DAYS = 37
_SERIAL = ("notice", "noticeversion", "attachment", "noticeamount", "extraction")


def _columns(conn: sa.Connection, table: str) -> list[str]:
    return [c["name"] for c in sa.inspect(conn).get_columns(table)]


def _copy_sql(conn: sa.Connection, table: str, base_max: dict[str, int], pg: bool) -> str:
    """INSERT … SELECT copying `table`'s rows of the base notices for copy :k (a bound parameter)."""
    cols = _columns(conn, table)
    off = base_max["notice"]
    shift = "published_at - make_interval(days => :k * %d)" % SHIFT_DAYS if pg else \
        "strftime('%%Y-%%m-%%d %%H:%%M:%%f000', published_at, '-' || (:k * %d) || ' days')" % SHIFT_DAYS
    special = {
        "notice_id": f"notice_id + :k * {off}",
        "id": f"id + :k * {base_max.get(table, 0)}",
    }
    if table == "notice":
        special.update({
            "id": f"id + :k * {off}",
            "url": "url || '#copy' || :k",
            "published_at": shift,
            "project_code": "CASE WHEN project_code IS NULL THEN NULL ELSE project_code || '-C' || :k END",
            "procurement_key": "CASE WHEN procurement_key IS NULL THEN NULL ELSE 'C' || :k || ':' || procurement_key END",
        })
    select = ", ".join(special.get(c, c) for c in cols)
    bound = f"notice_id <= {off}" if "notice_id" in cols else f"id <= {off}"
    return f"INSERT INTO {table} ({', '.join(cols)}) SELECT {select} FROM {table} WHERE {bound}"


# SQLite, the bench's copy only: no rollback journal, no fsync and a 1 GB page cache. A build that dies leaves
# a broken file, so SQLite files are built under a temporary name (`ensure`) and rebuilt, never repaired.
_SQLITE_COPY_PRAGMAS = ("PRAGMA journal_mode=OFF", "PRAGMA synchronous=OFF", "PRAGMA cache_size=-1000000")
# FTS5 while copying (stored in notice_fts_config): pending tokens are flushed as a segment when they pass
# `hashsize` (default 1 MB: a dozen segments per 1,000 notices) and at each commit, so a copy of 10,000 notices
# becomes one segment; no automatic merging after each write (crisis merges of 16 segments of a level still
# happen); one 'optimize' at the end (`optimize_fts`). Then the defaults again, for the app's writes.
_FTS_COPY = {"hashsize": 1 << 30, "automerge": 0}
_FTS_DEFAULTS = {"hashsize": 1 << 20, "automerge": 4}


def _sqlite_copy_engine(url: str) -> sa.Engine:
    engine = sa.create_engine(url)
    if engine.dialect.name == "sqlite":
        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):
            for pragma in _SQLITE_COPY_PRAGMAS:
                dbapi_conn.execute(pragma)
    return engine


def _fts_config(conn: sa.Connection, values: dict[str, int]) -> None:
    for key, value in values.items():
        conn.execute(sa.text("INSERT INTO notice_fts(notice_fts, rank) VALUES(:k, :v)"), {"k": key, "v": value})


def fts_segments(url: str) -> int:
    """How many b-trees (segments) SQLite's full-text index is made of: a term is looked up in each."""
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        n = conn.execute(sa.text("SELECT count(DISTINCT segid) FROM notice_fts_idx")).scalar_one()
    engine.dispose()
    return n


def optimize_fts(url: str) -> float:
    """SQLite: merge the full-text index into one segment (FTS5 'optimize'); the seconds it took."""
    engine = _sqlite_copy_engine(url)
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO notice_fts(notice_fts) VALUES('optimize')"))
    engine.dispose()
    return round(time.perf_counter() - started, 1)


def replicate(url: str, copies: int, *, progress: bool = True, finish: bool = True, merge: bool = True) -> dict:
    """Grow the database at `url` (one generated corpus) to `copies` times its notices. On SQLite the
    full-text index is then merged into one segment, unless `merge` is false."""
    engine = _sqlite_copy_engine(url)
    pg = engine.dialect.name == "postgresql"
    tables = ["notice", "noticeversion", "attachment", "noticeparty", "noticeamount", "noticetag", "extraction"]
    started = time.perf_counter()
    with engine.connect() as conn:
        base_max = {t: conn.execute(sa.text(f"SELECT coalesce(max(id), 0) FROM {t}")).scalar_one() for t in _SERIAL}
        base = conn.execute(sa.text("SELECT count(*) FROM notice")).scalar_one()
        sqls = {t: _copy_sql(conn, t, base_max, pg) for t in tables}
    if pg:
        with engine.begin() as conn:
            conn.execute(sa.text("DROP INDEX IF EXISTS ix_notice_search_tsv"))
            # The copy's parts go in the partitions of their moved dates (storage/search/partitions.py).
            moved = "published_at - make_interval(days => :k * %d)" % SHIFT_DAYS
            bucket = BUCKET_SQL.format(column=f"({moved})")
            sqls["notice_search_years"] = (f"SELECT notice_search_ensure_bucket(b) FROM (SELECT DISTINCT {bucket} AS b"
                                           f" FROM notice WHERE id <= {base_max['notice']}) AS years")
            sqls["notice_search"] = (f"INSERT INTO notice_search (notice_id, part, bucket, published_at, tsv) SELECT"
                                     f" notice_id + :k * {base_max['notice']}, part, {bucket}, {moved}, tsv"
                                     f" FROM notice_search WHERE notice_id <= {base_max['notice']}")
    else:
        from storage.search.index import indexed_text, sqlite_body
        from storage.search.tokens import index_tokens

        with engine.connect() as conn:
            ids = conn.execute(sa.text("SELECT id FROM notice ORDER BY id")).scalars().all()
            fts_rows = []
            for nid in ids:
                title, body = indexed_text(conn, nid)
                fts_rows.append({"id": nid, "title": " ".join(index_tokens(title)), "body": sqlite_body(body)})
        with engine.begin() as conn:
            _fts_config(conn, _FTS_COPY)
    for k in range(1, copies):
        with engine.begin() as conn:
            for t, sql in sqls.items():
                conn.execute(sa.text(sql), {"k": k})
            if not pg:
                off = base_max["notice"] * k
                conn.execute(sa.text("INSERT INTO notice_fts(rowid, title, body) VALUES(:id, :title, :body)"),
                             [{**r, "id": r["id"] + off} for r in fts_rows])
        if progress:
            print(f"  copy {k + 1}/{copies}: {base * (k + 1):,} notices ({time.perf_counter() - started:,.0f} s)",
                  file=sys.stderr, flush=True)
    if pg:
        with engine.connect() as conn:
            for t in _SERIAL:
                conn.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT max(id) FROM {t}))"))
            conn.execute(sa.text("SET maintenance_work_mem = '512MB'"))
            conn.execute(sa.text("CREATE INDEX ix_notice_search_tsv ON notice_search USING GIN (tsv)"))
            conn.commit()
    merged = {}
    if not pg:
        with engine.begin() as conn:
            _fts_config(conn, _FTS_DEFAULTS)
        merged = {"fts_segments_copied": fts_segments(url)}
        if merge:
            merged["fts_optimize_seconds"] = optimize_fts(url)
    if finish:
        _after_load(engine)
    seconds = time.perf_counter() - started
    engine.dispose()
    return {"notices": base * copies, "copied": base * (copies - 1), "seconds": round(seconds, 1),
            "rate": round(base * (copies - 1) / seconds, 1), "copies": copies, **merged}


def spread_first_seen(url: str) -> None:
    """first_seen = the day after publication, as for a crawl that keeps up with the sites: exports and
    digests select by first_seen, so a year or a week of the archive is then a year or a week of notices."""
    engine = _sqlite_copy_engine(url)  # on SQLite, every notice row rewritten: no journal of it
    later = "published_at + interval '1 day'" if engine.dialect.name == "postgresql" else \
        "strftime('%Y-%m-%d %H:%M:%f000', published_at, '+1 day')"
    with engine.begin() as conn:
        conn.execute(sa.text(f"UPDATE notice SET first_seen = {later}, last_seen = {later}, last_changed = {later}"
                             " WHERE published_at IS NOT NULL"))
    engine.dispose()


# ---------------------------------------------------------------- measuring

# The bench's query mix (bench/bench_store_search.py), by kind; every search counts facets.
KINDS: dict[str, list[dict]] = {
    "CJK 1-2 chars": [dict(text=t) for t in ("云", "算", "算力", "华为", "采购", "服务")],
    "CJK 3-4 chars": [dict(text=t) for t in ("阿里云", "云服务器", "人工智能", "智算中心")],
    "Latin tokens": [dict(text=t) for t in ("A100", "H100", "GPU", "AWS", "p4d.24xlarge", "Azure")],
    "phrase/OR/NOT": [dict(text=t) for t in ("阿里云 OR 华为云", '"GPU 服务器"', "算力 -华为")],
    "filters": [dict(text="服务", since="2024-01-01"), dict(text="云", region="北京", sort="date"),
                dict(text="算力", provider="aws"), dict(text="A100", amount_min=1e6),
                dict(text="GPU", notice_type="award"), dict(text="A100", buyer="大学"),
                dict(provider="aws"), dict(chip="nvidia-a100"), dict(since="2024-01-01", until="2024-12-31"),
                dict(text="服务", since="2023-01-01", until="2023-12-31")],
    "browse": [dict(), dict(region="北京"), dict(flag="us_provider"), dict(page=50), dict(text="服务", page=50, sort="date")],
    "cases only": [dict(text=t, cases_only=True) for t in ("", "云", "服务", "A100", "阿里云")],
}


def _query(kw: dict):
    from datetime import date

    from storage.search import SearchQuery

    kw = dict(kw)
    for k in ("since", "until"):
        if k in kw:
            kw[k] = date.fromisoformat(kw[k])
    return SearchQuery(**kw)


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def measure_search(url: str, repeat: int) -> dict:
    from storage.store import Store

    store = Store.open(url, read_only=True)
    out: dict[str, Any] = {"kinds": {}, "notes": []}
    for kws in KINDS.values():  # warm the caches once
        for kw in kws:
            store.search(_query(kw))
    everything: list[float] = []
    for kind, kws in KINDS.items():
        times = []
        slowest = (0.0, "")
        for kw in kws:
            for _ in range(repeat):
                t0 = time.perf_counter()
                result = store.search(_query(kw))
                times.append((time.perf_counter() - t0) * 1000)
                if times[-1] > slowest[0]:
                    slowest = (times[-1], ", ".join(f"{k}={v}" for k, v in kw.items()) or "(everything)")
            if result.scope_note and kw.get("text") in ("服务", "云") and len(kw) == 1:
                out["notes"].append(f"{kw['text']}: {result.scope_note}")
        everything += times
        out["kinds"][kind] = (statistics.median(times), pct(times, 95), slowest)
    out["all"] = (statistics.median(everything), pct(everything, 95))
    # Facet cost: the same searches with and without facets.
    with_f, without = [], []
    for kws in KINDS.values():
        for kw in kws:
            for facets, bucket in ((True, with_f), (False, without)):
                q = _query(kw)
                q.facets = facets
                t0 = time.perf_counter()
                store.search(q)
                bucket.append((time.perf_counter() - t0) * 1000)
    out["facets"] = statistics.median(with_f) - statistics.median(without)
    store.close()
    return out


_RSS_CHILD = """
import resource, sys, time
sys.argv = ["tenderwatch", *sys.argv[1:]]
from tenderwatch.cli import main
t0 = time.perf_counter()
try:
    main()
except SystemExit as exc:
    if exc.code not in (0, None):
        raise
print("BENCH", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, time.perf_counter() - t0, file=sys.stderr)
"""

# The biggest buyer's page and the directory's first page as the site serves them (through the app).
_ORG_CHILD = """
import resource, sys, time
import sqlalchemy as sa
from fastapi.testclient import TestClient
from storage.db import make_engine
from web.app import create_app
engine = make_engine(sys.argv[1], read_only=True)
with engine.connect() as conn:
    biggest = conn.execute(sa.text("SELECT CAST(value AS INTEGER) FROM facet_total WHERE facet = 'buyer' ORDER BY n DESC LIMIT 1")).scalar()
client = TestClient(create_app(sys.argv[1], search_cache=0))
t0 = time.perf_counter()
for path in sys.argv[2:]:
    response = client.get(path.replace("BIGGEST", str(biggest)))
    assert response.status_code == 200, (path, response.status_code)
print("BENCH", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, time.perf_counter() - t0, file=sys.stderr)
"""


def _run_measured(code: str, args: list[str], env: dict | None = None) -> tuple[float, float, str]:
    """(peak RSS MB, seconds, error) of a child process running `code` with `args` (and `env` added to its
    environment)."""
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, **(env or {})})
    for line in proc.stderr.splitlines():
        if line.startswith("BENCH "):
            _, rss, secs = line.split()
            return int(rss) / 1024, float(secs), ""
    return 0.0, 0.0, (proc.stderr.strip().splitlines() or ["failed"])[-1][:120]


# Re-extraction is measured on one shard of about this many notices (`reextract --all --shard 1/N`): the command
# still walks the whole archive's ids to find its shard, and the rate per notice does not depend on N.
REEXTRACT_NOTICES = 1000


def measure_streaming(url: str, year: str, week: str, out_dir: Path, year_formats: list[str]) -> dict:
    """Peak RSS and time of the commands that read the whole archive, each in its own process. Re-extraction
    writes: its shard (a tenth of a percent of the million, the same notices each run) is extracted again from
    the raw pages, so those copies may take back the dates their pages hold instead of the bench's moved ones."""
    out_dir.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        total = conn.execute(sa.text("SELECT count(*) FROM notice")).scalar_one()
        cases = conn.execute(sa.text("SELECT count(*) FROM notice WHERE remote_compute")).scalar_one()
        in_year = conn.execute(sa.text("SELECT count(*) FROM notice WHERE first_seen >= :a AND first_seen < :b"),
                               {"a": f"{year}-01-01", "b": f"{int(year) + 1}-01-01"}).scalar_one()
    engine.dispose()
    db = ["--database-url", url]
    jobs = {
        "stats": (_RSS_CHILD, ["stats", *db], None),
        "digest (one week)": (_RSS_CHILD, ["digest", "--week", week, "--out", str(out_dir / "digest"), *db], None),
        "org page (biggest buyer)": (_ORG_CHILD, [url, "/orgs/BIGGEST"], None),
        "orgs directory (3 sorts)": (_ORG_CHILD, [url, "/orgs", "/orgs?sort=money", "/orgs?role=vendor&sort=notices"], None),
    }
    for fmt in ("ocds", "csv", "jsonl"):
        jobs[f"export {fmt}, cases"] = (_RSS_CHILD, ["export", "--format", fmt, "--cases-only", "--out",
                                                     str(out_dir / f"cases.{fmt}"), *db], cases)
    for fmt in year_formats:
        jobs[f"export {fmt}, {year}"] = (_RSS_CHILD, ["export", "--format", fmt, "--since", f"{year}-01-01", "--until",
                                                      f"{year}-12-31", "--out", str(out_dir / f"{year}.{fmt}"), *db], in_year)
    shards = max(1, total // REEXTRACT_NOTICES)
    with engine.connect() as conn:
        in_shard = conn.execute(sa.text("SELECT count(*) FROM notice WHERE id % :n = 0"), {"n": shards}).scalar_one()
    engine.dispose()
    reextract = f"reextract (shard 1/{shards})"
    jobs[reextract] = (_RSS_CHILD, ["reextract", "--all", "--shard", f"1/{shards}", *db], in_shard)
    out = {}
    for label, (code, args, count) in jobs.items():
        # The raw pages the copies name are the generated corpus's, kept under DATA/raw.
        rss, secs, error = _run_measured(code, args, {"TENDERWATCH_DATA_DIR": str(DATA)} if label == reextract else None)
        out[label] = {"rss_mb": rss, "seconds": secs, "rate": None, "notices": count, "error": error}
    if not out[reextract]["error"] and out[reextract]["seconds"] > 0:
        out[reextract]["rate"] = in_shard / out[reextract]["seconds"]  # start-up included
    # Rate of a year's export beyond the fixed cost of a run (start-up, imports, the package header): the
    # extra notices over the extra time, against the same format's export of the (few) cases.
    for fmt in year_formats:
        year_run, cases_run = out[f"export {fmt}, {year}"], out[f"export {fmt}, cases"]
        extra_time = year_run["seconds"] - cases_run["seconds"]
        if not year_run["error"] and extra_time > 0 and in_year > cases:
            year_run["rate"] = (in_year - cases) / extra_time
    return out


def raw_bytes_per_notice(url: str, blob_dir: Path = DATA / "raw") -> float:
    """The raw bytes (page and attachments) a notice keeps in the blob store, outside the database: each
    notice's own blobs counted, as an archive of distinct notices holds one each (the 100k's and the million's
    copies share the 10k corpus's files). Blobs missing from `blob_dir` count nothing."""
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        n = conn.execute(sa.text("SELECT count(*) FROM notice")).scalar_one()
        uses = conn.execute(sa.text("SELECT sha, count(*) FROM (SELECT raw_sha256 AS sha FROM notice UNION ALL"
                                    " SELECT sha256 FROM attachment) AS b WHERE sha IS NOT NULL GROUP BY sha")).all()
    engine.dispose()
    from storage.blobs import BlobStore

    blobs = BlobStore(blob_dir)
    size = sum((blobs.stored_size(sha) or 0) * k for sha, k in uses)  # loose file or packed (compressed) bytes
    return size / max(n, 1)


def bytes_per_notice(url: str) -> float:
    """The database's size (tables, indexes, TOAST; or the SQLite file and its WAL) per notice; the raw bytes
    in the blob store are `raw_bytes_per_notice`."""
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        n = conn.execute(sa.text("SELECT count(*) FROM notice")).scalar_one()
        if engine.dialect.name == "postgresql":
            size = conn.execute(sa.text("SELECT pg_database_size(current_database())")).scalar_one()
        else:
            path = Path(engine.url.database)
            size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    engine.dispose()
    return size / max(n, 1)


# ---------------------------------------------------------------- building what is missing


def ensure(backend: str, size: str, server: str) -> tuple[str, dict]:
    """The database for (backend, size), built if missing; with how it was built. Built under a temporary
    name, renamed when complete (module docstring); one build at a time (`_one_build`)."""
    url = pg_url(size, server) if backend == "postgresql" else sqlite_url(size)
    meta = DATA / f"{backend}-{size}.build.json"
    pending = meta.with_name(meta.name + ".building")  # the record of a complete build not yet renamed
    if not _exists(backend, size, server):
        with _one_build():
            if not _exists(backend, size, server):  # another build may have made it while this one waited
                _build(backend, size, server, url, meta, pending)
    if not meta.exists() and pending.exists():  # renamed, then killed before its record was
        os.replace(pending, meta)
    if backend == "postgresql" and not meta.exists():
        raise BuildError(f"{pg_name(size)} has no build record ({meta}): a build that did not finish, or one still "
                         f"running; drop it (DROP DATABASE {pg_name(size)}) to build it again")
    _upgrade(url)  # the schema at the newest migration (summary tables included)
    return url, json.loads(meta.read_text()) if meta.exists() else {"how": "found"}


def _exists(backend: str, size: str, server: str, suffix: str = "") -> bool:
    if backend == "postgresql":
        return pg_exists(size + suffix, server)
    return Path(sqlite_url(size)[len("sqlite:///"):] + (".building" if suffix else "")).exists()


def _build(backend: str, size: str, server: str, url: str, meta: Path, pending: Path) -> None:
    """Build the database under its temporary name, write its record beside the final one (`pending`), rename
    the database, then the record: a rename that fails leaves the complete build and its record, and the next
    run only renames them."""
    DATA.mkdir(parents=True, exist_ok=True)
    if not (pending.exists() and _exists(backend, size, server, BUILDING)):
        pending.unlink(missing_ok=True)  # its database is gone: build anew
        if size == "10k":
            building = _start_building(backend, size, server)
            info = {"how": "generated", **build_generated(building, SIZES[size])}
        else:
            ensure(backend, "10k", server)
            building = _start_building(backend, size, server, copy_of="10k")
            copies = SIZES[size] // SIZES["10k"]
            info = {"how": f"10k generated, copied x{copies}", **replicate(building, copies)}
        spread_first_seen(building)
        vacuum(building)
        pending.write_text(json.dumps(info))
    _finish_building(backend, size, server, url)
    os.replace(pending, meta)


# One build at a time: two builds of a size would drop or unlink each other's temporary database between their
# steps (no step keeps a connection to it throughout). Held through a build's own build of the 10k it copies.
_held = 0


@contextmanager
def _one_build():
    global _held
    if _held:
        _held += 1
        try:
            yield
        finally:
            _held -= 1
        return
    import fcntl

    DATA.mkdir(parents=True, exist_ok=True)
    with open(DATA / ".build.lock", "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildError(f"another build is running (it holds {DATA / '.build.lock'}); "
                             "run again when it has finished") from None
        _held = 1
        try:
            yield
        finally:
            _held = 0
            fcntl.flock(lock, fcntl.LOCK_UN)


def _sqlite_files(path: Path) -> list[Path]:
    """An SQLite database's file and the files SQLite keeps beside it (a killed build leaves them)."""
    return [path] + [path.with_name(path.name + s) for s in ("-wal", "-shm", "-journal")]


def _start_building(backend: str, size: str, server: str, copy_of: str | None = None) -> str:
    """The temporary database of a build, new: empty, or a copy of the complete database of size `copy_of`
    (what an earlier build left under the temporary name is removed first); its URL."""
    if backend == "postgresql":
        name = pg_name(size) + BUILDING
        with _admin(server).connect() as conn:
            try:  # not WITH (FORCE): a session still connected to it (a build, psql) keeps it, and is left alone
                conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name}"))
            except sa.exc.DBAPIError as exc:
                raise BuildError(f"{name} is in use, by another build still running? ({_first_line(exc)})") from None
            try:  # a copy needs the template to itself: no session may be connected to it
                conn.execute(sa.text(f"CREATE DATABASE {name}" + (f" TEMPLATE {pg_name(copy_of)}" if copy_of else "")))
            except sa.exc.DBAPIError as exc:
                raise BuildError(f"cannot create {name}" + (f" as a copy of {pg_name(copy_of)}" if copy_of else "")
                                 + f" ({_first_line(exc)}); close the sessions connected to it and run again") from None
        return pg_url(size + BUILDING, server)
    path = Path(sqlite_url(size)[len("sqlite:///"):] + ".building")
    for p in _sqlite_files(path):
        p.unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    if copy_of:
        _sqlite_copy(sqlite_url(copy_of), url)
    return url


def _first_line(exc: sa.exc.DBAPIError) -> str:
    return str(exc.orig).strip().splitlines()[0]


def _sqlite_copy(source_url: str, target_url: str) -> None:
    """A copy of an SQLite database through SQLite (its -wal included), not of its file alone."""
    import sqlite3

    source = sqlite3.connect(source_url[len("sqlite:///"):])
    target = sqlite3.connect(target_url[len("sqlite:///"):])
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()


def _finish_building(backend: str, size: str, server: str, url: str) -> None:
    """Give the complete database (under its temporary name) its name. SQLite: its pages all in the one file
    first (out of WAL mode; the app's engine puts it back at open), so the renamed file holds the whole
    database, and no -wal/-shm/-journal of an older file beside the name: SQLite would replay a -wal left there
    over the new file (it ignores one only beside an empty file)."""
    if backend == "postgresql":
        with _admin(server).connect() as conn:
            try:
                conn.execute(sa.text(f"ALTER DATABASE {pg_name(size) + BUILDING} RENAME TO {pg_name(size)}"))
            except sa.exc.DBAPIError as exc:
                raise BuildError(f"{pg_name(size) + BUILDING} is complete but could not be renamed ({_first_line(exc)});"
                                 " close the sessions connected to it and run again: it will only be renamed") from None
        return
    import sqlite3

    path = Path(sqlite_url(size)[len("sqlite:///"):] + ".building")
    conn = sqlite3.connect(path)
    try:
        mode = conn.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
    finally:
        conn.close()
    left = [p.name for p in _sqlite_files(path)[1:] if p.exists()]
    if mode != "delete" or left:  # another connection holds it: renaming now could lose pages
        raise BuildError(f"{path} is still open elsewhere (journal mode {mode}; {', '.join(left) or 'no other files'})")
    final = Path(url[len("sqlite:///"):])
    for stale in _sqlite_files(final)[1:]:  # of a database no longer there (the final name is free: `ensure`)
        stale.unlink(missing_ok=True)
    os.replace(path, final)
    path.with_name(path.name + ".migrate.lock").unlink(missing_ok=True)  # storage.db's, beside the file it migrated


def drop(server: str) -> None:
    """Drop the benchmark's databases (every size, built or being built) and remove its files; not while a
    build runs (`_one_build`)."""
    with _one_build(), _admin(server).connect() as conn:
        for size in SIZES:
            for name in (pg_name(size), pg_name(size) + BUILDING):
                conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        for p in [*DATA.glob("sqlite-*"), *DATA.glob("*.json"), *DATA.glob("*.json.building")]:
            p.unlink()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="10k,100k,1m", help="comma-separated: 10k 100k 1m")
    ap.add_argument("--sqlite-sizes", default="10k,100k", help="SQLite sizes ('' for none)")
    ap.add_argument("--pg", default=PG_SERVER, help="PostgreSQL server URL (without a database)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-streaming", action="store_true", help="skip the RSS/export measurements")
    ap.add_argument("--year", default="2024", help="the year exported (by first_seen)")
    ap.add_argument("--week", default="2024-W20", help="the digest's week")
    ap.add_argument("--year-formats", default="ocds,csv,jsonl", help="formats exported for the whole year")
    ap.add_argument("--drop", action="store_true", help="drop the benchmark databases and files, then exit")
    args = ap.parse_args(argv)
    if args.drop:
        try:
            drop(args.pg)
        except BuildError as exc:
            print(f"bench-scale: {exc}", file=sys.stderr)
            return 1
        print(f"dropped {PG_PREFIX}* and", DATA)
        return 0
    runs = [("postgresql", s) for s in args.sizes.split(",") if s] + \
        [("sqlite", s) for s in args.sqlite_sizes.split(",") if s]
    load = os.getloadavg()[0]
    print(f"bench-scale: {len(runs)} databases; load average {load:.1f} on {os.cpu_count()} cores at start")
    rows = []
    for backend, size in runs:
        try:
            url, info = ensure(backend, size, args.pg)
        except BuildError as exc:
            print(f"bench-scale: {exc}", file=sys.stderr)
            return 1
        search = measure_search(url, args.repeat)
        streaming = {} if args.no_streaming else measure_streaming(url, args.year, args.week, DATA / "out" / f"{backend}-{size}",
                                                                   [f for f in args.year_formats.split(",") if f])
        rows.append((backend, size, info, search, streaming, bytes_per_notice(url)))
        _print_one(rows[-1])
        print(f"  raw bytes in the blob store (outside the database): {raw_bytes_per_notice(url) / 1024:,.1f} KB"
              " per notice")
    _print_curve(rows)
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    return 0


def _print_one(row) -> None:
    backend, size, info, search, streaming, bpn = row
    print(f"\n== {backend} {size}: {info.get('how')}; load {info.get('rate', '-')} notices/s"
          f"{' (copies)' if 'copied' in info else ''}; {bpn / 1024:,.1f} KB per notice")
    for kind, (p50, p95, slowest) in search["kinds"].items():
        print(f"  search {kind:<14} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms   slowest {slowest[0]:6.0f} ms: {slowest[1]}")
    print(f"  search {'all':<14} p50 {search['all'][0]:7.1f} ms  p95 {search['all'][1]:7.1f} ms;"
          f" facets add {search['facets']:.1f} ms (p50)")
    for note in search["notes"]:
        print(f"  {note}")
    for label, m in streaming.items():
        rate = f"{m['rate']:,.0f} notices/s" if m["rate"] else ""
        err = f"  ERROR {m['error']}" if m["error"] else ""
        print(f"  {label:<26} peak RSS {m['rss_mb']:6.0f} MB  {m['seconds']:7.1f} s  {rate}{err}")


def _print_curve(rows) -> None:
    print("\nGrowth curve (search in ms, p50/p95, facets on; RSS = the largest of the streaming commands)")
    print("| backend | notices | KB/notice | all p50 | all p95 | CJK 1-2 p95 | filters p95 | facets +ms |"
          " export notices/s (min) | peak RSS MB (max) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for backend, size, _info, search, streaming, bpn in rows:
        rates = [m["rate"] for k, m in streaming.items() if k.startswith("export") and m["rate"]]
        rss = max((m["rss_mb"] for m in streaming.values()), default=0)
        print(f"| {backend} | {size} | {bpn / 1024:.1f} | {search['all'][0]:.1f} | {search['all'][1]:.1f} |"
              f" {search['kinds']['CJK 1-2 chars'][1]:.1f} | {search['kinds']['filters'][1]:.1f} |"
              f" {search['facets']:.1f} | {min(rates) if rates else 0:,.0f} | {rss:.0f} |")
    pg = {size: search["all"][1] for backend, size, _i, search, _s, _b in rows if backend == "postgresql"}
    if "100k" in pg and "1m" in pg:
        print(f"PostgreSQL search p95 at 1M / at 100k: {pg['1m'] / pg['100k']:.2f} (goal <= 3)")


if __name__ == "__main__":
    sys.exit(main())
