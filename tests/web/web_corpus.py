"""A small, hand-written database for the web tests, stored through the real `Store.save_notice`.

Each notice is built for one behaviour: an AWS case through an intermediary (with a tender → award
timeline and an attachment), a second buyer of the same intermediary (Azure OpenAI), a GPU rental, HPC
time, an Alibaba Cloud case, a hardware purchase and a look-alike (not cases), an ordinary purchase, and a
hostile notice whose title and text carry <script> and onerror=, and a possible case (a model service
short of a case, with its reason). The extraction results are written here
(not computed) so the tests do not depend on the NLP's current accuracy; evidence offsets point into the
texts exactly as the extractor's do.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from extract.fields.dates import read_when
from extract.types import Amount, ComputeFindings, DocumentText, Evidence, NoticeExtraction, NoticeFields
from storage.processing import RawAttachment, RawNotice  # noqa: E402

XSS_TITLE = '<script>alert("t")</script>云服务器租用<img src=x onerror=alert(1)>'
XSS_TEXT = (
    "采购人：<b>测试学院</b>。采购内容：云服务器租用一年。"
    '<script>document.title="pwned"</script><img src=x onerror="alert(2)">'
    "服务商需提供阿里云 ECS 实例。"
)
XSS_RAW = b"<html><body><script>alert('raw')</script><p>raw copy</p></body></html>"


@dataclass
class Spec:
    key: str
    title: str
    text: str
    published: str
    buyer: str | None = None
    vendors: list[str] = field(default_factory=list)
    notice_type: str = "tender"
    region: str | None = None
    code: str | None = None
    amounts: list[tuple[str, float]] = field(default_factory=list)
    case: bool = False
    hardware: bool = False
    kinds: list[str] = field(default_factory=list)
    providers: list[str] = field(default_factory=list)
    chips: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    evidence: list[tuple[str, str]] = field(default_factory=list)  # (field, text found in the body)
    attachment: tuple[str, str] | None = None  # (name, text)
    attachment_evidence: list[tuple[str, str]] = field(default_factory=list)
    raw: bytes | None = None
    candidate_reasons: list[str] = field(default_factory=list)  # non-empty: a possible case, not a case
    candidate_score: float = 0.0


SPECS = [
    Spec(
        key="aws_tender",
        title="北方理工大学人工智能平台云计算资源租用项目招标公告",
        text=(
            "项目编号：BIT-2024-017。采购人：北方理工大学。"
            "采购需求：租用亚马逊云科技（AWS）海外账号，使用 p4d.24xlarge 实例（8×A100 GPU），"
            "用于大模型训练，服务期一年。预算金额：180万元。"
        ),
        published="2024-03-05",
        buyer="北方理工大学",
        region="北京市",
        code="BIT-2024-017",
        amounts=[("budget", 1_800_000.0)],
        case=True,
        kinds=["cloud"],
        providers=["aws"],
        chips=["nvidia-a100"],
        flags=["controlled_chip", "offshore", "us_provider"],
        evidence=[
            ("remote_compute", "租用亚马逊云科技（AWS）海外账号"),
            ("cloud_providers:aws", "亚马逊云科技（AWS）"),
            ("gpu_models:nvidia-a100", "8×A100 GPU"),
            ("flags:offshore", "海外账号"),
            ("buyer", "北方理工大学"),
            ("project_codes", "BIT-2024-017"),
            ("amounts", "180万元"),
        ],
        attachment=("采购需求书.pdf", "技术要求：AWS 账号须可调用 A100 实例，按卡时计费，费用含税。"),
        attachment_evidence=[("compute_kinds:cloud", "按卡时计费")],
    ),
    Spec(
        key="aws_award",
        title="北方理工大学人工智能平台云计算资源租用项目中标公告",
        text=(
            "项目编号：BIT-2024-017。采购人：北方理工大学。中标供应商：云桥数据科技有限公司。"
            "中标金额：176.5万元。服务内容：亚马逊云科技 AWS 云资源及 A100 算力。"
        ),
        published="2024-04-10",
        buyer="北方理工大学",
        vendors=["云桥数据科技有限公司"],
        notice_type="award",
        region="北京市",
        code="BIT-2024-017",
        amounts=[("award", 1_765_000.0)],
        case=True,
        kinds=["cloud"],
        providers=["aws"],
        chips=["nvidia-a100"],
        flags=["controlled_chip", "intermediary", "us_provider"],
        evidence=[("remote_compute", "亚马逊云科技 AWS 云资源"), ("flags:intermediary", "云桥数据科技有限公司")],
    ),
    Spec(
        key="azure",
        title="南方医学研究院大模型接口服务采购成交公告",
        text=(
            "采购人：南方医学研究院。成交供应商：云桥数据科技有限公司。"
            "采购内容：Azure OpenAI 服务 tokens 调用额度，GPT-4 模型接口。成交金额：48万元。"
        ),
        published="2025-01-20",
        buyer="南方医学研究院",
        vendors=["云桥数据科技有限公司"],
        notice_type="award",
        region="广东省",
        amounts=[("award", 480_000.0)],
        case=True,
        kinds=["model_api"],
        providers=["azure"],
        flags=["intermediary", "us_provider"],
        evidence=[("remote_compute", "Azure OpenAI 服务 tokens 调用额度"), ("cloud_providers:azure", "Azure OpenAI")],
    ),
    Spec(
        key="gpu_rental",
        title="东海大学算力租赁服务项目公开招标公告",
        text="采购人：东海大学。采购内容：GPU 算力租赁服务，RTX 4090 共 64 卡，按卡时结算。预算：120万元。",
        published="2024-11-02",
        buyer="东海大学",
        region="上海市",
        amounts=[("budget", 1_200_000.0)],
        case=True,
        kinds=["gpu_rental"],
        chips=["nvidia-rtx-4090"],
        evidence=[("remote_compute", "GPU 算力租赁服务"), ("gpu_models:nvidia-rtx-4090", "RTX 4090")],
    ),
    Spec(
        key="hpc",
        title="西部气象中心超算机时采购项目",
        text="采购人：西部气象中心。采购内容：国家超算中心机时 200 万核时，用于数值预报。预算：60万元。",
        published="2023-06-15",
        buyer="西部气象中心",
        region="四川省",
        amounts=[("budget", 600_000.0)],
        case=True,
        kinds=["hpc"],
        flags=["domestic_only"],
        evidence=[("remote_compute", "超算中心机时 200 万核时")],
    ),
    Spec(
        key="aliyun",
        title="江南大学教学云平台服务采购公告",
        text="采购人：江南大学。采购内容：阿里云云服务器 ECS 及对象存储服务，期限三年。预算：30万元。",
        published="2023-09-01",
        buyer="江南大学",
        region="江苏省",
        amounts=[("budget", 300_000.0)],
        case=True,
        kinds=["cloud"],
        providers=["alibaba-cloud"],
        evidence=[("remote_compute", "阿里云云服务器 ECS"), ("cloud_providers:alibaba-cloud", "阿里云")],
    ),
    Spec(
        key="hardware",
        title="北方理工大学GPU服务器采购项目",
        text="采购人：北方理工大学。采购内容：GPU服务器 8 台，每台配置 8 块 A100 80G。预算：900万元。",
        published="2024-02-01",
        buyer="北方理工大学",
        region="北京市",
        amounts=[("budget", 9_000_000.0)],
        hardware=True,
        chips=["nvidia-a100"],
        evidence=[("hardware_purchase", "GPU服务器 8 台")],
    ),
    Spec(
        key="lookalike",
        title="云南省会议中心A100会议室音响设备维修",
        text="采购人：云南省会议中心。采购内容：A100会议室音响维修。政采云服务热线 400-881-7190。",
        published="2024-05-01",
        buyer="云南省会议中心",
        region="云南省",
        amounts=[("budget", 20_000.0)],
    ),
    Spec(
        key="candidate",
        title="南江师范学院智能体平台接口调用服务采购公告",
        text="采购人：南江师范学院。采购内容：智能体平台接口调用服务，按调用次数结算，服务期一年。预算：30万元。",
        published="2024-06-12",
        buyer="南江师范学院",
        region="江苏省",
        amounts=[("budget", 300_000.0)],
        evidence=[("candidate:service_not_acquired", "智能体平台接口调用服务，按调用次数结算")],
        candidate_reasons=["service_not_acquired", "compute_quantity"],  # codes of extract/compute/data/candidates.toml
        candidate_score=0.62,
    ),
    Spec(
        key="furniture",
        title="东海大学办公家具采购",
        text="采购人：东海大学。采购内容：办公桌椅 200 套。预算：15万元。",
        published="2022-08-08",
        buyer="东海大学",
        region="上海市",
        amounts=[("budget", 150_000.0)],
    ),
    Spec(
        key="xss",
        title=XSS_TITLE,
        text=XSS_TEXT,
        published="2024-07-07",
        buyer="测试学院",
        region="<b>省</b>",
        case=True,
        kinds=["cloud"],
        providers=["alibaba-cloud"],
        evidence=[("remote_compute", "云服务器租用一年"), ("cloud_providers:alibaba-cloud", "阿里云")],
        raw=XSS_RAW,
    ),
]


def _evidence(text: str, items, document: str = "") -> list[Evidence]:
    out = []
    for fld, snippet in items:
        start = text.index(snippet)  # a test corpus error should fail loudly
        out.append(Evidence(field=fld, text=snippet, start=start, end=start + len(snippet), document=document))
    return out


def fill(store) -> dict[str, int]:
    """Save every notice; returns key → notice id."""
    ids = {}
    for i, s in enumerate(SPECS):
        body = DocumentText(text=s.text, kind="html", title=s.title, encoding="utf-8")
        attachments = []
        att_docs = []
        evidence = _evidence(s.text, s.evidence)
        if s.attachment:
            name, atext = s.attachment
            raw_att = RawAttachment(url=f"https://www.ccgp.gov.cn/oss/download/{i}.pdf", name=name,
                                    data=("%PDF-1.4 " + atext).encode("utf-8"), content_type="application/pdf")
            doc = DocumentText(text=atext, kind="pdf", name=name, pages=1)
            attachments.append((raw_att, doc))
            att_docs.append(doc)
            evidence += _evidence(atext, s.attachment_evidence, document=name)
        field_ev = [e for e in evidence if e.field in ("buyer", "project_codes", "amounts")]
        compute_ev = [e for e in evidence if e not in field_ev]
        extraction = NoticeExtraction(
            fields=NoticeFields(
                notice_type=s.notice_type, title=s.title, project_codes=[s.code] if s.code else [], buyer=s.buyer,
                vendors=list(s.vendors), amounts=[Amount(kind=k, value_cny=v, raw=f"{v / 1e4:g}万元") for k, v in s.amounts],
                published_at=read_when(s.published), region=s.region, evidence=field_ev,
            ),
            compute=ComputeFindings(
                remote_compute=s.case, compute_kinds=list(s.kinds), hardware_purchase=s.hardware,
                cloud_providers=sorted(s.providers), gpu_models=sorted(s.chips), flags=sorted(s.flags), evidence=compute_ev,
                compute_candidate=bool(s.candidate_reasons), candidate_score=s.candidate_score,
                candidate_reasons=list(s.candidate_reasons),
            ),
            extractor_version="webtest-1",
        )
        raw = RawNotice(
            source="ccgp",
            url=f"https://www.ccgp.gov.cn/cggg/zygg/gkzb/2024/t2024_{i:04d}.htm",
            data=s.raw or f"<html><body><h1>{s.title}</h1><p>{s.text}</p></body></html>".encode("utf-8"),
            content_type="text/html; charset=utf-8",
            name=f"t2024_{i:04d}.htm",
            list_meta={"title": s.title, "published_at": s.published},
        )
        result = store.save_notice(raw, body, attachments, extraction)
        ids[s.key] = result.notice_id
    return ids


CASE_KEYS = [s.key for s in SPECS if s.case]
