"""Raw bytes kept content-addressed under the data folder: <root>/ab/cd/<sha256>. Writing the same bytes
twice is a no-op; a write is atomic (temporary file in the same directory, then rename), so a crawl
killed mid-write never leaves a truncated blob under its final name. There is no fsync per blob (it
halved crawl throughput): a killed process loses nothing, and after a power cut a damaged blob is caught
by the hash check in `get`."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
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
        target = self.path(sha)
        if target.exists() and target.stat().st_size == len(data):
            return sha
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
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
