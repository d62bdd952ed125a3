"""/orgs/{id} and /api/orgs/{id}: one organisation (`org_data`, from the read model
`storage.reading.read_organisation`): its notices, cases over time, counterparties and what its cases were about;
with `storage.orgs.organisation`: the names it goes by (each with the rule that merged it) and its money by
year; with `storage.network`: who it dealt with, drawn. An alias's address shows its organisation."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse

from storage.network import network
from storage.orgs import organisation
from storage.reading import OrganisationDetail, read_organisation
from storage.screening import organisation_hits
from web.graphics import network_svg
from web.views.common import base_url, json_response, not_found, page_router, reading, render

router = page_router()


def load(request: Request, org_id: int) -> tuple[OrganisationDetail, dict[str, Any], dict[str, Any]]:
    with reading(request) as conn:
        detail = read_organisation(conn, org_id)
        if detail is None:
            raise not_found(f"There is no organisation {org_id}.")
        names = {**organisation(conn, detail.id), "screening": organisation_hits(conn, detail.id)}
        return detail, names, network(conn, org_id=detail.id)


def org_data(o: OrganisationDetail, names: dict[str, Any], graph: dict[str, Any], base: str,
             requested: int) -> dict[str, Any]:
    """The organisation as the API gives it (datetimes as datetimes)."""
    return {
        "id": o.id,
        "name": o.name,
        "url": f"{base}/orgs/{o.id}",
        "requested_id": requested,  # an alias's id is answered with its organisation
        "roles": o.roles,
        "total_notices": o.total_notices,
        "total_cases": names["cases_total"],  # reviews applied, as the directory counts
        "procurements": names["procurements"],
        # yuan; each procurement once: budget and award from its newest notice stating them; value: award, else budget
        "budget_cny": names["budget_cny"],
        "award_cny": names["award_cny"],
        "value_cny": names["value_cny"],
        "by_year": names["by_year"],
        "aliases": [{**a, "url": f"{base}/orgs/{a['id']}"} for a in names["aliases"]],
        "kept_apart": [{**a, "url": f"{base}/orgs/{a['id']}"} for a in names["kept_apart"]],
        # screening-list candidates (storage/screening.py), of its own rows and its aliases: each with its list
        "screened": bool(names["screening"]),
        "screening": names["screening"],
        "network": {"nodes": len(graph["nodes"]), "edges": len(graph["edges"]),
                    "json": f"{base}/api/orgs/{o.id}/network", "graphml": f"{base}/orgs/{o.id}/network.graphml",
                    "csv": f"{base}/orgs/{o.id}/network.csv"},
        "notices": [
            {"id": n["id"], "title": n["title"], "notice_type": n["notice_type"], "published_at": n["published_at"],
             "remote_compute": bool(n["remote_compute"]), "roles": n["roles"], "url": f"{base}/notices/{n['id']}"}
            for n in o.notices
        ],
        "counterparties": [{**c, "url": f"{base}/orgs/{c['id']}"} for c in o.counterparties],
        "compute": {facet: [{"value": v, "count": n} for v, n in values] for facet, values in o.tags.items()},
    }


@router.get("/orgs/{org_id}", response_class=HTMLResponse, include_in_schema=False)
def org_page(request: Request, org_id: int):
    detail, names, graph = load(request, org_id)
    if detail.id != org_id:  # an alias: the organisation's own address (not permanent: a merge can be undone)
        return RedirectResponse(f"/orgs/{detail.id}", status_code=307)
    data = org_data(detail, names, graph, "", org_id)
    counter = data["counterparties"]
    return render(request, "org.html", {
        **data,
        "network_svg": network_svg(graph),
        "peak": max([v["notices"] for v in data["by_year"].values()] or [1]),
        "peak_money": max([max(v["budget_cny"], v["award_cny"]) for v in data["by_year"].values()] or [0]) or 1,
        "buyers": [c for c in counter if c["role"] == "buyer"],
        "vendors": [c for c in counter if c["role"] == "vendor"],
        "agencies": [c for c in counter if c["role"] == "agency"],
        "header_q": "",
    })


@router.get("/api/orgs/{org_id}", tags=["organisations"],
            summary="An organisation: its notices, cases and counterparties")
def api_org(request: Request, org_id: int):
    return json_response(org_data(*load(request, org_id), base_url(request), org_id))
