"""The web side of search: URL parameters → `storage.search.SearchQuery` → hits ready for pages, the API,
exports and feeds.

Matching, ranking, facets and snippets are the storage layer's (`Store.search`), and what a list shows
beside a hit — the amount, first-seen/last-changed times for feeds, the evidence sentence of a case — is the
read model's (`storage.reading.hit_extras`); this module maps parameters and joins the two into `Hit`s.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Callable, Iterator, Optional

import sqlalchemy as sa
from markupsafe import Markup

from storage.reading import OrgRef, hit_extras
from storage.search.model import QuerySyntaxError, SearchQuery
from storage.search.vocab import candidate_reason_text
from web.params import SearchParams

EXPORT_BATCH = 500
QueryError = QuerySyntaxError  # the app answers 400 with its message

# URL parameter name → storage facet name (they differ only for the notice type).
FACET_NAMES = {"type": "notice_type"}


@dataclass
class Hit:
    id: int
    title: str
    url: str
    source: str
    published_at: Optional[datetime]
    notice_type: Optional[str]
    region: Optional[str]
    buyer: Optional[OrgRef]
    vendors: list[OrgRef]
    remote_compute: bool
    hardware_purchase: bool
    compute_kinds: list[str]
    cloud_providers: list[str]
    gpu_models: list[str]
    flags: list[str]
    snippet_html: Markup = Markup("")
    snippet_text: str = ""
    score: Optional[float] = None
    amount: Optional[float] = None
    first_seen: Optional[datetime] = None
    last_changed: Optional[datetime] = None
    evidence: str = ""  # the sentence that makes it a case (or a possible case)
    compute_candidate: bool = False  # a possible case: compute evidence short of a case
    candidate_score: Optional[float] = None
    candidate_reasons: list[str] = field(default_factory=list)  # why it fell short of a case
    review: Optional[str] = None  # newest review decision: confirmed, rejected, or None (not reviewed)
    screened: bool = False  # its buyer, agency or a vendor has a screening-list candidate hit

    @property
    def updated(self) -> datetime | None:
        return self.last_changed or self.first_seen or self.published_at

    def to_json(self, base: str) -> dict[str, Any]:
        def iso(v):
            return v.isoformat() if v is not None else None

        return {
            "id": self.id,
            "title": self.title,
            "url": self.url,
            "permalink": f"{base}/notices/{self.id}",
            "source": self.source,
            "published_at": iso(self.published_at),
            "notice_type": self.notice_type,
            "region": self.region,
            "buyer": self.buyer.name if self.buyer else None,
            "buyer_id": self.buyer.id if self.buyer else None,
            "vendors": [v.name for v in self.vendors],
            "vendor_ids": [v.id for v in self.vendors],
            "amount_cny": self.amount,
            "remote_compute": self.remote_compute,
            "hardware_purchase": self.hardware_purchase,
            "compute_kinds": self.compute_kinds,
            "cloud_providers": self.cloud_providers,
            "gpu_models": self.gpu_models,
            "flags": self.flags,
            "evidence": self.evidence or None,
            "compute_candidate": self.compute_candidate,
            "candidate_score": self.candidate_score,
            "candidate_reasons": self.candidate_reasons,  # codes (extract/compute/data/candidates.toml)
            "candidate_reason_texts": [candidate_reason_text(r) for r in self.candidate_reasons],
            "review": self.review,
            "screened": self.screened,
            "snippet": self.snippet_text,
            "snippet_html": str(self.snippet_html),
            "score": self.score,
            "first_seen": iso(self.first_seen),
        }


@dataclass
class ResultView:
    total: int
    hits: list[Hit]
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    facet_labels: dict[str, dict[str, str]] = field(default_factory=dict)
    sort: str = "relevance"  # the order the storage layer used (very broad searches fall back to date)
    facets_complete: bool = True  # False when too many notices matched to count facets
    candidates: Optional[int] = None  # possible cases matching the search, whatever the cases switch
    # What a capped search did ("Ranked the newest 500 of about 950,000 matches."), "" when it treated all.
    scope_note: str = ""
    total_exact: bool = True
    ranked_of: Optional[int] = None
    facets_source: str = "matches"


def to_query(p: SearchParams, *, facets: bool, page: int | None = None, per_page: int | None = None,
             snippets: bool = True) -> SearchQuery:
    since, until = p.since, p.until
    if p.year:
        # Years narrow the date range: one year is exact, several give the span from the first to the last.
        ys = sorted(int(y) for y in p.year)
        lo, hi = date(ys[0], 1, 1), date(ys[-1], 12, 31)
        since = max(since, lo) if since else lo
        until = min(until, hi) if until else hi
        if since > until:
            raise QuerySyntaxError("the year and the date range do not overlap")
    return SearchQuery(
        text=p.q,
        since=since,
        until=until,
        buyer=p.buyer or None,
        vendor=p.vendor or None,
        notice_type=p.type or None,
        region=p.region[-1] if p.region else None,
        provider=p.provider or None,
        chip=p.chip or None,
        kind=p.kind or None,
        flag=p.flag or None,
        amount_min=p.amount_min,
        amount_max=p.amount_max,
        cases_only=p.cases_only,
        candidates_only=p.candidates_only,
        review=p.review or None,
        screened=bool(p.screened),
        sort=p.effective_sort,
        page=page or p.page,
        per_page=per_page or p.size,
        facets=facets,
        snippets=snippets,
    )


class Searcher:
    def __init__(self, engine: sa.Engine):
        from storage.blobs import BlobStore
        from storage.store import Store

        # The storage layer's Store on our read-only engine: its search, nothing that writes.
        self.store = Store(engine, BlobStore(), read_only=True)
        self.engine = engine

    def search(self, p: SearchParams, *, facets: bool = True) -> ResultView:
        result = self.store.search(to_query(p, facets=facets), self.text_counts())
        hits = self._hits(result.hits)
        fac: dict[str, list[tuple[str, int]]] = {}
        labels: dict[str, dict[str, str]] = {}
        for name, counts in (result.facets or {}).items():
            ours = {"notice_type": "type"}.get(name, name)
            fac[ours] = [(c.value, c.count) for c in counts]
            labels[ours] = {c.value: c.label for c in counts}
        return ResultView(total=result.total, hits=hits, facets=fac, facet_labels=labels, sort=result.sort,
                          facets_complete=result.facets_complete, candidates=result.candidates,
                          scope_note=result.scope_note, total_exact=result.total_exact,
                          ranked_of=result.ranked_of, facets_source=result.facets_source)

    def text_counts(self) -> dict[str, int] | None:
        """Texts' match counts valid for the next search (web/cache.py keeps them while the database is
        unchanged); None: counted afresh."""
        return None

    def answer(self, p: SearchParams, render: Callable[[ResultView], bytes], *, facets: bool = True,
               form: str = "") -> bytes:
        """The search rendered by `render` (the API's JSON); web/cache.py keeps it for repeated searches."""
        return render(self.search(p, facets=facets))

    def check(self, p: SearchParams) -> None:
        """Raise QuerySyntaxError now for a search that cannot run (before a download starts streaming)."""
        from storage.search.query import parse_query

        parse_query(p.q)
        to_query(p, facets=False)

    def iter_all(self, p: SearchParams) -> Iterator[Hit]:
        """Every hit of the search, in its order, fetched a batch at a time (for exports)."""
        page = 1
        while True:
            result = self.store.search(to_query(p, facets=False, page=page, per_page=EXPORT_BATCH))
            if not result.hits:
                return
            yield from self._hits(result.hits)
            if page * EXPORT_BATCH >= result.total:
                return
            page += 1

    def _hits(self, raw_hits) -> list[Hit]:
        with self.engine.connect() as conn:
            extras = hit_extras(conn, raw_hits)
        out = []
        for h in raw_hits:
            e = extras[h.id]
            snip = h.snippet
            out.append(Hit(
                id=h.id, title=h.title or "", url=h.url, source=h.source, published_at=e.published_at,
                notice_type=h.notice_type, region=h.region,
                buyer=OrgRef(h.buyer_id, h.buyer) if h.buyer else None,
                vendors=[OrgRef(i, v) for i, v in zip(h.vendor_ids, h.vendors)],
                remote_compute=bool(h.remote_compute), hardware_purchase=bool(h.hardware_purchase),
                compute_kinds=list(h.compute_kinds or []), cloud_providers=list(h.cloud_providers or []),
                gpu_models=list(h.gpu_models or []), flags=list(h.flags or []),
                # The storage layer escapes the text and adds only <mark>: safe to emit as markup.
                snippet_html=Markup(snip.html) if snip else Markup(""),
                snippet_text=snip.text if snip else "",
                score=h.score, amount=e.amount, first_seen=e.first_seen, last_changed=e.last_changed,
                evidence=e.evidence, compute_candidate=bool(h.compute_candidate), candidate_score=h.candidate_score,
                candidate_reasons=list(h.candidate_reasons or []), review=h.review, screened=h.screened,
            ))
        return out
