"""A cheap stamp of the database's contents: equal stamps mean nothing was committed in between, so a reader may
reuse what it computed under the same stamp (the site's search cache, web/cache.py).

SQLite: `PRAGMA data_version` on one connection kept for the purpose — it changes whenever another connection
(any process) commits, and costs microseconds. PostgreSQL: the current snapshot (`pg_current_snapshot()`), which
changes exactly when a commit becomes visible to new transactions (not the WAL position, which moves when the
commit record is written, before the commit is visible: a search in that gap would be cached under the new
stamp without the write); on a shared server other databases' transactions change it too — a conservative
stamp, never a stale one; a standby has one as well.
Read the stamp *before* the work it validates: a commit during the work then changes the next stamp. A stamp
that cannot be read is a fresh object, equal to nothing: the work is done and nothing is reused.
"""

from __future__ import annotations

import logging
import threading

import sqlalchemy as sa


logger = logging.getLogger(__name__)
_PG_STAMP = "SELECT CAST(pg_current_snapshot() AS TEXT)"


class DataVersion:
    def __init__(self, engine: sa.Engine):
        self.engine = engine
        self.sqlite = engine.dialect.name == "sqlite"
        self._lock = threading.RLock()  # close() takes it too, also from inside a stamp
        self._conn: sa.Connection | None = None
        self._last: int | None = None
        self._generation = 0

    def stamp(self) -> object:
        try:
            return self._read()
        except Exception as exc:  # the search can still run; it just is not cached
            logger.warning("data version unreadable (%s); this search is not cached", exc)
            self.close()
            return object()

    def _read(self) -> object:
        if not self.sqlite:
            with self.engine.connect() as conn:
                return conn.exec_driver_sql(_PG_STAMP).scalar()
        with self._lock:
            try:
                if self._conn is None:
                    self._conn = self.engine.connect()
                value = self._conn.exec_driver_sql("PRAGMA data_version").scalar()
                self._conn.rollback()  # hold no transaction between stamps
            except sa.exc.DBAPIError:
                # A broken connection: open another next time, and count this as a change (never stale).
                self.close()
                value = None
            # data_version is only comparable on one connection: a new connection starts a new generation.
            if value is None or value != self._last:
                self._generation += 1
                self._last = value
            return self._generation

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                try:
                    self._conn.close()
                finally:
                    self._conn = None
