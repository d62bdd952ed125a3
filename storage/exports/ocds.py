"""OCDS 1.1 release packages (one release per stored notice, one ocid per procurement) and record packages
(per ocid: its releases and the compiled release, merged as OCDS's merge routine does).

The mapping (which notice type gives which release tag, who is buyer / procuringEntity / supplier, where
budgets, award values and documents go) and the `computeFindings` extension are documented in
docs/ocds-extension.md; the extension itself (extension.json, release-schema.json) is in ocds_extension/.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Optional, Sequence
from urllib.parse import quote, urljoin, urlsplit

import sqlalchemy as sa

from extract.compute import vocabulary
from models.tables import NOTICE
from storage.exports.records import NoticeRecord, batch_size, iter_notice_records, load_records
from storage.exports.tabular import utc_stamp
from storage.pgcopy import one_of

OCDS_VERSION = "1.1"
# Not a registered prefix: only the Open Contracting Partnership issues them. Anyone publishing these
# releases should register one and pass it with --ocid-prefix or TENDERWATCH_OCID_PREFIX.
DEFAULT_OCID_PREFIX = "ocds-twatch"
CHINA_OFFSET = "+08:00"  # dates printed on notices are Beijing time
EXTENSION_DIR = Path(__file__).resolve().parent / "ocds_extension"
EXTENSION_METADATA = EXTENSION_DIR / "extension.json"
EXTENSION_SCHEMA = EXTENSION_DIR / "release-schema.json"
# Where `tenderwatch serve` publishes the extension (web/views/ocds.py): extension.json, release-schema.json
# beside it (extension.json names its schemas relative to itself), and the documentation page.
EXTENSION_PATH = "/ocds/extension/"
# Without a site (no TENDERWATCH_PUBLIC_URL / --public-url), the export writes the extension into this folder
# beside the package and declares it relative to the package; on standard output there is no beside, and the
# package declares this placeholder (.invalid is reserved for exactly that, RFC 2606) — a valid URL that no
# tool will mistake for a real copy.
EXTENSION_COPY = "ocds-extension"
EXTENSION_PLACEHOLDER = "https://tenderwatch.invalid" + EXTENSION_PATH + "extension.json"

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
class ExportError(RuntimeError):
    pass


@dataclass
class PackageMeta:
    """The package's metadata, decided by the caller (`tenderwatch export` options / TENDERWATCH_OCDS_*)."""

    uri: str
    publisher: str = "tenderwatch"
    publisher_scheme: Optional[str] = None  # an org-id.guide scheme, e.g. "GB-COH"
    publisher_uid: Optional[str] = None  # the publisher's id in that scheme
    publisher_uri: Optional[str] = None
    license: Optional[str] = None  # the canonical URI of the data's licence
    publication_policy: Optional[str] = None  # URL of the publisher's publication policy
    extensions: list[str] = field(default_factory=list)  # URLs of extension.json files

    def header(self, published: Optional[datetime]) -> dict[str, Any]:
        return _prune({
            "uri": to_uri(self.uri),
            "version": OCDS_VERSION,
            "extensions": [to_uri(u) for u in self.extensions],
            "publishedDate": utc_stamp(published),  # the data's own latest change: re-exports are reproducible
            "publisher": {"name": self.publisher, "scheme": self.publisher_scheme, "uid": self.publisher_uid,
                          "uri": to_uri(self.publisher_uri) if self.publisher_uri else None},
            "license": to_uri(self.license) if self.license else None,
            "publicationPolicy": to_uri(self.publication_policy) if self.publication_policy else None,
        })


def extension_url(public_url: str) -> str:
    """The URL of extension.json where the tenderwatch site at `public_url` serves it."""
    return public_url.rstrip("/") + EXTENSION_PATH + "extension.json"


def extension_metadata(public_url: str) -> dict[str, Any]:
    """extension.json as served at `public_url`: its documentationUrl points at the served documentation."""
    return _metadata(public_url.rstrip("/") + EXTENSION_PATH)


def _metadata(documentation_url: str) -> dict[str, Any]:
    meta = json.loads(EXTENSION_METADATA.read_text(encoding="utf-8"))
    meta["documentationUrl"] = {"en": documentation_url}
    return meta


def extension_beside(package_uri: str) -> Optional[str]:
    """Where a package published without a tenderwatch site declares the extension: ocds-extension/extension.json
    relative to the package's own uri (a file: or http(s) URL), None when the uri has no place to be relative
    to (a URN: the package went to standard output)."""
    if urlsplit(package_uri).scheme.lower() not in ("file", "http", "https"):
        return None
    return urljoin(package_uri, EXTENSION_COPY + "/extension.json")


def write_extension_copy(folder: Path, url: str) -> None:
    """The extension's files (extension.json, release-schema.json, README.md) in `folder`, extension.json
    documented by the README beside it: publish the folder with the package and `url` resolves."""
    folder.mkdir(parents=True, exist_ok=True)
    meta = json.dumps(_metadata(urljoin(url, "README.md")), ensure_ascii=False, indent=2) + "\n"
    (folder / "extension.json").write_text(meta, encoding="utf-8")
    for source in (EXTENSION_SCHEMA, EXTENSION_DIR / "README.md"):
        shutil.copyfile(source, folder / source.name)


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


def kind_description(kind: str) -> str:
    term = vocabulary.terms("kind").get(kind)
    return term.description if term else vocabulary.pretty(kind)


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
        # One item per kind sought, described as the vocabulary describes it, with the providers by their labels.
        named = ", ".join(vocabulary.label("provider", p) for p in r.providers)
        items = [{"id": kind, "description": kind_description(kind) + (f" ({named})" if named else "")}
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


def ocids_for(conn: sa.Connection, records: Sequence[Any], prefix: str) -> dict[int, str]:
    """ocid per notice (records: anything with id, source, first_seen, procurement_key): prefix, then source and
    id of the procurement's earliest stored notice, so a tender and its correction and award share one
    contracting process."""
    n = NOTICE.c
    keys = sorted({r.procurement_key for r in records if r.procurement_key})
    first: dict[str, tuple[datetime, int, str]] = {}
    size = batch_size(conn)
    for i in range(0, len(keys), size):
        rows = conn.execute(
            sa.select(n.procurement_key, n.first_seen, n.id, n.source)
            .where(one_of(conn, n.procurement_key, keys[i : i + size]))
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


def _matching(conn: sa.Connection, where: Sequence[Any]) -> Optional[datetime]:
    """The latest change among the notices matching `where`; an error when none match (a package needs one)."""
    n = NOTICE.c
    count, published = conn.execute(sa.select(sa.func.count(n.id), sa.func.max(n.last_changed)).where(*where)).one()
    if not count:
        raise ExportError("no notices match: an OCDS package needs at least one release")
    return published


def _open_package(out: IO[str], meta: PackageMeta, published: Optional[datetime], key: str) -> None:
    head = json.dumps(meta.header(published), ensure_ascii=False, indent=2)
    out.write(head[:-2] + f',\n  "{key}": [\n')


def _write_item(out: IO[str], item: dict[str, Any], first: bool) -> None:
    text = json.dumps(item, ensure_ascii=False, indent=2)
    out.write(("" if first else ",\n") + "\n".join("    " + line for line in text.splitlines()))


def write_release_package(
    conn: sa.Connection, where: Sequence[Any], out: IO[str], meta: PackageMeta, *, prefix: Optional[str] = None
) -> int:
    """Stream a release package of the notices matching `where` to `out`; returns the number of releases."""
    prefix = ocid_prefix(prefix)
    _open_package(out, meta, _matching(conn, where), "releases")
    n = 0
    batch: list[NoticeRecord] = []

    def flush() -> None:
        nonlocal n
        ocids = ocids_for(conn, batch, prefix)
        for r in batch:
            _write_item(out, build_release(r, ocids[r.id]), n == 0)
            n += 1
        batch.clear()

    size = batch_size(conn)
    for record in iter_notice_records(conn, where, batch=size):
        batch.append(record)
        if len(batch) >= size:
            flush()
    flush()
    out.write("\n  ]\n}\n")
    return n


# --- records: the releases of one ocid and its compiled release ---------------------------------------------


def release_order(release: dict[str, Any]) -> tuple[datetime, str]:
    """Date order across time zones (notice dates are +08:00, first-seen times Z), then id."""
    return datetime.fromisoformat(release["date"].replace("Z", "+00:00")), release["id"]


def merge_releases(releases: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The compiled release of one ocid, by OCDS's merge routine: releases in date order, each field's latest
    value wins; objects merge field by field; arrays of objects with an `id` merge item by item (parties,
    awards, contracts, documents, items); other arrays are replaced whole."""
    ordered = sorted(releases, key=release_order)
    compiled: dict[str, Any] = {}
    for release in ordered:
        compiled = _merge(compiled, release)
    compiled["id"] = f"{ordered[-1]['ocid']}-{ordered[-1]['date']}"
    compiled["tag"] = ["compiled"]
    return compiled


def _merge(old: Any, new: Any) -> Any:
    if isinstance(old, dict) and isinstance(new, dict):
        out = dict(old)
        for key, value in new.items():
            out[key] = _merge(old.get(key), value)
        return out
    if (isinstance(old, list) and isinstance(new, list) and new
            and all(isinstance(x, dict) and "id" in x for x in old + new)):
        merged = {item["id"]: item for item in old}
        for item in new:
            merged[item["id"]] = _merge(merged.get(item["id"]), item)
        return list(merged.values())
    return copy.deepcopy(new)


def write_record_package(
    conn: sa.Connection, where: Sequence[Any], out: IO[str], meta: PackageMeta, *, prefix: Optional[str] = None
) -> int:
    """Stream a record package of the notices matching `where`: one record per ocid with its releases (in date
    order) and its compiled release. Returns the number of records."""
    prefix = ocid_prefix(prefix)
    _open_package(out, meta, _matching(conn, where), "records")
    # First pass: which notices make up each ocid (light rows); second: the records, a batch of ocids at a time.
    ids_by_ocid: dict[str, list[int]] = {}
    n = NOTICE.c
    rows = conn.execute(sa.select(n.id, n.procurement_key, n.first_seen, n.source)
                        .where(*where).order_by(n.first_seen, n.id)).all()
    size = batch_size(conn)
    for i in range(0, len(rows), size):
        for nid, ocid in ocids_for(conn, rows[i : i + size], prefix).items():
            ids_by_ocid.setdefault(ocid, []).append(nid)

    n = 0
    ocids = sorted(ids_by_ocid)
    for i in range(0, len(ocids), size):
        group = ocids[i : i + size]
        ids = [nid for ocid in group for nid in ids_by_ocid[ocid]]
        by_id = {r.id: r for start in range(0, len(ids), size)
                 for r in load_records(conn, ids[start : start + size])}
        for ocid in group:
            releases = sorted((build_release(by_id[nid], ocid) for nid in ids_by_ocid[ocid] if nid in by_id),
                              key=release_order)
            _write_item(out, {"ocid": ocid, "releases": releases, "compiledRelease": merge_releases(releases)},
                        n == 0)
            n += 1
    out.write("\n  ]\n}\n")
    return n
