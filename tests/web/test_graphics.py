"""The server-drawn SVGs (web/graphics.py): the same data gives the same bytes, every name is escaped, no
inline style (the CSP forbids it), and the network's columns never overlap however many nodes there are."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from web.graphics import COL_W, NODE_H, ROW, layout, month_chart, network_svg

SVG = "{http://www.w3.org/2000/svg}"


def graph(buyers: int, vendors: int, hostile: str = "") -> dict:
    nodes, edges = [], []
    for v in range(vendors):
        nodes.append({"id": f"org:{1000 + v}", "type": "vendor", "org_id": 1000 + v, "value": None,
                      "name": f"{hostile}供应商{v}科技有限公司", "procurements": 0, "notices": 0, "value_cny": 0.0,
                      "buyers_served": 0, "reseller": False, "focus": False})
    nodes.append({"id": "provider:aws", "type": "provider", "org_id": None, "value": "aws", "name": None,
                  "procurements": buyers, "notices": buyers, "value_cny": 0.0, "buyers_served": None, "reseller": False,
                  "focus": False})
    for b in range(buyers):
        v = nodes[b % vendors]
        v["procurements"] += 1
        v["buyers_served"] += 1
        v["reseller"] = v["buyers_served"] >= 2
        nodes.append({"id": f"org:{b + 1}", "type": "buyer", "org_id": b + 1, "value": None, "name": f"{hostile}大学{b}",
                      "procurements": 1, "notices": 2, "value_cny": 1e5, "buyers_served": None, "reseller": False,
                      "focus": False})
        edges.append({"source": f"org:{b + 1}", "target": v["id"], "procurements": 1, "notices": 2, "value_cny": 1e5})
    for v in nodes[:vendors]:
        edges.append({"source": v["id"], "target": "provider:aws", "procurements": v["procurements"], "notices": 2,
                      "value_cny": 1e5})
    return {"focus": None, "nodes": nodes, "edges": edges}


def test_the_same_graph_draws_the_same_bytes():
    assert str(network_svg(graph(70, 9))) == str(network_svg(graph(70, 9)))
    months = [{"month": "2025-11", "cases": 2, "kinds": {"cloud": 2, "gpu_rental": 1}}, {"month": "2025-12", "cases": 0, "kinds": {}}]
    assert str(month_chart(months)) == str(month_chart(months))


def test_names_are_escaped_and_no_inline_style_is_used():
    svg = str(network_svg(graph(5, 2, hostile='<script>alert(1)</script>"&')))
    ET.fromstring(svg)  # well-formed: every name escaped
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "style=" not in svg and "<style" not in svg


def test_columns_of_many_nodes_never_overlap_and_the_rest_is_counted():
    g = graph(130, 12)
    lay = layout(g, max_per_column=60)
    assert len(lay["columns"]["buyer"]) == 60 and lay["hidden"] == {"buyer": 70}
    for ids in lay["columns"].values():
        rows = sorted(lay["rows"][i] for i in ids)
        assert all(b - a >= 1 for a, b in zip(rows, rows[1:]))  # a row each
        assert rows[-1] <= 59
    root = ET.fromstring(str(network_svg(g)))
    rects = [(float(r.get("x")), float(r.get("y"))) for r in root.iter(f"{SVG}rect")]
    assert len(rects) == 60 + 12 + 1
    assert all(w == str(COL_W) for w in {r.get("width") for r in root.iter(f"{SVG}rect")})
    seen = {}
    for x, y in rects:
        for y2 in seen.get(x, []):
            assert abs(y - y2) >= NODE_H
        seen.setdefault(x, []).append(y)
    assert re.search(r"\+ 70 more", str(network_svg(g)))
    assert ROW > NODE_H


def test_resellers_stand_out_and_link_to_their_pages():
    svg = str(network_svg(graph(6, 2)))
    assert svg.count('class="node vendor reseller"') == 2 and "3 buyers" in svg
    assert 'href="/orgs/1000"' in svg and 'href="/search?provider=aws"' in svg
