"""Run from a Scrapyd egg. Scrapyd imports a deployed project straight from its zipped egg, but tenderwatch
reads data files beside its code (site descriptions, lexicons, Alembic migrations) with ordinary file paths.
So the first import of the crawler package from an egg unpacks the egg once, into a cache directory named by
its content hash, and every tenderwatch module is then imported from there. Outside an egg this does nothing."""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path


def cache_root() -> Path:
    """TENDERWATCH_EGG_CACHE, else $XDG_CACHE_HOME/tenderwatch/eggs (~/.cache/…)."""
    if os.environ.get("TENDERWATCH_EGG_CACHE"):
        return Path(os.environ["TENDERWATCH_EGG_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "tenderwatch" / "eggs"


def zip_archive(path: str) -> Path | None:
    """The zip file `path` lies inside (…/project.egg/crawler → …/project.egg), or None on a real directory."""
    p = Path(path)
    for candidate in (p, *p.parents):
        if candidate.is_file():
            return candidate if zipfile.is_zipfile(candidate) else None
        if candidate.is_dir():
            return None
    return None


def unpacked_package_path(name: str, package_path: list[str]) -> list[str]:
    """The package's __path__ to use: unchanged on disk; inside an egg, the unpacked copy (with the unpacked
    root put first on sys.path for the other tenderwatch packages)."""
    archive = zip_archive(package_path[0]) if package_path else None
    if archive is None:
        return package_path
    root = unpack(archive)
    sys.path.insert(0, str(root))
    return [str(root / name)]


def unpack(archive: Path) -> Path:
    """Extract `archive` once per content (concurrent jobs race harmlessly: each extracts to a temporary
    directory and the first rename wins)."""
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()[:16]
    target = cache_root() / f"{archive.stem}-{digest}"
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".unpacking-", dir=target.parent))
    with zipfile.ZipFile(archive) as egg:
        egg.extractall(staging)
    try:
        staging.rename(target)
    except OSError:  # another job unpacked it first
        shutil.rmtree(staging, ignore_errors=True)
    return target
