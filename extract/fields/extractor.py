"""Notice fields from a notice's text: type, title, project codes, buyer, agency, winners, amounts, dates, region.

Works from the text alone (plain-text renderings of ccgp pages, PDF text), and uses what the HTML reader put in
`meta` (the 公告概要 summary table, ArticleTitle, PubDate, breadcrumb) when it is there. Every value carries
Evidence with offsets into the text it came from. Label vocabularies live in data/labels.toml; they hold the
Simplified, the Taiwan / Hong Kong / Macau (written in Simplified: matching folds Traditional text first, see
text.fold) and the English wording of each field.

Modules: base (label matching, the document view, summary table, tab tables), names (buyer, agency, winners),
codes, money (amounts and their currency), when (publication date, deadline), kind (title, notice type), region;
amounts / dates / numerals parse single values.
"""

from __future__ import annotations

from typing import Any

from extract.types import Amount, DocumentText, NoticeFields

from .base import _Doc, _meta_summary, _summary
from .codes import _codes, _title_codes
from .dates import find_dates, read_when
from .kind import _breadcrumb, _is_candidate_notice, _notice_type, _title
from .money import _amounts
from .names import _org, _unlabelled_buyer, _vendors
from .region import find_region
from .when import _deadline, _published


def extract_fields(body: DocumentText, attachments: list[DocumentText], hints: dict[str, Any]) -> NoticeFields:
    """Fields of one notice. The body decides; an attachment fills a field only where the body is silent."""
    hints = dict(hints or {})
    if "published_at" in hints:  # a list page's date, read once into a date field's value
        hints["published_at"] = read_when(hints["published_at"])
    out = _from_document(body, hints)
    for att in attachments or []:
        if not att.text or att.needs_ocr:
            continue
        more = _from_document(att, {**hints, "notice_type": out.notice_type}, name=att.name or "attachment")
        _fill(out, more)
    # what a list page said, only where the documents are silent
    for key in ("buyer", "region", "published_at", "title"):
        if getattr(out, key) is None and hints.get(key):
            setattr(out, key, hints[key])
    return out


def _fill(out: NoticeFields, more: NoticeFields) -> None:
    used = set()
    for key in ("title", "buyer", "agency", "published_at", "bid_deadline", "region"):
        if getattr(out, key) is None and getattr(more, key) is not None:
            setattr(out, key, getattr(more, key))
            used.add(key)
    for key, ev_field in (("project_codes", "project_codes"), ("vendors", "vendors"), ("amounts", "amounts")):
        if not getattr(out, key) and getattr(more, key):
            setattr(out, key, getattr(more, key))
            used.add(ev_field)
    out.evidence += [e for e in more.evidence if e.field in used]


def _from_document(doc: DocumentText, hints: dict, name: str = "") -> NoticeFields:
    d = _Doc(doc, name)
    meta = doc.meta or {}
    summary = _summary(d)
    msum = _meta_summary(doc)
    out = NoticeFields()
    ev = out.evidence

    t = _title(d, meta, hints)
    if t:
        out.title = t.value
        if t.start >= 0:
            ev.append(d.ev("title", t.start, t.end))
    out.notice_type = _notice_type(out.title or "", _breadcrumb(d, meta), hints, meta, d)

    codes = _codes(d) or (_title_codes(d, t) if t and t.start >= 0 else [])
    for h in codes:
        out.project_codes.append(d.verbatim(h))
        ev.append(d.ev("project_codes", h.start, h.end))

    buyer_hit = None
    for key in ("buyer", "agency"):
        h = _org(d, summary, msum, key)
        buyer_hit = h if key == "buyer" else buyer_hit
        if h:
            setattr(out, key, d.verbatim(h))
            if h.start >= 0:
                ev.append(d.ev(key, h.start, h.end))

    if not _is_candidate_notice(out.title or "", out.notice_type):
        for h in _vendors(d, out.notice_type):
            out.vendors.append(d.verbatim(h))
            ev.append(d.ev("vendors", h.start, h.end))

    for a in _amounts(d, out.notice_type, summary):
        raw = d.text[a.start:a.end]
        out.amounts.append(Amount(kind=a.kind, value_cny=a.cny, raw=raw, percent=a.percent, currency=a.currency,
                                  value=a.value if a.percent is None else None))
        ev.append(d.ev("amounts", a.start, a.end))

    # date hits carry offsets into the string they were found in, which starts at `base` in the document
    pub = _published(d, summary, meta)
    if pub:
        hit, base = pub
        out.published_at = hit.value()
        ev.append(d.ev("published_at", base + hit.start, base + hit.end))
    elif meta.get("PubDate"):
        hits = find_dates(str(meta["PubDate"]))
        if hits:
            out.published_at = hits[0].value()
    published = out.published_at or hints.get("published_at")
    year = published.year if published else None  # for deadlines written without a year

    dl = _deadline(d, out.notice_type, year, summary)
    if dl:
        hit, base = dl
        # a deadline stated without a time keeps its day (a date) rather than inventing 00:00
        out.bid_deadline = hit.value()
        ev.append(d.ev("bid_deadline", base + hit.start, base + hit.end))

    if out.buyer is None and (out.project_codes or out.amounts or out.bid_deadline):
        # a page that is a notice (it states a number, money or a deadline) but names no buyer by label
        h = buyer_hit = _unlabelled_buyer(d, t)
        if h:
            out.buyer = d.verbatim(h)
            ev.append(d.ev("buyer", h.start, h.end))

    out.region, hits = find_region(d, summary, msum, buyer_hit, t)
    ev += [d.ev("region", h.start, h.end) for h in hits if h.start >= 0]
    return out

