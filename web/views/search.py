"""/search and /api/search: one search (`search_data`), shown as the results page or answered as JSON; with
`format=` the whole result set is streamed as an export (web/exports.py)."""

from __future__ import annotations

import json
import math
from urllib.parse import urlencode

from fastapi import Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from storage.reading import org_names
from web import exports, labels
from web.params import EXPORT_FORMATS, MAX_QUERY_CHARS, ParamError, SearchParams, parse_params
from web.search import QueryError, ResultView
from web.views.common import base_url, json_body, page_router, reading, render, searcher

router = page_router()
FACET_ORDER = ("provider", "chip", "kind", "flag", "screened", "type", "year", "region", "buyer", "vendor")
MAX_PAGE = 500


def params_of(request: Request) -> SearchParams:
    """The search the query string asks for (the same on /search, /api/search, the exports and the feed)."""
    items = [(k, v) for k, v in request.query_params.multi_items() if k not in ("format", "facets")]
    return parse_params(items)


def search_data(request: Request, p: SearchParams, *, facets: bool = True) -> ResultView:
    return searcher(request).search(p, facets=facets)


def links(p: SearchParams) -> dict[str, str]:
    return {
        "permalink_qs": urlencode(p.query_items()),
        "export_qs": urlencode(p.query_items(page=False)),
        "feed_qs": urlencode(p.query_items(page=False, sort=False)),
        "clear_qs": urlencode([("q", p.q)] if p.q else [])
        + ("" if p.cases_only else ("&" if p.q else "") + ("candidates=1" if p.candidates_only else "cases=0")),
    }


@router.get("/", include_in_schema=False)
def home():
    return RedirectResponse("/search", status_code=307)


@router.get("/search", response_class=HTMLResponse, include_in_schema=False)
def search_page(request: Request):
    try:
        p = params_of(request)
    except ParamError as exc:
        return _search_error(request, SearchParams(q=request.query_params.get("q", "")[:MAX_QUERY_CHARS]), str(exc))
    try:
        result = search_data(request, p)
    except QueryError as exc:
        return _search_error(request, p, str(exc))
    last = min(max(1, math.ceil(result.total / p.size)), MAX_PAGE)
    names = filter_names(request, p, result.facet_labels)
    return render(request, "search.html", {
        "p": p, "result": result, "facets": _facet_views(p, result, names), "error": None,
        "pages": {"last": last, "window": _page_window(p.page, last)},
        "hits": result.hits, "chip_label": _chip_labeler(names), **links(p),
    })


def _search_error(request: Request, p: SearchParams, message: str) -> HTMLResponse:
    return render(request, "search.html", {
        "p": p, "result": None, "facets": [], "error": message, "pages": {"last": 1, "window": []},
        "chip_label": _chip_labeler(filter_names(request, p, {})), **links(p),
    }, 400)


@router.get("/api/search", tags=["search"], summary="Search notices (JSON with facets, or a whole-set export)")
def api_search(
    request: Request,
    q: str = Query("", description=f"Query: exact terms, \"phrases\", OR, -exclusion; at most {MAX_QUERY_CHARS} characters"),
    provider: list[str] = Query([], description="Cloud provider id (aws, azure, alibaba-cloud …)"),
    chip: list[str] = Query([], description="Accelerator id (nvidia-a100 …)"),
    kind: list[str] = Query([], description="cloud, gpu_rental, model_api, hpc"),
    flag: list[str] = Query([], description="us_provider, controlled_chip, intermediary, offshore, domestic_only"),
    buyer: list[str] = Query([], description="Buyer name"),
    vendor: list[str] = Query([], description="Vendor name"),
    type: list[str] = Query([], description="Notice type: tender award correction cancellation contract intention other"),
    region: list[str] = Query([]),
    year: list[str] = Query([]),
    since: str = Query("", description="Published on or after (YYYY-MM-DD)"),
    until: str = Query("", description="Published on or before (YYYY-MM-DD)"),
    amount_min: str = Query("", description="Smallest amount in yuan (50万 accepted)"),
    amount_max: str = Query("", description="Largest amount in yuan"),
    cases: str = Query("1", description="1: compute cases only (default; cases a reviewer rejected are left "
                                         "out); 0: all notices"),
    review: list[str] = Query([], description="Review state: confirmed, rejected, reviewed, pending (any of them)"),
    screened: list[str] = Query([], description="screened: only notices whose buyer, agency or a vendor has a "
                                "screening-list candidate hit (tenderwatch screening import)"),
    candidates: str = Query("", description="1: possible cases only — compute evidence that fell short of a"
                            " case, with the reasons (shown apart from cases; overrides `cases`)"),
    sort: str = Query("", description="relevance (default with a query) or date"),
    page: int = Query(1, ge=1, le=MAX_PAGE),
    size: int = Query(20, ge=1, le=100),
    format: str = Query("", description="csv, json or jsonl: the whole result set, streamed, as a download"),
    facets: bool = Query(True, description="Count facets over the whole result set (off = faster)"),
):
    p = params_of(request)
    if format:
        if format not in EXPORT_FORMATS:
            raise ParamError(f"format={format!r} is not one of {', '.join(EXPORT_FORMATS)}.")
        # Run the first page now so a bad query is a 400, not a broken download.
        searcher(request).check(p)
        return exports.stream(format, p, searcher(request), request)
    # The answer's bytes are cached with the search (web/cache.py): a repeated search renders nothing either.
    # They name the site as SITE, replaced per request: every Host shares one entry (a made-up Host cannot force
    # a search) and gets its own links.
    body = searcher(request).answer(p, lambda result: api_body(result, p, SITE), facets=facets, form="json")
    return Response(with_site(body, base_url(request)), media_type="application/json")


# The site's address in a cached answer: a string no address or data holds (JSON writes it \u0000site\u0000).
SITE = "\x00site\x00"
_SITE_JSON = json.dumps(SITE)[1:-1].encode()


def with_site(body: bytes, base: str) -> bytes:
    """`body` rendered with SITE for the base URL, naming `base` instead (escaped as JSON writes it)."""
    return body.replace(_SITE_JSON, json.dumps(base, ensure_ascii=False)[1:-1].encode("utf-8"))


def api_body(result: ResultView, p: SearchParams, base: str) -> bytes:
    """/api/search's JSON for one page of a search."""
    return json_body({
        "total": result.total,
        "page": p.page,
        "size": p.size,
        "sort": result.sort,  # may be "date" although relevance was asked: too many matches to rank
        "facets_complete": result.facets_complete,  # False: facets count only the newest `ranked_of` matches
        "total_exact": result.total_exact,  # False: `total` is an estimate (a very broad text)
        "ranked_of": result.ranked_of,  # ranked (and faceted) over the newest this many matches; null: all
        "facets_source": result.facets_source,  # matches, summary, newest or none
        "scope_note": result.scope_note,  # the sentence the page shows about it
        # Possible cases matching the text and filters, whatever `cases` says (candidates=1 lists them).
        "candidates": result.candidates,
        "query": p.q,
        "results": [h.to_json(base) for h in result.hits],
        "facets": {
            name: [{"value": v, "label": result.facet_labels.get(name, {}).get(v) if name in ("buyer", "vendor")
                    else labels.value_label(name, v), "count": n} for v, n in values]
            for name, values in result.facets.items()
        } | ({"candidate": [{"value": "1", "label": "Possible cases", "count": result.candidates}]}
             if result.candidates is not None else {}),
        "links": {
            "self": f"{base}/api/search?{urlencode(p.query_items())}",
            "html": f"{base}/search?{urlencode(p.query_items())}",
            "feed": f"{base}/feeds/search.atom?{urlencode(p.query_items(page=False, sort=False))}",
            "next": (f"{base}/api/search?{p.qs(page=p.page + 1)}"
                     if p.offset + p.size < result.total and p.page < MAX_PAGE else None),
        },
    })


# ------------------------------------------------------------------------------------------ page parts
def filter_names(request: Request, p: SearchParams, facet_labels: dict[str, dict[str, str]]) -> dict[tuple[str, str], str]:
    """Display names of active buyer/vendor filters given as organisation ids (what a facet click sends)."""
    out: dict[tuple[str, str], str] = {}
    missing: list[int] = []
    for name in ("buyer", "vendor"):
        for v in getattr(p, name):
            label = facet_labels.get(name, {}).get(v)
            if label:
                out[(name, v)] = label
            elif v.isdigit():
                missing.append(int(v))
    if missing:
        with reading(request) as conn:
            found = org_names(conn, missing)
        for name in ("buyer", "vendor"):
            for v in getattr(p, name):
                if v.isdigit() and int(v) in found:
                    out.setdefault((name, v), found[int(v)])
    return out


def _page_window(page: int, last: int) -> list[int | None]:
    """1 … 4 5 [6] 7 8 … 40"""
    keep = {1, last, *range(max(1, page - 2), min(last, page + 2) + 1)}
    out: list[int | None] = []
    prev = 0
    for n in sorted(keep):
        if n - prev > 1:
            out.append(None)
        out.append(n)
        prev = n
    return out


def _chip_labeler(names: dict[tuple[str, str], str]):
    def chip_label(name: str, value: str) -> str:
        return names.get((name, value)) or labels.value_label(name, value)

    return chip_label


def _facet_views(p: SearchParams, result: ResultView, names: dict[tuple[str, str], str]) -> list[dict]:
    out = []
    for name in FACET_ORDER:
        values = result.facets.get(name) or []
        given = result.facet_labels.get(name, {})
        active = set(getattr(p, name))
        seen = {v for v, _ in values}
        # An active filter stays visible (so it can be removed) even when it is not among the counted values.
        rows = list(values) + [(v, None) for v in getattr(p, name) if v not in seen]
        if not rows:
            continue
        out.append({
            "name": name,
            "label": labels.FACETS[name],
            "values": [
                {"value": v, "count": n, "active": v in active, "href": p.toggle(name, v),
                 "label": names.get((name, v)) or (given.get(v) if name in ("buyer", "vendor") else None)
                 or labels.value_label(name, v)}
                for v, n in rows
            ],
        })
    return out
