"""A small fixed database of fictional notices around ISO week 2026-W47, written through the real
`Store.save_notice` path: the digest and export tests compare against expected files built from it, and
`tools/digest_screenshot.py` renders its digest.

The extraction results are written by hand (not by running `extract`), so improving the extractor does not
change these files; the crawl times (`first_seen` …) are set explicitly after each save, because the Store
stamps the wall clock. All organisations, people and numbers are invented.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Optional

import sqlalchemy as sa

from extract.types import Amount, ComputeFindings, DocumentText, Evidence, NoticeExtraction, NoticeFields
from models.tables import Attachment, Extraction, Notice, NoticeLink, NoticeVersion
from storage.store import Store
from models.raw import RawAttachment, RawNotice

SAMPLE_WEEK = "2026-W47"  # Monday 16 – Sunday 22 November 2026
SAMPLE_VERSION = "sample-1"


@dataclass
class SampleNotice:
    url: str
    seen: str  # first_seen, UTC
    title: str
    notice_type: str
    published: str
    text: str
    code: Optional[str] = None
    buyer: Optional[str] = None
    agency: Optional[str] = None
    vendors: list[str] = field(default_factory=list)
    amounts: list[tuple[str, float, str]] = field(default_factory=list)  # kind, value, raw
    deadline: Optional[str] = None
    region: Optional[str] = None
    kinds: list[str] = field(default_factory=list)
    providers: list[str] = field(default_factory=list)
    chips: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    hardware: bool = False
    evidence: Optional[str] = None  # the sentence part proving the compute finding (must occur in text)
    source: str = "ccgp"
    attachment: Optional[tuple[str, str]] = None  # (name, text); its URL is the notice URL + name
    republished: Optional[str] = None  # a ggzy URL carrying the same notice
    revised: Optional[tuple[str, str]] = None  # (when, new text): the page re-fetched with new content
    # A possible case (score, reason codes of extract/compute/data/candidates.toml); `evidence` is its sentence.
    candidate: Optional[tuple[float, list[str]]] = None


CCGP = "http://www.ccgp.gov.cn/cggg/"

NOTICES = [
    SampleNotice(  # a case of the window's first weeks, for the chart
        url=CCGP + "dfgg/gkzb/202609/t20260915_0001.htm", seen="2026-09-15T03:00:00",
        title="澜桥市大数据中心政务云资源租用服务项目公开招标公告", notice_type="tender", published="2026-09-15",
        code="LQ-2026-0915", buyer="澜桥市大数据中心", region="澜桥市", kinds=["cloud"], providers=["ctyun"],
        flags=["domestic_only"], amounts=[("budget", 2_400_000, "240万元")],
        text="一、项目概况\n本项目租用政务云资源，云服务商须为天翼云等国内服务商，租期三年。\n二、预算金额：240万元。",
        evidence="本项目租用政务云资源，云服务商须为天翼云等国内服务商",
    ),
    SampleNotice(
        url=CCGP + "dfgg/jzxcs/202610/t20261006_0002.htm", seen="2026-10-06T07:20:00",
        title="海澄大学自然语言处理实验室大模型调用服务采购项目竞争性磋商公告", notice_type="tender",
        published="2026-10-06", code="HC-2026-1006", buyer="海澄大学", region="海澄市", kinds=["model_api"],
        providers=["baidu-cloud"], amounts=[("budget", 90_000, "9万元")],
        text="采购内容：通过百度智能云千帆平台调用文心大模型，按tokens计费，总量不少于5亿tokens。",
        evidence="通过百度智能云千帆平台调用文心大模型，按tokens计费",
    ),
    SampleNotice(  # case E: tendered in W44, cancelled in W47
        url=CCGP + "dfgg/gkzb/202610/t20261027_0003.htm", seen="2026-10-27T02:00:00",
        title="禾溪市数据资源局城市大脑云平台租赁服务公开招标公告", notice_type="tender", published="2026-10-27",
        code="HX-2026-0930", buyer="禾溪市数据资源局", agency="禾溪市公共资源交易代理有限公司", region="禾溪市",
        kinds=["cloud"], providers=["alibaba-cloud"], flags=["domestic_only"], amounts=[("budget", 860_000, "86万元")],
        deadline="2026-11-17T09:30",
        text="一、采购需求\n城市大脑平台部署于阿里云专有云，租赁云服务器、对象存储及数据库服务一年。\n投标人须为中国境内注册企业。",
        evidence="城市大脑平台部署于阿里云专有云，租赁云服务器、对象存储及数据库服务一年",
    ),
    SampleNotice(  # case B: tender in W45 …
        url=CCGP + "dfgg/jzxcs/202611/t20261103_0004.htm", seen="2026-11-03T08:00:00",
        title="东江理工大学科研云计算资源（境外）服务采购项目竞争性磋商公告", notice_type="tender",
        published="2026-11-03", code="DJLG-2026-0311", buyer="东江理工大学", agency="栖岩招标代理有限公司",
        region="东江市", kinds=["cloud", "gpu_rental"], providers=["aws"], chips=["nvidia-a100", "nvidia-h100"],
        flags=["controlled_chip", "offshore", "us_provider"], amounts=[("budget", 200_000, "20万元")],
        deadline="2026-11-13T09:00",
        text="一、项目基本情况\n采购内容：开通亚马逊云科技（AWS）境外账号，使用p4d（A100）及p5（H100）GPU实例开展大模型训练。\n二、预算：20万元。",
        evidence="开通亚马逊云科技（AWS）境外账号，使用p4d（A100）及p5（H100）GPU实例开展大模型训练",
    ),
    SampleNotice(  # case D: tender in W46, corrected in W47
        url=CCGP + "dfgg/gkzb/202611/t20261110_0005.htm", seen="2026-11-10T06:45:00",
        title="临港人工智能研究院智能算力租赁服务公开招标公告", notice_type="tender", published="2026-11-10",
        code="LG-AI-2026-07", buyer="临港人工智能研究院", agency="海港招标有限公司", region="临港新区",
        kinds=["gpu_rental"], chips=["nvidia-h800"], flags=["controlled_chip"],
        amounts=[("budget", 1_200_000, "120万元"), ("unit_price", 18_000, "1.8万元/台·月")],
        deadline="2026-11-30T09:30",
        text="采购需求：租用不少于8台搭载H800 GPU的算力服务器，租期12个月，按台·月计费，最高单价1.8万元。",
        evidence="租用不少于8台搭载H800 GPU的算力服务器，租期12个月",
    ),
    SampleNotice(  # case G: tendered in W46; its page re-published with new content in W47
        url=CCGP + "dfgg/gkzb/202611/t20261112_0006.htm", seen="2026-11-12T04:10:00",
        title="青禾市人民医院互联网医院云服务采购项目公开招标公告", notice_type="tender", published="2026-11-12",
        code="QH-2026-55", buyer="青禾市人民医院", region="青禾市", kinds=["cloud"], providers=["tencent-cloud"],
        amounts=[("budget", 380_000, "38万元")],
        text="项目内容：互联网医院系统迁移至腾讯云，采购云主机及云数据库服务两年。",
        evidence="互联网医院系统迁移至腾讯云，采购云主机及云数据库服务两年",
        revised=("2026-11-19T05:00:00",
                 "项目内容：互联网医院系统迁移至腾讯云，采购云主机及云数据库服务两年。\n补充：增加等保三级安全服务。"),
    ),
    SampleNotice(  # case A: new in W47, republished on ggzy
        url=CCGP + "dfgg/gkzb/202611/t20261116_0007.htm", seen="2026-11-16T02:10:00",
        title="蜀江大学生成式人工智能教学平台大模型API服务采购项目公开招标公告", notice_type="tender",
        published="2026-11-16", code="SJDX-2026-118", buyer="蜀江大学", agency="岚峰项目管理有限公司",
        region="蜀江市", kinds=["model_api"], providers=["azure"], flags=["intermediary", "us_provider"],
        amounts=[("budget", 500_000, "50万元")], deadline="2026-12-08T09:30",
        text="一、项目概况\n本项目采购Azure OpenAI服务GPT-4o模型调用额度4000万tokens，由供应商代为开通并结算。\n二、预算金额：50万元。",
        evidence="本项目采购Azure OpenAI服务GPT-4o模型调用额度4000万tokens，由供应商代为开通并结算",
        republished="http://www.ggzy.gov.cn/information/html/b/510000/0101/202611/16/0051aa0b.shtml",
    ),
    SampleNotice(  # case D's correction, W47
        url=CCGP + "dfgg/gzgg/202611/t20261117_0008.htm", seen="2026-11-17T03:30:00",
        title="临港人工智能研究院智能算力租赁服务公开招标更正公告", notice_type="correction", published="2026-11-17",
        code="LG-AI-2026-07", buyer="临港人工智能研究院", agency="海港招标有限公司", region="临港新区",
        kinds=["gpu_rental"], chips=["nvidia-h800"], flags=["controlled_chip"], deadline="2026-12-07T09:30",
        text="更正事项：投标截止时间延长至2026年12月7日9时30分；算力服务器配置H800 GPU不变。",
        evidence="算力服务器配置H800 GPU不变",
    ),
    SampleNotice(  # case B's award, W47, with a PDF attachment
        url=CCGP + "dfgg/zbgg/202611/t20261118_0009.htm", seen="2026-11-18T09:30:00",
        title="东江理工大学科研云计算资源（境外）服务采购项目成交结果公告", notice_type="award",
        published="2026-11-18", code="DJLG-2026-0311", buyer="东江理工大学", agency="栖岩招标代理有限公司",
        vendors=["蓉拓云联信息技术有限公司"], region="东江市", kinds=["cloud", "gpu_rental"], providers=["aws"],
        chips=["nvidia-a100", "nvidia-h100"], flags=["controlled_chip", "intermediary", "offshore", "us_provider"],
        amounts=[("award", 198_600, "198600元"), ("budget", 200_000, "20万元")],
        text="成交供应商：蓉拓云联信息技术有限公司\n成交金额：198600元\n服务内容：AWS境外账号及p4d、p5 GPU实例资源。",
        evidence="AWS境外账号及p4d、p5 GPU实例资源",
        attachment=("成交结果.pdf", "成交结果通知书\n供应商代理开通AWS账号，提供A100、H100实例。"),
    ),
    SampleNotice(  # a hardware purchase in W47: not a remote-compute case
        url=CCGP + "dfgg/gkzb/202611/t20261118_0010.htm", seen="2026-11-18T10:00:00",
        title="江东师范大学GPU服务器采购项目公开招标公告", notice_type="tender", published="2026-11-18",
        code="JDSF-2026-201", buyer="江东师范大学", region="江东市", chips=["nvidia-a800"], hardware=True,
        amounts=[("budget", 1_600_000, "160万元")],
        text="采购内容：GPU服务器2台，每台配置8块A800加速卡，含三年质保。",
    ),
    SampleNotice(  # case C: W47, no project code (so no procurement key), no provider named; the title holds
        # characters every format must escape or quote (" , &)
        url=CCGP + "dfgg/jzxcs/202611/t20261119_0011.htm", seen="2026-11-19T01:00:00",
        title='北川市气象局数值天气预报超算中心机时服务采购公告（"高分辨率"模式, 含存储&备份）', notice_type="tender",
        published="2026-11-19",
        buyer="北川市气象局", region="北川市", kinds=["hpc"], amounts=[("budget", 300_000, "30万元")],
        text="服务内容：租用国家超级计算中心机时不少于200万核时，用于数值天气预报模式运行。",
        evidence="租用国家超级计算中心机时不少于200万核时",
    ),
    SampleNotice(  # W47 look-alike: the e-procurement portal's boilerplate, not a cloud purchase
        url=CCGP + "dfgg/gkzb/202611/t20261120_0012.htm", seen="2026-11-20T02:00:00",
        title="西山街道办公区物业管理服务项目公开招标公告", notice_type="tender", published="2026-11-20",
        code="XS-2026-88", buyer="绍溪市西山街道办事处", region="绍溪市", amounts=[("budget", 1_280_000, "128万元")],
        text="投标人应在政府采购云平台完成注册。物业管理服务期限一年。",
    ),
    SampleNotice(  # case E's cancellation, W47
        url=CCGP + "dfgg/fbgg/202611/t20261120_0013.htm", seen="2026-11-20T08:15:00",
        title="禾溪市数据资源局城市大脑云平台租赁服务废标公告", notice_type="cancellation", published="2026-11-20",
        code="HX-2026-0930", buyer="禾溪市数据资源局", agency="禾溪市公共资源交易代理有限公司", region="禾溪市",
        kinds=["cloud"], providers=["alibaba-cloud"], flags=["domestic_only"],
        text="废标理由：有效投标人不足三家。原项目为城市大脑平台阿里云专有云租赁服务。",
        evidence="原项目为城市大脑平台阿里云专有云租赁服务",
    ),
    SampleNotice(  # case F: W47, same buyer as case A
        url=CCGP + "dfgg/gkzb/202611/t20261121_0014.htm", seen="2026-11-21T06:00:00",
        title="蜀江大学科研数据备份华为云存储服务采购公告", notice_type="tender", published="2026-11-21",
        code="SJDX-2026-131", buyer="蜀江大学", region="蜀江市", kinds=["cloud"], providers=["huawei-cloud"],
        flags=["domestic_only"], amounts=[("budget", 150_000, "15万元")],
        text="采购华为云对象存储服务500TB，用于科研数据异地备份，服务期三年。",
        evidence="采购华为云对象存储服务500TB，用于科研数据异地备份",
    ),
    SampleNotice(  # a possible case in W47: "to check", never among the cases
        url=CCGP + "dfgg/gkzb/202611/t20261119_0016.htm", seen="2026-11-19T07:40:00",
        title="云岭职业技术学院智能体教学平台接口调用服务采购公告", notice_type="tender", published="2026-11-19",
        code="YL-2026-077", buyer="云岭职业技术学院", region="云岭市", amounts=[("budget", 120_000, "12万元")],
        text="采购内容：智能体教学平台接口调用服务，按调用次数结算，服务期一年。\n二、预算金额：12万元。",
        evidence="智能体教学平台接口调用服务，按调用次数结算",
        candidate=(0.6, ["service_not_acquired", "compute_quantity"]),
    ),
    SampleNotice(  # a possible case in W48: not in the W47 digest
        url=CCGP + "dfgg/gkzb/202611/t20261123_0017.htm", seen="2026-11-23T03:00:00",
        title="石湾区教育局教学资源云平台续期服务采购公告", notice_type="tender", published="2026-11-23",
        code="SW-2026-31", buyer="石湾区教育局", region="石湾区", amounts=[("budget", 60_000, "6万元")],
        text="采购内容：教学资源云平台续期服务一年。",
        evidence="教学资源云平台续期服务一年",
        candidate=(0.3, ["title_topic"]),
    ),
    SampleNotice(  # case A's award, W48: must not appear in the W47 digest
        url=CCGP + "dfgg/zbgg/202611/t20261124_0015.htm", seen="2026-11-24T02:00:00",
        title="蜀江大学生成式人工智能教学平台大模型API服务采购项目中标结果公告", notice_type="award",
        published="2026-11-24", code="SJDX-2026-118", buyer="蜀江大学", agency="岚峰项目管理有限公司",
        vendors=["雪岭数智科技有限公司"], region="蜀江市", kinds=["model_api"], providers=["azure"],
        flags=["intermediary", "us_provider"], amounts=[("award", 478_000, "47.8万元")],
        text="中标供应商：雪岭数智科技有限公司，中标金额47.8万元，提供Azure OpenAI模型调用服务。",
        evidence="提供Azure OpenAI模型调用服务",
    ),
]


def _ts(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _extraction(s: SampleNotice, text: str) -> NoticeExtraction:
    evidence = []
    if s.buyer and s.buyer in text:
        i = text.index(s.buyer)
        evidence.append(Evidence("buyer", s.buyer, i, i + len(s.buyer)))
    if s.evidence:
        i = text.index(s.evidence)  # a typo in the sample must fail loudly, not give a wrong offset
        # A possible case's evidence is named after its first reason, as the extractor does.
        name = f"candidate:{s.candidate[1][0]}" if s.candidate else "remote_compute"
        evidence.append(Evidence(name, s.evidence, i, i + len(s.evidence)))
    fields = NoticeFields(
        notice_type=s.notice_type, title=s.title, project_codes=[s.code] if s.code else [], buyer=s.buyer,
        agency=s.agency, vendors=s.vendors, amounts=[Amount(k, v, raw) for k, v, raw in s.amounts],
        published_at=s.published, bid_deadline=s.deadline, region=s.region,
        evidence=[e for e in evidence if e.field == "buyer"],
    )
    compute = ComputeFindings(
        remote_compute=bool(s.kinds), compute_kinds=s.kinds, hardware_purchase=s.hardware,
        cloud_providers=s.providers, gpu_models=s.chips, flags=s.flags,
        evidence=[e for e in evidence if e.field != "buyer"],
        compute_candidate=bool(s.candidate), candidate_score=s.candidate[0] if s.candidate else 0.0,
        candidate_reasons=list(s.candidate[1]) if s.candidate else [],
    )
    return NoticeExtraction(fields=fields, compute=compute, extractor_version=SAMPLE_VERSION)


def _save(store: Store, s: SampleNotice, text: str) -> int:
    body = DocumentText(text=text, kind="html", title=s.title)
    attachments = []
    if s.attachment:
        name, att_text = s.attachment
        raw_att = RawAttachment(url=s.url.rsplit("/", 1)[0] + "/" + name, name=name, data=att_text.encode("utf-8"),
                                content_type="application/pdf")
        attachments.append((raw_att, DocumentText(text=att_text, kind="pdf", name=name, pages=1)))
    raw = RawNotice(source=s.source, url=s.url, data=f"<html><body>{text}</body></html>".encode("utf-8"),
                    content_type="text/html", list_meta={"title": s.title, "published_at": s.published})
    return store.save_notice(raw, body, attachments, _extraction(s, text)).notice_id


def build_sample_database(url: str, blob_dir: Path) -> None:
    """Fill an empty database at `url` with the sample notices, at their fixed crawl times."""
    with Store.open(url, blob_dir=blob_dir) as store:
        for s in NOTICES:
            seen = _ts(s.seen)
            nid = _save(store, s, s.text)
            if s.republished:
                store.add_link(nid, "ggzy", s.republished)
            _set_times(store.engine, nid, seen, seen)
            if s.revised:
                when, new_text = s.revised
                _save(store, s, new_text)
                _set_times(store.engine, nid, seen, _ts(when))


def _set_times(engine: sa.Engine, notice_id: int, first_seen: datetime, changed: datetime) -> None:
    """Stamp the rows the Store just wrote with the sample's crawl times instead of the wall clock."""
    with engine.begin() as conn:
        conn.execute(sa.update(Notice).where(Notice.id == notice_id).values(
            first_seen=first_seen, last_seen=changed, last_changed=changed))
        versions = conn.execute(sa.select(NoticeVersion.id).where(NoticeVersion.notice_id == notice_id)
                                .order_by(NoticeVersion.id)).scalars().all()
        # The first version dates from first_seen, the newest from the change.
        for vid in versions:
            conn.execute(sa.update(NoticeVersion).where(NoticeVersion.id == vid).values(
                fetched_at=first_seen if vid == versions[0] else changed))
        conn.execute(sa.update(NoticeLink).where(NoticeLink.notice_id == notice_id).values(first_seen=first_seen))
        conn.execute(sa.update(Attachment).where(Attachment.notice_id == notice_id).values(fetched_at=changed))
        conn.execute(sa.update(Extraction).where(Extraction.notice_id == notice_id).values(created_at=changed))
