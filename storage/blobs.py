"""Raw bytes kept content-addressed under the data folder: <root>/ab/cd/<sha256>. Writing the same bytes
twice is a no-op; a write is atomic (temporary file in the same directory, then rename), so a crawl
killed mid-write never leaves a truncated blob under its final name. There is no fsync per blob (it
halved crawl throughput): a killed process loses nothing, and after a power cut a damaged blob is caught
by the hash check in `get`. A bulk load writes thousands of blobs a second, so `put` spends no system call it
can spare: one stat for a blob already stored, a mkdir only for a folder's first blob."""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import os
import re
import threading
from pathlib import Path

from storage import config

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class BlobNotFound(KeyError):
    pass


class BlobStore:
    def __init__(self, root: Path | str | None = None):
        self.root = Path(root) if root is not None else config.blob_dir()

    def path(self, sha256: str) -> Path:
        if not _SHA256.match(sha256 or ""):
            raise ValueError(f"not a sha256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, data: bytes) -> str:
        """Store `data`; returns its sha256."""
        sha = hashlib.sha256(data).hexdigest()
        folder = os.path.join(self.root, sha[:2], sha[2:4])
        target = os.path.join(folder, sha)
        try:
            if os.stat(target).st_size == len(data):
                return sha
        except FileNotFoundError:
            pass
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
            raise BlobNotFound(f"blob {sha256} is not in {self.root}") from None
        if hashlib.sha256(data).hexdigest() != sha256:
            raise BlobNotFound(f"blob {sha256} in {self.root} is corrupt (hash mismatch)")
        return data

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).exists()


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
