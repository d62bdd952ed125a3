"""Who deals with whom in the remote-compute cases: buyer → vendor (a reseller, often) → provider / chip.

Built per procurement (a tender and its award are one; storage/orgs.py): its buyers, vendors and the
providers and chips its case notices name. With vendors, the edges run buyer → vendor → provider/chip; a
procurement without a vendor yet (a tender) links its buyer to the providers and chips directly. Each edge
carries the procurements behind it, their case notices and their value (award, else budget; yuan). A vendor
serving several buyers is a *reseller* here — the pattern the reporting found (universities reaching AWS
through the same intermediary). Organisations are resolved (aliases folded into their organisation).

`network(conn)` covers every case; `network(conn, org_id=…)` the procurements an organisation took part in.
Plain dicts, JSON-ready; the web layer draws and exports them, with labels for provider and chip ids.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from models.tables import NOTICE, ORG, PARTY, RES, TAG
from storage.orgs import (
    canonical_id, case_condition, chunks, entity_column, members, money_of, procurement_column,
)

TAG_FACETS = ("provider", "chip")
PARTY_ROLES = ("buyer", "vendor")
RESELLER_MIN_BUYERS = 2
CHUNK = 900


def network(conn: sa.Connection, *, org_id: int | None = None) -> dict[str, Any] | None:
    """Nodes and edges of the case network (None when `org_id` names no organisation)."""
    focus = None
    is_case = case_condition(conn)
    pk = procurement_column()
    if org_id is not None:
        focus = canonical_id(conn, org_id)
        if focus is None:
            return None
        own = (
            sa.select(pk).select_from(PARTY.join(NOTICE, NOTICE.c.id == PARTY.c.notice_id))
            .where(PARTY.c.organisation_id.in_(members(conn, focus)), is_case)
            .distinct()
        )
        pks = sorted(conn.execute(own).scalars())
        notices = []
        for chunk in chunks(pks, CHUNK):
            notices += conn.execute(sa.select(NOTICE.c.id, pk.label("pk")).where(pk.in_(chunk), is_case)).all()
    else:
        notices = conn.execute(sa.select(NOTICE.c.id, pk.label("pk")).where(is_case)).all()
    proc_of = {n.id: n.pk for n in notices}
    ids = sorted(proc_of)

    procs: dict[str, dict[str, Any]] = {}

    def proc(key: str) -> dict[str, Any]:
        return procs.setdefault(key, {"notices": set(), "buyer": set(), "vendor": set(), "provider": set(),
                                      "chip": set(), "value": None})

    for nid, key in proc_of.items():
        proc(key)["notices"].add(nid)
    for chunk in chunks(ids, CHUNK):
        for nid, entity, role in conn.execute(
            sa.select(PARTY.c.notice_id, entity_column(PARTY.c.organisation_id), PARTY.c.role)
            .select_from(PARTY.outerjoin(RES, RES.c.organisation_id == PARTY.c.organisation_id))
            .where(PARTY.c.notice_id.in_(chunk), PARTY.c.role.in_(PARTY_ROLES))
        ):
            proc(proc_of[nid])[role].add(entity)
        for nid, facet, value in conn.execute(
            sa.select(TAG.c.notice_id, TAG.c.facet, TAG.c.value)
            .where(TAG.c.notice_id.in_(chunk), TAG.c.facet.in_(TAG_FACETS))
        ):
            proc(proc_of[nid])[facet].add(value)
    for key, stated in money_of(conn, procs).items():
        procs[key]["value"] = stated["value"]

    nodes: dict[str, dict[str, Any]] = {}
    edges: dict[tuple[str, str], dict[str, Any]] = {}

    def node(nid: str, kind: str, ref: Any) -> dict[str, Any]:
        return nodes.setdefault(nid, {"id": nid, "type": kind, "ref": ref, "procurements": set(), "notices": set(),
                                      "value_cny": 0.0, "buyers": set()})

    def link(a: str, b: str, p: dict[str, Any], key: str) -> None:
        e = edges.setdefault((a, b), {"source": a, "target": b, "procurements": set(), "notices": set(), "value_cny": 0.0})
        if key not in e["procurements"]:
            e["procurements"].add(key)
            e["notices"] |= p["notices"]
            e["value_cny"] += p["value"] or 0.0

    vendors_anywhere = {v for p in procs.values() for v in p["vendor"]}
    for key, p in sorted(procs.items()):
        buyers = {f"org:{b}" for b in p["buyer"] - p["vendor"]}
        vendors = {f"org:{v}" for v in p["vendor"]}
        things = {f"{facet}:{v}" for facet in TAG_FACETS for v in p[facet]}
        touched = buyers | vendors | things
        if not touched:
            continue
        for b in p["buyer"] - p["vendor"]:
            # An organisation that is a vendor somewhere stands in the vendor column everywhere.
            node(f"org:{b}", "vendor" if b in vendors_anywhere else "buyer", b)
        for v in p["vendor"]:
            node(f"org:{v}", "vendor", v)["buyers"] |= {f"org:{b}" for b in p["buyer"] if b != v}
        for facet in TAG_FACETS:
            for v in p[facet]:
                node(f"{facet}:{v}", facet, v)
        for nid in touched:
            n = nodes[nid]
            n["procurements"].add(key)
            n["notices"] |= p["notices"]
            n["value_cny"] += p["value"] or 0.0
        middle = vendors or buyers
        if vendors:
            for b in buyers:
                for v in vendors:
                    link(b, v, p, key)
        for m in middle:
            for t in things:
                link(m, t, p, key)

    names = _names(conn, [n["ref"] for n in nodes.values() if n["id"].startswith("org:")])
    out_nodes = []
    for n in sorted(nodes.values(), key=lambda n: (-len(n["procurements"]), n["id"])):
        served = len(n["buyers"])
        out_nodes.append({
            "id": n["id"],
            "type": n["type"],
            "org_id": n["ref"] if n["id"].startswith("org:") else None,
            "value": None if n["id"].startswith("org:") else n["ref"],  # a provider or chip id (VOCAB)
            "name": names.get(n["ref"]) if n["id"].startswith("org:") else None,
            "procurements": len(n["procurements"]),
            "notices": len(n["notices"]),
            "value_cny": n["value_cny"],
            "buyers_served": served if n["type"] == "vendor" else None,
            "reseller": n["type"] == "vendor" and served >= RESELLER_MIN_BUYERS,
            "focus": focus is not None and n["id"] == f"org:{focus}",
        })
    out_edges = [
        {"source": e["source"], "target": e["target"], "procurements": len(e["procurements"]),
         "notices": len(e["notices"]), "value_cny": e["value_cny"]}
        for e in sorted(edges.values(), key=lambda e: (-len(e["procurements"]), e["source"], e["target"]))
    ]
    return {
        "focus": f"org:{focus}" if focus is not None else None,
        "procurements": len(procs),
        "notices": len(proc_of),
        "nodes": out_nodes,
        "edges": out_edges,
    }


def _names(conn: sa.Connection, ids: list[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    for chunk in chunks(sorted(set(ids)), CHUNK):
        out.update(conn.execute(sa.select(ORG.c.id, ORG.c.name).where(ORG.c.id.in_(chunk))).all())
    return out
