"""Notices as flat records for the exports (CSV, JSONL, OCDS) and the weekly digest, built from the read model
(storage/reading.py: its tables, organisation names and extraction choice), in SQLAlchemy Core.

Everything a notice row links to (organisations by role, amounts, facet tags, attachments, republications,
the extraction's evidence) is fetched in a few `IN (...)` queries per batch instead of one query per notice,
and every list is put in a Python-defined order, so SQLite and PostgreSQL give the same records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterator, Optional, Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from extract.compute.vocabulary import sort_kinds
from models.tables import AMOUNT, ATTACHMENT, LINK, NOTICE, ORG, PARTY, TAG
from storage.evidence import case_sentence, compute_evidence, stored_evidence
from storage.pgcopy import one_of
from storage.reading import connection_of, org_names
from storage.review import case_condition, is_case

BATCH = 500  # notices per IN (...) round trip; well under SQLite's variable limit (999 before SQLite 3.32)
# On PostgreSQL a batch is one array parameter (storage.pgcopy.one_of: the same statement every batch, rendered
# and prepared once), so larger: an export of a million notices makes ~13 queries per batch, and the batch size
# sets how much of its time is round trips.
PG_BATCH = 2000


def batch_size(conn: sa.Connection) -> int:
    return PG_BATCH if conn.dialect.name == "postgresql" else BATCH


@dataclass
class NoticeRecord:
    id: int
    source: str
    url: str
    external_id: Optional[str]
    title: str
    notice_type: Optional[str]
    published_at: Optional[datetime]
    bid_deadline: Optional[datetime]
    region: Optional[str]
    project_code: Optional[str]
    procurement_key: Optional[str]
    first_seen: datetime
    last_changed: datetime
    content_hash: str
    extractor_version: Optional[str]
    remote_compute: bool
    hardware_purchase: bool
    buyer: Optional[str] = None
    agency: Optional[str] = None
    buyer_id: Optional[int] = None
    agency_id: Optional[int] = None
    vendors: list[tuple[int, str]] = field(default_factory=list)  # (organisation id, name), winners
    amounts: list[dict[str, Any]] = field(default_factory=list)  # kind value_cny percent raw currency value
    kinds: list[str] = field(default_factory=list)
    providers: list[str] = field(default_factory=list)
    chips: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    evidence: list[dict[str, Any]] = field(default_factory=list)  # extract.types.Evidence as JSON
    attachments: list[dict[str, Any]] = field(default_factory=list)  # id url name content_type status
    links: list[dict[str, Any]] = field(default_factory=list)  # other places it was published: source url
    text: str = ""
    review: Optional[dict[str, Any]] = None  # the newest review decision (storage.review), None when not reviewed
    # A possible case: compute evidence short of a case (never a case), its score and why it fell short.
    compute_candidate: bool = False
    candidate_score: Optional[float] = None
    candidate_reasons: list[str] = field(default_factory=list)
    # Its buyer's, agency's and vendors' screening-list candidates (storage.screening.notice_screening).
    screening: list[dict[str, Any]] = field(default_factory=list)

    @property
    def is_case(self) -> bool:
        """A case as the case list shows it: the extractor's finding unless a reviewer's newest decision says
        otherwise (storage/review.py)."""
        return is_case(self.remote_compute, self.review["decision"] if self.review else None)

    @property
    def case_key(self) -> str:
        """The procurement this notice belongs to: its procurement_key, or the notice alone."""
        return self.procurement_key or f"notice-{self.id}"

    @property
    def vendor_names(self) -> list[str]:
        return [name for _, name in self.vendors]

    def amount(self, kind: str) -> Optional[float]:
        """The largest stated amount of a kind: where a notice gives lots and a total, the total."""
        values = [a["value_cny"] for a in self.amounts if a["kind"] == kind and a["value_cny"] is not None]
        return max(values) if values else None

    def stated_money(self, kind: str) -> set[tuple[float, str]]:
        """Every amount of a kind with its currency: in yuan where the notice gives yuan (or a rate to it), else
        as stated (HK$, MOP, NT$ … are not converted)."""
        out = set()
        for a in self.amounts:
            if a["kind"] != kind:
                continue
            if a["value_cny"] is not None:
                out.add((a["value_cny"], "CNY"))
            elif a.get("value") is not None and a.get("currency"):
                out.add((a["value"], a["currency"]))
        return out

    def money(self, kind: str) -> Optional[tuple[float, str]]:
        """The largest amount of a kind with its currency: in yuan when there is any, else in the one other
        currency the notice states it in."""
        stated = self.stated_money(kind)
        cny = [m for m in stated if m[1] == "CNY"]
        if cny or len({c for _, c in stated}) == 1:
            return max(cny or stated)
        return None

    def compute_evidence(self) -> list[dict[str, Any]]:
        """The evidence for the compute findings (not for the notice fields), best first."""
        return compute_evidence(self.evidence)

    def evidence_sentence(self) -> Optional[str]:
        """The evidence sentence of this notice, as storage.evidence chooses it for every list and export
        (needs the record loaded with_text)."""
        documents = {a["name"]: a["text"] for a in reversed(self.attachments)}  # the first of a name wins
        return case_sentence(self.evidence, self.title, lambda name: documents.get(name, "") if name else self.text)


def notice_filter(
    *, cases_only: bool = False, since: Optional[datetime] = None, until: Optional[datetime] = None
) -> list[Any]:
    """WHERE clauses on Notice: compute cases only, first seen in [since, until)."""
    where: list[Any] = []
    if cases_only:  # cases after review, as the case list shows them
        where.append(case_condition(NOTICE))
    if since is not None:
        where.append(NOTICE.c.first_seen >= since)
    if until is not None:
        where.append(NOTICE.c.first_seen < until)
    return where


def iter_notice_records(
    db: sa.Connection | Session, where: Sequence[Any] = (), *, with_text: bool = False, batch: int | None = None
) -> Iterator[NoticeRecord]:
    """Records of the notices matching `where`, ordered by (first_seen, id), loaded `batch` at a time (default
    `batch_size`; only the ids are held for the whole run: memory stays bounded however many notices match)."""
    conn = connection_of(db)
    batch = batch or batch_size(conn)
    n = NOTICE.c
    ids = conn.execute(sa.select(n.id).where(*where).order_by(n.first_seen, n.id)).scalars().all()
    for i in range(0, len(ids), batch):
        yield from load_records(conn, ids[i : i + batch], with_text=with_text)


def load_records(db: sa.Connection | Session, ids: Sequence[int], *, with_text: bool = False) -> list[NoticeRecord]:
    """Records of the given notices, in the order of `ids` (at most a few hundred: one IN (...) each)."""
    from storage.review import latest
    from storage.screening import notice_screening

    conn = connection_of(db)
    ids = list(dict.fromkeys(ids))
    if not ids:
        return []
    n = NOTICE.c
    columns = [n.id, n.source, n.url, n.external_id, n.title, n.notice_type, n.published_at, n.bid_deadline,
               n.region, n.project_code, n.procurement_key, n.first_seen, n.last_changed, n.content_hash,
               n.extractor_version, n.remote_compute, n.hardware_purchase, n.buyer_id, n.agency_id,
               n.compute_candidate, n.candidate_score, n.candidate_reasons]
    if with_text:
        columns.append(n.text)
    notices = {row["id"]: row for row in conn.execute(sa.select(*columns).where(one_of(conn, n.id, ids))).mappings()}
    records: dict[int, NoticeRecord] = {}
    for nid in ids:
        row = notices.get(nid)
        if row is None:
            continue
        records[nid] = NoticeRecord(
            id=row["id"], source=row["source"], url=row["url"], external_id=row["external_id"],
            title=row["title"] or "", notice_type=row["notice_type"], published_at=row["published_at"],
            bid_deadline=row["bid_deadline"], region=row["region"], project_code=row["project_code"],
            procurement_key=row["procurement_key"], first_seen=row["first_seen"], last_changed=row["last_changed"],
            content_hash=row["content_hash"], extractor_version=row["extractor_version"],
            remote_compute=bool(row["remote_compute"]), hardware_purchase=bool(row["hardware_purchase"]),
            buyer_id=row["buyer_id"], agency_id=row["agency_id"], text=row["text"] if with_text else "",
            compute_candidate=bool(row["compute_candidate"]), candidate_score=row["candidate_score"],
            candidate_reasons=list(row["candidate_reasons"] or []),
        )
    if not records:
        return []
    keys = list(records)

    # Organisations: the notice's own buyer and agency columns first, the party table when they are empty
    # (its first of the role by name, as read_notice chooses), and the winners from the party table. Sorted
    # in Python, not by the database's collation, so SQLite and PostgreSQL agree.
    names = org_names(conn, [i for r in records.values() for i in (r.buyer_id, r.agency_id)])
    for r in records.values():
        r.buyer = names.get(r.buyer_id) if r.buyer_id else None
        r.agency = names.get(r.agency_id) if r.agency_id else None
    p = PARTY.c
    parties = conn.execute(
        sa.select(p.notice_id, p.role, ORG.c.id, ORG.c.name).join(ORG, ORG.c.id == p.organisation_id)
        .where(one_of(conn, p.notice_id, keys))
    ).all()
    for nid, role, oid, name in sorted(parties, key=lambda row: (row[0], row[1], row[3], row[2])):
        r = records[nid]
        if role == "buyer" and r.buyer is None:
            r.buyer, r.buyer_id = name, oid
        elif role == "agency" and r.agency is None:
            r.agency, r.agency_id = name, oid
        elif role == "vendor":
            r.vendors.append((oid, name))  # in (name, id) order

    a = AMOUNT.c
    for row in conn.execute(
        sa.select(a.notice_id, a.kind, a.value_cny, a.percent, a.raw, a.currency, a.value)
        .where(one_of(conn, a.notice_id, keys)).order_by(a.id)
    ).mappings():
        records[row["notice_id"]].amounts.append({k: v for k, v in row.items() if k != "notice_id"})

    facets: dict[int, dict[str, set[str]]] = {}
    t = TAG.c
    tags = sa.select(t.notice_id, t.facet, t.value).where(one_of(conn, t.notice_id, keys))
    for nid, facet, value in conn.execute(tags):
        facets.setdefault(nid, {}).setdefault(facet, set()).add(value)
    for nid, f in facets.items():
        r = records[nid]
        r.kinds = sort_kinds(f.get("kind", ()))
        r.providers = sorted(f.get("provider", ()))
        r.chips = sorted(f.get("chip", ()))
        r.flags = sorted(f.get("flag", ()))

    at = ATTACHMENT.c
    att_cols = [at.notice_id, at.id, at.url, at.name, at.content_type, at.status, at.size]
    if with_text:
        att_cols.append(at.text)
    for row in conn.execute(sa.select(*att_cols).where(one_of(conn, at.notice_id, keys)).order_by(at.id)).mappings():
        records[row["notice_id"]].attachments.append({
            "id": row["id"], "url": row["url"], "name": row["name"], "content_type": row["content_type"],
            "status": row["status"], "size": row["size"], "text": row["text"] if with_text else "",
        })

    lk = LINK.c
    for nid, source, url in conn.execute(
        sa.select(lk.notice_id, lk.source, lk.url).where(one_of(conn, lk.notice_id, keys)).order_by(lk.id)
    ):
        records[nid].links.append({"source": source, "url": url})

    for nid, decision in latest(conn, keys).items():
        records[nid].review = decision
    # The extraction a notice shows: one rule for every reader (storage.evidence.stored_results).
    for nid, evidence in stored_evidence(conn, keys).items():
        records[nid].evidence = evidence
    for nid, hits in notice_screening(conn, keys).items():
        records[nid].screening = hits

    return list(records.values())
