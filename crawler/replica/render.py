"""Render the replica's pages (home, channel lists, bxsearch results, detail pages in the three body
templates, block and WAF pages) from content.py's data through the Jinja templates in templates/."""

from __future__ import annotations

import hashlib
import html
import re
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from crawler.replica.content import (
    CHANNEL_TITLES,
    CHANNEL_TYPES,
    FILES_DIR,
    ZONES,
    ReplicaNotice,
    SECTIONS,
    summary_rows,
)

TEMPLATES = Path(__file__).resolve().parent / "templates"

# The WAF cookies the real homepage sets from inline JavaScript (values as on the real sample page).
WAF_COOKIES = {
    "hoy_tr": "PZDIGYKUBLNQXHFT,4215AD68379BCFE0,daepzmyvtqgwlixk",
    "hbb_hc": "8e95f28c5bd6582c0c23bd0365ab501e00315dd8563519613d5f3186468983acbcfde038efc74dd5db660d334c8f52d498",
}

# 政府采购云平台 template: semantic key -> the bookmark class the real pages use (sites.md §1.3).
CLOUD_CODES = {
    "project_code": "code-00004", "project_name": "code-00003", "buyer_name": "code-00014",
    "buyer_address": "code-00018", "buyer_phone": "code-00016", "agency_name": "code-00009",
    "agency_address": "code-00013", "agency_phone": "code-00011", "contact_name": "code-00010",
    "contact_phone": "code-00011", "experts": "code-85005", "fee": "code-AM01400039", "supplement": "code-81205",
    "winners_table": "code-AM014zbcj001", "goods_table": "code-AM014GoodsInfoTab",
}
WINNER_CELLS = ["code-sectionNo", "code-winningSupplierName", "code-winningSupplierAddr", "code-summaryPrice"]
# #noticeArea template (gpx system): semantic key -> span id.
NOTICEAREA_IDS = {
    "buyer_name": "_notice_content_noticePurchase-purchaserOrgName",
    "buyer_address": "_notice_content_noticePurchase-purchaserOrgAddress",
    "buyer_phone": "_notice_content_noticePurchase-purchaserLinkTel",
    "agency_name": "_notice_content_noticeAgency-agencyName",
    "agency_address": "_notice_content_noticeAgency-agentAddress",
    "agency_phone": "_notice_content_noticeAgency-agentLinkTel",
    "contact_name": "_notice_content_projectContact-managerName",
    "contact_phone": "_notice_content_projectContact-managerLinkPhone",
}
KIND_TITLES = {
    "tender": "招标公告", "award": "中标（成交）结果公告", "correction": "更正公告", "cancellation": "终止公告",
}

_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))


def _uuid(key: str) -> str:
    return str(int(hashlib.sha1(key.encode()).hexdigest()[:10], 16))[:13]


def _size(file: str) -> str:
    path = FILES_DIR / file
    return f"{path.stat().st_size / 1024:.1f}K" if file and path.exists() else "546.3K"


def _common(title: str, body_id: str = "detail", charset_meta: str | None = None, head_extra: str = "") -> dict:
    if charset_meta is None:
        charset_meta = '<meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
    return {"page_title": title, "body_id": body_id, "charset_meta": charset_meta, "head_extra": head_extra,
            "waf": WAF_COOKIES}


def detail_page(notice: ReplicaNotice) -> bytes:
    """A detail page; encoded as the notice says (UTF-8, or GB18030 with a wrong or missing declaration)."""
    n = notice
    pub = n.published_at
    sections = SECTIONS[n.kind](n)
    body_ctx = {
        "n": n, "sections": sections, "codes": CLOUD_CODES, "ids": NOTICEAREA_IDS, "uuid": _uuid,
        "winner_cells": WINNER_CELLS, "kind_title": KIND_TITLES[n.kind], "pub_date_cn": f"{pub:%Y年%m月%d日}",
    }
    body = _env.get_template(f"body_{n.template}.html").render(body_ctx)
    encoding = n.fields.get("encoding", "utf-8")
    charset_meta = None
    if encoding != "utf-8":
        declared = n.fields.get("declared_charset", "")
        charset_meta = f'<meta charset="{declared}">' if declared else ""
    head = (f'<meta name="ArticleTitle" content="{html.escape(n.title)}">\n'
            f'<meta name="PubDate" content="{n.published}">\n<meta name="ContentSource" content="中国政府采购网">')
    page = _env.get_template("detail.html").render(
        **_common(n.title, charset_meta=charset_meta, head_extra=head),
        n=n, body=body, summary=summary_rows(n), pub_cn=f"{pub:%Y年%m月%d日 %H:%M}",
        zone_title=ZONES[n.zone], channel_title=CHANNEL_TITLES[n.channel],
        biz_attachments=[a for a in n.attachments if a.style == "biz"],
        fjxx_attachments=[{"path": a.path, "name": a.name, "size": _size(a.file)}
                          for a in n.attachments if a.style == "fjxx"],
        fetch_code=hashlib.sha1(str(n.id).encode()).hexdigest()[:16],
    )
    return page.encode(encoding)


def list_page(zone: str, channel: str, items: list[ReplicaNotice], page: int, pages: int) -> bytes:
    title = f"{ZONES[zone]}-{CHANNEL_TITLES[channel]}"
    return _env.get_template("list.html").render(
        **_common(title, body_id="list"), zone_title=ZONES[zone], channel_title=CHANNEL_TITLES[channel],
        items=items, page=page, pages=pages,
    ).encode("utf-8")


def _province(address: str) -> str:
    m = re.match(r"(北京|天津|上海|重庆|内蒙古|广西|西藏|宁夏|新疆|.{2}?)(?:省|市|自治区|壮族自治区)?", address)
    return m.group(1) if m else ""


def search_page(kw: str, items: list[ReplicaNotice], page: int, pages: int, total: int, zone: str) -> bytes:
    words = [w for w in kw.split() if w]
    rows = []
    for n in items:
        title = html.escape(n.title)
        for w in words:
            title = title.replace(html.escape(w), f'<font color="red">{html.escape(w)}</font>')
        rows.append({
            "site_url": n.site_url, "highlighted": title, "snippet": "", "published_at": n.published_at,
            "buyer": n.buyer, "agency": n.agency, "kind": n.kind, "notice_type_label": n.notice_type_label,
            "province": _province(n.buyer_address), "pinmu": n.category.split("/")[0] + "类",
        })
    return _env.get_template("search.html").render(
        kw=kw, items=rows, page=page, pages=max(pages, 1), total=total, zone=zone,
        urls=",".join(r["site_url"] for r in rows),
    ).encode("utf-8")


def home_page() -> bytes:
    return _env.get_template("home.html").render(
        **_common("中国政府采购网", body_id="index"), zones=ZONES, channels=list(CHANNEL_TYPES),
        channel_titles=CHANNEL_TITLES,
    ).encode("utf-8")


def block_page() -> bytes:
    return _env.get_template("block.html").render().encode("utf-8")


def waf_denied_page() -> bytes:
    return _env.get_template("waf_denied.html").render().encode("utf-8")
