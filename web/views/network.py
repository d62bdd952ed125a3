"""The case network — buyer → vendor (reseller) → provider / chip — for all cases (/network) and for one
organisation (its page embeds it): the same `storage.network` data as an SVG drawn on the server, as JSON,
as GraphML (Gephi, networkx) and as a CSV of edges."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from storage.network import network
from web.graphics import network_svg, node_label
from web.network_formats import edges_csv, graphml
from web.views.common import base_url, json_response, not_found, page_router, reading, render

router = page_router()


def network_data(request: Request, org_id: int | None = None) -> dict[str, Any]:
    """The graph, each node with its label and page (None for an unknown organisation: 404)."""
    with reading(request) as conn:
        graph = network(conn, org_id=org_id)
    if graph is None:
        raise not_found(f"There is no organisation {org_id}.")
    base = base_url(request)
    for n in graph["nodes"]:
        n["label"] = node_label(n)
        n["url"] = f"{base}/orgs/{n['org_id']}" if n["org_id"] is not None else f"{base}/search?{n['type']}={n['value']}"
    return graph


def _download(body: bytes, media_type: str, name: str) -> Response:
    return Response(body, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/network", response_class=HTMLResponse, include_in_schema=False)
def network_page(request: Request):
    graph = network_data(request)
    return render(request, "network.html", {**graph, "svg": network_svg(graph), "header_q": ""})


@router.get("/api/network", tags=["organisations"],
            summary="The case network: buyers, vendors (resellers), providers and chips; edges weighted by "
                    "procurements, notices and yuan")
def api_network(request: Request):
    return json_response(network_data(request))


@router.get("/network.graphml", tags=["organisations"], summary="The case network as GraphML (Gephi, networkx)")
def network_graphml(request: Request):
    return _download(graphml(network_data(request)), "application/graphml+xml", "tenderwatch-network.graphml")


@router.get("/network.csv", tags=["organisations"], summary="The case network's edges as CSV")
def network_csv(request: Request):
    return _download(edges_csv(network_data(request)), "text/csv; charset=utf-8", "tenderwatch-network.csv")


@router.get("/network.svg", include_in_schema=False)
def network_image(request: Request):
    svg = str(network_svg(network_data(request))) or '<svg xmlns="http://www.w3.org/2000/svg" width="0" height="0"/>'
    return Response(svg, media_type="image/svg+xml")


@router.get("/api/orgs/{org_id}/network", tags=["organisations"],
            summary="An organisation's network: the case procurements it took part in, who else took part, "
                    "and the providers and chips named")
def api_org_network(request: Request, org_id: int):
    return json_response(network_data(request, org_id))


@router.get("/orgs/{org_id}/network.graphml", tags=["organisations"], summary="An organisation's network as GraphML")
def org_network_graphml(request: Request, org_id: int):
    return _download(graphml(network_data(request, org_id)), "application/graphml+xml",
                     f"tenderwatch-org-{org_id}-network.graphml")


@router.get("/orgs/{org_id}/network.csv", tags=["organisations"], summary="An organisation's network's edges as CSV")
def org_network_csv(request: Request, org_id: int):
    return _download(edges_csv(network_data(request, org_id)), "text/csv; charset=utf-8",
                     f"tenderwatch-org-{org_id}-network.csv")
