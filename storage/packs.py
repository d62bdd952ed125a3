"""Pack files: many blobs appended to one file, for bulk loads (a loose file per blob costs ~150–350 µs of system
CPU to create, and a filesystem block of disk however small the blob). `storage.blobs.BlobStore` reads them
after its loose files, so every reader works unchanged; what writes them is a `PackWriter` (the bulk loader's).

    <root>/packs/<name>.pack      b"TWPACK1\\n", then records: b"TWB1" | sha256 (32 bytes) | codec (1 byte) |
                                  stored length (8 bytes, big-endian) | size (8) | the stored bytes
    <root>/packs/index.sqlite     sha256 → (pack, offset of the stored bytes, stored length, size, codec)

Codec 0 is the bytes as given, 1 zlib (level 1: ~50 µs for an 8 KB page, a quarter of its size). Records are
self-describing, so the index can be rebuilt from the packs (`Packs.reindex`).

Safety. Each writer process appends to a pack file of its own (created O_EXCL under a unique name, never
reopened, flock-ed while the writer lives), so concurrent writers never share a file; the index is one SQLite
database in rollback-journal (DELETE) mode, whose lock serialises their index writes. Not WAL: WAL readers must
be able to write `-shm`, and it does not work on a network file system; DELETE mode lets a reader open the
index read-only (another user, a read-only mount), and it works on NFS where file locks do. `PackWriter.flush`
fsyncs the pack, then commits the index rows of what it wrote: the bulk loader flushes before it commits the
database rows naming those blobs, so a packed blob a committed row names is on disk and findable even after a
kill -9 or a power cut (a blob found loose is not packed again, and loose files are not fsynced). A writer whose
write, fsync or index commit fails is broken for good: it never writes or indexes again (after a failed fsync
the kernel may have dropped the bytes, and a second fsync would wrongly succeed). A writer killed mid-pack
leaves records past its last flush that no index row names (nothing committed names them either): dead bytes,
which `reindex` can index after checking each one's hash, stopping at a torn last record. A read checks the
record header and the hash of what it decodes: a missing, truncated or damaged pack or index is a `PackError`
that says which and why (`BlobStore` turns it into `BlobNotFound`).

Rebuilding the index (`reindex` after deleting `index.sqlite`): restart long-running readers (the site), whose
open connections still read the deleted file.
"""

from __future__ import annotations

import collections
import errno
import fcntl
import hashlib
import os
import re
import secrets
import sqlite3
import stat
import struct
import threading
import time
import zlib
from pathlib import Path
from typing import NamedTuple
from urllib.parse import quote

FILE_MAGIC = b"TWPACK1\n"
RECORD = struct.Struct(">4s32sBQQ")  # magic, sha256 digest, codec, stored length, size
RECORD_MAGIC = b"TWB1"
RAW, ZLIB = 0, 1
LEVEL = 1  # zlib level: 4x smaller generated pages at level 1; higher levels gain a few % for 1.5x the time
PACK_LIMIT = 1 << 30  # a writer starts a new pack past 1 GiB
BUFFER = 1 << 20  # a writer's bytes are written out a MiB at a time
OPEN_PACKS = 64  # a reader keeps at most this many packs open (the least recently read is closed)
BUSY_SECONDS = 60  # how long an index write waits for another writer's
# Bytes that are compressed already (ZIP and the Office formats in it, PNG, JPEG, GIF, 7z, RAR, gzip): stored
# as they are without trying.
_COMPRESSED = (b"PK\x03\x04", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"7z\xbc\xaf", b"Rar!", b"\x1f\x8b")
_NAME = re.compile(r"^[0-9a-f]+-[0-9]+-[0-9a-f]{8}$")  # what PackWriter names a pack: time, pid, random
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS pack (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)",
    "CREATE TABLE IF NOT EXISTS blob (sha BLOB PRIMARY KEY, pack INTEGER NOT NULL, offset INTEGER NOT NULL,"
    " length INTEGER NOT NULL, size INTEGER NOT NULL, codec INTEGER NOT NULL) WITHOUT ROWID",
)
# Connections a forked child inherited: kept referenced, never closed or used there (SQLite's advice).
_inherited: list[sqlite3.Connection] = []


class PackError(OSError):
    """A pack or its index that cannot be read or written; the message says which and why. `BlobStore` makes a
    failed read BlobNotFound; a failed write reaches the command line as an OS error (EIO) with this message,
    which it prints in one line."""

    def __init__(self, message: str):
        super().__init__(errno.EIO, message)

    def __str__(self) -> str:
        return self.strerror


class Location(NamedTuple):
    pack: str
    offset: int  # of the stored bytes (the record header is just before)
    length: int  # stored bytes
    size: int  # bytes of the blob
    codec: int


def check_name(pack: str) -> str:
    """`pack` if it is a name PackWriter gives (so it stays a file inside packs/), else PackError."""
    if not isinstance(pack, str) or not _NAME.match(pack):
        raise PackError(f"the pack index names a pack {pack!r} that no pack writer would name")
    return pack


def decode(header: bytes, stored: bytes) -> bytes | str:
    """The blob a record (its header, its stored bytes) holds, or why it is damaged."""
    magic, digest, codec, length, size = RECORD.unpack(header)
    if magic != RECORD_MAGIC:
        return "no record there"
    if len(stored) != length:
        return "record cut short"
    if codec == ZLIB:
        inflater = zlib.decompressobj()
        try:
            # Never more than the record says (nor than zlib's greatest ratio, ~1032:1, could give), whatever
            # the bytes.
            data = inflater.decompress(stored, min(size, 1032 * len(stored) + 64) + 1)
        except zlib.error as exc:
            return f"does not decompress ({exc})"
        if not inflater.eof or inflater.unconsumed_tail:
            return "decompresses to another size"
    elif codec == RAW:
        data = stored
    else:
        return f"unknown codec {codec}"
    if len(data) != size or hashlib.sha256(data).digest() != digest:
        return "fails its hash check"
    return data


class Packs:
    """The packs of one blob root: look-ups and reads (any process, any thread), index writes (`PackWriter`)."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.index_path = self.folder / "index.sqlite"
        self._local = threading.local()  # connections per thread (and per process: see _connection)
        self._lock = threading.Lock()
        self._fds: collections.OrderedDict[str, list[int]] = collections.OrderedDict()  # name → [fd, readers]
        self._retired: dict[int, int] = {}  # fd evicted while being read → readers left
        self._conns: list[tuple[int, sqlite3.Connection]] = []  # (pid, connection): what close() closes

    # ------------------------------------------------------------------ index
    def _connection(self, *, write: bool = False) -> sqlite3.Connection | None:
        """This thread's connection to the index — for look-ups one that writes nothing, so that a reader needs
        no write access — or None when there is no index yet (and `write` is false)."""
        attr = "writer" if write else "reader"
        conn, pid = getattr(self._local, attr, (None, 0))
        if conn is not None and pid == os.getpid():
            return conn
        if conn is not None:  # a forked child: the parent's connection is not ours to use or close
            _inherited.append(conn)
        if write:
            self.folder.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.index_path, timeout=BUSY_SECONDS, isolation_level=None,
                                   check_same_thread=False)
            # FULL: a committed index row is on disk before the database rows naming its blob are committed.
            conn.execute("PRAGMA synchronous=FULL")
            self._create(conn)
        else:
            if not self.index_path.exists():
                return None
            # Read-only unless this process may write there: then it can also roll back a journal a killed
            # writer left (a read-only reader gets an error until the next writer does).
            writable = os.access(self.index_path, os.W_OK) and os.access(self.folder, os.W_OK)
            conn = sqlite3.connect(f"file:{quote(str(self.index_path.resolve()))}?mode={'rw' if writable else 'ro'}",
                                   uri=True, timeout=BUSY_SECONDS, isolation_level=None, check_same_thread=False)
        setattr(self._local, attr, (conn, os.getpid()))
        with self._lock:
            self._conns.append((os.getpid(), conn))
        return conn

    def _create(self, conn: sqlite3.Connection) -> None:
        """The schema, made once by whichever writer comes first (BEGIN IMMEDIATE waits for the others), and an
        index in WAL mode — as an earlier version made it — turned back to DELETE mode when nobody else has it."""
        if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal":
            try:
                conn.execute("PRAGMA journal_mode=DELETE")
            except sqlite3.OperationalError:  # in use: stays WAL (still right for local, writable readers)
                pass
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _SCHEMA:
                conn.execute(statement)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def find(self, sha256: str) -> Location | None:
        """Where the index says `sha256` is, None if it has no such blob; PackError if it cannot be read."""
        try:
            conn = self._connection()
            if conn is None:
                return None
            row = conn.execute("SELECT pack.name, blob.pack, offset, length, size, codec FROM blob"
                               " LEFT JOIN pack ON pack.id = blob.pack WHERE sha = ?",
                               (bytes.fromhex(sha256),)).fetchone()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):  # a writer is creating the index
                return None
            raise PackError(f"the pack index {self.index_path} cannot be read: {exc}") from None
        except sqlite3.Error as exc:
            raise PackError(f"the pack index {self.index_path} cannot be read: {exc}") from None
        if row is None:
            return None
        if row[0] is None:
            raise PackError(f"the pack index {self.index_path} names pack id {row[1]} that it does not list")
        if not all(isinstance(v, int) and 0 <= v < 1 << 63 for v in row[2:]):
            raise PackError(f"the pack index {self.index_path} has a malformed row for blob {sha256}")
        return Location(check_name(row[0]), *row[2:])

    def locate(self, sha256: str) -> Location | None:
        """`find`, with an index that cannot be read taken as one that lacks the blob (for deciding what to write)."""
        try:
            return self.find(sha256)
        except PackError:
            return None

    def pack_exists(self, pack: str) -> bool:
        try:
            return stat.S_ISREG(os.lstat(self.folder / f"{pack}.pack").st_mode)
        except OSError:
            return False

    def usable(self, sha256: str) -> bool:
        """Whether the index places `sha256` in a pack file that exists: the bytes count as stored (a blob whose
        pack is missing, or whose index cannot be read, is written again — loose or packed — by whoever has it)."""
        where = self.locate(sha256)
        return where is not None and self.pack_exists(where.pack)

    def add(self, pack: str, entries: list[tuple[bytes, int, int, int, int]], *, replace: bool = False) -> None:
        """Index `entries` (digest, offset, length, size, codec) of `pack`, in one transaction. A blob indexed
        already (another writer packed the same bytes) keeps its first place, unless `replace`."""
        check_name(pack)
        verb = "INSERT OR REPLACE" if replace else "INSERT OR IGNORE"
        try:
            conn = self._connection(write=True)
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute("INSERT OR IGNORE INTO pack (name) VALUES (?)", (pack,))
                pack_id = conn.execute("SELECT id FROM pack WHERE name = ?", (pack,)).fetchone()[0]
                conn.executemany(f"{verb} INTO blob VALUES (?, ?, ?, ?, ?, ?)",
                                 [(d, pack_id, o, n, s, c) for d, o, n, s, c in entries])
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise PackError(f"the pack index {self.index_path} cannot be written: {exc}") from None

    # ------------------------------------------------------------------ reading
    def read(self, sha256: str, where: Location) -> bytes:
        """The blob `where` says is `sha256`, decoded and checked; PackError saying why not."""
        fd = self._acquire(where.pack)
        try:
            start = where.offset - RECORD.size
            end = os.fstat(fd).st_size
            if start < len(FILE_MAGIC) or where.length < 0:
                raise PackError(f"pack {where.pack} is damaged: the index places blob {sha256} at offset {start}")
            if where.offset + where.length > end:
                raise PackError(f"pack {where.pack} is truncated: blob {sha256} needs bytes up to "
                                f"{where.offset + where.length}, the file ends at {end}")
            record = os.pread(fd, RECORD.size + where.length, start)
        except OSError as exc:
            if isinstance(exc, PackError):
                raise
            raise PackError(f"pack {where.pack} cannot be read: {exc.strerror or exc}") from None
        finally:
            self._release(where.pack, fd)
        header = record[:RECORD.size]
        if len(header) < RECORD.size or RECORD.unpack(header)[1:] != (bytes.fromhex(sha256), where.codec,
                                                                       where.length, where.size):
            raise PackError(f"pack {where.pack} is damaged: no record of blob {sha256} at offset {start}")
        data = decode(header, record[RECORD.size:])
        if isinstance(data, str):
            raise PackError(f"pack {where.pack} is damaged: blob {sha256} {data}")
        return data

    def _acquire(self, pack: str) -> int:
        """An open descriptor of `pack` (a regular file inside the folder), counted as in use until released."""
        check_name(pack)
        with self._lock:
            entry = self._fds.get(pack)
            if entry is not None:
                self._fds.move_to_end(pack)
                entry[1] += 1
                return entry[0]
        try:  # NOFOLLOW and NONBLOCK: a link or a FIFO put there is refused, not followed or waited on
            fd = os.open(self.folder / f"{pack}.pack",
                         os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_BINARY", 0))
        except FileNotFoundError:
            raise PackError(f"pack {pack} is missing from {self.folder}") from None
        except OSError as exc:
            raise PackError(f"pack {pack} cannot be opened: {exc.strerror or exc}") from None
        try:
            regular = stat.S_ISREG(os.fstat(fd).st_mode)
        except OSError:
            regular = False
        if not regular:
            os.close(fd)
            raise PackError(f"pack {pack} in {self.folder} is not a regular file")
        with self._lock:
            entry = self._fds.get(pack)
            if entry is not None:  # another thread opened it meanwhile
                os.close(fd)
                entry[1] += 1
                return entry[0]
            self._fds[pack] = [fd, 1]
            while len(self._fds) > OPEN_PACKS:
                _, (old, readers) = self._fds.popitem(last=False)
                if readers:
                    self._retired[old] = readers
                else:
                    os.close(old)
        return fd

    def _release(self, pack: str, fd: int) -> None:
        with self._lock:
            entry = self._fds.get(pack)
            if entry is not None and entry[0] == fd:
                entry[1] -= 1
            elif fd in self._retired:
                self._retired[fd] -= 1
                if not self._retired[fd]:
                    del self._retired[fd]
                    os.close(fd)

    def close(self) -> None:
        """Close the packs and the index connections this process opened (the object stays usable: they are
        opened again as needed)."""
        with self._lock:
            fds = [fd for fd, readers in self._fds.values() if not readers]
            self._fds = collections.OrderedDict((k, v) for k, v in self._fds.items() if v[1])
            conns, self._conns = [c for p, c in self._conns if p == os.getpid()], []
        for fd in fds:
            os.close(fd)
        for conn in conns:
            conn.close()
        self._local = threading.local()

    # ------------------------------------------------------------------ recovery
    def reindex(self) -> int:
        """Index every whole, intact record of every pack that the index lacks (after a lost index, or the
        records a killed writer wrote past its last flush), and put such a record in place of an indexed
        location that cannot be read (a missing or damaged pack). A pack a live writer holds is skipped (its
        unflushed records may not be on disk yet); a pack is read up to its first torn or damaged record. A
        corrupt index ("file is not a database") is not repaired: delete index.sqlite, then reindex. Returns
        how many blobs were added or moved."""
        added = 0
        for path in sorted(self.folder.glob("*.pack")):
            if not _NAME.match(path.stem) or not path.is_file():
                continue
            new, moved = [], []
            for digest, offset, length, size, codec in scan(path, skip_locked=True):
                sha = digest.hex()
                try:
                    where = self.find(sha)
                    if where is not None:
                        self.read(sha, where)
                        continue
                    new.append((digest, offset, length, size, codec))
                except PackError:  # indexed where it cannot be read: this intact copy replaces it
                    moved.append((digest, offset, length, size, codec))
            for entries, replace in ((new, False), (moved, True)):
                if entries:
                    self.add(path.stem, entries, replace=replace)
                    added += len(entries)
        return added


def scan(path: Path, *, skip_locked: bool = False):
    """(digest, offset, length, size, codec) of each whole record of the pack at `path` whose bytes decode to
    its hash, in file order, up to the first that is torn or damaged. With `skip_locked`, nothing from a pack
    a live writer holds."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with open(fd, "rb") as f:
        if skip_locked:
            try:
                fcntl.flock(f.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
            except OSError:
                return
        end = os.fstat(f.fileno()).st_size
        if f.read(len(FILE_MAGIC)) != FILE_MAGIC:
            return
        while True:
            start = f.tell()
            head = f.read(RECORD.size)
            if len(head) < RECORD.size:
                return
            magic, digest, codec, length, size = RECORD.unpack(head)
            if magic != RECORD_MAGIC or length > end - start - RECORD.size:  # checked before reading `length`
                return
            if isinstance(decode(head, f.read(length)), str):
                return
            yield digest, start + RECORD.size, length, size, codec


def encode(data: bytes, level: int = LEVEL) -> tuple[int, bytes]:
    """(codec, stored bytes): zlib when it saves a tenth or more, else the bytes as they are."""
    if level and len(data) >= 64 and not data.startswith(_COMPRESSED):
        packed = zlib.compress(data, level)
        if len(packed) <= len(data) * 0.9:
            return ZLIB, packed
    return RAW, data


class PackWriter:
    """Appends blobs to a pack of its own (created on the first blob it writes). `put` returns the sha256 at
    once; the blob is findable by every reader after `flush` (which makes it durable first). Blobs stored
    already — loose and whole, packed in a pack that exists, or put since the last flush — are not written
    again. After a failed write, fsync or index commit the writer is broken: every later call raises, and
    `close` writes nothing. Used only by the process that made it (a forked child's copy refuses).

        with blobs.pack_writer() as packs:
            sha = packs.put(data)
            packs.flush()          # before committing rows that name `sha`
    """

    def __init__(self, blobs, *, level: int = LEVEL, limit: int = PACK_LIMIT):
        self.blobs, self.packs, self.level, self.limit = blobs, blobs.packs, level, limit
        self._fd: int | None = None
        self._name = ""
        self._offset = 0  # where the next record starts: bytes written plus bytes buffered
        self._buffer = bytearray()
        self._pending: list[tuple[bytes, int, int, int, int]] = []
        self._pending_shas: set[str] = set()
        self._replace: list[tuple[bytes, int, int, int, int]] = []  # of blobs indexed in a pack that is gone
        self._broken: BaseException | None = None
        self._pid = os.getpid()

    def __enter__(self) -> "PackWriter":
        return self

    def __exit__(self, exc_type, *exc) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def put(self, data: bytes) -> str:
        self._check()
        digest = hashlib.sha256(data).digest()
        sha = digest.hex()
        if sha in self._pending_shas or self.blobs.loose_whole(sha, len(data)):
            return sha
        where = self.packs.locate(sha)
        if where is not None and self.packs.pack_exists(where.pack):
            return sha
        replace = where is not None  # indexed in a pack that is gone: this copy takes its place
        if self._fd is None:
            self._open()
        codec, stored = encode(data, self.level)
        entry = (digest, self._offset + RECORD.size, len(stored), len(data), codec)
        self._buffer += RECORD.pack(RECORD_MAGIC, digest, codec, len(stored), len(data))
        self._buffer += stored
        self._offset += RECORD.size + len(stored)
        (self._replace if replace else self._pending).append(entry)
        self._pending_shas.add(sha)
        if len(self._buffer) >= BUFFER:
            self._write_buffer()
        return sha

    def flush(self) -> None:
        """Make what was put durable (fsync of the pack) and findable (one index transaction)."""
        self._check()
        if not self._pending and not self._replace:
            return
        try:
            self._write_buffer()
            os.fsync(self._fd)
            if self._pending:
                self.packs.add(self._name, self._pending)
            if self._replace:
                self.packs.add(self._name, self._replace, replace=True)
        except BaseException as exc:
            self._fail(exc)
            raise
        self._pending, self._replace, self._pending_shas = [], [], set()
        if self._offset >= self.limit:  # the next blob starts a new pack
            self._close_file()

    def close(self) -> None:
        """Flush, then close the pack (a broken writer only closes)."""
        if self._broken is not None or self._pid != os.getpid():
            self.abort()
            return
        try:
            self.flush()
        finally:
            self._close_file()

    def abort(self) -> None:
        """Close the pack without writing or indexing what was put since the last flush (dead bytes at most)."""
        self._buffer = bytearray()
        self._pending, self._replace, self._pending_shas = [], [], set()
        if self._pid == os.getpid():
            self._close_file()
        else:
            self._fd = None  # the parent's descriptor: left to the parent

    def _check(self) -> None:
        if self._pid != os.getpid():
            raise PackError("a pack writer is used only by the process that made it (this one was forked)")
        if self._broken is not None:
            raise PackError(f"this pack writer stopped after a failed write: {self._broken}")

    def _fail(self, exc: BaseException) -> None:
        """Broken for good: nothing more is written to or indexed from this pack."""
        self._broken = exc
        self.abort()

    def _write_buffer(self) -> None:
        view, done = memoryview(self._buffer), 0
        try:
            while done < len(view):
                done += os.write(self._fd, view[done:])
        except BaseException as exc:
            view.release()
            self._fail(exc)
            raise
        view.release()
        self._buffer = bytearray()

    def _close_file(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)  # also drops the writer's flock

    def _open(self) -> None:
        try:
            self.packs.folder.mkdir(parents=True, exist_ok=True)
            while True:  # a name of this writer's own: time, process, random
                name = f"{time.time_ns():x}-{os.getpid()}-{secrets.token_hex(4)}"
                try:
                    fd = os.open(self.packs.folder / f"{name}.pack",
                                 os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o644)
                    break
                except FileExistsError:
                    continue
            fcntl.flock(fd, fcntl.LOCK_EX)  # held while the writer lives: reindex leaves this pack alone
        except BaseException as exc:
            self._fail(exc)
            raise
        self._fd, self._name = fd, name
        self._buffer += FILE_MAGIC
        self._offset = len(FILE_MAGIC)
        _fsync_folder(self.packs.folder)  # the new file's name survives a power cut


def _fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # not possible everywhere (Windows); the pack's own fsync still holds its bytes
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
