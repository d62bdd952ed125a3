"""The read model: what the CLI (`show`, `search`), the web site and its API read of notices and
organisations — one notice with everything attached (`read_notice`), one organisation with its notices and
counterparties (`read_organisation`), and what a search hit needs beside the engine's `SearchHit` (`hit_extras`:
the amount, first seen, the one evidence sentence). Values keep their Python types (datetimes naive, UTC for
first_seen …, China local time for published_at); the `to_json` methods are the JSON-ready form. Plus
database statistics. One query style: SQLAlchemy Core on `models.tables`."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable, Optional, Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from extract.compute.vocabulary import TOTAL_AMOUNT_KINDS  # "the amount" of a notice in a list, best first
from models.tables import AMOUNT, ATTACHMENT, ERROR, LINK, NOTICE, ORG, PARTY, RUN, TAG, VERSION, utcnow
from storage.evidence import case_sentence, stored_evidence, stored_results
from storage.review import case_condition

ORG_NOTICE_LIMIT = 300  # an organisation's notices listed in full; the search gives the rest
CHUNK = 900  # ids per IN (...): under SQLite's bound-parameter limit


def connection_of(db: sa.Connection | Session) -> sa.Connection:
    """The connection to query on. Callers holding an ORM Session (SQLModel's included) may pass it; the read
    model's queries run in SQLAlchemy Core on its connection."""
    return db.connection() if isinstance(db, Session) else db


def _iso(value) -> str | None:
    return value.isoformat(timespec="minutes") if value else None


def _chunks(items: Sequence, n: int = CHUNK):
    for i in range(0, len(items), n):
        yield items[i : i + n]


@dataclass(frozen=True)
class OrgRef:
    id: int
    name: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name}


# ---------------------------------------------------------------------------------------------- one notice
@dataclass
class NoticeDetail:
    notice: dict[str, Any]  # the notice row, every column
    buyer: Optional[OrgRef]
    agency: Optional[OrgRef]
    vendors: list[OrgRef]
    amounts: list[dict[str, Any]]  # kind value_cny percent raw currency value, in stored order
    tags: dict[str, list[str]]  # facet → values: kind, provider, chip, flag (flags: union over the procurement)
    inherited_flags: list[str]  # of the flags, those found on other notices of the procurement
    attachments: list[dict[str, Any]]  # every column but the notice id
    extraction: dict[str, Any]  # the extraction the notice's columns came from (else the newest)
    versions: list[dict[str, Any]]  # id content_hash raw_sha256 title fetched_at, oldest first
    links: list[dict[str, Any]]  # other places it was published: source url first_seen
    procurement: list[dict[str, Any]]  # the procurement's notices, oldest first (this one alone without a key)
    reviews: list[dict[str, Any]]  # review decisions, newest first (storage.review.history)

    @property
    def id(self) -> int:
        return self.notice["id"]

    @property
    def evidence(self) -> list[dict[str, Any]]:
        return [e for e in (self.extraction.get("evidence") or []) if isinstance(e, dict)]

    @property
    def review(self) -> Optional[str]:
        """The newest decision (confirmed, rejected), None when not reviewed."""
        return self.reviews[0]["decision"] if self.reviews else None

    def facet(self, name: str) -> list[str]:
        return list(self.tags.get(name, []))

    @property
    def project_codes(self) -> list[str]:
        fields = self.extraction.get("fields") if isinstance(self.extraction.get("fields"), dict) else self.extraction
        code = self.notice["project_code"]
        return (fields or {}).get("project_codes") or ([code] if code else [])

    def to_json(self) -> dict[str, Any]:
        """JSON-ready: `tenderwatch show --json` and `Store.notice_detail`."""
        n = self.notice
        return {
            "id": n["id"],
            "source": n["source"],
            "url": n["url"],
            "external_id": n["external_id"],
            "title": n["title"],
            "notice_type": n["notice_type"],
            "published_at": _iso(n["published_at"]),
            "bid_deadline": _iso(n["bid_deadline"]),
            "region": n["region"],
            "project_code": n["project_code"],
            "buyer": self.buyer.to_json() if self.buyer else None,
            "agency": self.agency.to_json() if self.agency else None,
            "vendors": [v.to_json() for v in self.vendors],
            "amounts": self.amounts,
            "remote_compute": n["remote_compute"],
            "hardware_purchase": n["hardware_purchase"],
            "compute_candidate": bool(n["compute_candidate"]),  # a possible case, with its score and reasons
            "candidate_score": n["candidate_score"],
            "candidate_reasons": list(n["candidate_reasons"] or []),
            "compute_kinds": self.facet("kind"),
            "cloud_providers": self.facet("provider"),
            "gpu_models": self.facet("chip"),
            "flags": self.facet("flag"),  # union over the procurement
            "inherited_flags": self.inherited_flags,  # of those, the ones found on other notices of the procurement
            "evidence": self.extraction.get("evidence", []),
            "extraction_errors": self.extraction.get("errors", []),
            "extractor_version": n["extractor_version"],
            "procurement_key": n["procurement_key"],
            "text": n["text"],
            "content_hash": n["content_hash"],
            "raw_sha256": n["raw_sha256"],
            "raw_content_type": n["raw_content_type"],
            "list_meta": n["list_meta"] or {},
            "first_seen": _iso(n["first_seen"]),
            "last_seen": _iso(n["last_seen"]),
            "last_changed": _iso(n["last_changed"]),
            "attachments": [
                {k: a[k] for k in ("id", "url", "name", "status", "error", "size", "content_type", "sha256", "text",
                                   "format", "pages")}
                | {"ocr": a["ocr"] or None,  # DocumentText.ocr when OCR read (part of) it
                   "members": a["members"] or []}  # archives: what was inside, each with format, status, reason
                for a in self.attachments
            ],
            "versions": [{**v, "fetched_at": _iso(v["fetched_at"])} for v in self.versions],
            "links": [{**lk, "first_seen": _iso(lk["first_seen"])} for lk in self.links],
            "reviews": [{**r, "decided_at": r["decided_at"].isoformat(timespec="seconds")} for r in self.reviews],
            "procurement": [{**p, "published_at": _iso(p["published_at"])} for p in self.procurement],
        }


def read_notice(conn: sa.Connection, notice_id: int) -> NoticeDetail | None:
    """Everything known about one notice; None when there is no such notice."""
    from storage.db import is_row_id
    from storage.review import history

    if not is_row_id(conn.dialect.name, notice_id):  # no such row, and too large to bind
        return None
    buyer_org, agency_org = ORG.alias("buyer_org"), ORG.alias("agency_org")
    row = conn.execute(
        sa.select(NOTICE, buyer_org.c.name.label("buyer_name"), agency_org.c.name.label("agency_name"))
        .outerjoin(buyer_org, buyer_org.c.id == NOTICE.c.buyer_id)
        .outerjoin(agency_org, agency_org.c.id == NOTICE.c.agency_id)
        .where(NOTICE.c.id == notice_id)
    ).mappings().first()
    if row is None:
        return None
    n = dict(row)
    named = {role: OrgRef(n[f"{role}_id"], name) for role in ("buyer", "agency")
             if (name := n.pop(f"{role}_name")) is not None}
    parties: dict[str, list[OrgRef]] = defaultdict(list)
    for role, oid, name in conn.execute(
        sa.select(PARTY.c.role, ORG.c.id, ORG.c.name)
        .join(ORG, ORG.c.id == PARTY.c.organisation_id)
        .where(PARTY.c.notice_id == notice_id)
        .order_by(PARTY.c.role, ORG.c.name)
    ):
        parties[role].append(OrgRef(oid, name))
    # The notice's own buyer/agency columns first; the party table when they are empty.
    buyer, agency = (named.get(role) or (parties.get(role) or [None])[0] for role in ("buyer", "agency"))
    tags: dict[str, list[str]] = defaultdict(list)
    inherited: list[str] = []
    for facet, value, inh in conn.execute(
        sa.select(TAG.c.facet, TAG.c.value, TAG.c.inherited)
        .where(TAG.c.notice_id == notice_id)
        .order_by(TAG.c.facet, TAG.c.value)
    ):
        tags[facet].append(value)
        if inh:
            inherited.append(value)

    def rows(*columns, table, order) -> list[dict[str, Any]]:
        return [dict(r) for r in conn.execute(
            sa.select(*columns).where(table.c.notice_id == notice_id).order_by(*order)).mappings()]

    a = AMOUNT.c
    at = [c for c in ATTACHMENT.c if c.name != "notice_id"]
    v = VERSION.c
    lk = LINK.c
    return NoticeDetail(
        notice=n, buyer=buyer, agency=agency, vendors=parties.get("vendor", []),
        amounts=rows(a.kind, a.value_cny, a.percent, a.raw, a.currency, a.value, table=AMOUNT, order=[a.id]),
        tags=dict(tags), inherited_flags=inherited,
        attachments=rows(*at, table=ATTACHMENT, order=[ATTACHMENT.c.id]),
        extraction=stored_results(conn, [notice_id]).get(notice_id, {}),
        versions=rows(v.id, v.content_hash, v.raw_sha256, v.title, v.fetched_at, table=VERSION,
                      order=[v.fetched_at, v.id]),
        links=rows(lk.source, lk.url, lk.first_seen, table=LINK, order=[lk.id]),
        procurement=procurement(conn, n),
        reviews=history(conn, notice_id),
    )


def procurement(conn: sa.Connection, notice: dict[str, Any]) -> list[dict[str, Any]]:
    """The notices of this notice's procurement (same procurement_key), oldest first; just the notice itself
    when it has no key. `notice`: a row with id, procurement_key, title, url, source, notice_type,
    published_at, remote_compute."""
    columns = ("id", "title", "url", "source", "notice_type", "published_at", "remote_compute")
    if not notice["procurement_key"]:
        return [{k: notice[k] for k in columns}]
    return [dict(r) for r in conn.execute(
        sa.select(*(NOTICE.c[k] for k in columns))
        .where(NOTICE.c.procurement_key == notice["procurement_key"])
        .order_by(NOTICE.c.published_at.is_(None), NOTICE.c.published_at, NOTICE.c.id)
    ).mappings()]


def notice_ref(conn: sa.Connection, notice_id: int) -> dict[str, Any] | None:
    """Where a notice's stored raw copy is: id url raw_sha256 raw_content_type."""
    from storage.db import is_row_id

    if not is_row_id(conn.dialect.name, notice_id):
        return None
    n = NOTICE.c
    row = conn.execute(sa.select(n.id, n.url, n.raw_sha256, n.raw_content_type).where(n.id == notice_id)).mappings().first()
    return dict(row) if row else None


def attachment_ref(conn: sa.Connection, attachment_id: int) -> dict[str, Any] | None:
    """An attachment's stored bytes and text: id notice_id name url sha256 content_type text."""
    from storage.db import is_row_id

    if not is_row_id(conn.dialect.name, attachment_id):
        return None
    at = ATTACHMENT.c
    row = conn.execute(
        sa.select(at.id, at.notice_id, at.name, at.url, at.sha256, at.content_type, at.text).where(at.id == attachment_id)
    ).mappings().first()
    return dict(row) if row else None


def org_names(conn: sa.Connection, ids: Iterable[Optional[int]]) -> dict[int, str]:
    """Organisation id → name, for the ids that exist."""
    from storage.db import is_row_id

    wanted = sorted({i for i in ids if i is not None and is_row_id(conn.dialect.name, i)})
    out: dict[int, str] = {}
    for chunk in _chunks(wanted):
        out.update((oid, name) for oid, name in conn.execute(sa.select(ORG.c.id, ORG.c.name).where(ORG.c.id.in_(chunk))))
    return out


# ------------------------------------------------------------------------------------------ search hits
@dataclass
class HitExtras:
    """What a list of notices shows beside the search engine's `SearchHit`."""

    published_at: Optional[datetime] = None
    first_seen: Optional[datetime] = None
    last_changed: Optional[datetime] = None
    amount: Optional[float] = None  # the list amount (TOTAL_AMOUNT_KINDS)
    evidence: str = ""  # the sentence that makes it a case (or a possible case)


def hit_extras(conn: sa.Connection, hits: Sequence[Any], *, evidence: bool = True) -> dict[int, HitExtras]:
    """For search hits (`storage.search.SearchHit`): their dates as datetimes, list amount and — for cases and
    possible cases — the evidence sentence (storage.evidence), in a few batched queries."""
    ids = [h.id for h in hits]
    if not ids:
        return {}
    n = NOTICE.c
    out: dict[int, HitExtras] = {}
    for nid, published, first_seen, last_changed in conn.execute(
        sa.select(n.id, n.published_at, n.first_seen, n.last_changed).where(n.id.in_(ids))
    ):
        out[nid] = HitExtras(published, first_seen, last_changed)
    a = AMOUNT.c
    best: dict[int, tuple[int, float]] = {}
    for nid, kind, value in conn.execute(
        sa.select(a.notice_id, a.kind, a.value_cny)
        .where(a.notice_id.in_(ids), a.value_cny.is_not(None), a.kind.in_(TOTAL_AMOUNT_KINDS))
    ):
        key = (-TOTAL_AMOUNT_KINDS.index(kind), value)
        if nid not in best or key > best[nid]:
            best[nid] = key
    for nid, (_, value) in best.items():
        out[nid].amount = value
    if evidence:
        cases = [h.id for h in hits if (h.remote_compute or h.compute_candidate) and h.id in out]
        for nid, sentence in case_sentences(conn, cases).items():
            out[nid].evidence = sentence
    return out


def case_sentences(conn: sa.Connection, notice_ids: Sequence[int]) -> dict[int, str]:
    """notice id → its one evidence sentence (storage.evidence.case_sentence), for notices that have one."""
    evidence = stored_evidence(conn, notice_ids)
    wanted = [nid for nid, items in evidence.items() if items]
    if not wanted:
        return {}
    texts: dict[int, tuple[str, str]] = {}
    docs: dict[int, dict[str, str]] = defaultdict(dict)
    n, at = NOTICE.c, ATTACHMENT.c
    for chunk in _chunks(wanted):
        texts.update((r.id, (r.title or "", r.text or "")) for r in conn.execute(
            sa.select(n.id, n.title, n.text).where(n.id.in_(chunk))))
        for nid, name, text in conn.execute(
            sa.select(at.notice_id, at.name, at.text).where(at.notice_id.in_(chunk)).order_by(at.id.desc())
        ):
            docs[nid][name] = text or ""  # descending: the first attachment of a name wins
    out = {}
    for nid in wanted:
        title, body = texts[nid]
        sentence = case_sentence(evidence[nid], title,
                                 lambda name, nid=nid, body=body: docs[nid].get(name, "") if name else body)
        if sentence:
            out[nid] = sentence
    return out


# ---------------------------------------------------------------------------------------- one organisation
@dataclass
class OrganisationDetail:
    """An organisation: its notices (newest first) with its roles there, the organisations on the same
    notices, and what compute its cases were about. Extend with fields (totals, aliases, networks) as the
    organisation pages grow."""

    id: int
    name: str
    normalised_name: str
    roles: dict[str, int]  # role → notices it had that role on
    total_notices: int
    total_cases: int
    notices: list[dict[str, Any]]  # the newest ORG_NOTICE_LIMIT: id title notice_type published_at
    #                                remote_compute hardware_purchase region procurement_key roles
    by_year: dict[str, dict[str, int]]  # "2024" / "undated" → {"notices": n, "cases": n}
    counterparties: list[dict[str, Any]]  # id name role notices cases, most cases first
    tags: dict[str, list[tuple[str, int]]] = field(default_factory=dict)  # facet → (value, cases), most first

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "name": self.name, "normalised_name": self.normalised_name, "roles": self.roles,
            "total_notices": self.total_notices, "total_cases": self.total_cases,
            "notices": [{**r, "published_at": _iso(r["published_at"])} for r in self.notices],
            "by_year": self.by_year, "counterparties": self.counterparties,
            "compute": {facet: [{"value": v, "count": c} for v, c in values] for facet, values in self.tags.items()},
        }


def read_organisation(conn: sa.Connection, org_id: int, *, notice_limit: int = ORG_NOTICE_LIMIT) -> OrganisationDetail | None:
    from storage.db import is_row_id

    if not is_row_id(conn.dialect.name, org_id):
        return None
    from storage.orgs import canonical_id, canonical_ids, members

    # An organisation is its canonical row with the rows of its variant names (storage/orgs.py).
    org_id = canonical_id(conn, org_id) or org_id
    org = conn.execute(sa.select(ORG.c.id, ORG.c.name, ORG.c.normalised_name).where(ORG.c.id == org_id)).first()
    if org is None:
        return None
    own = members(conn, org_id)
    n, p, t = NOTICE.c, PARTY.c, TAG.c
    # Roles come from the party table and, for robustness, from the notice's own buyer/agency columns.
    roles: dict[int, set[str]] = defaultdict(set)
    for nid, role in conn.execute(
        sa.union_all(
            sa.select(p.notice_id, p.role).where(p.organisation_id.in_(own)),
            sa.select(n.id, sa.literal("buyer")).where(n.buyer_id.in_(own)),
            sa.select(n.id, sa.literal("agency")).where(n.agency_id.in_(own)),
        )
    ):
        roles[nid].add(role)
    ids = list(roles)
    notices: list[dict[str, Any]] = []
    # Counterparties: every other organisation on the same notices, with its role there.
    other_roles: dict[int, set[tuple[int, str]]] = defaultdict(set)
    for chunk in _chunks(ids):
        for r in conn.execute(
            sa.select(n.id, n.title, n.notice_type, n.published_at, n.remote_compute, n.hardware_purchase, n.region,
                      n.procurement_key, n.buyer_id, n.agency_id).where(n.id.in_(chunk))
        ).mappings():
            notices.append({k: r[k] for k in r.keys() if k not in ("buyer_id", "agency_id")} | {"roles": sorted(roles[r["id"]])})
            other_roles[r["id"]] |= {(oid, role) for oid, role in ((r["buyer_id"], "buyer"), (r["agency_id"], "agency"))
                                     if oid is not None}
        for nid, oid, role in conn.execute(sa.select(p.notice_id, p.organisation_id, p.role).where(p.notice_id.in_(chunk))):
            other_roles[nid].add((oid, role))
    notices.sort(key=lambda r: (r["published_at"] is not None, r["published_at"] or 0, r["id"]), reverse=True)
    case_ids = {r["id"] for r in notices if r["remote_compute"]}
    counter: dict[tuple[int, str], dict[str, Any]] = {}
    shown_as = canonical_ids(conn, {oid for pairs in other_roles.values() for oid, _ in pairs})
    for nid, pairs in other_roles.items():
        for oid, role in {(shown_as.get(oid, oid), role) for oid, role in pairs}:
            if oid != org_id:
                entry = counter.setdefault((oid, role), {"id": oid, "role": role, "notices": 0, "cases": 0})
                entry["notices"] += 1
                entry["cases"] += nid in case_ids
    names = org_names(conn, [k[0] for k in counter])
    counterparties = sorted(({**v, "name": names.get(v["id"], f"#{v['id']}")} for v in counter.values()),
                            key=lambda v: (-v["cases"], -v["notices"], v["name"]))
    # What compute the cases were about: an intermediary reselling AWS to many buyers shows here.
    tag_counts: dict[str, Counter] = defaultdict(Counter)
    for chunk in _chunks(sorted(case_ids)):
        for facet, value in conn.execute(sa.select(t.facet, t.value).where(t.notice_id.in_(chunk))):
            tag_counts[facet][value] += 1
    by_year: dict[str, dict[str, int]] = {}
    for r in notices:
        slot = by_year.setdefault(str(r["published_at"].year) if r["published_at"] else "undated", {"notices": 0, "cases": 0})
        slot["notices"] += 1
        slot["cases"] += bool(r["remote_compute"])
    return OrganisationDetail(
        id=org.id, name=org.name, normalised_name=org.normalised_name,
        roles=dict(Counter(role for rs in roles.values() for role in rs)),
        total_notices=len(notices), total_cases=len(case_ids), notices=notices[:notice_limit],
        by_year=dict(sorted(by_year.items())), counterparties=counterparties,
        tags={k: v.most_common() for k, v in tag_counts.items()},
    )


def stats(conn: sa.Connection) -> dict[str, Any]:
    def grouped(column, *where) -> dict[str, int]:
        stmt = sa.select(column, sa.func.count()).group_by(column).order_by(sa.func.count().desc(), column)
        for w in where:
            stmt = stmt.where(w)
        return {str(k) if k is not None else "unknown": v for k, v in conn.execute(stmt).all()}

    def count(table, *where) -> int:
        stmt = sa.select(sa.func.count()).select_from(table)
        for w in where:
            stmt = stmt.where(w)
        return conn.execute(stmt).scalar_one()

    roles = grouped(PARTY.c.role)
    return {
        "notices": count(NOTICE),
        "notices_by_source": grouped(NOTICE.c.source),
        "notices_by_type": grouped(NOTICE.c.notice_type),
        "versions": count(VERSION),
        "republications_linked": count(LINK),
        "attachments": count(ATTACHMENT),
        "attachments_by_status": grouped(ATTACHMENT.c.status),
        "attachments_by_format": grouped(ATTACHMENT.c.format, ATTACHMENT.c.sha256.is_not(None)),
        "organisations": count(ORG),
        "organisation_roles": roles,
        "cases": count(NOTICE, case_condition(NOTICE)),  # after review, as the case list counts them
        # Possible cases (compute evidence short of a case), never counted among the cases.
        "possible_cases": count(NOTICE, NOTICE.c.compute_candidate.is_(True)),
        "hardware_purchases": count(NOTICE, NOTICE.c.hardware_purchase.is_(True)),
        "procurements_linked": conn.execute(
            sa.select(sa.func.count(sa.distinct(NOTICE.c.procurement_key))).where(
                NOTICE.c.procurement_key.is_not(None)
            )
        ).scalar_one(),
        "crawl_runs": count(RUN),
        "crawl_runs_by_status": grouped(RUN.c.status),
        "crawl_errors": count(ERROR),
        "crawl_errors_by_reason": grouped(ERROR.c.reason),
        # Runs in progress, with their heartbeat's age and progress, so another terminal can watch a crawl.
        "crawl_runs_running": [_running(r) for r in running_runs(conn)],
        "extractor_versions": grouped(NOTICE.c.extractor_version),
    }


def running_runs(conn: sa.Connection) -> list[sa.Row]:
    """Runs still `running`: id, spider, host, pid, started_at, heartbeat_at, stats (the progress so far)."""
    run = RUN
    return list(conn.execute(
        sa.select(run.c.id, run.c.spider, run.c.host, run.c.pid, run.c.started_at, run.c.heartbeat_at, run.c.stats)
        .where(run.c.status == "running").order_by(run.c.id)
    ))


def _running(row: sa.Row) -> dict[str, Any]:
    last = row.heartbeat_at or row.started_at
    return {"id": row.id, "spider": row.spider, "host": row.host, "pid": row.pid,
            "started_at": row.started_at.isoformat(timespec="seconds"),
            "heartbeat_age_seconds": round((utcnow() - last).total_seconds()), "progress": row.stats or {}}
