"""Raw notice → documents → extraction → store: the one path used by the crawler, `ingest` and `reextract`."""

from __future__ import annotations

from dataclasses import dataclass, field

from extract.documents import read_document
from extract.pipeline import extract_notice
from extract.types import DocumentText
from storage.store import SaveResult, Store


@dataclass
class RawAttachment:
    url: str
    name: str
    data: bytes | None  # None when it could not be fetched
    content_type: str | None = None
    error: str | None = None  # why it could not be fetched ("http_404", "timeout", "too_large" …)


@dataclass
class RawNotice:
    source: str  # "ccgp", "ggzy", "local" …
    url: str  # canonical URL (no tracking params, http/https folded as the site needs)
    data: bytes  # raw page bytes (HTML, JSON rendered to HTML/text, PDF …)
    content_type: str | None = None
    name: str = ""  # file name hint ("t20240528_123.htm", "notice.pdf")
    external_id: str | None = None
    list_meta: dict = field(
        default_factory=dict
    )  # what the list/API said: title, published_at, buyer, region, notice_type
    attachments: list[RawAttachment] = field(default_factory=list)


def read_attachment(att: RawAttachment) -> DocumentText:
    """The text of a fetched attachment; an empty document recording why for one that was not fetched."""
    if att.data is None:
        return DocumentText(
            text="", kind="empty", name=att.name, errors=[f"fetch_error: {att.error or 'not fetched'}"]
        )
    return read_document(att.data, name=att.name, content_type=att.content_type)


def process_notice(store: Store, raw: RawNotice, *, run_id: int | None = None) -> SaveResult:
    """Read the page and its attachments, extract, and store (raw bytes included). Attachments that could
    not be fetched or read are recorded as crawl errors of the run, and the notice is stored all the same."""
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


def reprocess_notice(store: Store, notice_id: int) -> None:
    """Re-read a stored notice from its raw blobs and rebuild every derived field (no network)."""
    raw = store.raw_notice(notice_id)
    body = read_document(raw.data, name=raw.name, content_type=raw.content_type)
    ids = store.attachment_ids(notice_id)
    attachments = [(att, read_attachment(att)) for att in raw.attachments]
    extraction = extract_notice(body, [doc for _, doc in attachments], raw.list_meta)
    store.replace_extraction(
        notice_id, body, [(ids[att.url], doc) for att, doc in attachments if att.data is not None], extraction
    )
