"""The weekly digest (`tenderwatch digest`): `data` selects a week's cases from the database, `render` writes
them as Markdown, e-mail-safe HTML, CSV, JSON and Atom, `chart` draws cases per week as PNG and SVG.
Rebuilding a past week gives byte-identical files."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import sqlalchemy as sa

from storage import config
from storage.digest.data import Digest, build_digest
from storage.digest.render import FEED_WEEKS, render_all, write_files
from storage.digest.weeks import IsoWeek

__all__ = ["Digest", "IsoWeek", "build_digest", "build_files", "write_digest"]


def build_files(engine: sa.Engine, week: IsoWeek, *, base_url: Optional[str] = None,
                public_url: Optional[str] = None, by: str = "first_seen") -> tuple[Digest, dict[str, bytes]]:
    """The week's digest and its files (name -> bytes); the Atom file also carries the weeks before.
    `by`: first_seen (default) or published, what puts a notice in a week; `public_url`: the tenderwatch
    site the notices link to (default: storage.config.public_url())."""
    with engine.connect() as conn:
        digests = [build_digest(conn, week.shift(-i), by=by) for i in reversed(range(FEED_WEEKS))]
    return digests[-1], render_all(digests, base_url, public_url or config.public_url())


def write_digest(engine: sa.Engine, week: IsoWeek, out_dir: Path, *, base_url: Optional[str] = None,
                 public_url: Optional[str] = None, by: str = "first_seen") -> tuple[Digest, list[Path]]:
    digest, files = build_files(engine, week, base_url=base_url, public_url=public_url, by=by)
    return digest, write_files(files, out_dir)
