"""Helpers for the compute-detection tests: a notice from a few lines of text, run through find_compute."""

import datetime as dt

from extract.compute import find_compute
from extract.types import DocumentText, NoticeFields


def notice(text: str, title: str | None = None, published_at: dt.date | dt.datetime | None = dt.date(2025, 6, 1), vendors=(),
           attachments: list[DocumentText] = ()):
    """Findings for a notice whose body is `text` (first line = title unless `title` is given)."""
    title = title if title is not None else text.strip().splitlines()[0]
    body = DocumentText(text=text, kind="text", title=title)
    fields = NoticeFields(title=title, published_at=published_at, vendors=list(vendors))
    return find_compute(body, list(attachments), fields)
