"""One notice in, one NoticeExtraction out: the code path shared by `extract`, `reextract`, `ingest`
and the crawler's item pipeline."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Optional

from extract.compute import find_compute
from extract.documents import read_document
from extract.documents.ocr import evidence_source
from extract.documents.textutil import cap_title
from extract.fields import extract_fields
from extract.types import DocumentText, Evidence, NoticeExtraction
from extract.version import EXTRACTOR_VERSION


def extract_notice(
    body: DocumentText, attachments: Iterable[DocumentText] = (), hints: Optional[dict[str, Any]] = None
) -> NoticeExtraction:
    """Fields and compute findings of a notice. `hints` carries what a list page or API already said
    (notice_type, published_at, buyer, region, title), used only where the document itself is silent."""
    attachments = list(attachments)
    fields = extract_fields(body, attachments, hints or {})
    compute = find_compute(body, attachments, fields)  # with the whole title: compute finds it in the text
    fields.title = cap_title(fields.title)
    mark_ocr_evidence(fields.evidence + compute.evidence, body, attachments)
    errors = list(body.errors) + [f"{a.name}: {e}" for a in attachments for e in a.errors]
    return NoticeExtraction(fields=fields, compute=compute, extractor_version=EXTRACTOR_VERSION, errors=errors)


def mark_ocr_evidence(evidence: list[Evidence], body: DocumentText, attachments: list[DocumentText]) -> None:
    """Evidence quoted from text that OCR read says so: source "ocr", its page and the engine's confidence.
    Decided here, once, for the evidence of every extractor (they name documents as `Evidence.document`:
    "" the body, an attachment's name, "name/member" inside an archive)."""
    docs: dict[str, DocumentText] = {"": body}
    for i, att in enumerate(attachments):
        name = att.name or f"attachment-{i + 1}"
        for alias in (name, att.name or "attachment"):
            docs.setdefault(alias, att)
        docs.update((f"{name}/{p.name or j + 1}", p) for j, p in enumerate(att.parts))
    for ev in evidence:
        doc = docs.get(ev.document)
        found = evidence_source(doc, ev.start, ev.end) if doc is not None else None
        if found:
            ev.source, (ev.page, ev.confidence) = "ocr", found


def extract_path(path: Path) -> NoticeExtraction:
    """A file on disk treated as one notice (its own body, no attachments)."""
    doc = read_document(path.read_bytes(), name=path.name)
    return extract_notice(doc)
