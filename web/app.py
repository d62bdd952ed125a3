"""The journalists' search site: server-rendered pages, a JSON API under /api, exports and Atom alert feeds.

`create_app(url)` builds the FastAPI app on a read-only connection to the database and wires it: middleware,
error handlers, and one router per page (web/views/: each page's data computed once, rendered as HTML or
JSON). Every page works with JavaScript off (static/app.js only auto-submits the form and adds keyboard
shortcuts). Every search is a URL, and the same query string means the same search on /search, /api/search,
the exports and the feed.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from web.params import ParamError
from web.cache import CacheHeader, make_searcher
from web.search import QueryError
from web.serving import Rebalance, Turns, board_from_environment, page_slots
from web.views import feed, network, notice, ocds, org, orgs, raw, search, site, stats
from web.views.common import STATIC, error_response, make_templates, render, static_version

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

ROUTERS = (search.router, feed.router, notice.router, raw.router, orgs.router, network.router, org.router, site.router,
           ocds.router, stats.router)


def create_app(database_url: str | None = None, *, blob_root: str | Path | None = None, review: bool = False,
               search_cache: int | None = None) -> FastAPI:
    """`review`: also mount sign-in, the review queue and the review form (web/review.py); without it the
    site has no write path at all. `search_cache`: searches each process keeps (web/cache.py; default
    TENDERWATCH_SEARCH_CACHE, else 1000; 0 = none)."""
    from storage import config
    from storage.blobs import BlobStore
    from storage.db import check_schema, make_engine

    url = database_url or config.database_url()
    # SQLite `mode=ro`, PostgreSQL READ ONLY sessions: the site cannot write even if a bug tried.
    engine = make_engine(url, read_only=True)
    check_schema(engine)  # an outdated database is one clear message at start-up, not an error per request
    version = static_version()

    app = FastAPI(
        title="tenderwatch",
        summary="Remote-compute cases in Chinese public procurement: search, facets, evidence, exports.",
        description=API_DESCRIPTION,
        version="1",
        openapi_tags=[
            {"name": "search", "description": "Search, facets and exports"},
            {"name": "notices", "description": "A notice with its fields, evidence and procurement timeline"},
            {"name": "organisations", "description": "Buyers, agencies and vendors"},
            {"name": "ocds", "description": "The OCDS computeFindings extension the export declares"},
        ],
        redoc_url=None,
        docs_url=None,  # web/docs.py serves it from vendored Swagger UI 5: no CDN, no network at run time
    )
    # What the pages read (web/views/common.py): the engine, the search, the raw copies, the templates.
    app.state.engine = engine
    app.state.searcher = make_searcher(engine, search_cache)
    app.state.blobs = BlobStore(blob_root)
    app.state.templates = make_templates(version=version, db_label=_db_label(url), review=review)
    slots = page_slots()
    app.state.turns = Turns(slots)  # pages' work in arrival order, one per core (web/serving.py)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    from web.docs import mount_api_docs

    mount_api_docs(app, f"/static/api-docs.js?v={version}")

    from web.http import HeadAndOptions, ServerErrors
    from web.security import SecurityHeaders

    # The last added is the outermost: security headers on everything (the 500 page and OPTIONS too), and a
    # HEAD answer without a body even when it is the 500 page.
    app.add_middleware(ServerErrors, on_error=lambda request: error_response(
        request, 500, "The server failed on this request; the error is in its log."))
    app.add_middleware(HeadAndOptions, routes=lambda: app.routes)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(CacheHeader)
    board = board_from_environment()  # with `serve --workers N`: keep the connections evenly spread
    if board is not None:
        app.add_middleware(Rebalance, board=board, slots=slots)
    _error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    if review:
        from web import review as review_site

        review_site.install(app, url, page=render, engine=engine)
    return app


def _error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ParamError)
    @app.exception_handler(QueryError)
    async def _bad_request(request: Request, exc: Exception):
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


def _db_label(url: str) -> str:
    from sqlalchemy.engine import make_url

    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        return Path(u.database or "").name or "SQLite"
    return f"PostgreSQL database {u.database}"
