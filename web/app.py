"""The journalists' search site: server-rendered pages, a JSON API under /api, exports and Atom alert feeds.

`create_app(url)` builds the FastAPI app on a read-only connection to the database. Every page works with
JavaScript off (static/app.js only auto-submits the form and adds keyboard shortcuts). Every search is a URL,
and the same query string means the same search on /search, /api/search, the exports and the feed.
"""

from __future__ import annotations

import hashlib
import math
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from starlette.exceptions import HTTPException as StarletteHTTPException

from web import exports, feeds, labels
from web.db import ReadDB, readonly_engine
from web.highlight import context, query_hits, render, resolve
from web.params import EXPORT_FORMATS, MAX_QUERY_CHARS, MULTI, ParamError, SearchParams, parse_params
from storage.search.vocab import candidate_reason_text
from web.search import QueryError, Searcher

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
API_DESCRIPTION = """
Search Chinese public-procurement notices for remote-compute cases (cloud accounts, rented GPUs, model
APIs, HPC time).

**Query syntax** (`q`): every term must occur exactly as written — 阿里云 matches only 阿里云, A10 does
not match A100, one Chinese character works. `"quoted phrases"` keep words together, `OR` between terms
matches either, `-term` excludes. Terms are ANDed.

**Filters** (repeatable; several values must all hold for provider/chip/kind/flag, any may hold for
buyer/vendor/type; region and year take one value; buyer and vendor take an organisation id or part of
a name): `provider`, `chip`, `kind`, `flag`, `buyer`,
`vendor`, `type`, `region`, `year`, `since`, `until` (YYYY-MM-DD), `amount_min`, `amount_max` (yuan; 50万
and 1.2亿 accepted), `cases` (1 = compute cases only, the default; 0 = every notice), `candidates` (1 =
possible cases only: compute evidence short of a case, with the reasons; never mixed into cases), `review`
(confirmed, rejected, reviewed, pending: the review state; the case list follows reviewers' newest
decisions — rejected cases leave it, confirmed notices join it), `sort`
(`relevance` or `date`), `page`, `size`.

**Exports**: `format=csv` (UTF-8 with BOM, opens in Excel), `format=json` or `format=jsonl` return the
*whole* result set, streamed. **Alerts**: `/feeds/search.atom` with the same parameters.

Errors answer with a status code and `{"error": "…"}`.
"""


def _static_version() -> str:
    h = hashlib.sha256()
    for p in sorted(STATIC.glob("*")):
        h.update(p.read_bytes())
    return h.hexdigest()[:10]


def _fmt_num(x: float | None) -> str:
    if x is None:
        return ""
    return str(int(x)) if float(x).is_integer() else str(x)


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


def create_app(database_url: str | None = None, *, blob_root: str | Path | None = None, review: bool = False) -> FastAPI:
    """`review`: also mount sign-in, the review queue and the review form (web/review.py); without it the
    site has no write path at all."""
    from storage import config
    from storage.blobs import BlobStore

    url = database_url or config.database_url()
    engine = readonly_engine(url)
    from storage.db import check_schema

    check_schema(engine)  # an outdated database is one clear message at start-up, not an error per request
    db = ReadDB(engine)
    searcher = Searcher(url, engine)
    blobs = BlobStore(blob_root)
    static_version = _static_version()

    app = FastAPI(
        title="tenderwatch",
        summary="Remote-compute cases in Chinese public procurement: search, facets, evidence, exports.",
        description=API_DESCRIPTION,
        version="1",
        openapi_tags=[
            {"name": "search", "description": "Search, facets and exports"},
            {"name": "notices", "description": "A notice with its fields, evidence and procurement timeline"},
            {"name": "organisations", "description": "Buyers, agencies and vendors"},
        ],
        redoc_url=None,
        docs_url=None,  # web/docs.py serves it from vendored Swagger UI 5: no CDN, no network at run time
    )
    app.state.engine = engine
    app.state.db = db
    app.state.searcher = searcher
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    from web.docs import mount_api_docs

    mount_api_docs(app, f"/static/api-docs.js?v={static_version}")

    from web.http import HeadAndOptions, ServerErrors
    from web.security import SecurityHeaders

    # The last added is the outermost: security headers on everything (the 500 page and OPTIONS too), and a
    # HEAD answer without a body even when it is the 500 page.
    app.add_middleware(ServerErrors, on_error=lambda request: error_response(
        request, 500, "The server failed on this request; the error is in its log."))
    app.add_middleware(HeadAndOptions, routes=lambda: app.routes)
    app.add_middleware(SecurityHeaders)

    templates = Jinja2Templates(directory=HERE / "templates")
    env = templates.env
    env.globals.update(
        static=lambda name: f"/static/{name}?v={static_version}",
        label=labels.value_label,
        facet_label=lambda name: labels.FACETS.get(name, {"since": "Since", "until": "Until",
                                                          "amount_min": "Amount ≥", "amount_max": "Amount ≤"}.get(name, name)),
        field_label=labels.field_label,
        money=labels.money,
        amount_kind=lambda k: labels.AMOUNT_KINDS.get(k, k),
        us_providers=labels.US_PROVIDERS,
        flag_help=labels.FLAG_HELP,
        reason_text=candidate_reason_text,
        fmt_num=_fmt_num,
        max_query=MAX_QUERY_CHARS,
        multi=MULTI,
        db_label=_db_label(url),
    )
    env.filters["urlencode"] = lambda s: quote(str(s), safe="")
    env.globals.update(review_mode=review, review_states=labels.REVIEW_STATES, compute_kinds=labels.KINDS)

    def page(request: Request, name: str, ctx: dict[str, Any], status: int = 200) -> HTMLResponse:
        if review:  # who is signed in and the session's CSRF token, for the header and the forms
            ctx = {**app.state.review_context(request), **ctx}
        return templates.TemplateResponse(request, name, ctx, status_code=status)

    def wants_json(request: Request) -> bool:
        return request.url.path.startswith("/api/")

    # ------------------------------------------------------------------ errors
    def error_response(request: Request, status: int, message: str) -> Response:
        if wants_json(request) or request.url.path.startswith("/feeds/"):
            return JSONResponse({"error": message}, status_code=status)
        return page(request, "error.html", {"status": status, "message": message}, status)

    @app.exception_handler(ParamError)
    async def _param_error(request: Request, exc: ParamError):
        return error_response(request, 400, str(exc))

    @app.exception_handler(QueryError)
    async def _query_error(request: Request, exc: QueryError):
        return error_response(request, 400, str(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError):
        parts = []
        for err in exc.errors():
            where = ".".join(str(x) for x in err.get("loc", ())[1:]) or "request"
            parts.append(f"{where}: {err.get('msg')}")
        status = 404 if any(e.get("loc", ("",))[0] == "path" for e in exc.errors()) else 400
        return error_response(request, status, "; ".join(parts) or "invalid request")

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        message = exc.detail if isinstance(exc.detail, str) else "error"
        if exc.status_code == 404 and message == "Not Found":
            message = "There is nothing at this address."
        return error_response(request, exc.status_code, message)

    # ------------------------------------------------------------------ search
    def params_of(request: Request) -> SearchParams:
        items = [(k, v) for k, v in request.query_params.multi_items() if k not in ("format", "facets")]
        return parse_params(items)

    def links(p: SearchParams) -> dict[str, str]:
        return {
            "permalink_qs": urlencode(p.query_items()),
            "export_qs": urlencode(p.query_items(page=False)),
            "feed_qs": urlencode(p.query_items(page=False, sort=False)),
            "clear_qs": urlencode([("q", p.q)] if p.q else [])
            + ("" if p.cases_only else ("&" if p.q else "") + ("candidates=1" if p.candidates_only else "cases=0")),
        }

    @app.get("/", include_in_schema=False)
    def home():
        return RedirectResponse("/search", status_code=307)

    @app.get("/search", response_class=HTMLResponse, include_in_schema=False)
    def search_page(request: Request):
        try:
            p = params_of(request)
        except ParamError as exc:
            return _search_error(request, SearchParams(q=request.query_params.get("q", "")[:MAX_QUERY_CHARS]), str(exc))
        try:
            result = searcher.search(p, facets=True)
        except QueryError as exc:
            return _search_error(request, p, str(exc))
        hits = result.hits
        last = max(1, math.ceil(result.total / p.size))
        names = filter_names(p, result.facet_labels)
        return page(request, "search.html", {
            "p": p, "result": result, "facets": _facet_views(p, result, names), "error": None,
            "pages": {"last": min(last, 500), "window": _page_window(p.page, min(last, 500))},
            "hits": hits, "chip_label": _chip_labeler(names), **links(p),
        })

    def filter_names(p: SearchParams, facet_labels: dict[str, dict[str, str]]) -> dict[tuple[str, str], str]:
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
            found = db.org_names(missing)
            for name in ("buyer", "vendor"):
                for v in getattr(p, name):
                    if v.isdigit() and int(v) in found:
                        out.setdefault((name, v), found[int(v)])
        return out

    def _search_error(request: Request, p: SearchParams, message: str) -> HTMLResponse:
        return page(request, "search.html", {
            "p": p, "result": None, "facets": [], "error": message, "pages": {"last": 1, "window": []},
            "chip_label": _chip_labeler(filter_names(p, {})), **links(p),
        }, 400)

    @app.get("/api/search", tags=["search"], summary="Search notices (JSON with facets, or a whole-set export)")
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
        candidates: str = Query("", description="1: possible cases only — compute evidence that fell short of a"
                                " case, with the reasons (shown apart from cases; overrides `cases`)"),
        sort: str = Query("", description="relevance (default with a query) or date"),
        page: int = Query(1, ge=1, le=500),
        size: int = Query(20, ge=1, le=100),
        format: str = Query("", description="csv, json or jsonl: the whole result set, streamed, as a download"),
        facets: bool = Query(True, description="Count facets over the whole result set (off = faster)"),
    ):
        p = params_of(request)
        if format:
            if format not in EXPORT_FORMATS:
                raise ParamError(f"format={format!r} is not one of {', '.join(EXPORT_FORMATS)}.")
            # Run the first page now so a bad query is a 400, not a broken download.
            searcher.check(p)
            return exports.stream(format, p, searcher, request)
        result = searcher.search(p, facets=facets)
        base = str(request.base_url).rstrip("/")
        # Already plain JSON types: JSONResponse directly skips FastAPI's jsonable_encoder walk (milliseconds).
        return JSONResponse({
            "total": result.total,
            "page": p.page,
            "size": p.size,
            "sort": result.sort,  # may be "date" although relevance was asked: too many matches to rank
            "facets_complete": result.facets_complete,  # False: too many matches to count facets
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
                "next": (f"{base}/api/search?{p.qs(page=p.page + 1)}" if p.offset + p.size < result.total and p.page < 500 else None),
            },
        })

    @app.get("/feeds/search.atom", tags=["search"], summary="Atom feed of a search, newest first (an alert)",
             response_class=Response, responses={200: {"content": {"application/atom+xml": {}}}})
    def feed(request: Request):
        p = params_of(request)
        xml = feeds.search_feed(p, searcher, str(request.base_url).rstrip("/"))
        return Response(xml, media_type="application/atom+xml; charset=utf-8")

    # ------------------------------------------------------------------ notices
    @app.get("/notices/{notice_id}", response_class=HTMLResponse, include_in_schema=False)
    def notice_page(request: Request, notice_id: int):
        data = db.notice(notice_id)
        if data is None:
            raise StarletteHTTPException(404, f"There is no notice {notice_id}.")
        q = request.query_params.get("q", "")[:MAX_QUERY_CHARS]
        view = _notice_view(data, q)
        return page(request, "notice.html", {**view, "back_q": q, "header_q": q})

    @app.get("/api/notices/{notice_id}", tags=["notices"], summary="A notice: fields, compute findings, evidence")
    def api_notice(request: Request, notice_id: int, text: bool = Query(True, description="Include the body and attachment texts")):
        data = db.notice(notice_id)
        if data is None:
            raise StarletteHTTPException(404, f"There is no notice {notice_id}.")
        return _notice_json(data, str(request.base_url).rstrip("/"), with_text=text)

    @app.get("/notices/{notice_id}/raw", tags=["notices"], summary="The stored raw copy, as a download",
             response_class=Response)
    def notice_raw(notice_id: int, as_text: bool = Query(False, alias="text")):
        ref = db.raw_ref(notice_id)
        if ref is None:
            raise StarletteHTTPException(404, f"There is no notice {notice_id}.")
        return _raw_response(blobs, ref.get("raw_sha256"), ref.get("raw_content_type"), f"notice-{notice_id}", as_text)

    @app.get("/attachments/{attachment_id}/raw", tags=["notices"], summary="An attachment's stored bytes, as a download",
             response_class=Response)
    def attachment_raw(attachment_id: int, as_text: bool = Query(False, alias="text")):
        ref = db.attachment_ref(attachment_id)
        if ref is None:
            raise StarletteHTTPException(404, f"There is no attachment {attachment_id}.")
        if as_text:
            return Response(ref.get("text") or "", media_type="text/plain; charset=utf-8",
                            headers={"Content-Security-Policy": "sandbox; default-src 'none'"})
        return _raw_response(blobs, ref.get("sha256"), ref.get("content_type"), ref.get("name") or f"attachment-{attachment_id}", False)

    # ------------------------------------------------------------------ organisations
    @app.get("/orgs/{org_id}", response_class=HTMLResponse, include_in_schema=False)
    def org_page(request: Request, org_id: int):
        data = db.org(org_id)
        if data is None:
            raise StarletteHTTPException(404, f"There is no organisation {org_id}.")
        return page(request, "org.html", _org_view(data))

    @app.get("/api/orgs/{org_id}", tags=["organisations"], summary="An organisation: its notices, cases and counterparties")
    def api_org(request: Request, org_id: int):
        data = db.org(org_id)
        if data is None:
            raise StarletteHTTPException(404, f"There is no organisation {org_id}.")
        base = str(request.base_url).rstrip("/")
        return {
            "id": data["org"]["id"],
            "name": data["org"]["name"],
            "url": f"{base}/orgs/{org_id}",
            "roles": data["roles"],
            "total_notices": data["total_notices"],
            "total_cases": data["total_cases"],
            "by_year": data["by_year"],
            "notices": [
                {"id": n["id"], "title": n["title"], "notice_type": n["notice_type"],
                 "published_at": n["published_at"].isoformat() if n["published_at"] else None,
                 "remote_compute": bool(n["remote_compute"]), "roles": n["roles"], "url": f"{base}/notices/{n['id']}"}
                for n in data["notices"]
            ],
            "counterparties": [
                {**c, "url": f"{base}/orgs/{c['id']}"} for c in data["counterparties"]
            ],
            "compute": {facet: [{"value": v, "count": n} for v, n in values] for facet, values in data["tags"].items()},
        }

    # ------------------------------------------------------------------ help
    @app.get("/help", response_class=HTMLResponse, include_in_schema=False)
    def help_page(request: Request):
        return page(request, "help.html", {})

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon():
        return Response((STATIC / "favicon.svg").read_bytes(), media_type="image/svg+xml",
                        headers={"Cache-Control": "public, max-age=86400"})

    if review:
        from web import review as review_site

        review_site.install(app, url, page=page, engine=engine)

    @app.get("/robots.txt", include_in_schema=False)
    def robots():
        return Response("User-agent: *\nDisallow: /api/\nDisallow: /feeds/\n", media_type="text/plain")

    return app


# ---------------------------------------------------------------------- helpers
def _db_label(url: str) -> str:
    from sqlalchemy.engine import make_url

    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        return Path(u.database or "").name or "SQLite"
    return f"PostgreSQL database {u.database}"


def _chip_labeler(names: dict[tuple[str, str], str]):
    def chip_label(name: str, value: str) -> str:
        return names.get((name, value)) or labels.value_label(name, value)

    return chip_label


def _facet_views(p: SearchParams, result, names: dict[tuple[str, str], str]) -> list[dict]:
    out = []
    for name in ("provider", "chip", "kind", "flag", "type", "year", "region", "buyer", "vendor"):
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


_SAFE_NAME = re.compile(r"[^\w.\-]+", re.UNICODE)
_EXT = {"text/html": ".html", "application/pdf": ".pdf", "text/plain": ".txt", "application/json": ".json",
        "application/zip": ".zip", "application/msword": ".doc",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
        "application/vnd.ms-excel": ".xls"}


def _raw_response(blobs, sha: str | None, content_type: str | None, name: str, as_text: bool) -> Response:
    """The stored bytes, never rendered as the scraped site's HTML: a download (octet-stream, attachment,
    sandboxed), or with ?text=1 the bytes decoded as text/plain."""
    from storage.blobs import BlobNotFound

    if not sha:
        raise StarletteHTTPException(404, "No raw copy of this document was stored.")
    try:
        data = blobs.get(sha)
    except (BlobNotFound, ValueError):
        raise StarletteHTTPException(404, "The raw copy is not in this installation's data folder.") from None
    headers = {"Content-Security-Policy": "sandbox; default-src 'none'", "X-Content-Type-Options": "nosniff"}
    if as_text:
        text = _decode(data, content_type)
        return Response(text, media_type="text/plain; charset=utf-8", headers=headers)
    ctype = (content_type or "").split(";")[0].strip().lower()
    filename = _SAFE_NAME.sub("_", name).strip("._") or "download"
    if "." not in filename[-6:]:
        filename += _EXT.get(ctype, ".bin")
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_")
    headers["Content-Disposition"] = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    return Response(data, media_type="application/octet-stream", headers=headers)


def _decode(data: bytes, content_type: str | None) -> str:
    m = re.search(r"charset=([\w\-]+)", content_type or "", re.I)
    candidates = [m.group(1)] if m else []
    head = data[:2048].decode("ascii", "ignore")
    m = re.search(r"charset=[\"']?([\w\-]+)", head, re.I)
    if m:
        candidates.append(m.group(1))
    candidates += ["utf-8", "gb18030"]
    for enc in candidates:
        try:
            return data.decode("gb18030" if enc.lower() in ("gb2312", "gbk") else enc)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("utf-8", "replace")


SHOWN_FIELDS = ("remote_compute", "hardware_purchase", "compute_kinds", "cloud_providers", "gpu_models", "flags",
                "buyer", "agency", "vendors", "amounts", "published_at", "bid_deadline", "project_codes", "region")


def _ev_fields(evidence: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for ev in evidence:
        out.setdefault((ev.get("field") or "").split(":")[0], []).append(ev)
    return out


def _notice_view(data: dict, q: str = "") -> dict:
    n = data["notice"]
    extraction = data["extraction"] or {}
    evidence = [e for e in (extraction.get("evidence") or []) if isinstance(e, dict)]
    body_ev = [e for e in evidence if not e.get("document")]
    doc, body_annotated = resolve(n["text"] or "", body_ev, "ev")
    body_html = render(n["text"] or "", doc.spans, labels.field_label, query_hits(n["text"] or "", q))

    attachments = []
    att_annotated: list[dict] = []
    for i, a in enumerate(data["attachments"]):
        a_ev = [e for e in evidence if e.get("document") and e.get("document") == a["name"]]
        adoc, ann = resolve(a["text"] or "", a_ev, f"att{a['id']}-ev")
        att_annotated += [{**e, "attachment": a["name"]} for e in ann]
        attachments.append({**a, "html": render(a["text"] or "", adoc.spans, labels.field_label, query_hits(a["text"] or "", q)),
                            "evidence_count": len(a_ev)})
    # Evidence naming a document that is not stored keeps its text, unanchored.
    names = {a["name"] for a in data["attachments"]}
    orphan = [{**e, "anchor": None} for e in evidence if e.get("document") and e["document"] not in names]

    all_ev = body_annotated + att_annotated + orphan
    for e in all_ev:
        text = n["text"] if not e.get("document") else next(
            (a["text"] for a in data["attachments"] if a["name"] == e.get("document")), "")
        if e.get("anchor") and text:
            e["before"], e["hit"], e["after"] = context(text, e["start"], e["end"])
        else:
            e["before"], e["hit"], e["after"] = "", e.get("text") or "", ""
    by_field = _ev_fields(all_ev)

    compute = {
        "remote_compute": bool(n["remote_compute"]),
        "hardware_purchase": bool(n["hardware_purchase"]),
        **_candidate(n),
        "compute_kinds": data["tags"].get("kind", []),
        "cloud_providers": data["tags"].get("provider", []),
        "gpu_models": data["tags"].get("chip", []),
        "flags": data["tags"].get("flag", []),
        "review": data["reviews"][0]["decision"] if data.get("reviews") else None,
    }
    fields = extraction.get("fields") if isinstance(extraction.get("fields"), dict) else extraction
    project_codes = (fields or {}).get("project_codes") or ([n["project_code"]] if n["project_code"] else [])
    return {
        "n": n, "d": data, "compute": compute, "hit": compute, "body_html": body_html, "attachments": attachments,
        "by_field": by_field, "evidence": all_ev, "project_codes": project_codes,
        "unanchored": [e for e in all_ev if not e.get("anchor")],
        "inherited_flags": set(data.get("inherited_flags") or []),
        "shown_fields": SHOWN_FIELDS,
        "extraction_errors": extraction.get("errors") or [],
    }


def _candidate(n: dict) -> dict:
    """A notice row's possible-case columns (storage.store.candidate_values wrote them): reason codes, and
    what each means for a reader."""
    reasons = list(n.get("candidate_reasons") or [])
    return {
        "compute_candidate": bool(n.get("compute_candidate")),
        "candidate_score": n.get("candidate_score"),
        "candidate_reasons": reasons,
        "candidate_reason_texts": [candidate_reason_text(r) for r in reasons],
    }


def _notice_json(data: dict, base: str, *, with_text: bool) -> dict:
    n = data["notice"]
    extraction = data["extraction"] or {}

    def iso(v):
        return v.isoformat() if v is not None else None

    def org(o):
        return {"id": o.id, "name": o.name, "url": f"{base}/orgs/{o.id}"} if o else None

    return {
        "id": n["id"],
        "title": n["title"],
        "url": n["url"],
        "permalink": f"{base}/notices/{n['id']}",
        "source": n["source"],
        "external_id": n["external_id"],
        "notice_type": n["notice_type"],
        "published_at": iso(n["published_at"]),
        "bid_deadline": iso(n["bid_deadline"]),
        "region": n["region"],
        "project_code": n["project_code"],
        "procurement_key": n["procurement_key"],
        "buyer": org(data["buyer"]),
        "agency": org(data["agency"]),
        "vendors": [org(v) for v in data["vendors"]],
        "amounts": data["amounts"],
        "remote_compute": bool(n["remote_compute"]),
        "hardware_purchase": bool(n["hardware_purchase"]),
        **_candidate(n),
        "compute_kinds": data["tags"].get("kind", []),
        "cloud_providers": data["tags"].get("provider", []),
        "gpu_models": data["tags"].get("chip", []),
        "flags": data["tags"].get("flag", []),
        "evidence": extraction.get("evidence") or [],
        "extractor_version": n["extractor_version"],
        "first_seen": iso(n["first_seen"]),
        "last_seen": iso(n["last_seen"]),
        "last_changed": iso(n["last_changed"]),
        "raw": f"{base}/notices/{n['id']}/raw" if n["raw_sha256"] else None,
        "text": n["text"] if with_text else None,
        "attachments": [
            {"id": a["id"], "name": a["name"], "url": a["url"], "status": a["status"], "size": a["size"],
             "content_type": a["content_type"], "raw": f"{base}/attachments/{a['id']}/raw" if a["sha256"] else None,
             "format": a["format"], "pages": a["pages"], "ocr": a["ocr"], "members": a["members"],
             "reason": a["error"] if a["status"] != "ok" else None, **({"text": a["text"]} if with_text else {})}
            for a in data["attachments"]
        ],
        "timeline": [
            {"id": t["id"], "title": t["title"], "notice_type": t["notice_type"], "published_at": iso(t["published_at"]),
             "remote_compute": bool(t["remote_compute"]), "url": f"{base}/notices/{t['id']}"}
            for t in data["timeline"]
        ],
        "versions": [{"content_hash": v["content_hash"], "fetched_at": iso(v["fetched_at"])} for v in data["versions"]],
        "links": [{"source": lk["source"], "url": lk["url"]} for lk in data["links"]],
        "review": data["reviews"][0]["decision"] if data.get("reviews") else None,
        "reviews": [
            {"decision": r["decision"], "reviewer": r["reviewer"], "decided_at": iso(r["decided_at"]), "note": r["note"],
             "compute_kinds": r["kinds"], "cloud_providers": r["providers"], "gpu_models": r["chips"],
             "extractor_version": r["extractor_version"], "seen": r["seen"]}
            for r in data.get("reviews") or []
        ],
    }


def _org_view(data: dict) -> dict:
    years = data["by_year"]
    peak = max([v["notices"] for v in years.values()] or [1])
    counter = data["counterparties"]
    return {
        "o": data["org"], "d": data, "years": years, "peak": peak,
        "buyers": [c for c in counter if c["role"] == "buyer"],
        "vendors": [c for c in counter if c["role"] == "vendor"],
        "agencies": [c for c in counter if c["role"] == "agency"],
        "header_q": "",
    }
