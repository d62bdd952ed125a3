"""/stats and /api/stats: the overview of the case set (`storage.overview`) — cases by month and kind (a
server-drawn SVG chart), the providers, chips, buyers and intermediaries that recur, how fresh the data is."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from storage.overview import overview
from web.graphics import month_chart
from web.views.common import json_response, page_router, reading, render

router = page_router()


def stats_data(request: Request) -> dict[str, Any]:
    with reading(request) as conn:
        return overview(conn)


@router.get("/stats", response_class=HTMLResponse, include_in_schema=False)
def stats_page(request: Request):
    data = stats_data(request)
    return render(request, "stats.html", {**data, "chart": month_chart(data["cases_by_month"])})


@router.get("/api/stats", tags=["search"],
            summary="Overview: cases by month and kind, top providers, chips, buyers and intermediaries, data as of")
def api_stats(request: Request):
    return json_response(stats_data(request))
