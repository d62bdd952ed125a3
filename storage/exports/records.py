"""Notices as flat records: one read path for the exports (CSV, JSONL, OCDS) and the weekly digest.

Everything a notice row links to (organisations by role, amounts, facet tags, attachments, republications,
the extraction's evidence) is fetched in a few `IN (...)` queries per batch instead of one query per notice,
and every list is put in a Python-defined order, so SQLite and PostgreSQL give the same records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable, Iterator, Optional, Sequence

from sqlmodel import Session, select

from models.tables import (
    Attachment,
    Extraction,
    Notice,
    NoticeAmount,
    NoticeLink,
    NoticeParty,
    NoticeTag,
    Organisation,
)
from storage.evidence import case_sentence, compute_evidence

KIND_ORDER = ("cloud", "gpu_rental", "model_api", "hpc")  # the order extract.types.ComputeFindings uses
BATCH = 500  # notices per IN (...) round trip; well under SQLite's variable limit


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

    @property
    def is_case(self) -> bool:
        """A case as the case list shows it: the extractor's finding unless a reviewer's newest decision says
        otherwise (storage/review.py)."""
        decision = self.review["decision"] if self.review else None
        return decision == "confirmed" or (self.remote_compute and decision != "rejected")

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


def sort_kinds(kinds: Iterable[str]) -> list[str]:
    order = {k: i for i, k in enumerate(KIND_ORDER)}
    return sorted(set(kinds), key=lambda k: (order.get(k, len(order)), k))


def notice_filter(
    *, cases_only: bool = False, since: Optional[datetime] = None, until: Optional[datetime] = None
) -> list[Any]:
    """WHERE clauses on Notice: compute cases only, first seen in [since, until)."""
    where: list[Any] = []
    if cases_only:
        where.append(Notice.remote_compute.is_(True))
    if since is not None:
        where.append(Notice.first_seen >= since)
    if until is not None:
        where.append(Notice.first_seen < until)
    return where


def iter_notice_records(
    session: Session, where: Sequence[Any] = (), *, with_text: bool = False, batch: int = BATCH
) -> Iterator[NoticeRecord]:
    """Records of the notices matching `where`, ordered by (first_seen, id), loaded `batch` at a time."""
    ids = session.exec(select(Notice.id).where(*where).order_by(Notice.first_seen, Notice.id)).all()
    for i in range(0, len(ids), batch):
        yield from load_records(session, ids[i : i + batch], with_text=with_text)


def load_records(session: Session, ids: Sequence[int], *, with_text: bool = False) -> list[NoticeRecord]:
    """Records of the given notices, in the order of `ids`."""
    ids = list(dict.fromkeys(ids))
    if not ids:
        return []
    notices = {n.id: n for n in session.exec(select(Notice).where(Notice.id.in_(ids)))}
    records: dict[int, NoticeRecord] = {}
    for nid in ids:
        n = notices.get(nid)
        if n is None:
            continue
        records[nid] = NoticeRecord(
            id=n.id, source=n.source, url=n.url, external_id=n.external_id, title=n.title or "",
            notice_type=n.notice_type, published_at=n.published_at, bid_deadline=n.bid_deadline,
            region=n.region, project_code=n.project_code, procurement_key=n.procurement_key,
            first_seen=n.first_seen, last_changed=n.last_changed, content_hash=n.content_hash,
            extractor_version=n.extractor_version, remote_compute=bool(n.remote_compute),
            hardware_purchase=bool(n.hardware_purchase), buyer_id=n.buyer_id, agency_id=n.agency_id,
            text=n.text if with_text else "",
            compute_candidate=bool(n.compute_candidate), candidate_score=n.candidate_score,
            candidate_reasons=list(n.candidate_reasons or []),
        )
    if not records:
        return []
    keys = list(records)

    # Organisations: the buyer and agency columns, and the winners from NoticeParty.
    parties = session.exec(select(NoticeParty).where(NoticeParty.notice_id.in_(keys))).all()
    org_ids = {p.organisation_id for p in parties}
    org_ids |= {r.buyer_id for r in records.values() if r.buyer_id} | {
        r.agency_id for r in records.values() if r.agency_id}
    names = dict(session.exec(select(Organisation.id, Organisation.name).where(Organisation.id.in_(org_ids))).all()) \
        if org_ids else {}
    for r in records.values():
        r.buyer = names.get(r.buyer_id) if r.buyer_id else None
        r.agency = names.get(r.agency_id) if r.agency_id else None
    for p in parties:
        r = records[p.notice_id]
        if p.role == "buyer" and r.buyer is None:
            r.buyer, r.buyer_id = names.get(p.organisation_id), p.organisation_id
        elif p.role == "agency" and r.agency is None:
            r.agency, r.agency_id = names.get(p.organisation_id), p.organisation_id
        elif p.role == "vendor":
            r.vendors.append((p.organisation_id, names.get(p.organisation_id, "")))
    for r in records.values():
        r.vendors.sort(key=lambda v: (v[1], v[0]))

    for a in session.exec(select(NoticeAmount).where(NoticeAmount.notice_id.in_(keys)).order_by(NoticeAmount.id)):
        records[a.notice_id].amounts.append(
            {"kind": a.kind, "value_cny": a.value_cny, "percent": a.percent, "raw": a.raw,
             "currency": a.currency, "value": a.value})

    facets: dict[int, dict[str, set[str]]] = {}
    for t in session.exec(select(NoticeTag).where(NoticeTag.notice_id.in_(keys))):
        facets.setdefault(t.notice_id, {}).setdefault(t.facet, set()).add(t.value)
    for nid, f in facets.items():
        r = records[nid]
        r.kinds = sort_kinds(f.get("kind", ()))
        r.providers = sorted(f.get("provider", ()))
        r.chips = sorted(f.get("chip", ()))
        r.flags = sorted(f.get("flag", ()))

    att_cols = [Attachment.notice_id, Attachment.id, Attachment.url, Attachment.name, Attachment.content_type,
                Attachment.status, Attachment.size]
    if with_text:
        att_cols.append(Attachment.text)
    for row in session.exec(select(*att_cols).where(Attachment.notice_id.in_(keys)).order_by(Attachment.id)):
        records[row.notice_id].attachments.append({
            "id": row.id, "url": row.url, "name": row.name, "content_type": row.content_type,
            "status": row.status, "size": row.size, "text": row.text if with_text else "",
        })

    for link in session.exec(select(NoticeLink).where(NoticeLink.notice_id.in_(keys)).order_by(NoticeLink.id)):
        records[link.notice_id].links.append({"source": link.source, "url": link.url})

    from storage.review import latest

    for nid, decision in latest(session.connection(), keys).items():
        records[nid].review = decision

    # The extraction of the notice's current extractor version; else its newest.
    chosen: dict[int, Extraction] = {}
    for e in session.exec(select(Extraction).where(Extraction.notice_id.in_(keys)).order_by(Extraction.id)):
        current = records[e.notice_id].extractor_version
        if e.notice_id not in chosen or chosen[e.notice_id].extractor_version != current:
            chosen[e.notice_id] = e
    for nid, e in chosen.items():
        evidence = (e.result or {}).get("evidence") or []
        records[nid].evidence = [dict(ev) for ev in evidence if isinstance(ev, dict)]

    return list(records.values())
