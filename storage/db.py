"""Database engines and schema migrations.

SQLite gets WAL (readers never block the crawler's writer), foreign keys, a busy timeout and
`synchronous=NORMAL` on every connection. The schema is owned by Alembic (`storage/migrations/`) from the
first table on; `upgrade()` runs it programmatically and is what `Store.open` and `tenderwatch db upgrade`
call. Concurrent first opens are serialised (a file lock on SQLite, an advisory lock on PostgreSQL).
"""

from __future__ import annotations

import contextlib
import fcntl
from pathlib import Path
from typing import Iterator

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from storage import config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000
_PG_MIGRATION_LOCK = 0x74656E64  # arbitrary constant: "tend"
WRITE_OPTION = "tenderwatch_write"


class DatabaseError(RuntimeError):
    """The database cannot be used as asked (wrong schema revision, unreachable, read-only misuse)."""


def make_engine(url: str | None = None, *, read_only: bool = False) -> sa.Engine:
    url = url or config.database_url()
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, read_only=read_only)
    engine = sa.create_engine(parsed, pool_pre_ping=True, future=True)
    if read_only:

        @sa.event.listens_for(engine, "connect")
        def _pg_read_only(dbapi_conn, _record):  # pragma: no cover - trivial
            with dbapi_conn.cursor() as cur:
                cur.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
            dbapi_conn.commit()

    return engine


def _sqlite_engine(parsed: sa.URL, *, read_only: bool) -> sa.Engine:
    path = parsed.database
    if path and path != ":memory:":
        if read_only:
            if not Path(path).exists():
                raise DatabaseError(f"no database at {path}")
            parsed = sa.engine.make_url(f"sqlite:///file:{Path(path).resolve()}?mode=ro&uri=true")
        else:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, future=True)

    @sa.event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_conn, _record):
        # Let SQLAlchemy, not pysqlite, decide where transactions begin (pysqlite's legacy mode would not
        # BEGIN before DDL and would commit behind our back).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        if not read_only:
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA cache_size=-32768")  # 32 MB of pages per connection (default 2 MB): search reads indexes
        cur.execute("PRAGMA recursive_triggers=ON")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _sqlite_begin(conn):
        # Writers (connections marked with write_connection()) BEGIN IMMEDIATE: they take the write lock up
        # front and wait on busy_timeout, instead of failing with "database is locked" when a read
        # transaction tries to upgrade. Readers BEGIN DEFERRED and never wait for a writer (WAL).
        write = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write and not read_only else "BEGIN")

    return engine


@contextlib.contextmanager
def write_transaction(engine: sa.Engine) -> Iterator[sa.Connection]:
    """A connection in a write transaction: committed on success, rolled back on any exception, so a
    crawl killed mid-write leaves either the whole notice or nothing."""
    with engine.connect() as conn:
        conn = conn.execution_options(**{WRITE_OPTION: True})
        with conn.begin():
            yield conn


def alembic_config(connection: sa.Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: sa.Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: sa.Engine, revision: str = "head") -> None:
    """Bring the schema to `revision`; a no-op when it is already there."""
    if revision == "head" and current_revision(engine) == head_revision():
        return
    with _migration_lock(engine):
        with write_transaction(engine) as conn:
            if engine.dialect.name == "postgresql":
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})")
            command.upgrade(alembic_config(conn), revision)


def check_schema(engine: sa.Engine) -> None:
    """For read-only users (the web site): refuse a database whose schema is not this code's."""
    current, head = current_revision(engine), head_revision()
    if current != head:
        raise DatabaseError(
            f"database schema is at revision {current or 'none'}, this code expects {head}: "
            "run `tenderwatch db upgrade`"
        )


@contextlib.contextmanager
def _migration_lock(engine: sa.Engine) -> Iterator[None]:
    path = engine.url.database if engine.dialect.name == "sqlite" else None
    if not path or path == ":memory:" or path.startswith("file:"):
        yield
        return
    with open(f"{path}.migrate.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
