"""Any search as an Atom feed (RFC 4287), so a feed reader is an alert.

Entries are the newest matches by publication date (the search's sort is ignored: an alert is about what is
new). Ids are stable `tag:` URIs per notice, not the source URL (sites move pages), so a reader never
shows the same notice twice; `updated` is when the stored notice last changed, so a corrected notice
resurfaces. Text is typed "text" (never HTML from scraped pages), and characters XML 1.0 forbids —
scraped text has them — are dropped.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timezone
from urllib.parse import urlencode
from xml.sax.saxutils import escape, quoteattr

from web import labels
from web.params import SearchParams

FEED_ENTRIES = 50
TAG_AUTHORITY = "tenderwatch.local,2026"
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _x(text) -> str:
    return escape(_XML_BAD.sub("", str(text or "")))


def _attr(text) -> str:
    return quoteattr(_XML_BAD.sub("", str(text or "")))


def _ts(value: datetime | None) -> str:
    if value is None:
        value = datetime(1970, 1, 1)
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)  # stored times are naive UTC
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def describe(p: SearchParams) -> str:
    parts = [f"“{p.q}”"] if p.q else []
    for name, value in p.filters():
        parts.append(f"{labels.FACETS.get(name, name)}: {labels.value_label(name, value)}")
    scope = "cases" if p.cases_only else "notices"
    return f"tenderwatch {scope}" + (" — " + ", ".join(parts) if parts else "")


def search_feed(p: SearchParams, searcher, base: str) -> str:
    p = replace(p, sort="date", page=1, size=FEED_ENTRIES)
    result = searcher.search(p, facets=False)
    qs = urlencode(p.query_items(page=False, sort=False))
    feed_id = f"tag:{TAG_AUTHORITY}:search?{qs}" if qs else f"tag:{TAG_AUTHORITY}:search"
    updated = max((h.updated for h in result.hits), default=None) or datetime.now(timezone.utc)

    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="zh-CN">',
        f"<id>{_x(feed_id)}</id>",
        f"<title>{_x(describe(p))}</title>",
        f"<subtitle>{_x(f'{result.total} matches; the newest {len(result.hits)} by publication date')}</subtitle>",
        f"<updated>{_ts(updated)}</updated>",
        "<author><name>tenderwatch</name></author>",
        '<generator uri="https://github.com/tenderwatch">tenderwatch</generator>',
        f'<link rel="self" type="application/atom+xml" href={_attr(f"{base}/feeds/search.atom" + (f"?{qs}" if qs else ""))}/>',
        f'<link rel="alternate" type="text/html" href={_attr(f"{base}/search?" + urlencode(p.query_items(page=False)))}/>',
    ]
    for h in result.hits:
        summary = [
            " · ".join(x for x in [
                h.published_at.strftime("%Y-%m-%d") if h.published_at else "",
                labels.value_label("type", h.notice_type) if h.notice_type else "",
                f"采购人 {h.buyer.name}" if h.buyer else "",
                ("成交 " + ", ".join(v.name for v in h.vendors)) if h.vendors else "",
                labels.money(h.amount) if h.amount else "",
            ] if x),
            " · ".join(
                [labels.value_label("provider", v) for v in h.cloud_providers]
                + [labels.value_label("chip", v) for v in h.gpu_models]
                + [labels.value_label("flag", v) for v in h.flags]
            ),
            h.evidence or h.snippet_text or "",
        ]
        out += [
            "<entry>",
            f"<id>tag:{TAG_AUTHORITY}:notice:{h.id}</id>",
            f"<title type=\"text\">{_x(h.title or '(untitled notice)')}</title>",
            f"<updated>{_ts(h.updated)}</updated>",
            *([f"<published>{_ts(h.published_at)}</published>"] if h.published_at else []),
            f'<link rel="alternate" type="text/html" href={_attr(f"{base}/notices/{h.id}")}/>',
            f'<link rel="via" href={_attr(h.url)}/>' if h.url.startswith(("http://", "https://")) else "",
            *(f'<category term={_attr(f"{facet}:{v}")} label={_attr(labels.value_label(facet, v))}/>'
              for facet, values in (("provider", h.cloud_providers), ("chip", h.gpu_models), ("flag", h.flags))
              for v in values),
            f"<summary type=\"text\">{_x(chr(10).join(s for s in summary if s))}</summary>",
            "</entry>",
        ]
    out.append("</feed>")
    return "\n".join(x for x in out if x) + "\n"
