"""What spiders yield and what they pass between requests.

The item is `models.raw.RawNotice` itself (a dataclass, which Scrapy accepts as an item): one
notice page with all its attachments, fetched or failed, so the pipeline stores a notice in one piece.
`AttachmentLink` is what a detail page said about an attachment before it is fetched.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.raw import RawAttachment, RawNotice

__all__ = ["AttachmentLink", "RawAttachment", "RawNotice"]


@dataclass(frozen=True)
class AttachmentLink:
    url: str  # canonical URL (the spider rewrites it onto --site-root to fetch)
    name: str  # file name as the page shows it, extension included
