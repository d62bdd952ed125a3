"""Database engines and schema migrations.

SQLite gets WAL (readers never block the crawler's writer), foreign keys, a busy timeout and
`synchronous=NORMAL` on every connection. The schema is owned by Alembic (`storage/migrations/`) from the
first table on; `upgrade()` runs it programmatically. Who may run it differs by backend (`open_schema`): a
SQLite file belongs to one machine, so every writer brings it up to date when it opens it; a PostgreSQL
database is shared by many crawler workers and the site, which may run different code versions, so only
`tenderwatch db upgrade` migrates it — a writer only creates the schema in an empty database and refuses any
other revision. Concurrent first opens are serialised (a file lock on SQLite, an advisory lock on PostgreSQL).
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import re
from pathlib import Path
from typing import Iterator

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError

from storage import config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000
_PG_MIGRATION_LOCK = 0x74656E64  # arbitrary constant: "tend"
WRITE_OPTION = "tenderwatch_write"


# The largest row id each backend's id columns hold (SQLite rowids are 64-bit, PostgreSQL's serial ids are
# INTEGER). A larger or non-positive id names no row; binding it would raise OverflowError (SQLite) or
# NumericValueOutOfRange (PostgreSQL) instead of finding nothing.
MAX_ROW_ID = {"sqlite": 2**63 - 1, "postgresql": 2**31 - 1}


# JSON columns (extraction results, list_meta …) hold Chinese text: written as UTF-8, not as \uXXXX escapes,
# which take 6 bytes a character instead of 3.
JSON_SERIALIZER = functools.partial(json.dumps, ensure_ascii=False)


def is_row_id(dialect: str, value: int) -> bool:
    """Whether `value` can be a row id on this backend (else: no such row, without asking the database)."""
    return 0 < value <= MAX_ROW_ID.get(dialect, 2**31 - 1)


class DatabaseError(RuntimeError):
    """The database cannot be used as asked (wrong schema revision, unreachable, read-only misuse)."""


def make_engine(url: str | None = None, *, read_only: bool = False, create: bool = True) -> sa.Engine:
    """An engine on `url` (default: storage.config). `create=False` (implied by `read_only`) refuses a SQLite
    file that does not exist instead of creating it. Failing to connect raises DatabaseError naming the
    database and the reason (`cannot connect to postgresql+psycopg://u@h:5999/db: connection refused`)."""
    url = url or config.database_url()
    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError:
        raise DatabaseError(f"not a database URL: {url!r} (e.g. sqlite:///data/tenderwatch.db, "
                            "postgresql+psycopg://user@host/db)") from None
    if parsed.get_backend_name() == "sqlite":
        engine = _sqlite_engine(parsed, read_only=read_only, create=create)
        _explain_connect_errors(engine, parsed)
        return engine
    try:
        engine = sa.create_engine(parsed, pool_pre_ping=True, future=True, json_serializer=JSON_SERIALIZER)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError) as exc:
        raise DatabaseError(f"cannot use {_shown(parsed)}: {exc}") from None
    _explain_connect_errors(engine, parsed)
    if read_only:

        @sa.event.listens_for(engine, "connect")
        def _pg_read_only(dbapi_conn, _record):  # pragma: no cover - trivial
            with dbapi_conn.cursor() as cur:
                # one snapshot per connection: a page's several reads (e.g. summary totals + deltas) agree
                cur.execute("SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            dbapi_conn.commit()

        # SQLAlchemy ends each use of a connection with ROLLBACK, at which psycopg forgets every statement it
        # prepared; a clean read-only transaction ends with COMMIT instead, so the statements a search repeats
        # stay prepared and their plans are reused (`_end_read_only`).
        engine.dialect.do_rollback = _end_read_only

    return engine


def _end_read_only(conn) -> None:
    """End a read-only PostgreSQL transaction: every SQLAlchemy rollback on such an engine comes here. A failed
    transaction is rolled back, which also makes psycopg drop its prepared statements (one a migration made
    stale, "cached plan must not change result type", then fails once, not on every later search). A clean one
    is COMMITted, which keeps them. COMMIT is not quite ROLLBACK even for a transaction that wrote nothing: a
    plain SET in it outlives it and applies to whoever checks the pooled connection out next, so statements on
    these engines set options with SET LOCAL only (tests/storage/test_search_statements.py checks)."""
    from psycopg.pq import TransactionStatus  # PostgreSQL engines only

    raw = getattr(conn, "dbapi_connection", conn)  # SQLAlchemy passes the pool's proxy, or the driver's connection
    if raw.info.transaction_status == TransactionStatus.INERROR:
        raw.rollback()
    else:
        raw.commit()


def _shown(url: sa.URL) -> str:
    return url.render_as_string(hide_password=True)


def _explain_connect_errors(engine: sa.Engine, url: sa.URL) -> None:
    """A failed connection becomes one DatabaseError line: the database (password hidden) and the driver's
    reason, without its hints and tracebacks."""

    @sa.event.listens_for(engine, "handle_error")
    def _connect_failed(context):
        if context.connection is not None or context.is_pre_ping or not isinstance(context.original_exception,
                                                                                   Exception):
            return None  # an error of a statement, or a stale pooled connection the pool replaces
        first = str(context.original_exception).strip().splitlines()[0] if str(context.original_exception) else ""
        reason = first.rsplit(" failed: ", 1)[-1].removeprefix("connection failed: ")
        reason = re.sub(r"^(FATAL|ERROR):\s*", "", reason).strip() or type(context.original_exception).__name__
        return DatabaseError(f"cannot connect to {_shown(url)}: {reason[:1].lower() + reason[1:]}")


def _sqlite_engine(parsed: sa.URL, *, read_only: bool, create: bool = True) -> sa.Engine:
    path = parsed.database
    if path and path != ":memory:":
        if (read_only or not create) and not Path(path).exists():
            raise DatabaseError(f"no database at {path}")
        if read_only:
            parsed = sa.engine.make_url(f"sqlite:///file:{Path(path).resolve()}?mode=ro&uri=true")
        else:
            try:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DatabaseError(f"cannot create a database at {path}: {exc.strerror or exc}") from None
    engine = sa.create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, future=True,
                               json_serializer=JSON_SERIALIZER)

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
    current = current_revision(engine)
    _refuse_newer(current)
    if revision == "head" and current == head_revision():
        return
    with _migration_lock(engine):
        with write_transaction(engine) as conn:
            if engine.dialect.name == "postgresql":
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})")
            command.upgrade(alembic_config(conn), revision)


def migrates_at_open(engine: sa.Engine) -> bool:
    """Whether a writer opening this database migrates it (SQLite) or leaves that to `tenderwatch db upgrade`
    (PostgreSQL: shared by workers that may run other code versions)."""
    return engine.dialect.name == "sqlite"


def open_schema(engine: sa.Engine) -> None:
    """What a writer (crawler, ingest, reextract …) does to the schema when it opens the database: SQLite is
    upgraded; PostgreSQL is only created when the database is empty (nothing to migrate, the advisory lock
    serialises workers starting together) and is otherwise refused unless it is at this code's revision."""
    if migrates_at_open(engine):
        upgrade(engine)
        return
    current = current_revision(engine)
    if current == head_revision():
        return
    if current is None:
        with engine.connect() as conn:
            empty = not sa.inspect(conn).get_table_names()
        if empty:
            upgrade(engine)
            return
    check_schema(engine)


def check_schema(engine: sa.Engine) -> None:
    """Refuse a database whose schema is not this code's, in one line that says what to do (readers: the web
    site; writers on PostgreSQL, which never migrate it themselves)."""
    current, head = current_revision(engine), head_revision()
    if current == head:
        return
    _refuse_newer(current)
    how = ("run `tenderwatch db upgrade`" if migrates_at_open(engine) else
           "run `tenderwatch db upgrade --database-url URL` once (workers and the site never migrate PostgreSQL)")
    raise DatabaseError(f"database schema is at revision {current or 'none'}, this code expects {head}: {how}")


def _refuse_newer(current: str | None) -> None:
    """A revision this code does not know was written by newer code: never touch it (a downgrade loses data)."""
    if current is None:
        return
    try:
        known = ScriptDirectory.from_config(alembic_config()).get_revision(current) is not None
    except CommandError:  # not in this code's history
        known = False
    if not known:
        raise DatabaseError(f"database schema is at revision {current}, which this code (head {head_revision()}) "
                            "does not know: it was upgraded by a newer tenderwatch; update this installation")


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
