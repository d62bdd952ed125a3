"""The overview of the case set (`/stats`, `/api/stats`): cases by month and compute kind, the providers,
chips, buyers and intermediaries that recur, and how fresh the data is.

"Data as of" is, per source, the end of its last finished crawl (a run that ended `finished`); a source no
crawl has finished for (files ingested by hand) gives the time its newest notice was stored instead, marked
so. Cases are the site's cases (storage/orgs.case_condition: reviews applied). A case counts under each
kind it seeks, so the kinds of a month may add up to more than its cases.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from models.tables import NOTICE, ORG, RUN, SOURCE, TAG
from storage.network import network
from storage.org_directory import DirectoryQuery, directory
from storage.orgs import case_condition, procurement_column

TOP = 10


def data_as_of(conn: sa.Connection) -> list[dict[str, Any]]:
    """Per source: when its data was last brought up to date. Small queries (the footer of every page)."""
    crawled = dict(conn.execute(
        sa.select(RUN.c.spider, sa.func.max(RUN.c.finished_at)).where(RUN.c.status == "finished")
        .group_by(RUN.c.spider)
    ).all())
    names = list(conn.execute(sa.select(SOURCE.c.name).order_by(SOURCE.c.name)).scalars())
    out = []
    for name in names:
        if crawled.get(name):
            out.append({"source": name, "as_of": crawled[name], "by": "crawl"})
            continue
        # The newest row of the source (ids grow with storing; an index seek, not a scan of its notices).
        newest = sa.select(sa.func.max(NOTICE.c.id)).where(NOTICE.c.source == name).scalar_subquery()
        stored = conn.execute(sa.select(NOTICE.c.first_seen).where(NOTICE.c.id == newest)).scalar()
        if stored is not None:
            out.append({"source": name, "as_of": stored, "by": "stored"})
    return out


def cases_by_month(conn: sa.Connection, is_case) -> list[dict[str, Any]]:
    """[{month: "2026-11", cases: n, kinds: {kind: n}}] for every month from the first case to the last
    (months without a case included, so a chart's gaps are real); undated cases are left out."""
    rows = conn.execute(
        sa.select(NOTICE.c.id, NOTICE.c.published_at, TAG.c.value)
        .select_from(NOTICE.outerjoin(TAG, sa.and_(TAG.c.notice_id == NOTICE.c.id, TAG.c.facet == "kind")))
        .where(is_case, NOTICE.c.published_at.is_not(None))
    ).all()
    months: dict[str, dict[str, Any]] = {}
    seen: set[tuple[str, int]] = set()
    for nid, published, kind in rows:
        key = f"{published.year:04d}-{published.month:02d}"
        m = months.setdefault(key, {"month": key, "cases": 0, "kinds": {}})
        if (key, nid) not in seen:
            seen.add((key, nid))
            m["cases"] += 1
        if kind:
            m["kinds"][kind] = m["kinds"].get(kind, 0) + 1
    if not months:
        return []
    out = []
    first, last = min(months), max(months)
    y, mo = int(first[:4]), int(first[5:])
    while f"{y:04d}-{mo:02d}" <= last:
        key = f"{y:04d}-{mo:02d}"
        out.append(months.get(key, {"month": key, "cases": 0, "kinds": {}}))
        y, mo = (y + 1, 1) if mo == 12 else (y, mo + 1)
    return out


def top_tags(conn: sa.Connection, is_case, facet: str, limit: int = TOP) -> list[dict[str, Any]]:
    """The most frequent values of a compute facet among the cases: [{value, cases}] (VOCAB ids)."""
    n = sa.func.count(sa.distinct(TAG.c.notice_id))
    rows = conn.execute(
        sa.select(TAG.c.value, n.label("cases"))
        .join(NOTICE, NOTICE.c.id == TAG.c.notice_id)
        .where(TAG.c.facet == facet, is_case)
        .group_by(TAG.c.value)
        .order_by(n.desc(), TAG.c.value)
        .limit(limit)
    ).all()
    return [{"value": v, "cases": c} for v, c in rows]


def overview(conn: sa.Connection, *, limit: int = TOP) -> dict[str, Any]:
    is_case = case_condition(conn)
    cases = conn.execute(sa.select(sa.func.count()).select_from(NOTICE).where(is_case)).scalar_one()
    procurements = conn.execute(
        sa.select(sa.func.count(sa.distinct(procurement_column()))).where(is_case)
    ).scalar_one()
    graph = network(conn)
    resellers = sorted(
        (n for n in graph["nodes"] if n["type"] == "vendor"),
        key=lambda n: (-(n["buyers_served"] or 0), -n["procurements"], n["name"] or ""),
    )
    buyers = directory(conn, DirectoryQuery(role="buyer", sort="cases", size=limit, cases_only=True))["items"]
    return {
        "notices": conn.execute(sa.select(sa.func.count()).select_from(NOTICE)).scalar_one(),
        "cases": cases,
        "procurements": procurements,
        "organisations": conn.execute(sa.select(sa.func.count()).select_from(ORG)).scalar_one(),
        "cases_by_month": cases_by_month(conn, is_case),
        "undated_cases": cases - _dated_cases(conn, is_case),
        "providers": top_tags(conn, is_case, "provider", limit),
        "chips": top_tags(conn, is_case, "chip", limit),
        "kinds": top_tags(conn, is_case, "kind", limit),
        "flags": top_tags(conn, is_case, "flag", limit),
        "buyers": [{"id": b["id"], "name": b["name"], "cases": b["cases"], "value_cny": b["value_cny"]} for b in buyers],
        # Vendors of cases, those serving the most buyers first: the resellers between buyers and clouds.
        "intermediaries": [
            {"id": n["org_id"], "name": n["name"], "buyers_served": n["buyers_served"], "procurements": n["procurements"],
             "notices": n["notices"], "value_cny": n["value_cny"], "reseller": n["reseller"]}
            for n in resellers[:limit]
        ],
        "data_as_of": data_as_of(conn),
    }


def _dated_cases(conn: sa.Connection, is_case) -> int:
    return conn.execute(
        sa.select(sa.func.count()).select_from(NOTICE).where(is_case, NOTICE.c.published_at.is_not(None))
    ).scalar_one()
