"""/orgs and /api/orgs: the directory of organisations (`storage.orgs.directory`), variant names resolved
into one — search by name (any alias), filter by role, sort by cases, money or notices, paginated."""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlencode

from fastapi import Query, Request
from fastapi.responses import HTMLResponse

from storage.org_directory import DirectoryQuery, directory
from storage.orgs import MAX_PAGE_SIZE, ROLES, SORTS, OrgError
from web.params import ParamError
from web.views.common import base_url, json_response, page_router, reading, render

router = page_router()


def query_of(q: str, role: str, sort: str, page: int, size: int, cases: str) -> DirectoryQuery:
    try:
        return DirectoryQuery(q=q.strip(), role=role or None, sort=sort or "cases", page=page, size=size,
                              cases_only=cases == "1").check()
    except OrgError as exc:
        raise ParamError(str(exc)) from None


def orgs_data(request: Request, query: DirectoryQuery) -> dict[str, Any]:
    with reading(request) as conn:
        data = directory(conn, query)
    base = base_url(request)
    for item in data["items"]:
        item["url"] = f"{base}/orgs/{item['id']}"
    return data


def _qs(query: DirectoryQuery, **change: Any) -> str:
    """The directory's query string for `query` with `change`, defaults left out."""
    values = {"q": query.q, "role": query.role, "sort": query.sort, "cases": "1" if query.cases_only else None,
              "size": query.size, "page": query.page, **change}
    defaults = {"sort": "cases", "size": 50, "page": 1}
    return urlencode([(k, v) for k, v in values.items() if v not in ("", None) and defaults.get(k) != v])


ARGS = dict(
    q=Query("", max_length=200, description="Part of a name; any of an organisation's variant names matches"),
    role=Query("", description=f"Only organisations in this role: {', '.join(ROLES)} (counts are then of its notices in that role)"),
    sort=Query("cases", description=f"{', '.join(SORTS)} (money: each procurement's award, else its budget, once)"),
    page=Query(1, ge=1, le=10_000),
    size=Query(50, ge=1, le=MAX_PAGE_SIZE),
    cases=Query("", description="1: only organisations with at least one case"),
)


@router.get("/orgs", response_class=HTMLResponse, include_in_schema=False)
def orgs_page(request: Request, q: str = ARGS["q"], role: str = ARGS["role"], sort: str = ARGS["sort"],
              page: int = ARGS["page"], size: int = ARGS["size"], cases: str = ARGS["cases"]):
    query = query_of(q, role, sort, page, size, cases)
    data = orgs_data(request, query)
    last = max(1, math.ceil(data["total"] / query.size))
    return render(request, "orgs.html", {
        **data, "query": query, "roles": ROLES, "sorts": SORTS, "last": last,
        "prev_qs": _qs(query, page=query.page - 1) if query.page > 1 else None,
        "next_qs": _qs(query, page=query.page + 1) if query.page < last else None,
        "json_qs": _qs(query), "header_q": "",
    })


@router.get("/api/orgs", tags=["organisations"],
            summary="Organisations (variant names resolved): notices, cases, money, roles; searchable, sortable")
def api_orgs(request: Request, q: str = ARGS["q"], role: str = ARGS["role"], sort: str = ARGS["sort"],
             page: int = ARGS["page"], size: int = ARGS["size"], cases: str = ARGS["cases"]):
    return json_response(orgs_data(request, query_of(q, role, sort, page, size, cases)))
