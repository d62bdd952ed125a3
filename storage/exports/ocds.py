"""OCDS 1.1 release packages: one release per stored notice, one ocid per procurement.

The mapping (which notice type gives which release tag, who is buyer / procuringEntity / supplier, where
budgets, award values and documents go) and the `computeFindings` extension are documented in
docs/ocds-extension.md; the extension itself (extension.json, release-schema.json) is in ocds_extension/.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Iterable, Optional, Sequence
from urllib.parse import quote

from sqlalchemy import func
from sqlmodel import Session, select

from models.tables import Notice
from storage.exports.records import BATCH, NoticeRecord, iter_notice_records
from storage.exports.tabular import utc_stamp

OCDS_VERSION = "1.1"
# Not a registered prefix: only the Open Contracting Partnership issues them. Anyone publishing these
# releases should register one and pass it with --ocid-prefix or TENDERWATCH_OCID_PREFIX.
DEFAULT_OCID_PREFIX = "ocds-twatch"
CHINA_OFFSET = "+08:00"  # dates printed on notices are Beijing time
EXTENSION_DIR = Path(__file__).resolve().parent / "ocds_extension"
EXTENSION_METADATA = EXTENSION_DIR / "extension.json"
EXTENSION_SCHEMA = EXTENSION_DIR / "release-schema.json"

RELEASE_TAG = {
    "intention": "planning",
    "tender": "tender",
    "correction": "tenderAmendment",
    "cancellation": "tenderCancellation",
    "award": "award",
    "contract": "contract",
}
TENDER_STATUS = {"intention": "planned", "tender": "active", "correction": "active", "cancellation": "cancelled",
                 "award": "complete", "contract": "complete"}
NOTICE_DOCUMENT_TYPE = {
    "intention": "procurementPlan", "tender": "tenderNotice", "correction": "clarifications",
    "cancellation": "cancellationDetails", "award": "awardNotice", "contract": "contractNotice",
}
KIND_DESCRIPTION = {
    "cloud": "Cloud computing resources",
    "gpu_rental": "Rented GPU / accelerator capacity",
    "model_api": "Hosted AI model access (API calls or tokens)",
    "hpc": "Supercomputing centre time",
}


class ExportError(RuntimeError):
    pass


def ocid_prefix(explicit: Optional[str] = None) -> str:
    return explicit or os.environ.get("TENDERWATCH_OCID_PREFIX") or DEFAULT_OCID_PREFIX


def local_datetime(value: Optional[datetime]) -> Optional[str]:
    return None if value is None else value.replace(microsecond=0).isoformat() + CHINA_OFFSET


def release_date(r: NoticeRecord) -> str:
    """When the information was first published: the notice's own date, else when we first saw it."""
    return local_datetime(r.published_at) or utc_stamp(r.first_seen)


def _value(money: Optional[tuple[float, str]]) -> Optional[dict[str, Any]]:
    return None if money is None else {"amount": money[0], "currency": money[1]}


def _prune(obj: Any) -> Any:
    """Drop None values and empty lists/objects: OCDS prefers absent fields to empty ones."""
    if isinstance(obj, dict):
        out = {k: _prune(v) for k, v in obj.items()}
        return {k: v for k, v in out.items() if v not in (None, [], {})}
    if isinstance(obj, list):
        return [_prune(v) for v in obj]
    return obj


def to_uri(url: str) -> str:
    """An IRI as a URI (RFC 3987 §3.1): notice and attachment URLs often hold Chinese file names, which
    OCDS's format "uri" does not allow raw. Existing %-escapes and reserved characters are kept."""
    return quote(url.strip(), safe=":/?#[]@!$&'()*+,;=%~")


def _media_type(content_type: Optional[str]) -> Optional[str]:
    if not content_type:
        return None
    media = content_type.split(";")[0].strip().lower()
    return media if "/" in media else None


def build_release(r: NoticeRecord, ocid: str) -> dict[str, Any]:
    ntype = r.notice_type or "other"
    release_id = f"{r.source}-{r.id}-{r.content_hash[:8]}"  # a changed page is a new release

    parties: dict[int, dict[str, Any]] = {}

    def party(org_id: int, name: str, role: str) -> dict[str, str]:
        p = parties.setdefault(org_id, {"id": f"TW-ORG-{org_id}", "name": name, "roles": []})
        if role not in p["roles"]:
            p["roles"].append(role)
        return {"id": p["id"], "name": name}

    buyer = party(r.buyer_id, r.buyer, "buyer") if r.buyer_id and r.buyer else None
    if r.agency_id and r.agency:
        procuring = party(r.agency_id, r.agency, "procuringEntity")
    elif buyer:  # no agency named: the buyer runs the procurement itself
        procuring = party(r.buyer_id, r.buyer, "procuringEntity")
    else:
        procuring = None
    suppliers = [party(oid, name, "supplier") for oid, name in r.vendors if name]

    notice_doc = {
        "id": f"notice-{r.id}", "documentType": NOTICE_DOCUMENT_TYPE.get(ntype, "tenderNotice"),
        "title": r.title, "url": to_uri(r.url), "format": "text/html", "language": "zh",
        "datePublished": local_datetime(r.published_at),
    }
    documents = [notice_doc]
    documents += [
        {"id": f"attachment-{a['id']}", "title": a["name"] or None, "url": to_uri(a["url"]),
         "format": _media_type(a["content_type"]), "language": "zh"}
        for a in r.attachments
    ]
    documents += [
        {"id": f"republished-{i}", "documentType": notice_doc["documentType"],
         "title": f"{r.title} ({link['source']})", "url": to_uri(link["url"]), "format": "text/html",
         "language": "zh"}
        for i, link in enumerate(r.links, 1)
    ]
    awarded = ntype in ("award", "contract")

    if r.remote_compute and r.kinds:
        items = [{"id": kind, "description": " ".join(
            [KIND_DESCRIPTION.get(kind, kind)] + ([f"({', '.join(r.providers)})"] if r.providers else []))}
            for kind in r.kinds]
    else:
        items = [{"id": "1", "description": r.title}] if r.title else []
    category = "services" if r.remote_compute else ("goods" if r.hardware_purchase else None)

    tender = {
        "id": r.project_code or f"{r.source}-{r.id}",
        "title": r.title,
        "status": TENDER_STATUS.get(ntype),
        "procuringEntity": procuring,
        "value": _value(r.money("budget")),
        "items": items,
        "mainProcurementCategory": category,
        "tenderPeriod": {"endDate": local_datetime(r.bid_deadline)},
        "documents": [] if awarded else documents,
    }

    release: dict[str, Any] = {
        "ocid": ocid,
        "id": release_id,
        "date": release_date(r),
        "tag": [RELEASE_TAG.get(ntype, "tender")],
        "initiationType": "tender",
        "language": "zh",
        "parties": list(parties.values()),
        "buyer": buyer,
        "tender": tender,
    }
    if ntype == "intention":
        release["planning"] = {"budget": {"amount": _value(r.money("budget"))}}
    if awarded:
        award_values = r.stated_money("award")
        award = {
            "id": f"{release_id}-award",
            "title": r.title,
            "status": "active",
            "date": release_date(r),
            # A value only when the notice states exactly one award amount: lot-by-lot amounts are not
            # guessed onto suppliers (the JSONL export keeps every amount).
            "value": _value(award_values.pop()) if len(award_values) == 1 else None,
            "suppliers": suppliers,
            "documents": documents if ntype == "award" else [],
        }
        release["awards"] = [award]
        if ntype == "contract":
            release["contracts"] = [{
                "id": f"{release_id}-contract", "awardID": award["id"], "title": r.title, "status": "active",
                "value": award["value"], "documents": documents,
            }]
    out = _prune(release)
    # The findings keep false and empty values: "no provider named" is a finding, not a missing field.
    out["computeFindings"] = {
        "remoteCompute": r.remote_compute,
        "hardwarePurchase": r.hardware_purchase,
        "kinds": r.kinds,
        "cloudProviders": r.providers,
        "accelerators": r.chips,
        "flags": r.flags,
        "evidence": [
            _prune({"field": e.get("field"), "text": e.get("text"), "document": e.get("document") or None,
                    "start": e.get("start"), "end": e.get("end")})
            for e in r.evidence
        ],
    }
    if r.extractor_version:
        out["computeFindings"]["extractorVersion"] = r.extractor_version
    return out


def ocids_for(session: Session, records: Sequence[NoticeRecord], prefix: str) -> dict[int, str]:
    """ocid per notice: prefix, then source and id of the procurement's earliest stored notice, so a tender
    and its correction and award share one contracting process."""
    keys = sorted({r.procurement_key for r in records if r.procurement_key})
    first: dict[str, tuple[datetime, int, str]] = {}
    for i in range(0, len(keys), BATCH):
        rows = session.exec(
            select(Notice.procurement_key, Notice.first_seen, Notice.id, Notice.source)
            .where(Notice.procurement_key.in_(keys[i : i + BATCH]))
        ).all()
        for key, seen, nid, source in rows:
            if key not in first or (seen, nid) < first[key][:2]:
                first[key] = (seen, nid, source)
    out = {}
    for r in records:
        seen, nid, source = first.get(r.procurement_key, (r.first_seen, r.id, r.source)) \
            if r.procurement_key else (r.first_seen, r.id, r.source)
        out[r.id] = f"{prefix}-{source}-{nid}"
    return out


def write_release_package(
    session: Session,
    where: Sequence[Any],
    out: IO[str],
    *,
    prefix: Optional[str] = None,
    uri: str,
    publisher: str = "tenderwatch",
    extension_urls: Iterable[str] = (),
) -> int:
    """Stream a release package of the notices matching `where` to `out`; returns the number of releases."""
    prefix = ocid_prefix(prefix)
    count, published = session.exec(select(func.count(Notice.id), func.max(Notice.last_changed)).where(*where)).one()
    if not count:
        raise ExportError("no notices match: an OCDS release package needs at least one release")
    header = _prune({
        "uri": to_uri(uri),
        "version": OCDS_VERSION,
        "extensions": list(extension_urls),
        "publishedDate": utc_stamp(published),  # the data's own latest change: re-exports are reproducible
        "publisher": {"name": publisher},
    })
    head = json.dumps(header, ensure_ascii=False, indent=2)
    out.write(head[:-2] + ',\n  "releases": [\n')
    n = 0
    batch: list[NoticeRecord] = []

    def flush() -> None:
        nonlocal n
        ocids = ocids_for(session, batch, prefix)
        for r in batch:
            text = json.dumps(build_release(r, ocids[r.id]), ensure_ascii=False, indent=2)
            out.write((",\n" if n else "") + "\n".join("    " + line for line in text.splitlines()))
            n += 1
        batch.clear()

    for record in iter_notice_records(session, where):
        batch.append(record)
        if len(batch) >= BATCH:
            flush()
    flush()
    out.write("\n  ]\n}\n")
    return n
