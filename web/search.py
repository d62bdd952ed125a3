"""The web side of search: URL parameters → `storage.search.SearchQuery` → hits ready for pages, the API,
exports and feeds.

Matching, ranking, facets and snippets are the storage layer's (`Store.search`); this module only maps
parameters, and adds what pages need beside a hit: organisation ids for vendor links, the largest amount,
first-seen/last-changed times for feeds, and for compute cases the sentence of evidence that says why.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, Iterator, Optional

import sqlalchemy as sa
from markupsafe import Markup

from models.tables import Notice, NoticeAmount
from storage.search.model import QuerySyntaxError, SearchQuery
from storage.search.vocab import candidate_reason_text
from web.db import OrgRef, ReadDB
from web.params import SearchParams

EXPORT_BATCH = 500
QueryError = QuerySyntaxError  # the app answers 400 with its message

# URL parameter name → storage facet name (they differ only for the notice type).
FACET_NAMES = {"type": "notice_type"}
AMOUNT_KINDS = ("award", "budget", "max_price")  # what "the amount" of a notice means in a list, best first


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
        sort=p.effective_sort,
        page=page or p.page,
        per_page=per_page or p.size,
        facets=facets,
        snippets=snippets,
    )


def _dt(value) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


class Searcher:
    def __init__(self, url: str, engine: sa.Engine):
        from storage.blobs import BlobStore
        from storage.store import Store

        # The storage layer's Store on our read-only engine: its search, nothing that writes.
        self.store = Store(engine, BlobStore(), read_only=True)
        self.engine = engine
        self.db = ReadDB(engine)

    def search(self, p: SearchParams, *, facets: bool = True) -> ResultView:
        result = self.store.search(to_query(p, facets=facets))
        hits = self._hits(result.hits)
        fac: dict[str, list[tuple[str, int]]] = {}
        labels: dict[str, dict[str, str]] = {}
        for name, counts in (result.facets or {}).items():
            ours = {"notice_type": "type"}.get(name, name)
            fac[ours] = [(c.value, c.count) for c in counts]
            labels[ours] = {c.value: c.label for c in counts}
        return ResultView(total=result.total, hits=hits, facets=fac, facet_labels=labels,
                          sort=getattr(result, "sort", p.effective_sort),
                          facets_complete=getattr(result, "facets_complete", True), candidates=result.candidates)

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
            yield from self._hits(result.hits, evidence=True)
            if page * EXPORT_BATCH >= result.total:
                return
            page += 1

    # ------------------------------------------------------------------
    def _hits(self, raw_hits, *, evidence: bool = True) -> list[Hit]:
        if not raw_hits:
            return []
        ids = [h.id for h in raw_hits]
        extra = self._extras(ids)
        vendor_ids = self.db.org_ids_by_name([v for h in raw_hits for v in (h.vendors or [])])
        sentences = self._evidence([h.id for h in raw_hits if h.remote_compute or h.compute_candidate]) if evidence else {}
        out = []
        for h in raw_hits:
            e = extra.get(h.id, {})
            snip = h.snippet
            out.append(Hit(
                id=h.id, title=h.title or "", url=h.url, source=h.source, published_at=_dt(h.published_at),
                notice_type=h.notice_type, region=h.region,
                buyer=OrgRef(h.buyer_id, h.buyer) if h.buyer else None,
                vendors=[OrgRef(vendor_ids.get(v), v) for v in (h.vendors or [])],
                remote_compute=bool(h.remote_compute), hardware_purchase=bool(h.hardware_purchase),
                compute_kinds=list(h.compute_kinds or []), cloud_providers=list(h.cloud_providers or []),
                gpu_models=list(h.gpu_models or []), flags=list(h.flags or []),
                # The storage layer escapes the text and adds only <mark>: safe to emit as markup.
                snippet_html=Markup(snip.html) if snip else Markup(""),
                snippet_text=snip.text if snip else "",
                score=h.score, amount=e.get("amount"), first_seen=e.get("first_seen"),
                last_changed=e.get("last_changed"), evidence=sentences.get(h.id, ""),
                compute_candidate=bool(h.compute_candidate), candidate_score=h.candidate_score,
                candidate_reasons=list(h.candidate_reasons or []),
                review=h.review,
            ))
        return out

    def _extras(self, ids: list[int]) -> dict[int, dict]:
        # Ids are ints from the storage layer's own result, so they are inlined (no expanding-IN compile cost).
        id_list = ", ".join(str(int(i)) for i in ids)
        kinds = ", ".join(f"'{k}'" for k in AMOUNT_KINDS)
        out: dict[int, dict] = {}
        best: dict[int, tuple[int, float]] = {}
        with self.engine.connect() as c:
            for nid, first_seen, last_changed in c.execute(
                sa.text(f"SELECT id, first_seen, last_changed FROM notice WHERE id IN ({id_list})")
                .columns(sa.column("id", sa.Integer), sa.column("first_seen", sa.DateTime), sa.column("last_changed", sa.DateTime))
            ):
                out[nid] = {"first_seen": first_seen, "last_changed": last_changed}
            for nid, kind, value in c.execute(sa.text(
                f"SELECT notice_id, kind, value_cny FROM noticeamount WHERE notice_id IN ({id_list})"
                f" AND value_cny IS NOT NULL AND kind IN ({kinds})"
            )):
                rank = AMOUNT_KINDS.index(kind)
                cur = best.get(nid)
                if cur is None or rank < cur[0] or (rank == cur[0] and value > cur[1]):
                    best[nid] = (rank, value)
        for nid, (_, value) in best.items():
            out.setdefault(nid, {})["amount"] = value
        return out

    def _evidence(self, ids: list[int]) -> dict[int, str]:
        """For each case, its evidence sentence: the records the exports and the digest read, and the one
        choice of sentence they all make (storage.evidence.case_sentence)."""
        if not ids:
            return {}
        from sqlmodel import Session

        from storage.exports.records import load_records

        with Session(self.engine) as session:
            records = load_records(session, ids, with_text=True)
        return {r.id: sentence for r in records if (sentence := r.evidence_sentence())}
