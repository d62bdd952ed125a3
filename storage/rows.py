"""The rows a notice is stored as, built from what was fetched and what was extracted — pure functions, no
database. Every writer builds its rows here: `storage.write` (one notice at a time: the crawler, `ingest`,
`reextract`) and `storage.bulk` (many at once), so a bulk load writes what a crawl writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Callable, Sequence

from extract.documents import format_of
from extract.fields.dates import read_datetime
from extract.types import ComputeFindings, DocumentText, NoticeExtraction
from models.raw import RawAttachment, RawNotice
from storage.normalise import normalise_code, normalise_name

# NoticeTag facets and the ComputeFindings list each comes from.
TAG_FACETS = {"provider": "cloud_providers", "chip": "gpu_models", "kind": "compute_kinds", "flag": "flags"}
# DocumentText error reasons that are an attachment status of their own.
ATTACHMENT_STATUSES = ("encrypted", "corrupt", "too_large", "unsupported", "converter_timeout", "converter_failed",
                       "ocr_timeout", "needs_ocr")

# Stored attachment: the fetched file, its text, and the sha256 of its bytes in the blob store (None: not fetched).
StoredAttachment = tuple[RawAttachment, DocumentText, "str | None"]


def list_title(meta: dict | None, body: DocumentText) -> str:
    return (meta or {}).get("title") or body.title or ""


def notice_title(raw: RawNotice, body: DocumentText, extraction: NoticeExtraction) -> str:
    """The title the store gives the notice (extraction first, then the list's, then the page's)."""
    return extraction.fields.title or list_title(raw.list_meta, body)


def primary_code(extraction: NoticeExtraction) -> str:
    """The notice's project code as a key ("" without one): its first 项目编号, normalised."""
    codes = extraction.fields.project_codes
    return normalise_code(codes[0]) if codes else ""


def buyer_name(extraction: NoticeExtraction, list_meta: dict | None) -> str | None:
    return extraction.fields.buyer or (list_meta or {}).get("buyer")


def page_values(raw: RawNotice, body: DocumentText, raw_sha: str, chash: str, simhash: int | None) -> dict[str, Any]:
    """The notice columns that come from the fetched page (set when it is new or has changed)."""
    return dict(
        text=body.text,
        content_hash=chash,
        raw_sha256=raw_sha,
        raw_content_type=raw.content_type,
        raw_name=raw.name or "",
        list_meta=jsonable(raw.list_meta or {}),
        external_id=raw.external_id,
        simhash=simhash,
    )


def version_row(notice_id: int, raw: RawNotice, body: DocumentText, extraction: NoticeExtraction, raw_sha: str,
                chash: str, now: datetime) -> dict[str, Any]:
    """The newest version of a notice: its text is the notice row's, so none here (models.tables.NoticeVersion)."""
    return dict(notice_id=notice_id, content_hash=chash, raw_sha256=raw_sha, title=notice_title(raw, body, extraction),
                text="", fetched_at=now)


def extraction_row(notice_id: int, version: str, result: dict[str, Any], now: datetime) -> dict[str, Any]:
    return dict(notice_id=notice_id, extractor_version=version, result=result, created_at=now)


def attachment_rows(notice_id: int, stored: Sequence[StoredAttachment], now: datetime) -> list[dict[str, Any]]:
    """A new notice's attachment rows, in page order (the search index reads them back in id order); a URL
    listed twice on a page is stored once."""
    seen: set[str] = set()
    rows = []
    for raw, doc, sha in stored:
        if raw.url not in seen:
            seen.add(raw.url)
            rows.append({"notice_id": notice_id, "url": raw.url, **attachment_values(raw, doc, sha, now)})
    return rows


def attachment_status(doc: DocumentText) -> tuple[str, str | None]:
    reasons = [e.split(":", 1)[0].strip() for e in doc.errors]
    for status in ATTACHMENT_STATUSES:
        if status in reasons:
            return status, "; ".join(doc.errors)
    if doc.needs_ocr:
        return "needs_ocr", "; ".join(doc.errors) or None
    if doc.errors and not doc.text:
        return "unsupported" if doc.kind == "unknown" else "corrupt", "; ".join(doc.errors)
    return "ok", "; ".join(doc.errors) or None


def attachment_values(raw: RawAttachment, doc: DocumentText, sha: str | None, now: datetime) -> dict[str, Any]:
    if raw.data is None:
        status = raw.error if raw.error in ("too_large",) else "fetch_error"
        return dict(name=raw.name or "", sha256=None, size=None, content_type=raw.content_type, text="",
                    status=status, error=raw.error or "not fetched", fetched_at=now)
    status, error = attachment_status(doc)
    return dict(name=raw.name or doc.name or "", sha256=sha, size=len(raw.data), content_type=raw.content_type,
                text=doc.text or "", status=status, error=error, fetched_at=now, **attachment_details(doc))


def attachment_details(doc: DocumentText) -> dict[str, Any]:
    """format, pages, OCR summary and (archives) members of a read attachment: what `show`, the notice page
    and `stats` list. Members of nested archives are flattened under "outer/inner" names."""

    def members(d: DocumentText, prefix: str) -> list[dict[str, Any]]:
        out = []
        for part in d.parts:
            name = f"{prefix}{part.name}"
            status, error = attachment_status(part)
            out.append({"name": name, "format": format_of(part), "pages": part.pages, "status": status,
                        "error": error, "ocr": jsonable(part.ocr) if part.ocr else None})
            out.extend(members(part, name + "/"))
        return out

    return dict(format=format_of(doc), pages=doc.pages, ocr=jsonable(doc.ocr) if doc.ocr else None,
                members=members(doc, "") or None)


@dataclass
class Derived:
    """What an extraction makes of a stored notice: its derived columns and rows (procurement key aside,
    which depends on the other notices: storage.procurement)."""

    columns: dict[str, Any]
    parties: list[tuple[int, str]]  # (organisation id, role), sorted
    amounts: list[dict[str, Any]]
    tags: list[tuple[str, str]]  # (facet, value), sorted; the notice's own findings
    result: dict[str, Any]  # the Extraction row's JSON
    code: str  # project-code key, "" without one
    buyer_key: str  # normalised buyer name, "" without one

    def party_rows(self, notice_id: int) -> list[dict[str, Any]]:
        return [{"notice_id": notice_id, "organisation_id": o, "role": r} for o, r in self.parties]

    def amount_rows(self, notice_id: int) -> list[dict[str, Any]]:
        return [{"notice_id": notice_id, **a} for a in self.amounts]

    def tag_rows(self, notice_id: int) -> list[dict[str, Any]]:
        return [{"notice_id": notice_id, "facet": f, "value": v, "inherited": False} for f, v in self.tags]


def organisation_names(extraction: NoticeExtraction, list_meta: dict | None) -> list[str | None]:
    """The names `derive` asks `organisation` for, in that order: buyer, agency, vendors."""
    f = extraction.fields
    return [buyer_name(extraction, list_meta), f.agency, *f.vendors]


def derive(extraction: NoticeExtraction, list_meta: dict | None, body: DocumentText,
           organisation: Callable[[str | None], int | None]) -> Derived:
    """The derived columns and rows of a notice; `organisation(name)` gives an organisation's id (None for
    no name)."""
    f, c = extraction.fields, extraction.compute
    meta = list_meta or {}
    buyer_id = organisation(buyer_name(extraction, meta))
    agency_id = organisation(f.agency)
    vendor_ids = [v for v in (organisation(name) for name in f.vendors) if v is not None]
    code = primary_code(extraction)
    columns = dict(
        title=f.title or list_title(meta, body),
        notice_type=f.notice_type or meta.get("notice_type"),
        published_at=read_datetime(f.published_at) or read_datetime(meta.get("published_at")),
        bid_deadline=read_datetime(f.bid_deadline),
        region=f.region or meta.get("region"),
        project_code=code or None,
        buyer_id=buyer_id,
        agency_id=agency_id,
        extractor_version=extraction.extractor_version,
        remote_compute=bool(c.remote_compute),
        hardware_purchase=bool(c.hardware_purchase),
        **candidate_values(c),
    )
    parties = {(buyer_id, "buyer"), (agency_id, "agency"), *((v, "vendor") for v in vendor_ids)}
    parties.discard((None, "buyer"))
    parties.discard((None, "agency"))
    amounts = [{"kind": a.kind, "value_cny": a.value_cny, "percent": a.percent, "raw": a.raw or "",
                "currency": a.currency, "value": a.value} for a in f.amounts]
    tags = sorted({(facet, value) for facet, attr in TAG_FACETS.items() for value in getattr(c, attr) or ()})
    return Derived(columns=columns, parties=sorted(parties), amounts=amounts, tags=tags,
                   result=jsonable(extraction.to_json()), code=code,
                   buyer_key=normalise_name(buyer_name(extraction, meta)))


def candidate_values(c: ComputeFindings) -> dict[str, Any]:
    """The notice columns of a possible case. A case is never also a candidate (shown apart, never mixed),
    whatever the extractor says; reasons and score are kept only for candidates."""
    candidate = bool(c.compute_candidate) and not c.remote_compute and not c.hardware_purchase
    return dict(
        compute_candidate=candidate,
        candidate_score=float(c.candidate_score or 0.0) if candidate else None,
        candidate_reasons=[str(r) for r in c.candidate_reasons or ()] if candidate else [],
    )


_PLAIN = frozenset({str, int, float, bool})


def jsonable(value: Any) -> Any:
    """A value made safe for a JSON column (list_meta, run args and stats, extraction results): dates → ISO
    strings, sets and tuples → lists, other objects → str."""
    if value is None or type(value) in _PLAIN:  # most values: answered first (every stored notice passes here)
        return value
    # Plain members answered in place, without a call each (an extraction result holds a hundred or so).
    if isinstance(value, dict):
        return {k if type(k) is str else str(k): v if v is None or type(v) in _PLAIN else jsonable(v)
                for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [v if v is None or type(v) in _PLAIN else jsonable(v) for v in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)
