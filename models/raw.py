"""What a fetcher hands to storage: a notice page as fetched, with its attachments (the crawler's item, what
`ingest` reads from files and URLs, what `Store.raw_notice` rebuilds from the blob store). Boundary types at the
bottom, so the crawler, storage and the CLI all import them downwards."""

from __future__ import annotations

from dataclasses import dataclass, field


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
