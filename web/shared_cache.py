"""The search cache's second level, shared by every worker of `tenderwatch serve --workers N`: a small SQLite file
in the run's private directory (created by `serve` with mode 0700, removed when it stops) holding the answers one
worker computed for the others to reuse.

Per-worker caches see only their own clients' repeats: with two workers each popular search is computed twice
after every write and the long tail half as often found. Entries are stamped; on SQLite the site's stamp
(storage/data_version.py) is a per-connection generation that another process cannot compare, so the file keeps
a *shared generation*: a worker whose own stamp changed (it saw a commit, or it just started) increments it
before searching, and every worker searches under the file's current generation. Any search that starts after a
commit therefore runs under a generation incremented after that commit — an answer computed before the commit is
never returned (on PostgreSQL the stamp, a snapshot, is the same in every process and is used as it is).

The file holds data, never code: rendered answers as bytes, views as tagged JSON (`encode`/`decode`); whatever
else stays in the worker's own cache. Each entry carries the code version that wrote it (a rolling restart's old
and new workers never read each other's entries). The file is opened only if it and its directory belong to this
user and nobody else can write them. Bounded in weight like the per-worker cache (oldest stored dropped first).
A cache that fails only costs searches, never an answer: a locked file is a miss (short waits, nothing held
meanwhile), any other error turns the shared level off for this worker with one warning.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import logging
import os
import sqlite3
import stat
import threading
from contextlib import closing
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from markupsafe import Markup

from storage.reading import OrgRef
from web.search import Hit, ResultView

logger = logging.getLogger(__name__)

SHARED_ENV = "TENDERWATCH_SERVE_CACHE"  # the file's path, set by `tenderwatch serve --workers N` (not by hand)
FILE_NAME = "cache.sqlite"
SCHEMA_VERSION = 2  # the tables' layout; a file of another layout is not used
# Puts between two checks of the bound and clean-ups of dead generations (a sum over a few thousand rows).
TRIM_EVERY = 16
DEAD_BATCH = 200  # dead entries deleted per clean-up: short write transactions, other workers barely wait
# How long a call waits for another worker's write (seconds): a cache skips rather than queue.
READ_WAIT = 0.05
WRITE_WAIT = 0.1
WAL_LIMIT = 8 << 20  # the WAL shrinks back to this after large deletes

SCHEMA = f"""
CREATE TABLE meta (one INTEGER PRIMARY KEY CHECK (one = 1), schema INTEGER NOT NULL, generation INTEGER NOT NULL);
INSERT INTO meta VALUES (1, {SCHEMA_VERSION}, 0);
CREATE TABLE entry (key TEXT NOT NULL, version TEXT NOT NULL, stamp NOT NULL, kind TEXT NOT NULL,
                    weight INTEGER NOT NULL, value BLOB NOT NULL, PRIMARY KEY (key, version));
"""


class Unusable(Exception):
    """The shared file cannot be used (not private, missing, another layout)."""


def create(directory: str) -> str:
    """A new, empty cache file in `directory` (the run's private directory: its -wal and -shm side files are
    created there too, where nobody else can plant them); its path."""
    path = os.path.join(directory, FILE_NAME)
    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    with closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute(f"PRAGMA journal_size_limit={WAL_LIMIT}")
        db.executescript(SCHEMA)
        db.commit()
    return path


def check_private(path: str) -> None:
    """Raise Unusable unless `path` is a regular file and its directory a directory, both this user's and
    writable by nobody else (not symlinks)."""
    directory = os.path.dirname(os.path.abspath(path))
    for name, is_kind, what in ((directory, stat.S_ISDIR, "directory"), (path, stat.S_ISREG, "file")):
        try:
            st = os.lstat(name)
        except OSError as exc:
            raise Unusable(f"{name}: {exc.strerror}") from None
        if not is_kind(st.st_mode) or st.st_uid != os.getuid() or st.st_mode & 0o022:
            raise Unusable(f"{name} is not a {what} of this user that only it can write")


@functools.cache
def code_version() -> str:
    """A hash of the code whose output is cached (web/ and storage/ sources): workers of other code never share
    entries."""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256(str(SCHEMA_VERSION).encode())
    for folder in ("web", "storage"):
        for path in sorted((root / folder).rglob("*.py")):
            h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


# ------------------------------------------------------------------------------------------- the codec
# Views as JSON: every object is {"$": tag, "v": …}, so decoding is unambiguous whatever the data's own keys.
CLASSES = {cls.__name__: cls for cls in (ResultView, Hit, OrgRef)}


def encode(value: Any) -> bytes:
    """`value` as JSON bytes; TypeError for anything but the types a search's view holds."""
    return json.dumps(_tagged(value), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def decode(data: bytes) -> Any:
    return json.loads(data, object_hook=_untagged)


def _tagged(v: Any) -> Any:
    if v is None or isinstance(v, (bool, int, float)):
        return v
    if isinstance(v, Markup):  # before str: Markup is one
        return {"$": "markup", "v": str(v)}
    if type(v) is str:
        return v
    if isinstance(v, list):
        return [_tagged(x) for x in v]
    if isinstance(v, tuple):
        return {"$": "tuple", "v": [_tagged(x) for x in v]}
    if isinstance(v, dict):
        return {"$": "dict", "v": [[_tagged(k), _tagged(x)] for k, x in v.items()]}
    if type(v) is datetime:
        return {"$": "datetime", "v": v.isoformat()}
    if type(v) is date:
        return {"$": "date", "v": v.isoformat()}
    if CLASSES.get(type(v).__name__) is type(v):
        return {"$": type(v).__name__, "v": [[f.name, _tagged(getattr(v, f.name))] for f in dataclasses.fields(v)]}
    raise TypeError(f"{type(v).__name__} is not stored in the shared cache")


def _untagged(o: dict) -> Any:
    tag, v = o["$"], o["v"]
    if tag == "markup":
        return Markup(v)
    if tag == "tuple":
        return tuple(v)
    if tag == "dict":
        return {k: x for k, x in v}
    if tag == "datetime":
        return datetime.fromisoformat(v)
    if tag == "date":
        return date.fromisoformat(v)
    return CLASSES[tag](**dict(v))


# ------------------------------------------------------------------------------------------- the file
class SharedCache:
    """One worker's handle on the shared file: a connection for reads and one for writes, each used under its
    own lock (reads never wait for a write: WAL)."""

    def __init__(self, path: str, weight_bound: int, *, generations: bool):
        check_private(path)
        self.path = path
        self.bound = weight_bound
        self.generations = generations  # SQLite stamps: keep a shared generation (see the module's note)
        self.version = code_version()
        uri = f"file:{quote(path)}?mode=rw"  # never creates a file
        self._read = sqlite3.connect(uri, uri=True, timeout=READ_WAIT, check_same_thread=False, isolation_level=None)
        try:
            self._write = sqlite3.connect(uri, uri=True, timeout=WRITE_WAIT, check_same_thread=False,
                                          isolation_level=None)
        except BaseException:
            self._read.close()
            raise
        try:
            self._write.execute("PRAGMA synchronous=OFF")  # a cache: nothing to keep across a crash
            row = self._read.execute("SELECT schema FROM meta").fetchone()
            if row is None or row[0] != SCHEMA_VERSION:
                raise Unusable(f"{path} has another layout")
        except BaseException:
            self.close()
            raise
        self._read_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._local: object = None  # the worker's own stamp at its last bump
        self._puts = 0
        self.off = False  # set on the first error that is not a busy file: the worker's own cache goes on alone
        self._warned: set[str] = set()

    @classmethod
    def open(cls, path: str, weight_bound: int, *, generations: bool) -> "SharedCache | None":
        """The handle, or None (one warning) when the file cannot be used: the workers run with their own caches."""
        try:
            return cls(path, weight_bound, generations=generations)
        except Exception as exc:
            logger.warning("shared search cache not used (%s); each worker caches on its own", exc)
            return None

    def stamp(self, local: object) -> object | None:
        """The stamp every worker shares for this worker's own `local` stamp (read before the search); None:
        no shared level for this search (an unreadable stamp, a busy or failed file)."""
        if self.off or not isinstance(local, (int, str)):
            return None
        if not self.generations:
            return local
        try:
            if local != self._local:
                # This worker saw a commit (or started): a new generation (dead ones are deleted by _trim).
                if not self._write_lock.acquire(timeout=WRITE_WAIT):
                    return None
                try:
                    if local != self._local:  # (not bumped meanwhile by another thread for the same commit)
                        generation = self._in_transaction(
                            "UPDATE meta SET generation = generation + 1 RETURNING generation")
                        self._local = local
                        return generation
                finally:
                    self._write_lock.release()
            with self._read_lock:
                return self._read.execute("SELECT generation FROM meta").fetchone()[0]
        except Exception as exc:
            self._failed(exc)
            return None

    def get(self, key: str, stamp: object | None) -> tuple[Any, int] | None:
        """(value, weight) stored under `stamp` by a worker of this code, or None."""
        if self.off or stamp is None:
            return None
        try:
            with self._read_lock:
                row = self._read.execute("SELECT kind, weight, value FROM entry WHERE key = ? AND version = ?"
                                         " AND stamp = ?", (key, self.version, stamp)).fetchone()
        except Exception as exc:
            self._failed(exc)
            return None
        if row is None:
            return None
        kind, weight, data = row
        try:
            return (bytes(data) if kind == "bytes" else decode(data)), weight
        except Exception as exc:  # one entry that does not decode is a miss
            self._warn_once("entry", f"shared search cache entry unreadable ({exc!r}); counted as a miss")
            return None

    def put(self, key: str, stamp: object | None, value: Any, weight: int) -> None:
        if self.off or stamp is None or weight > self.bound:
            return
        try:
            kind, data = ("bytes", bytes(value)) if isinstance(value, bytes) else ("json", encode(value))
        except (TypeError, ValueError, RecursionError):
            return  # not data the file holds: it stays in the worker's own cache
        try:
            if not self._write_lock.acquire(timeout=WRITE_WAIT):
                return
            try:
                # REPLACE gives the row a new rowid: rowid order is the order stored, the oldest first to go.
                self._write.execute("INSERT OR REPLACE INTO entry (key, version, stamp, kind, weight, value)"
                                    " VALUES (?, ?, ?, ?, ?, ?)", (key, self.version, stamp, kind, weight, data))
                self._puts += 1
                if self._puts % TRIM_EVERY == 0:
                    self._trim()
            finally:
                self._write_lock.release()
        except Exception as exc:
            self._failed(exc)

    def _trim(self) -> None:
        if self.generations:
            # Entries of generations before the current one are never read again: a batch at a time.
            self._write.execute("DELETE FROM entry WHERE rowid IN (SELECT rowid FROM entry WHERE stamp <"
                                " (SELECT generation FROM meta) LIMIT ?)", (DEAD_BATCH,))
        total = self._write.execute("SELECT coalesce(sum(weight), 0) FROM entry").fetchone()[0]
        if total <= self.bound:
            return
        # Drop the oldest until a tenth under the bound, so trimming is rare.
        over = total - self.bound * 9 // 10
        self._write.execute("DELETE FROM entry WHERE rowid IN (SELECT rowid FROM (SELECT rowid, weight, sum(weight)"
                            " OVER (ORDER BY rowid) AS running FROM entry) WHERE running - weight < ?)", (over,))

    def _in_transaction(self, sql: str) -> Any:
        self._write.execute("BEGIN IMMEDIATE")
        try:
            value = self._write.execute(sql).fetchone()[0]
            self._write.execute("COMMIT")
            return value
        except BaseException:
            if self._write.in_transaction:
                self._write.execute("ROLLBACK")
            raise

    def _failed(self, exc: Exception) -> None:
        if _busy(exc):  # another worker is writing: this call is a miss, the next one tries again
            return
        self.off = True
        self._warn_once("off", f"shared search cache failed ({exc}); this worker caches on its own from now on")

    def _warn_once(self, what: str, message: str) -> None:
        if what not in self._warned:
            self._warned.add(what)
            logger.warning(message)

    def close(self) -> None:
        self._read.close()
        self._write.close()


def _busy(exc: Exception) -> bool:
    return isinstance(exc, sqlite3.OperationalError) and any(w in str(exc) for w in ("locked", "busy"))
