"""The case network (storage/network.py) as files for analysts' tools: GraphML (Gephi, networkx, yEd) and a
CSV of edges. Nodes carry their label as the site shows it (the organisation's name, the vocabulary's label
of a provider or chip) beside the stable id; weights are procurements, notices and value in yuan."""

from __future__ import annotations

import csv
import io
from typing import Any
from xml.etree import ElementTree as ET

from storage.exports.tabular import cell as _csv_cell  # the one CSV cell rule: scraped names never become formulas
from web.graphics import node_label

GRAPHML_NS = "http://graphml.graphdrawing.org/xmlns"
NODE_KEYS = (("label", "string"), ("type", "string"), ("org_id", "long"), ("value", "string"),
             ("procurements", "int"), ("notices", "int"), ("value_cny", "double"), ("buyers_served", "int"),
             ("reseller", "boolean"), ("focus", "boolean"))
EDGE_KEYS = (("procurements", "int"), ("notices", "int"), ("value_cny", "double"), ("weight", "double"))
CSV_COLUMNS = ("source", "target", "source_label", "target_label", "source_type", "target_type", "procurements",
               "notices", "value_cny")


def _text(value: Any, kind: str) -> str:
    if kind == "boolean":
        return "true" if value else "false"
    return str(value)


def graphml(graph: dict[str, Any]) -> bytes:
    """A directed GraphML document; an edge's `weight` is its number of procurements."""
    ET.register_namespace("", GRAPHML_NS)
    root = ET.Element(f"{{{GRAPHML_NS}}}graphml")
    for domain, keys in (("node", NODE_KEYS), ("edge", EDGE_KEYS)):
        for name, kind in keys:
            ET.SubElement(root, f"{{{GRAPHML_NS}}}key", {"id": f"{domain[0]}_{name}", "for": domain,
                                                         "attr.name": name, "attr.type": kind})
    g = ET.SubElement(root, f"{{{GRAPHML_NS}}}graph", {"id": "tenderwatch", "edgedefault": "directed"})
    for n in graph["nodes"]:
        el = ET.SubElement(g, f"{{{GRAPHML_NS}}}node", {"id": n["id"]})
        values = {**n, "label": node_label(n)}
        for name, kind in NODE_KEYS:
            if values.get(name) is not None:
                ET.SubElement(el, f"{{{GRAPHML_NS}}}data", {"key": f"n_{name}"}).text = _text(values[name], kind)
    for k, e in enumerate(graph["edges"]):
        el = ET.SubElement(g, f"{{{GRAPHML_NS}}}edge", {"id": f"e{k}", "source": e["source"], "target": e["target"]})
        for name, kind in EDGE_KEYS:
            value = e["procurements"] if name == "weight" else e[name]
            ET.SubElement(el, f"{{{GRAPHML_NS}}}data", {"key": f"e_{name}"}).text = _text(value, kind)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def edges_csv(graph: dict[str, Any]) -> bytes:
    """One row per edge, UTF-8 with a BOM (opens in Excel), ids and labels of both ends."""
    nodes = {n["id"]: n for n in graph["nodes"]}
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(CSV_COLUMNS)
    for e in graph["edges"]:
        s, t = nodes[e["source"]], nodes[e["target"]]
        w.writerow([_csv_cell(v) for v in (e["source"], e["target"], node_label(s), node_label(t), s["type"], t["type"],
                                            e["procurements"], e["notices"], e["value_cny"])])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
