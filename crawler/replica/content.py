"""The replica's content as data: the notices in content/notices.toml, their URLs and attachments, and the
sections each notice kind's body is made of (rendered per body template by render.py).

Tests import this module to know exactly what the replica serves (notice and attachment counts, dates,
channels), so the crawl can be checked against the same data the server renders.
"""

from __future__ import annotations

import copy
import hashlib
import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Hashable, TypeVar

CONTENT_DIR = Path(__file__).resolve().parent / "content"
FILES_DIR = CONTENT_DIR / "files"

# The site's own hosts; the replica renders absolute links to them, as the real pages do, and the
# spider's --site-root rewriting brings them back to the replica.
WWW = "http://www.ccgp.gov.cn"
DOWNLOAD = "https://download.ccgp.gov.cn"

# channel code -> (notice type shown on list/search pages, bxsearch bidType)
CHANNEL_TYPES = {
    "gkzb": ("公开招标公告", 1),
    "xjgg": ("询价公告", 2),
    "jzxtpgg": ("竞争性谈判公告", 3),
    "dylygg": ("单一来源公告", 4),
    "zgysgg": ("资格预审公告", 5),
    "yqzbgg": ("邀请招标公告", 6),
    "zbgg": ("中标公告", 7),
    "gzgg": ("更正公告", 8),
    "qtgg": ("其他公告", 9),
    "jzxcs": ("竞争性磋商公告", 10),
    "cjgg": ("成交公告", 11),
    "fblbgg": ("终止公告", 12),
}
ZONES = {"zygg": "中央公告", "dfgg": "地方公告"}
CHANNEL_TITLES = {
    "gkzb": "公开招标", "zbgg": "中标公告", "cjgg": "成交公告", "gzgg": "更正公告", "fblbgg": "废标公告",
    "xjgg": "询价公告", "jzxtpgg": "竞争性谈判", "dylygg": "单一来源", "jzxcs": "竞争性磋商", "qtgg": "其他公告",
    "yqzbgg": "邀请招标", "zgysgg": "资格预审",
}


@dataclass
class ReplicaAttachment:
    name: str
    file: str  # file name under content/files; "" = missing on the server (HTTP 404)
    style: str  # "biz" (a.bizDownload) or "fjxx" (ul.fjxx list)
    key: str  # uuid (biz) or accessCode (fjxx)
    label: str  # the anchor text on the page: "附件1名称.pdf" in the 公告概要 table, the bare name in fjxx lists

    @property
    def path(self) -> str:
        """Path on the replica (and on the real site's download or www host)."""
        if self.style == "biz":
            return f"/oss/download?uuid={self.key}"
        return f"/gpx-public-file?accessCode={self.key}"

    @property
    def site_url(self) -> str:
        return (DOWNLOAD if self.style == "biz" else WWW) + self.path

    def data(self) -> bytes | None:
        return (FILES_DIR / self.file).read_bytes() if self.file else None


@dataclass
class Record:
    """One record of a replica's TOML data (a ccgp notice, a ggzy API record, a zcy article, a cebpub
    bulletin): its fields read as attributes."""

    fields: dict[str, Any]

    def __getattr__(self, name: str) -> Any:
        try:
            return self.fields[name]
        except KeyError:
            raise AttributeError(name) from None


R = TypeVar("R", bound=Record)


def read_records(path: Path, table: str, build: Callable[[dict[str, Any]], R],
                 key: Callable[[R], Hashable]) -> list[R]:
    """The `[[table]]` records of a replica's TOML data file, each made by `build`; two with one `key` are an
    error in the data (a replica serves each record at one URL)."""
    with path.open("rb") as f:
        records = [build(r) for r in tomllib.load(f)[table]]
    seen: set[Hashable] = set()
    for r in records:
        if key(r) in seen:
            raise ValueError(f"{path}: two [[{table}]] records with the key {key(r)!r}")
        seen.add(key(r))
    return records


@dataclass
class ReplicaNotice(Record):
    attachments: list[ReplicaAttachment] = field(default_factory=list)

    @property
    def published_at(self) -> datetime:
        return datetime.strptime(self.fields["published"], "%Y-%m-%d %H:%M")

    @property
    def path(self) -> str:
        d = self.published_at
        return f"/cggg/{self.zone}/{self.channel}/{d:%Y%m}/t{d:%Y%m%d}_{self.id}.htm"

    @property
    def site_url(self) -> str:
        return WWW + self.path

    @property
    def notice_type_label(self) -> str:
        return CHANNEL_TYPES[self.channel][0]

    @property
    def bid_type(self) -> int:
        return CHANNEL_TYPES[self.channel][1]

    def variant(self, changed: bool) -> "ReplicaNotice":
        """The notice as served; with `changed`, its [notice.changed] overrides applied."""
        if not changed or "changed" not in self.fields:
            return self
        fields = {**copy.deepcopy(self.fields), **self.fields["changed"]}
        return ReplicaNotice(fields, self.attachments)

    def text_for_search(self) -> str:
        """What bxsearch's full-text mode (searchtype=2) matches against."""
        parts = [str(v) for k, v in self.fields.items() if isinstance(v, str)]
        for row in self.fields.get("items", []) + self.fields.get("corrections", []):
            parts.extend(row)
        parts.extend(a.name for a in self.attachments)
        return "\n".join(parts)


def _key(notice_id: int, index: int, style: str) -> str:
    digest = hashlib.sha1(f"{notice_id}-{index}-{style}".encode()).hexdigest()
    return digest[:32] if style == "biz" else digest[:24]


def _build(fields: dict[str, Any]) -> ReplicaNotice:
    attachments, biz = [], 0
    for i, a in enumerate(fields.get("attachments", [])):
        biz += a["style"] == "biz"
        label = f"附件{biz}{a['name']}" if a["style"] == "biz" else a["name"]
        attachments.append(ReplicaAttachment(a["name"], a["file"], a["style"], _key(fields["id"], i, a["style"]), label))
    return ReplicaNotice(fields, attachments)


def load_notices(path: Path = CONTENT_DIR / "notices.toml") -> list[ReplicaNotice]:
    return read_records(path, "notice", _build, lambda n: n.id)


def generated_notices(count: int, seeds: list[ReplicaNotice]) -> list[ReplicaNotice]:
    """`count` extra ordinary notices for the large replica (benchmarks): copies of the seed notices with
    new ids, dates and titles, each keeping its template, kind and attachments (files shared)."""
    out = []
    plain = [n for n in seeds if not n.fields.get("encoding") and not n.fields.get("empty_first")]
    for i in range(count):
        seed = plain[i % len(plain)]
        fields = copy.deepcopy(seed.fields)
        fields.pop("changed", None)
        fields["id"] = 28000000 + i
        day = 1 + i % 28
        fields["published"] = f"2026-10-{day:02d} {8 + i % 10:02d}:{i % 60:02d}"
        fields["title"] = f"（第{i + 1}批）{seed.title}"
        fields["project_code"] = f"{seed.project_code}-G{i + 1:05d}"
        out.append(_build(fields))
    return out


# --- the body sections of each notice kind (rendered by every template) ----------------------------------


def wan(value: float) -> str:
    """Amounts the way ccgp prints them: 万元 with six decimals."""
    return f"{value:.6f}"


def _contacts(n: dict[str, Any], number: str, heading: str) -> list[tuple]:
    return [
        ("heading", f"{number}、{heading}"),
        ("text", "1.采购人信息"),
        ("field", "名 称", n["buyer"], "buyer_name"),
        ("field", "地 址", n["buyer_address"], "buyer_address"),
        ("field", "联系方式", n["buyer_phone"], "buyer_phone"),
        ("text", "2.采购代理机构信息"),
        ("field", "名 称", n["agency"], "agency_name"),
        ("field", "地 址", n["agency_address"], "agency_address"),
        ("field", "联系方式", n["agency_phone"], "agency_phone"),
        ("text", "3.项目联系方式"),
        ("field", "项目联系人", n["contact"], "contact_name"),
        ("field", "电 话", n["contact_phone"], "contact_phone"),
    ]


def _attachment_lines(notice: ReplicaNotice, number: str) -> list[tuple]:
    if not notice.attachments:
        return []
    lines: list[tuple] = [("heading", f"{number}、附件")]
    lines += [("text", f"{i}.{a.name}") for i, a in enumerate(notice.attachments, 1)]
    return lines


_NUMERALS = "一二三四五六七八九十"
_ASK = "凡对本次公告内容提出询问，请按以下方式联系。"


def _closing_sections(notice: ReplicaNotice, first: int, ask: str = _ASK,
                     period_days: int | None = None) -> list[tuple]:
    """The sections every notice kind ends with, numbered on from section `first`: the notice period (when the
    kind states one), other matters, the contacts and the attachments (when there are any)."""
    n = notice.fields
    numbers = iter(_NUMERALS[first - 1:])
    s: list[tuple] = []
    if period_days is not None:
        s += [("heading", f"{next(numbers)}、公告期限"), ("text", f"自本公告发布之日起{period_days}个工作日。")]
    s += [("heading", f"{next(numbers)}、其他补充事宜"), ("field", "", n["supplement"], "supplement")]
    s += _contacts(n, next(numbers), ask)
    s += _attachment_lines(notice, next(numbers))
    return s


def _cn_datetime(value: str) -> str:
    d = datetime.strptime(value, "%Y-%m-%d %H:%M")
    return f"{d:%Y年%m月%d日 %H点%M分}（北京时间）"


def tender_sections(notice: ReplicaNotice) -> list[tuple]:
    n = notice.fields
    items = [[str(i), row[0], row[1], row[2]] for i, row in enumerate(n["items"], 1)]
    published = notice.published_at
    s: list[tuple] = [
        ("heading", "项目概况"),
        ("text", f"{n['project_name']}招标项目的潜在投标人应在{n['agency_address']}获取招标文件，并于"
                 f"{_cn_datetime(n['deadline'])}前递交投标文件。"),
        ("heading", "一、项目基本情况"),
        ("field", "项目编号", n["project_code"], "project_code"),
        ("field", "项目名称", n["project_name"], "project_name"),
        ("field", "采购方式", n["method"], "method"),
        ("field", "预算金额", f"{wan(n['budget_wan'])}万元（人民币）", "budget"),
    ]
    if n.get("max_price_wan"):
        s.append(("field", "最高限价（如有）", f"{wan(n['max_price_wan'])}万元（人民币）", "max_price"))
    s += [
        ("text", "采购需求："),
        ("table", ["序号", "标的名称", "采购需求", "数量"], items, "requirements_table"),
        ("text", n["requirements"]),
        ("field", "合同履行期限", n["term"], "term"),
        ("text", "本项目( 不接受 )联合体投标。"),
        ("heading", "二、申请人的资格要求："),
        ("text", "1.满足《中华人民共和国政府采购法》第二十二条规定；"),
        ("text", "2.落实政府采购政策需满足的资格要求：无；"),
        ("text", "3.本项目的特定资格要求：无。"),
        ("heading", "三、获取招标文件"),
        ("field", "时间", f"{published:%Y年%m月%d日}至{_cn_datetime(n['deadline'])[:11]}，每天上午9:00至11:30，"
                          "下午13:30至17:00（北京时间，法定节假日除外）", "doc_time"),
        ("field", "地点", n["agency_address"], "doc_place"),
        ("field", "方式", "线上获取", "doc_method"),
        ("field", "售价", "￥0.0元（人民币）", "doc_price"),
        ("heading", "四、提交投标文件截止时间、开标时间和地点"),
        ("field", "提交投标文件截止时间", _cn_datetime(n["deadline"]), "deadline"),
        ("field", "地点", n["place"], "open_place"),
    ]
    s += _closing_sections(notice, 5, "对本次招标提出询问，请按以下方式联系。", period_days=5)
    return s


def award_sections(notice: ReplicaNotice) -> list[tuple]:
    n = notice.fields
    winners = [["1", n["vendor"], n["vendor_address"], f"人民币{wan(n['award_wan'])}万元"]]
    items = [[str(i), *row] for i, row in enumerate(n["items"], 1)]
    s: list[tuple] = [
        ("field", "一、项目编号", n["project_code"], "project_code"),
        ("field", "二、项目名称", n["project_name"], "project_name"),
        ("heading", "三、中标（成交）信息"),
        ("text", f"采购方式：{n['method']}；预算金额：{wan(n['budget_wan'])}万元"),
        ("table", ["序号", "供应商名称", "供应商地址", "中标（成交）金额"], winners, "winners_table"),
        ("heading", "四、主要标的信息"),
        ("table", ["序号", "名称", "品牌", "规格型号", "数量", "单价（元）"], items, "goods_table"),
        ("heading", "五、评审专家（单一来源采购人员）名单："),
        ("field", "", n["experts"], "experts"),
        ("heading", "六、代理服务收费标准及金额："),
        ("field", "代理服务收费标准", n["fee"], "fee"),
    ]
    s += _closing_sections(notice, 7, period_days=1)
    return s


def correction_sections(notice: ReplicaNotice) -> list[tuple]:
    n = notice.fields
    rows = [[str(i), *row] for i, row in enumerate(n["corrections"], 1)]
    s: list[tuple] = [
        ("heading", "一、项目基本情况"),
        ("field", "原公告的采购项目编号", n["project_code"], "project_code"),
        ("field", "原公告的采购项目名称", n["project_name"], "project_name"),
        ("field", "首次公告日期", n["original_date"], "original_date"),
        ("heading", "二、更正信息"),
        ("field", "更正事项", "采购公告", "correction_subject"),
        ("text", "更正内容："),
        ("table", ["序号", "更正项", "更正前内容", "更正后内容"], rows, "corrections_table"),
        ("field", "更正日期", f"{notice.published_at:%Y年%m月%d日}", "correction_date"),
    ]
    if n.get("deadline"):
        s.append(("field", "提交投标文件截止时间", _cn_datetime(n["deadline"]), "deadline"))
    s += _closing_sections(notice, 3)
    return s


def cancellation_sections(notice: ReplicaNotice) -> list[tuple]:
    n = notice.fields
    s: list[tuple] = [
        ("heading", "一、项目基本情况"),
        ("field", "采购项目编号", n["project_code"], "project_code"),
        ("field", "采购项目名称", n["project_name"], "project_name"),
        ("heading", "二、项目废标（终止）的原因"),
        ("field", "", n["reason"], "reason"),
    ]
    s += _closing_sections(notice, 3)
    return s


SECTIONS = {
    "tender": tender_sections,
    "award": award_sections,
    "correction": correction_sections,
    "cancellation": cancellation_sections,
}


def summary_rows(notice: ReplicaNotice) -> list[tuple[str, str]]:
    """The 公告概要 table (label, value); the 附件 row is added by the page template."""
    n = notice.fields
    rows = [
        ("采购项目名称", n["project_name"]),
        ("品目", n["category"]),
        ("采购单位", n["buyer"]),
        ("行政区域", n["region"]),
        ("公告时间", f"{notice.published_at:%Y年%m月%d日  %H:%M}"),
    ]
    if n["kind"] == "award":
        rows += [("评审专家名单", n["experts"]), ("总中标金额", f"￥{wan(n['award_wan'])} 万元（人民币）")]
    elif n["kind"] == "tender":
        rows += [("开标时间", _cn_datetime(n["deadline"])), ("预算金额", f"￥{wan(n['budget_wan'])}万元（人民币）")]
    rows += [
        ("项目联系人", n["contact"]), ("项目联系电话", n["contact_phone"]),
        ("采购单位", n["buyer"]), ("采购单位地址", n["buyer_address"]), ("采购单位联系方式", n["buyer_phone"]),
        ("代理机构名称", n["agency"]), ("代理机构地址", n["agency_address"]), ("代理机构联系方式", n["agency_phone"]),
    ]
    return rows
