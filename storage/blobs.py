"""Raw bytes kept content-addressed under the data folder: loose files <root>/ab/cd/<sha256>, written one at a time
(the crawler, ingest), and pack files under <root>/packs/, written by bulk loads (`pack_writer`; storage/packs.py
says how they are laid out and kept safe). Readers need not know which: `get` and `exists` look for the loose
file first, then in the packs' index, and `get` checks the hash of what it returns either way (a loose file that
fails it gives way to a packed copy). Whatever cannot be read — a missing, cut or damaged loose file or pack, an
index that cannot be read — is `BlobNotFound` saying why.

Writing the same bytes twice is a no-op, loose or packed (`stored`: a loose file of the right size, or an index
entry in a pack that exists; a loose file cut short, or bytes indexed in a pack that is gone, are written again).
A loose write is atomic (temporary file in the same directory, then rename), so a crawl killed mid-write never
leaves a truncated blob under its final name. There is no fsync per loose blob (it halved crawl throughput): a
killed process loses nothing, and after a power cut a damaged blob is caught by the hash check in `get`. `put`
spends no system call it can spare: one stat for a blob stored loose, a look-up in the packs' index (or a stat of
it when there is none) before writing a new one, a mkdir only for a folder's first blob."""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import os
import re
import threading
from pathlib import Path

from storage import config
from storage.packs import PackError, Packs, PackWriter

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class BlobNotFound(KeyError):
    pass


class BlobStore:
    def __init__(self, root: Path | str | None = None):
        self.root = Path(root) if root is not None else config.blob_dir()
        self.packs = Packs(self.root / "packs")

    def path(self, sha256: str) -> Path:
        if not _SHA256.match(sha256 or ""):
            raise ValueError(f"not a sha256 hex digest: {sha256!r}")
        return Path(self._loose_path(sha256))

    def _loose_path(self, sha256: str) -> str:
        return os.path.join(self.root, sha256[:2], sha256[2:4], sha256)

    def loose_whole(self, sha256: str, size: int) -> bool:
        """Whether the loose file of `sha256` is there with `size` bytes (one stat; a file cut short is not)."""
        try:
            return os.stat(self._loose_path(sha256)).st_size == size
        except FileNotFoundError:
            return False

    def stored(self, sha256: str, size: int) -> bool:
        """Whether bytes with this hash and size are stored already, so that writing them again is a no-op."""
        return self.loose_whole(sha256, size) or self.packs.usable(sha256)

    def put(self, data: bytes) -> str:
        """Store `data`; returns its sha256."""
        sha = hashlib.sha256(data).hexdigest()
        if self.stored(sha, len(data)):
            return sha
        target = self._loose_path(sha)
        folder = os.path.dirname(target)
        try:
            tmp, fd = _create_temporary(folder)
        except FileNotFoundError:  # the folder's first blob (asking first would cost every blob a system call)
            os.makedirs(folder, exist_ok=True)
            tmp, fd = _create_temporary(folder)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        return sha

    def get(self, sha256: str) -> bytes:
        try:
            data = self.path(sha256).read_bytes()
        except FileNotFoundError:
            return self._get_packed(sha256)
        except OSError as exc:
            raise BlobNotFound(f"blob {sha256} in {self.root} cannot be read: {exc.strerror or exc}") from None
        if hashlib.sha256(data).hexdigest() != sha256:
            try:
                return self._get_packed(sha256)  # a bulk load may hold a good copy
            except BlobNotFound:
                raise BlobNotFound(f"blob {sha256} in {self.root} is corrupt (hash mismatch)") from None
        return data

    def _get_packed(self, sha256: str) -> bytes:
        try:
            where = self.packs.find(sha256)
            if where is None:
                raise BlobNotFound(f"blob {sha256} is not in {self.root}")
            return self.packs.read(sha256, where)
        except PackError as exc:
            raise BlobNotFound(f"blob {sha256} cannot be read: {exc}") from None

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).exists() or self.packs.usable(sha256)

    def stored_size(self, sha256: str) -> int | None:
        """Bytes the blob takes on disk (its loose file, or its compressed bytes in a pack); None if absent."""
        try:
            return self.path(sha256).stat().st_size
        except FileNotFoundError:
            pass
        try:
            where = self.packs.find(sha256)
        except PackError:
            return None
        return where.length if where else None

    def close(self) -> None:
        """Close the packs and index connections held for reading (they reopen when needed)."""
        self.packs.close()

    def pack_writer(self, **options) -> PackWriter:
        """A writer appending blobs to a pack of its own (the bulk loader's); see storage.packs.PackWriter."""
        return PackWriter(self, **options)


_serial = itertools.count()


def _create_temporary(folder: str) -> tuple[str, int]:
    """A new file in `folder` named for this process, thread and a serial number, as tempfile.mkstemp makes one
    (exclusive creation, mode 0600) without its random names: (its path, an open descriptor)."""
    while True:
        tmp = os.path.join(folder, f".tmp-{os.getpid()}-{threading.get_ident()}-{next(_serial)}")
        try:
            return tmp, os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
        except FileExistsError:  # left by a killed process that had the same id
            continue
