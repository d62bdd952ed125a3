"""Building stored notices for the storage and search tests: realistic Chinese notices written here, saved
through `Store.save_notice` with their extraction spelled out, so each test states what the extractor
would have said and checks only what the storage layer does with it."""

from __future__ import annotations

from dataclasses import dataclass, field

from extract.fields.dates import read_when
from extract.types import Amount, ComputeFindings, DocumentText, NoticeExtraction, NoticeFields
from storage.normalise import fold_text
from storage.store import SaveResult, Store
from storage.processing import RawAttachment, RawNotice


@dataclass
class Spec:
    """One test notice: what the page says and what extraction found."""

    key: str
    title: str
    body: str
    url: str = ""
    source: str = "ccgp"
    notice_type: str | None = "tender"
    published_at: str | None = "2024-05-28"
    buyer: str | None = None
    agency: str | None = None
    vendors: list[str] = field(default_factory=list)
    project_code: str | None = None
    region: str | None = None
    amounts: list[Amount] = field(default_factory=list)
    remote_compute: bool = False
    hardware_purchase: bool = False
    compute_kinds: list[str] = field(default_factory=list)
    providers: list[str] = field(default_factory=list)
    chips: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    attachments: list[tuple[str, str]] = field(default_factory=list)  # (name, text)
    extractor_version: str = "test-1"
    candidate_reasons: list[str] = field(default_factory=list)  # non-empty: the extractor called it a possible case
    candidate_score: float = 0.0

    @property
    def all_text(self) -> str:
        return "\n".join([self.title, self.body, *(t for _, t in self.attachments)])


def raw_notice(spec: Spec) -> RawNotice:
    html = f"<html><head><title>{spec.title}</title></head><body><div class='vF_detail_content'>{spec.body}</div></body></html>"
    return RawNotice(
        source=spec.source,
        url=spec.url or f"http://www.ccgp.gov.cn/cggg/zygg/gkzb/202405/t20240528_{spec.key}.htm",
        data=html.encode("utf-8"),
        content_type="text/html; charset=utf-8",
        name=f"t20240528_{spec.key}.htm",
        list_meta={"title": spec.title, "published_at": spec.published_at},
        attachments=[
            RawAttachment(
                url=f"http://www.ccgp.gov.cn/oss/download?uuid={spec.key}-{i}",
                name=name,
                data=text.encode("utf-8"),
                content_type="text/plain",
            )
            for i, (name, text) in enumerate(spec.attachments)
        ],
    )


def extraction(spec: Spec) -> NoticeExtraction:
    return NoticeExtraction(
        fields=NoticeFields(
            notice_type=spec.notice_type,
            title=spec.title,
            project_codes=[spec.project_code] if spec.project_code else [],
            buyer=spec.buyer,
            agency=spec.agency,
            vendors=list(spec.vendors),
            amounts=list(spec.amounts),
            published_at=read_when(spec.published_at),
            region=spec.region,
        ),
        compute=ComputeFindings(
            remote_compute=spec.remote_compute,
            compute_kinds=list(spec.compute_kinds),
            hardware_purchase=spec.hardware_purchase,
            cloud_providers=list(spec.providers),
            gpu_models=list(spec.chips),
            flags=list(spec.flags),
            compute_candidate=bool(spec.candidate_reasons),
            candidate_score=spec.candidate_score,
            candidate_reasons=list(spec.candidate_reasons),
        ),
        extractor_version=spec.extractor_version,
    )


def save(store: Store, spec: Spec) -> SaveResult:
    raw = raw_notice(spec)
    body = DocumentText(text=spec.body, kind="html", title=spec.title)
    attachments = [(a, DocumentText(text=a.data.decode("utf-8"), kind="text", name=a.name)) for a in raw.attachments]
    return store.save_notice(raw, body, attachments, extraction(spec))


def contains(spec: Spec, needle: str) -> bool:
    """Ground truth for exact search: the folded needle is a substring of the notice's folded text."""
    return fold_text(needle) in fold_text(spec.all_text)
