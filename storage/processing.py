"""Raw notice → documents → extraction → store: the one path used by the crawler, `ingest` and `reextract`."""

from __future__ import annotations

from extract.documents import read_document
from extract.pipeline import extract_notice
from extract.types import DocumentText
from models.raw import RawAttachment, RawNotice
from storage.store import SaveResult, Store

__all__ = ["RawAttachment", "RawNotice", "extract_stored", "process_notice", "read_attachment", "reprocess_notice"]


def read_attachment(att: RawAttachment) -> DocumentText:
    """The text of a fetched attachment; an empty document recording why for one that was not fetched."""
    if att.data is None:
        return DocumentText(
            text="", kind="empty", name=att.name, errors=[f"fetch_error: {att.error or 'not fetched'}"]
        )
    return read_document(att.data, name=att.name, content_type=att.content_type)


def process_notice(
    store: Store, raw: RawNotice, *, run_id: int | None = None, body: DocumentText | None = None
) -> SaveResult:
    """Read the page and its attachments, extract, and store (raw bytes included). Attachments that could
    not be fetched or read are recorded as crawl errors of the run, and the notice is stored all the same.
    `body` is the page already read from `raw.data` by a caller that had to look at it first (ingest), so
    a scanned page is not OCR'd twice."""
    if body is None:
        body = read_document(raw.data, name=raw.name, content_type=raw.content_type)
    unchanged = store.touch_if_unchanged(raw, body)  # a re-crawled page: no attachment parsing, no NLP
    if unchanged is not None:
        return unchanged
    attachments = [(att, read_attachment(att)) for att in raw.attachments]
    extraction = extract_notice(body, [doc for _, doc in attachments], raw.list_meta)
    result = store.save_notice(raw, body, attachments, extraction)
    if run_id is not None and result.status != "unchanged":
        for att, doc in attachments:
            if att.data is None:
                store.record_error(run_id, att.url, f"attachment_{att.error or 'fetch_error'}", att.name)
            elif doc.errors and not doc.text:
                reason = doc.errors[0].split(":", 1)[0].strip() or "unreadable"
                store.record_error(run_id, att.url, f"attachment_{reason}", "; ".join(doc.errors))
    return result


def extract_stored(store: Store, notice_id: int):
    """Run the current extractor on a stored notice's raw blobs (no network, no writes): (body, [(raw
    attachment, its text)], extraction). `tenderwatch eval` scores this against the review decisions."""
    raw = store.raw_notice(notice_id)
    body = read_document(raw.data, name=raw.name, content_type=raw.content_type)
    attachments = [(att, read_attachment(att)) for att in raw.attachments]
    return body, attachments, extract_notice(body, [doc for _, doc in attachments], raw.list_meta)


def reprocess_notice(store: Store, notice_id: int) -> None:
    """Re-read a stored notice from its raw blobs and rebuild every derived field (no network)."""
    body, attachments, extraction = extract_stored(store, notice_id)
    ids = store.attachment_ids(notice_id)
    store.replace_extraction(
        notice_id, body, [(ids[att.url], doc) for att, doc in attachments if att.data is not None], extraction
    )
