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


# ---------------------------------------------------------------- building: named only when complete
@pytest.fixture
def small_sizes(tmp_path, monkeypatch):
    """The benchmark's sizes made small (30 generated notices, copied twice for the next size) and its files
    in tmp_path."""
    monkeypatch.setattr(bench_scale, "DATA", tmp_path / "scale")
    monkeypatch.setattr(bench_scale, "SIZES", {"10k": 30, "100k": 60, "1m": 90})
    return tmp_path / "scale"


class Died(RuntimeError):
    pass


def _dies(*args, **kwargs):
    raise Died("the build was killed")


def _database_files(data) -> list[str]:
    return sorted(p.name for p in data.glob("sqlite-*") if not p.name.endswith((".json", ".migrate.lock")))


def _notices(url: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                assert conn.execute(sa.text("PRAGMA integrity_check")).scalar_one() == "ok"
            return conn.execute(sa.text("SELECT count(*) FROM notice")).scalar_one()
    finally:
        engine.dispose()


def _other_databases_wal(data, name: str) -> None:
    """A -wal of another database (a table `stale`, its pages only in the WAL) left at `name`: what a process
    using an earlier file of that name leaves when it dies and the file is deleted by hand."""
    import shutil
    import sqlite3

    other = data / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA wal_autocheckpoint=0")
    conn.execute("CREATE TABLE stale (x)")
    conn.commit()
    shutil.copy(data / "other.db-wal", data / name)
    conn.close()
    for p in data.glob("other.db*"):
        p.unlink()


def _tables(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return set(conn.execute(sa.text("SELECT name FROM sqlite_master WHERE type = 'table'")).scalars())
    finally:
        engine.dispose()


def test_an_sqlite_build_that_died_leaves_nothing_a_later_run_takes_for_a_finished_database(small_sizes, monkeypatch):
    data = small_sizes
    data.mkdir(parents=True)
    # What a killed build of the 10k left: a half-written file under the temporary name and its -wal and -shm.
    for name in ("sqlite-10k.db.building", "sqlite-10k.db.building-wal", "sqlite-10k.db.building-shm"):
        (data / name).write_bytes(b"\x00half-written" * 100)

    url, info = bench_scale.ensure("sqlite", "10k", "")
    assert info["how"] == "generated" and _notices(url) == 30
    assert _database_files(data) == ["sqlite-10k.db"]  # no -wal beside it: all in the one file

    with monkeypatch.context() as m:  # the copy to the next size is killed halfway
        m.setattr(bench_scale, "replicate", _dies)
        with pytest.raises(Died):
            bench_scale.ensure("sqlite", "100k", "")
    assert not (data / "sqlite-100k.db").exists() and not (data / "sqlite-100k.build.json").exists()

    _other_databases_wal(data, "sqlite-100k.db-wal")  # beside the name the rebuilt file will take
    url, info = bench_scale.ensure("sqlite", "100k", "")  # the next run builds it again, from the start
    assert info["copies"] == 2 and _notices(url) == 60
    assert "stale" not in _tables(url) and "notice" in _tables(url)  # the other database's WAL was not replayed
    assert _database_files(data) == ["sqlite-100k.db", "sqlite-10k.db"]


def test_one_build_at_a_time(small_sizes):
    import fcntl

    small_sizes.mkdir(parents=True)
    with open(small_sizes / ".build.lock", "a") as other:  # another build holds the lock
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(bench_scale.BuildError, match="another build is running"):
            bench_scale.ensure("sqlite", "10k", "")
        with pytest.raises(bench_scale.BuildError, match="another build is running"):
            bench_scale.drop("")
        fcntl.flock(other, fcntl.LOCK_UN)
    assert not (small_sizes / "sqlite-10k.db").exists()
    url, info = bench_scale.ensure("sqlite", "10k", "")
    assert info["how"] == "generated" and _notices(url) == 30


@pytest.mark.postgres
def test_a_postgresql_build_that_died_is_built_again_renamed_when_it_can_be_and_one_without_its_record_is_not_used(
        postgres_url, small_sizes, monkeypatch):
    """On the test server, under names of its own (never the benchmark's: `drop` is not called here)."""
    import uuid

    server = postgres_url.rsplit("/", 1)[0]
    prefix = f"tw_test_scale_{uuid.uuid4().hex[:8]}_"
    monkeypatch.setattr(bench_scale, "PG_PREFIX", prefix)
    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    building = bench_scale.pg_name("10k") + bench_scale.BUILDING

    def databases() -> set[str]:
        with admin.connect() as conn:
            return set(conn.execute(sa.text("SELECT datname FROM pg_database WHERE datname LIKE :p"),
                                    {"p": prefix + "%"}).scalars())

    try:
        with monkeypatch.context() as m:  # the first build is killed while generating
            m.setattr(bench_scale, "build_generated", _dies)
            with pytest.raises(Died):
                bench_scale.ensure("postgresql", "10k", server)
        assert databases() == {building}  # not under its name

        # The next build completes, but a session connected to it stops the rename: a one-line error, the
        # database and its record kept.
        held = []
        vacuum = bench_scale.vacuum

        def vacuum_then_look(url):
            vacuum(url)
            held.append(sa.create_engine(url).connect())

        with monkeypatch.context() as m:
            m.setattr(bench_scale, "vacuum", vacuum_then_look)
            with pytest.raises(bench_scale.BuildError, match="could not be renamed"):
                bench_scale.ensure("postgresql", "10k", server)
        assert databases() == {building} and not (small_sizes / "postgresql-10k.build.json").exists()
        held[0].close()
        held[0].engine.dispose()
        with monkeypatch.context() as m:  # the run after only renames it
            m.setattr(bench_scale, "build_generated", _dies)
            url, info = bench_scale.ensure("postgresql", "10k", server)
        assert info["how"] == "generated" and _notices(url) == 30
        assert databases() == {bench_scale.pg_name("10k")}

        with monkeypatch.context() as m:  # and the next one reuses it
            m.setattr(bench_scale, "build_generated", _dies)
            assert bench_scale.ensure("postgresql", "10k", server) == (url, info)
        assert databases() == {bench_scale.pg_name("10k")}

        # The next size: a copy of the 10k (CREATE DATABASE … TEMPLATE), replicated, then renamed.
        url, info = bench_scale.ensure("postgresql", "100k", server)
        assert info["copies"] == 2 and _notices(url) == 60
        assert databases() == {bench_scale.pg_name("10k"), bench_scale.pg_name("100k")}

        # A copy needs its template to itself: a session connected to the 10k gives a one-line error.
        with sa.create_engine(bench_scale.pg_url("10k", server)).connect():
            with pytest.raises(bench_scale.BuildError, match="as a copy of"):
                bench_scale.ensure("postgresql", "1m", server)

        # A database under its name without its build record: an earlier version built in place and died.
        (small_sizes / "postgresql-100k.build.json").unlink()
        with pytest.raises(bench_scale.BuildError, match="no build record"):
            bench_scale.ensure("postgresql", "100k", server)
    finally:
        assert bench_scale.PG_PREFIX.startswith("tw_test_scale_")
        with admin.connect() as conn:
            for name in databases():
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    assert not databases()
