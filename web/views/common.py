"""What every page needs: the read model and the search, the templates with their common context, HTML or
JSON from the same data, and error answers.

A page module (web/views/<page>.py) defines `router = APIRouter()`, one data function computing the page's
data once (from `reading(request)` / `searcher(request)`), and routes that hand that data to `render` (HTML)
or `json_response` (JSON). Datetimes stay datetimes in the data: templates format them with the `day` /
`minute` filters, `json_response` writes them as ISO 8601.
"""

from __future__ import annotations

import hashlib
import json
import time
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import quote, urlsplit

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from web import labels
from web.serving import PageRoute

HERE = Path(__file__).resolve().parents[1]
STATIC = HERE / "static"
TEMPLATES = HERE / "templates"

# The header's links, in order: (href, text). A new page adds its entry here.
NAV = [
    ("/stats", "Overview"),
    ("/orgs", "Organisations"),
    ("/network", "Network"),
    ("/help", "Search syntax"),
    ("/docs", "API"),
]


# ---------------------------------------------------------------------------------------- what pages read
def page_router() -> APIRouter:
    """A page module's router: its handlers run in arrival order, the worker's share of the cores at a time
    (web/serving.py)."""
    return APIRouter(route_class=PageRoute)


@contextmanager
def reading(request: Request) -> Iterator[sa.Connection]:
    """A connection of the site's read-only engine, for the `storage.reading` functions."""
    with request.app.state.engine.connect() as conn:
        yield conn


def searcher(request: Request):
    """The site's `web.search.Searcher`: URL parameters → search → hits ready for pages."""
    return request.app.state.searcher


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def not_found(message: str) -> StarletteHTTPException:
    return StarletteHTTPException(404, message)


# ---------------------------------------------------------------------------------------- HTML
def day(value: date | datetime | None) -> str:
    return value.strftime("%Y-%m-%d") if value else ""


def minute(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


def _fmt_num(x: float | None) -> str:
    if x is None:
        return ""
    return str(int(x)) if float(x).is_integer() else str(x)


def static_version() -> str:
    h = hashlib.sha256()
    for p in sorted(STATIC.glob("*")):
        h.update(p.read_bytes())
    return h.hexdigest()[:10]


def make_templates(*, version: str, db_label: str, review: bool) -> Jinja2Templates:
    """The templates with what every page shows: labels, static URLs, the nav, the database's name."""
    from storage.search.vocab import candidate_reason_text
    from web.params import MAX_QUERY_CHARS, MULTI

    templates = Jinja2Templates(directory=TEMPLATES)
    env = templates.env
    env.globals.update(
        static=lambda name: f"/static/{name}?v={version}",
        label=labels.value_label,
        facet_label=labels.filter_label,
        field_label=labels.field_label,
        money=labels.money,
        amount_kind=lambda k: labels.AMOUNT_KINDS.get(k, k),
        us_providers=labels.US_PROVIDERS,
        flag_help=labels.FLAG_HELP,
        reason_text=candidate_reason_text,
        fmt_num=_fmt_num,
        max_query=MAX_QUERY_CHARS,
        multi=MULTI,
        db_label=db_label,
        nav=NAV,
        review_mode=review,
        review_states=labels.REVIEW_STATES,
        kind_labels=labels.KINDS,
    )
    env.filters.update(urlencode=lambda s: quote(str(s), safe=""), day=day, minute=minute)
    env.tests["web_url"] = is_web_url
    return templates


def is_web_url(url: Any) -> bool:
    """Whether a scraped URL may be a link's target: http(s) only — a `javascript:` or `data:` URL that a
    crawled page carried is shown as text, never linked (`{% if u is web_url %}` in the templates)."""
    return isinstance(url, str) and urlsplit(url.strip()).scheme.lower() in ("http", "https")


FRESHNESS_SECONDS = 60


def data_as_of(request: Request) -> list[dict[str, Any]]:
    """Per source, when its data was last brought up to date (storage.overview.data_as_of), for the footer
    of every page; read at most once a minute."""
    from storage.overview import data_as_of as read

    state = request.app.state
    now = time.monotonic()
    cached = getattr(state, "data_as_of", None)
    if cached is None or now - cached[0] > FRESHNESS_SECONDS:
        try:
            with reading(request) as conn:
                cached = (now, read(conn))
        except sa.exc.SQLAlchemyError:  # the footer of an error page must not fail in its turn
            cached = (now, [])
        state.data_as_of = cached
    return cached[1]


def render(request: Request, name: str, ctx: dict[str, Any], status: int = 200) -> HTMLResponse:
    """A page: template `name` with `ctx` and the common context (on the review site: who is signed in and
    the session's CSRF token; everywhere: how fresh the data is, for the footer)."""
    state = request.app.state
    ctx = {"data_as_of": data_as_of(request), **ctx}
    if getattr(state, "review_context", None):
        ctx = {**state.review_context(request), **ctx}
    return state.templates.TemplateResponse(request, name, ctx, status_code=status)


# ---------------------------------------------------------------------------------------- JSON
def _json_default(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def json_body(data: Any) -> bytes:
    """`data` as JSON (datetimes as ISO 8601), written as Starlette's JSONResponse writes it — without
    FastAPI's jsonable_encoder walk, which costs milliseconds on a page of hits."""
    return json.dumps(data, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":"),
                      default=_json_default).encode("utf-8")


def json_response(data: Any, status: int = 200) -> Response:
    return Response(json_body(data), status_code=status, media_type="application/json")


# ---------------------------------------------------------------------------------------- errors
def wants_json(request: Request) -> bool:
    return request.url.path.startswith(("/api/", "/feeds/"))


def error_response(request: Request, status: int, message: str) -> Response:
    """An error as the address expects it: `{"error": …}` under /api and /feeds, else the error page."""
    if wants_json(request):
        return JSONResponse({"error": message}, status_code=status)
    return render(request, "error.html", {"status": status, "message": message}, status)
