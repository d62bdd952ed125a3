"""Read-only database access for the web layer.

The site never writes: the engine comes from `storage.db.make_engine(read_only=True)` — SQLite through a
`mode=ro` URI (SQLite itself refuses writes even if a bug tried), PostgreSQL in READ ONLY sessions. Search itself goes through the storage
layer's `Store.search`; the pages also need a few lookups the Store API does not offer (a notice with all its
parts, an organisation with its counterparties), which are plain SELECTs on models/tables.py here.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from models.tables import (
    Attachment,
    Extraction,
    Notice,
    NoticeAmount,
    NoticeLink,
    NoticeParty,
    NoticeTag,
    NoticeVersion,
    Organisation,
)

ORG_NOTICE_LIMIT = 300  # an org page lists this many notices; the search link gives the rest


def readonly_engine(url: str) -> Engine:
    """The storage layer's read-only engine (SQLite `mode=ro`, PostgreSQL READ ONLY sessions)."""
    from storage.db import make_engine

    return make_engine(url, read_only=True)


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


@dataclass
class OrgRef:
    id: int
    name: str

    def to_json(self) -> dict:
        return {"id": self.id, "name": self.name}


class ReadDB:
    """Lookups for the notice and organisation pages."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def _is_id(self, value: int) -> bool:
        """An id beyond the backend's range (or ≤ 0) names nothing: a 404, never an overflow in the driver."""
        from storage.db import is_row_id

        return is_row_id(self.engine.dialect.name, value)

    # ---------------------------------------------------------------- notices
    def notice(self, notice_id: int) -> dict[str, Any] | None:
        if not self._is_id(notice_id):
            return None
        n = Notice.__table__
        with self.engine.connect() as c:
            row = c.execute(sa.select(n).where(n.c.id == notice_id)).mappings().first()
            if row is None:
                return None
            notice = dict(row)
            orgs = self._org_names(c, [notice["buyer_id"], notice["agency_id"]])
            parties = self._parties(c, [notice_id]).get(notice_id, {})
            buyer = orgs.get(notice["buyer_id"]) or (parties.get("buyer") or [None])[0]
            agency = orgs.get(notice["agency_id"]) or (parties.get("agency") or [None])[0]

            a = NoticeAmount.__table__
            amounts = [
                dict(r)
                for r in c.execute(
                    sa.select(a.c.kind, a.c.value_cny, a.c.percent, a.c.raw).where(a.c.notice_id == notice_id).order_by(a.c.id)
                ).mappings()
            ]
            t = NoticeTag.__table__
            tags: dict[str, list[str]] = defaultdict(list)
            inherited: list[str] = []
            for facet, value, inh in c.execute(
                sa.select(t.c.facet, t.c.value, t.c.inherited).where(t.c.notice_id == notice_id).order_by(t.c.facet, t.c.value)
            ):
                tags[facet].append(value)
                if inh:
                    inherited.append(value)
            at = Attachment.__table__
            attachments = [
                dict(r)
                for r in c.execute(
                    sa.select(at.c.id, at.c.url, at.c.name, at.c.sha256, at.c.size, at.c.content_type, at.c.text,
                              at.c.status, at.c.error, at.c.format, at.c.pages, at.c.ocr, at.c.members)
                    .where(at.c.notice_id == notice_id)
                    .order_by(at.c.id)
                ).mappings()
            ]
            extraction = self._extraction(c, notice_id, notice.get("extractor_version"))
            v = NoticeVersion.__table__
            versions = [
                dict(r)
                for r in c.execute(
                    sa.select(v.c.id, v.c.content_hash, v.c.title, v.c.fetched_at)
                    .where(v.c.notice_id == notice_id)
                    .order_by(v.c.fetched_at.desc(), v.c.id.desc())
                ).mappings()
            ]
            lk = NoticeLink.__table__
            links = [
                dict(r)
                for r in c.execute(
                    sa.select(lk.c.source, lk.c.url, lk.c.first_seen).where(lk.c.notice_id == notice_id).order_by(lk.c.id)
                ).mappings()
            ]
            timeline = self._timeline(c, notice)
            from storage.review import history

            reviews = history(c, notice_id)  # every decision, newest first
        return {
            "notice": notice,
            "buyer": buyer,
            "agency": agency,
            "vendors": parties.get("vendor", []),
            "amounts": amounts,
            "tags": dict(tags),
            "inherited_flags": inherited,  # flags found on another notice of the same procurement
            "attachments": attachments,
            "extraction": extraction,
            "versions": versions,
            "links": links,
            "timeline": timeline,
            "reviews": reviews,
        }

    def _extraction(self, c, notice_id: int, version: str | None) -> dict[str, Any]:
        e = Extraction.__table__
        q = sa.select(e.c.result, e.c.extractor_version).where(e.c.notice_id == notice_id)
        # The notice's own extractor version is the one its columns came from; else the newest.
        order = [e.c.created_at.desc(), e.c.id.desc()]
        if version:
            order.insert(0, sa.case((e.c.extractor_version == version, 0), else_=1))
        row = c.execute(q.order_by(*order).limit(1)).first()
        return dict(row.result or {}) if row else {}

    def _timeline(self, c, notice: dict) -> list[dict[str, Any]]:
        key = notice.get("procurement_key")
        if not key:
            return []
        n = Notice.__table__
        rows = c.execute(
            sa.select(n.c.id, n.c.title, n.c.notice_type, n.c.published_at, n.c.remote_compute, n.c.source, n.c.url)
            .where(n.c.procurement_key == key)
            .order_by(n.c.published_at.is_(None), n.c.published_at, n.c.id)
            .limit(100)
        ).mappings()
        return [dict(r, current=(r["id"] == notice["id"])) for r in rows]

    def raw_ref(self, notice_id: int) -> dict[str, Any] | None:
        if not self._is_id(notice_id):
            return None
        n = Notice.__table__
        with self.engine.connect() as c:
            row = c.execute(
                sa.select(n.c.id, n.c.url, n.c.raw_sha256, n.c.raw_content_type, n.c.list_meta).where(n.c.id == notice_id)
            ).mappings().first()
        return dict(row) if row else None

    def attachment_ref(self, attachment_id: int) -> dict[str, Any] | None:
        if not self._is_id(attachment_id):
            return None
        at = Attachment.__table__
        with self.engine.connect() as c:
            row = c.execute(
                sa.select(at.c.id, at.c.notice_id, at.c.name, at.c.url, at.c.sha256, at.c.content_type, at.c.text)
                .where(at.c.id == attachment_id)
            ).mappings().first()
        return dict(row) if row else None

    # ---------------------------------------------------------------- organisations
    def org(self, org_id: int) -> dict[str, Any] | None:
        if not self._is_id(org_id):
            return None
        o = Organisation.__table__
        n = Notice.__table__
        p = NoticeParty.__table__
        t = NoticeTag.__table__
        with self.engine.connect() as c:
            row = c.execute(sa.select(o.c.id, o.c.name).where(o.c.id == org_id)).mappings().first()
            if row is None:
                return None
            # Roles come from the party table and, for robustness, from the notice's own buyer/agency columns.
            roles: dict[int, set[str]] = defaultdict(set)
            for nid, role in c.execute(sa.select(p.c.notice_id, p.c.role).where(p.c.organisation_id == org_id)):
                roles[nid].add(role)
            for nid in c.execute(sa.select(n.c.id).where(n.c.buyer_id == org_id)).scalars():
                roles[nid].add("buyer")
            for nid in c.execute(sa.select(n.c.id).where(n.c.agency_id == org_id)).scalars():
                roles[nid].add("agency")
            ids = list(roles)
            notices: list[dict] = []
            for chunk in _chunks(ids, 900):  # SQLite's bound-parameter limit
                notices += [
                    dict(r)
                    for r in c.execute(
                        sa.select(n.c.id, n.c.title, n.c.notice_type, n.c.published_at, n.c.remote_compute,
                                  n.c.hardware_purchase, n.c.region, n.c.procurement_key)
                        .where(n.c.id.in_(chunk))
                    ).mappings()
                ]
            notices.sort(key=lambda r: (r["published_at"] is not None, r["published_at"] or 0, r["id"]), reverse=True)
            for r in notices:
                r["roles"] = sorted(roles[r["id"]])

            # Counterparties: every other organisation on the same notices, with its role there.
            counter: dict[tuple[int, str], dict[str, Any]] = {}
            case_ids = {r["id"] for r in notices if r["remote_compute"]}
            other_roles: dict[int, list[tuple[int, str]]] = defaultdict(list)
            for chunk in _chunks(ids, 900):
                for nid, oid, role in c.execute(
                    sa.select(p.c.notice_id, p.c.organisation_id, p.c.role).where(p.c.notice_id.in_(chunk))
                ):
                    other_roles[nid].append((oid, role))
                for nid, bid, aid in c.execute(sa.select(n.c.id, n.c.buyer_id, n.c.agency_id).where(n.c.id.in_(chunk))):
                    if bid is not None:
                        other_roles[nid].append((bid, "buyer"))
                    if aid is not None:
                        other_roles[nid].append((aid, "agency"))
            for nid, pairs in other_roles.items():
                for oid, role in set(pairs):
                    if oid == org_id:
                        continue
                    entry = counter.setdefault((oid, role), {"id": oid, "role": role, "notices": 0, "cases": 0})
                    entry["notices"] += 1
                    entry["cases"] += nid in case_ids
            names = self._org_names(c, [k[0] for k in counter])
            counterparties = sorted(
                ({**v, "name": names.get(v["id"]).name if names.get(v["id"]) else f"#{v['id']}"} for v in counter.values()),
                key=lambda v: (-v["cases"], -v["notices"], v["name"]),
            )

            # What compute the cases were about: an intermediary reselling AWS to many buyers shows here.
            tag_counts: dict[str, Counter] = defaultdict(Counter)
            for chunk in _chunks(sorted(case_ids), 900):
                for facet, value in c.execute(
                    sa.select(t.c.facet, t.c.value).where(t.c.notice_id.in_(chunk))
                ):
                    tag_counts[facet][value] += 1

        by_year: dict[str, dict[str, int]] = {}
        for r in notices:
            y = str(r["published_at"].year) if r["published_at"] else "undated"
            slot = by_year.setdefault(y, {"notices": 0, "cases": 0})
            slot["notices"] += 1
            slot["cases"] += bool(r["remote_compute"])
        role_counts = Counter(role for rs in roles.values() for role in rs)
        return {
            "org": dict(row),
            "roles": dict(role_counts),
            "total_notices": len(notices),
            "total_cases": len(case_ids),
            "notices": notices[:ORG_NOTICE_LIMIT],
            "by_year": dict(sorted(by_year.items())),
            "counterparties": counterparties,
            "tags": {k: v.most_common() for k, v in tag_counts.items()},
        }

    def org_ids_by_name(self, names: list[str]) -> dict[str, int]:
        """Map displayed organisation names to ids, so search results can link to organisation pages (by the
        indexed normalised name, as the Store keys organisations)."""
        from storage.normalise import normalise_name

        keys = {normalise_name(x): x for x in {*names} if x}
        keys.pop("", None)
        if not keys:
            return {}
        o = Organisation.__table__
        out: dict[str, int] = {}
        with self.engine.connect() as c:
            for chunk in _chunks(list(keys), 900):
                for oid, norm in c.execute(sa.select(o.c.id, o.c.normalised_name).where(o.c.normalised_name.in_(chunk))):
                    out[keys[norm]] = oid
        return out

    def org_names(self, ids: list[int]) -> dict[int, str]:
        with self.engine.connect() as c:
            return {k: v.name for k, v in self._org_names(c, ids).items()}

    # ---------------------------------------------------------------- helpers
    def _org_names(self, c, ids) -> dict[int, OrgRef]:
        ids = [i for i in {*ids} if i is not None and self._is_id(i)]
        if not ids:
            return {}
        o = Organisation.__table__
        out: dict[int, OrgRef] = {}
        for chunk in _chunks(ids, 900):
            for oid, name in c.execute(sa.select(o.c.id, o.c.name).where(o.c.id.in_(chunk))):
                out[oid] = OrgRef(oid, name)
        return out

    def _parties(self, c, notice_ids: list[int]) -> dict[int, dict[str, list[OrgRef]]]:
        p = NoticeParty.__table__
        o = Organisation.__table__
        out: dict[int, dict[str, list[OrgRef]]] = defaultdict(lambda: defaultdict(list))
        rows = c.execute(
            sa.select(p.c.notice_id, p.c.role, o.c.id, o.c.name)
            .join(o, o.c.id == p.c.organisation_id)
            .where(p.c.notice_id.in_(notice_ids))
            .order_by(p.c.notice_id, p.c.role, o.c.name)
        )
        for nid, role, oid, name in rows:
            out[nid][role].append(OrgRef(oid, name))
        return out


def _chunks(items: list, n: int):
    for i in range(0, len(items), n):
        yield items[i : i + n]
