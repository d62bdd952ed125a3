"""What spiders yield and what they pass between requests.

The item is `models.raw.RawNotice` itself (a dataclass, which Scrapy accepts as an item): one
notice page with all its attachments, fetched or failed, so the pipeline stores a notice in one piece.
`AttachmentLink` is what a detail page said about an attachment before it is fetched.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.raw import RawAttachment, RawNotice

__all__ = ["AttachmentLink", "CONTENT_PAGE", "CONTINUES_PAGE", "NOTICE", "RawAttachment", "RawNotice"]

# Request meta of requests that continue the page they came from (the shared frontier keeps them with the worker
# that holds the page's lease): an attachment request carries the notice it completes, an origin request
# (spiders/pages.py) the content page it replaces.
NOTICE = "notice"
CONTENT_PAGE = "content_page"
CONTINUES_PAGE = (NOTICE, CONTENT_PAGE)


@dataclass(frozen=True)
class AttachmentLink:
    url: str  # canonical URL (the spider rewrites it onto --site-root to fetch)
    name: str  # file name as the page shows it, extension included
