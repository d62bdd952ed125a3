"""The search interface: what is asked (`SearchQuery`) and what comes back (`SearchResult`). Both backends
answer with the same results; see docs/search.md for the query syntax and matching rules."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any, Optional, Sequence

from extract.fields.dates import china_local

FACETS = ("provider", "chip", "kind", "flag", "buyer", "vendor", "region", "notice_type", "year", "screened")
SORTS = ("relevance", "date")
MAX_PER_PAGE = 1000


class QuerySyntaxError(ValueError):
    """The query text cannot be understood; the message says why, for the user."""


class UnknownFilterValue(QuerySyntaxError):
    """A provider, chip, kind, flag or notice type no notice can have; the message names the known values."""


def _values(value: str | Sequence[str] | None) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(v for v in value if v not in (None, ""))


@dataclass
class SearchQuery:
    text: str = ""  # the query box; empty = every notice that passes the filters, newest first
    since: Optional[date] = None  # published on or after
    until: Optional[date] = None  # published on or before
    buyer: str | Sequence[str] | None = None  # organisation id, or part of its name
    vendor: str | Sequence[str] | None = None
    notice_type: str | Sequence[str] | None = None  # any of these
    region: Optional[str] = None  # part of the region name (北京 matches 北京市)
    source: Optional[str] = None
    provider: str | Sequence[str] | None = None  # VOCAB ids; several = all of them
    chip: str | Sequence[str] | None = None
    kind: str | Sequence[str] | None = None
    flag: str | Sequence[str] | None = None  # a case's flags: the union over its procurement
    screened: bool = False  # only notices whose buyer, agency or a vendor has a screening-list hit (storage/screening.py)
    amount_min: Optional[float] = None  # CNY; any budget, award or maximum price in range
    amount_max: Optional[float] = None
    # Only notices where remote compute was sought, as reviewers' newest decisions correct it: rejected ones
    # leave, confirmed ones join (storage/review.py).
    cases_only: bool = False
    candidates_only: bool = False  # only possible cases (compute evidence short of a case); never with cases_only
    # Review state (storage.review.STATES): confirmed, rejected, reviewed, pending; several = any of them.
    # Given, it replaces the default of leaving rejected cases out of the case list.
    review: str | Sequence[str] | None = None
    sort: str = "relevance"  # relevance (bm25, title weighted; date order when there is no text) or date
    page: int = 1
    per_page: int = 20
    # Keyset paging (date order): the `next_after` of the previous page; `page` is then ignored. Deep pages of
    # a large date-ordered result cost the same as the first.
    after: Optional[str] = None
    facets: bool = True  # count facets over the whole result set
    facet_limit: int = 20  # values per facet, most frequent first
    snippets: bool = True

    def __post_init__(self) -> None:
        if self.sort not in SORTS:
            raise QuerySyntaxError(f"sort must be one of {', '.join(SORTS)}, not {self.sort!r}")
        if self.page < 1:
            raise QuerySyntaxError("page starts at 1")
        if not 1 <= self.per_page <= MAX_PER_PAGE:
            raise QuerySyntaxError(f"per_page must be between 1 and {MAX_PER_PAGE}")
        if self.amount_min is not None and self.amount_max is not None and self.amount_min > self.amount_max:
            raise QuerySyntaxError("amount_min is larger than amount_max")
        if self.since and self.until and self.since > self.until:
            raise QuerySyntaxError("since is after until")
        if self.after is not None:
            parse_after(self.after)
        if self.cases_only and self.candidates_only:
            raise QuerySyntaxError("cases and possible cases are shown apart: ask for one or the other")
        from storage.review import STATES

        if bad := [v for v in self.values("review") if v not in STATES]:
            raise QuerySyntaxError(f"review must be one of {', '.join(STATES)}, not {bad[0]!r}")
        from storage.search.vocab import FILTER_FACETS, unknown_message

        for attr, facet in FILTER_FACETS.items():
            message = unknown_message(facet, self.values(attr))
            if message:
                raise UnknownFilterValue(message)

    def values(self, name: str) -> tuple[str, ...]:
        return _values(getattr(self, name))


def parse_after(cursor: str) -> tuple[Optional[datetime], int]:
    """A keyset cursor "<published_at ISO>|<id>" (published_at empty for an undated notice)."""
    moment, _, ident = cursor.partition("|")
    try:
        # An aware time is read as the stored dates are (naive China local time): extract.fields.dates.
        return (china_local(datetime.fromisoformat(moment)) if moment else None), int(ident)
    except ValueError:
        raise QuerySyntaxError(f"not a page cursor: {cursor[:40]!r}") from None


def make_after(published_at: Optional[datetime], notice_id: int) -> str:
    return f"{published_at.isoformat() if published_at else ''}|{notice_id}"


@dataclass
class SnippetPart:
    text: str
    hit: bool


@dataclass
class Snippet:
    parts: list[SnippetPart]  # plain segments; hit=True where a query term matched
    html: str  # the same, HTML-escaped, hits wrapped in <mark>
    document: str = ""  # "" = title/body; else the attachment's name

    @property
    def text(self) -> str:
        return "".join(p.text for p in self.parts)


@dataclass
class SearchHit:
    id: int
    title: str
    url: str
    source: str
    published_at: Optional[str]
    notice_type: Optional[str]
    buyer: Optional[str]
    buyer_id: Optional[int]
    vendors: list[str]
    region: Optional[str]
    remote_compute: bool
    hardware_purchase: bool
    compute_kinds: list[str]
    cloud_providers: list[str]
    gpu_models: list[str]
    flags: list[str]  # union over the procurement
    procurement_key: Optional[str]
    score: Optional[float]
    snippet: Optional[Snippet]
    vendor_ids: list[int] = field(default_factory=list)  # same order as vendors
    # A possible case: compute evidence short of a case (never set on a case), its score and why it fell short.
    compute_candidate: bool = False
    candidate_score: Optional[float] = None
    candidate_reasons: list[str] = field(default_factory=list)
    review: Optional[str] = None  # the newest review decision (confirmed, rejected), None when not reviewed
    screened: bool = False  # its buyer, agency or a vendor has a screening-list candidate hit

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["snippet"] = self.snippet.text if self.snippet else ""
        out["snippet_html"] = self.snippet.html if self.snippet else ""
        out["snippet_document"] = self.snippet.document if self.snippet else ""
        return out


@dataclass
class FacetCount:
    value: str
    label: str
    count: int


@dataclass
class SearchResult:
    query: SearchQuery
    total: int
    hits: list[SearchHit]
    facets: dict[str, list[FacetCount]] = field(default_factory=dict)
    sort: str = "relevance"  # the order used: relevance falls back to date for very broad searches
    facets_complete: bool = True  # False when the result set was too large to count facets over
    # Possible cases matching the text and filters, whatever the cases switch says (counted with the facets;
    # None when facets were not counted): what the "possible cases" switch would show.
    candidates: Optional[int] = None
    # What the search did when the result was too large to treat whole (docs/search.md, "At scale"):
    total_exact: bool = True  # False: `total` is an estimate (a very broad text on PostgreSQL)
    # Relevance and facets over a capped candidate set: the newest `ranked_of` matches (None = over all).
    ranked_of: Optional[int] = None
    facets_source: str = "matches"  # matches (counted over every match), summary (unfiltered: summary tables),
    #                                 newest (over the `ranked_of` newest matches), none (facets off)
    next_after: Optional[str] = None  # keyset cursor of the next page in date order, when there is one

    @property
    def scope_note(self) -> str:
        """One sentence for the page saying what a capped search did; "" when it treated every match."""
        about = "" if self.total_exact else "about "
        newest = f"the newest {self.ranked_of or 0:,} of {about}{self.total:,} matches"
        if self.ranked_of is not None and self.sort == "relevance":
            facets = " Facets count those." if self.facets_source == "newest" else ""
            return f"Ranked {newest}.{facets}"
        if self.ranked_of is not None and self.facets_source == "newest":  # date order lists every match
            return f"Facets count {newest}."
        return "" if self.total_exact else f"About {self.total:,} matches (estimated)."

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.query.per_page))

    def to_json(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "page": self.query.page,
            "per_page": self.query.per_page,
            "sort": self.sort,
            "facets_complete": self.facets_complete,
            "candidates": self.candidates,
            "total_exact": self.total_exact,
            "ranked_of": self.ranked_of,
            "facets_source": self.facets_source,
            "scope_note": self.scope_note,
            "next_after": self.next_after,
            "results": [h.to_json() for h in self.hits],
            "facets": {k: [asdict(c) for c in v] for k, v in self.facets.items()},
        }
