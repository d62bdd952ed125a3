"""One notice in, one NoticeExtraction out: the code path shared by `extract`, `reextract`, `ingest`
and the crawler's item pipeline."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Optional

from extract.compute import find_compute
from extract.documents import read_document
from extract.fields import extract_fields
from extract.types import DocumentText, NoticeExtraction
from extract.version import EXTRACTOR_VERSION


def extract_notice(
    body: DocumentText, attachments: Iterable[DocumentText] = (), hints: Optional[dict[str, Any]] = None
) -> NoticeExtraction:
    """Fields and compute findings of a notice. `hints` carries what a list page or API already said
    (notice_type, published_at, buyer, region, title), used only where the document itself is silent."""
    attachments = list(attachments)
    fields = extract_fields(body, attachments, hints or {})
    compute = find_compute(body, attachments, fields)
    errors = list(body.errors) + [f"{a.name}: {e}" for a in attachments for e in a.errors]
    return NoticeExtraction(fields=fields, compute=compute, extractor_version=EXTRACTOR_VERSION, errors=errors)


def extract_path(path: Path) -> NoticeExtraction:
    """A file on disk treated as one notice (its own body, no attachments)."""
    doc = read_document(path.read_bytes(), name=path.name)
    return extract_notice(doc)
