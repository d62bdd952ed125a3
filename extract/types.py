"""Typed results of extraction: what `extract` hands to the crawler, `ingest`, `reextract` and the CLI.

`extract` is pure: bytes or text in, these objects out. Offsets in `Evidence` are character offsets into
the text of the document named by `Evidence.document` ("" = the notice body, else an attachment name).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields
from typing import Any, Optional, Union

# A notice's date: a day when the notice gives no time of day, else a naive local (China) datetime.
When = Union[dt.date, dt.datetime]


def iso_when(value: Optional[When]) -> Optional[str]:
    """The JSON form of a date field: YYYY-MM-DD for a day, YYYY-MM-DDTHH:MM for a datetime."""
    if value is None:
        return None
    return value.isoformat(timespec="minutes") if isinstance(value, dt.datetime) else value.isoformat()


@dataclass
class Evidence:
    field: str
    text: str
    start: int
    end: int
    document: str = ""  # "" = notice body; otherwise the attachment's name
    # Where the text came from: "" = the document's own text; "ocr" = read from a scan or photo by OCR
    # (then `page` is the 1-based page and `confidence` the engine's mean confidence for that line, 0–1).
    source: str = ""
    page: Optional[int] = None
    confidence: Optional[float] = None

    def to_json(self) -> dict[str, Any]:
        out = {name: getattr(self, name) for name in _EVIDENCE_FIELDS}  # asdict's answer (all fields are scalars)
        # Text-layer evidence keeps its short, stable form; OCR evidence says so.
        for key in ("source", "page", "confidence"):
            if not out[key] and out[key] != 0:
                out.pop(key)
        return out


_EVIDENCE_FIELDS = tuple(f.name for f in fields(Evidence))


@dataclass
class DocumentText:
    """The text of one file (page, PDF, DOCX, XLSX, text) plus what its structure told us."""

    text: str
    kind: str  # html pdf docx xlsx doc text zip empty unknown
    name: str = ""
    title: Optional[str] = None
    encoding: Optional[str] = None  # how the bytes were decoded, for HTML and text
    meta: dict[str, Any] = field(default_factory=dict)  # e.g. ArticleTitle, PubDate, summary-table labels
    tables: list[list[list[str]]] = field(default_factory=list)  # rows of cells, per table
    pages: Optional[int] = None
    needs_ocr: bool = False  # no usable text layer
    errors: list[str] = field(default_factory=list)  # "reason: detail", reason first (corrupt, encrypted …)
    parts: list["DocumentText"] = field(default_factory=list)  # members of a ZIP
    # Set when some or all of the text was read by OCR: {"engine", "pages" (1-based page numbers read),
    # "confidence" (mean, 0–1), "capped" (page cap or time budget hit), "seconds"}.
    ocr: Optional[dict[str, Any]] = None


@dataclass
class Amount:
    kind: str  # budget award max_price unit_price rate
    value_cny: Optional[float]  # in yuan; None for money in another currency (no exchange rate is assumed)
    raw: str
    percent: Optional[float] = None
    currency: Optional[str] = None  # ISO 4217 of the money as stated (CNY, HKD, MOP, TWD, USD …); None for a rate
    value: Optional[float] = None  # the amount in `currency`

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "value_cny": self.value_cny, "percent": self.percent, "raw": self.raw,
                "currency": self.currency, "value": self.value}


@dataclass
class NoticeFields:
    notice_type: Optional[str] = None
    title: Optional[str] = None
    project_codes: list[str] = field(default_factory=list)
    buyer: Optional[str] = None
    agency: Optional[str] = None
    vendors: list[str] = field(default_factory=list)
    amounts: list[Amount] = field(default_factory=list)
    published_at: Optional[When] = None  # a date, or a datetime when the notice gives the time
    bid_deadline: Optional[When] = None
    region: Optional[str] = None
    evidence: list[Evidence] = field(default_factory=list)


@dataclass
class ComputeFindings:
    remote_compute: bool = False
    compute_kinds: list[str] = field(default_factory=list)  # cloud gpu_rental model_api hpc, in that order
    hardware_purchase: bool = False
    cloud_providers: list[str] = field(default_factory=list)  # VOCAB ids, sorted
    gpu_models: list[str] = field(default_factory=list)  # VOCAB ids, sorted
    flags: list[str] = field(default_factory=list)  # us_provider controlled_chip intermediary offshore domestic_only
    evidence: list[Evidence] = field(default_factory=list)
    # A possible case: compute evidence that falls short of a case. Never set together with
    # remote_compute or hardware_purchase; `candidate_reasons` say why it fell short.
    compute_candidate: bool = False
    candidate_score: float = 0.0
    candidate_reasons: list[str] = field(default_factory=list)


@dataclass
class NoticeExtraction:
    """Everything extracted from one notice (its body and attachments)."""

    fields: NoticeFields
    compute: ComputeFindings
    extractor_version: str
    errors: list[str] = field(default_factory=list)

    def to_json(self, path: Optional[str] = None) -> dict[str, Any]:
        """The object `tenderwatch extract --jsonl` prints, one per input."""
        f, c = self.fields, self.compute
        out: dict[str, Any] = {} if path is None else {"path": path}
        out.update(
            notice_type=f.notice_type, title=f.title, project_codes=f.project_codes, buyer=f.buyer,
            agency=f.agency, vendors=f.vendors, amounts=[a.to_json() for a in f.amounts],
            published_at=iso_when(f.published_at), bid_deadline=iso_when(f.bid_deadline), region=f.region,
            remote_compute=c.remote_compute, compute_kinds=c.compute_kinds, hardware_purchase=c.hardware_purchase,
            cloud_providers=c.cloud_providers, gpu_models=c.gpu_models, flags=c.flags,
            compute_candidate=c.compute_candidate, candidate_score=c.candidate_score,
            candidate_reasons=c.candidate_reasons,
            evidence=[e.to_json() for e in f.evidence + c.evidence],
            extractor_version=self.extractor_version, errors=self.errors,
        )
        return out
