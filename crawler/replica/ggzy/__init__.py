"""The replica of www.ggzy.gov.cn (全国公共资源交易平台): the JSON list API
``POST /information/pubTradingInfo/getTradList``, the ``/html/a/`` shell pages and the ``/html/b/`` content
pages they frame, attachments on download.ggzy.gov.cn, and the origin pages that empty content pages link
to (ccgp.gov.cn's, served by an embedded ccgp replica).

The API's manners, each switchable for tests: a result set silently capped (``cap``, 1000 on the real
site); a keyword with no hits answered with the unfiltered list; a missing ``DEAL_TIME`` answered with an
HTML 404 page; business codes 800 (too frequent), 829 (captcha) and 804 (narrow the query) in a JSON body
with HTTP 200.
"""

from __future__ import annotations

import html
import json
import math
import re
import threading
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from crawler.replica.content import FILES_DIR, Record, load_notices, read_records
from crawler.replica.site import LoggedRequest, ReplicaOptions, ReplicaSite

HERE = Path(__file__).resolve().parent
API_PATH = "/information/pubTradingInfo/getTradList"
WWW = "https://www.ggzy.gov.cn"
PROVINCES = {
    "110000": "北京市", "320000": "江苏省", "330000": "浙江省", "350000": "福建省", "370000": "山东省",
    "420000": "湖北省", "440000": "广东省", "510000": "四川省", "530000": "云南省",
}
CLASSIFY = {"01": "工程建设", "02": "政府采购", "03": "土地使用权", "05": "国有产权"}
STAGES = {"0101": "招标/资审公告", "0104": "交易结果公示", "0201": "采购/资审公告", "0202": "中标公告", "0203": "采购合同"}
BUSINESS_MESSAGES = {800: "操作过于频繁，请稍后再试", 829: "需验证码", 804: "请细化查询条件", 801: "系统错误"}
# Ordinary notices of the busy day (the one that exceeds the cap when not sliced by province).
FILLER_SUBJECTS = ["办公用品", "印刷服务", "车辆维修保养服务", "食堂食材配送服务", "档案数字化加工服务", "绿化养护服务"]


@dataclass
class GgzyOptions:
    cap: int = 1000  # total silently capped here; pages beyond it are never served
    page_size: int = 20
    busy_day: str = "2026-09-15"  # a day with many ordinary notices, spread over busy_provinces
    busy_count: int = 12
    busy_provinces: tuple[str, ...] = ("330000", "320000", "440000")
    code_at: dict[int, int] = field(default_factory=dict)  # nth API call (1-based) -> business code answered
    captcha_from: int | None = None  # every API call from the nth on gets code 829
    narrow_days: tuple[str, ...] = ()  # all-province queries covering these days get code 804
    robots_disallow: list[str] = field(default_factory=lambda: ["/admin/"])


class GgzyRecord(Record):

    @property
    def published(self) -> datetime:
        return datetime.strptime(self.fields["time"], "%Y-%m-%d %H:%M")

    @property
    def day(self) -> date:
        return self.published.date()

    def path(self, kind: str = "a") -> str:
        return f"/information/deal/html/{kind}/{self.province}/{self.stage}/{self.published:%Y%m%d}/{self.id}.html"

    @property
    def detail_url(self) -> str:
        """The canonical URL the spider stores: the content (b) page on the real host."""
        return WWW + self.path("b")

    @property
    def attachments(self) -> list[dict[str, str]]:
        return [{**a, "uuid": f"{self.id[:16]}{i:04d}{self.id[-12:]}"} for i, a in enumerate(self.fields.get("attachments", []))]

    def api_record(self) -> dict[str, Any]:
        return {
            "id": self.id, "title": self.title, "publishTime": f"{self.published:%Y-%m-%d}",
            "province": self.province, "provinceText": PROVINCES[self.province], "cityText": self.city,
            "transactionSourcesPlatformText": self.platform, "businessTypeText": CLASSIFY[self.classify],
            "informationType": self.stage, "informationTypeText": STAGES[self.stage], "industryTypeText": "",
            "tenderProjectCode": self.project_code, "url": self.path("a"),
        }


def load_records(path: Path = HERE / "records.toml") -> list[GgzyRecord]:
    return read_records(path, "record", GgzyRecord, lambda r: r.id)


def busy_records(options: GgzyOptions) -> list[GgzyRecord]:
    out = []
    for i in range(options.busy_count):
        province = options.busy_provinces[i % len(options.busy_provinces)]
        subject = FILLER_SUBJECTS[i % len(FILLER_SUBJECTS)]
        buyer = f"{PROVINCES[province]}第{i + 1}机关事务服务中心"
        code = f"BUSY-{province[:2]}-2026-{i + 1:03d}"
        out.append(GgzyRecord({
            "id": f"9b{i:030x}", "time": f"{options.busy_day} {8 + i % 9:02d}:{(7 * i) % 60:02d}",
            "province": province, "city": "", "classify": "02", "stage": "0201",
            "platform": f"{PROVINCES[province]}公共资源交易平台", "title": f"{buyer}2026年度{subject}采购项目公开招标公告",
            "project_code": code,
            "body": ["一、项目基本情况", f"项目编号：{code}", f"项目名称：{buyer}2026年度{subject}采购项目",
                     f"预算金额：{12 + i}.5万元", f"采购需求：{subject}，服务期一年。", f"二、采购人：{buyer}"],
        }))
    return out


class GgzyReplica:
    accepts_post = True

    def __init__(self, options: GgzyOptions | None = None, records: list[GgzyRecord] | None = None):
        self.options = options or GgzyOptions()
        base = records if records is not None else load_records()
        self.records = base + busy_records(self.options)
        self.by_path = {r.path(k): (k, r) for r in self.records for k in ("a", "b")}
        self.files = {f"/oss/download?uuid={a['uuid']}": a for r in self.records for a in r.attachments}
        # The origin platform: ccgp's detail pages (no WAF cookie needed for a detail page link followed
        # from another site's page in this replica).
        self.ccgp = ReplicaSite(ReplicaOptions(require_cookies=False, robots_disallow=[]))
        self.ccgp_notices = {n.id: n for n in load_notices()}
        self.log: list[LoggedRequest] = []
        self.api_calls = 0
        self._lock = threading.Lock()

    # -- what the replica serves, for tests ------------------------------------------------------------

    def crawlable(self, classify: tuple[str, ...] = ("02",)) -> list[GgzyRecord]:
        return [r for r in self.records if r.classify in classify]

    def requests_for(self, prefix: str) -> list[LoggedRequest]:
        with self._lock:
            return [r for r in self.log if r.path.startswith(prefix)]

    # -- HTTP ------------------------------------------------------------------------------------------

    def handle(self, target: str, headers: dict[str, str], method: str = "GET", body: bytes = b""):
        status, out_headers, out, note = self._route(target, headers, method, body)
        with self._lock:
            self.log.append(LoggedRequest(target, status, len(out), note))
        return status, out_headers, out

    def _route(self, target, headers, method, body):
        path = urlsplit(target).path
        if path == "/robots.txt":
            text = "User-agent: *\n" + "".join(f"Disallow: {p}\n" for p in self.options.robots_disallow)
            return 200, {"Content-Type": "text/plain; charset=utf-8"}, text.encode(), ""
        if path in ("/", "/index.html"):
            return _html(200, _page("全国公共资源交易平台", "<div class='index'><a href='/deal/dealList.html'>交易公开</a></div>"))
        if path == API_PATH:
            if method != "POST":
                return _html(405, _page("405", "<h1>405 Method Not Allowed</h1>"))
            return self._api(parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True))
        if path.startswith(("/cggg/", "/gpx-public-file")):
            status, h, out = self.ccgp.handle(target, headers)
            return status, h, out, "origin"
        if target in self.files:
            a = self.files[target]
            data = (FILES_DIR / a["file"]).read_bytes()
            return 200, {"Content-Type": "application/pdf", "Content-Disposition": f"attachment;filename={quote(a['name'])}"}, data, ""
        found = self.by_path.get(path)
        if found is None:
            return _html(404, _page("404", "<h1>404 Not Found</h1>"))
        kind, record = found
        if kind == "a":
            frame = f"<iframe id='contentFrame' src='{html.escape(record.path('b'))}' width='100%' height='1600'></iframe>"
            return _html(200, _page(record.title, frame))
        return _html(200, self._content_page(record))

    def _api(self, form: dict[str, list[str]]):
        def arg(name: str) -> str:
            return (form.get(name) or [""])[0].strip()

        with self._lock:
            self.api_calls += 1
            call = self.api_calls
        if not arg("DEAL_TIME"):  # the real API answers an incomplete form with its HTML 404 page
            return _html(404, _page("404", "<h1>页面不存在</h1>"))
        code = self.options.code_at.get(call)
        if self.options.captcha_from is not None and call >= self.options.captcha_from:
            code = 829
        begin, end = _day(arg("TIMEBEGIN")), _day(arg("TIMEEND"))
        province = arg("DEAL_PROVINCE") or "0"
        if code is None and province == "0" and any(begin and end and begin <= _day(d) <= end for d in self.options.narrow_days):
            code = 804
        if code is not None:
            return _json({"code": code, "message": BUSINESS_MESSAGES.get(code, "error"), "data": None}, note=f"code_{code}")
        classify, stage = arg("DEAL_CLASSIFY"), arg("DEAL_STAGE")
        rows = [
            r for r in self.records
            if (not classify or classify == "00" or r.classify == classify)
            and (stage in ("", "0000") or r.stage == stage or (stage.endswith("00") and r.stage[:2] == stage[:2]))
            and (province == "0" or r.province == province)
            and (begin is None or r.day >= begin) and (end is None or r.day <= end)
        ]
        if classify == "00":
            rows = []  # "全部" answers nothing on the real API
        keyword = arg("FINDTXT")
        if keyword:
            hits = [r for r in rows if keyword.lower() in r.title.lower()]
            rows = hits or rows  # no hits: the unfiltered list, as if no keyword was given
        rows.sort(key=lambda r: (r.published, r.id), reverse=True)
        total = min(len(rows), self.options.cap)
        size = self.options.page_size
        try:
            page = max(1, int(arg("PAGENUMBER") or 1))
        except ValueError:
            page = 1
        chunk = rows[:total][(page - 1) * size:page * size]
        data = {"records": [r.api_record() for r in chunk], "total": total, "size": size, "current": page,
                "pages": math.ceil(total / size)}
        return _json({"code": 200, "message": "success", "data": data})

    def _content_page(self, record: GgzyRecord) -> bytes:
        origin = ""
        body = record.fields.get("body") or []
        notice = self.ccgp_notices.get(record.fields.get("ccgp"))
        if body == "copy" and notice is not None:
            content = _ccgp_body(self.ccgp, notice)
        else:
            content = "".join(f"<p>{html.escape(line)}</p>" for line in body)
            if not body and notice is not None:
                origin = notice.site_url
        links = "".join(
            f"<p><a class='bizDownload' id='{a['uuid']}' href='javascript:void(0)'>{html.escape(a['name'])}</a></p>"
            for a in record.attachments)
        script = ("<script>$(function(){var u=\"" + origin + "\";if(u){$(\".detail_url a\").attr(\"href\", \"" + origin
                  + "\");$(\".detail_url\").show();}});</script>") if origin else ""
        inner = f"""<div class="detail">
<h4 class="h4_o">{html.escape(record.title)}</h4>
<p class="p_o"><span>发布时间：{record.published:%Y-%m-%d %H:%M}</span>
<span>信息来源：<label id="platformName">{html.escape(record.platform)}</label></span>
<span class="detail_url" style="display:none">原文链接地址：<a href="" target="_blank">点击查看</a></span></p>
<div id="mycontent"><div class="detail_content">{content}</div></div>
<div class="fujian">{links}</div>
</div>{script}"""
        return _page(record.title, inner)


def _ccgp_body(ccgp: ReplicaSite, notice) -> str:
    """The body of a ccgp notice page, as a republishing platform copies it."""
    from crawler.replica import render

    page = render.detail_page(notice).decode("utf-8", "replace")
    match = re.search(r'<div class="vF_detail_content">(.*?)<div style="width:780px;height:0;clear:both">', page, re.S)
    # A careful republisher makes the copy's relative links absolute (they point at ccgp's files).
    return re.sub(r'href="/', 'href="http://www.ccgp.gov.cn/', match.group(1)) if match else ""


def _day(text: str) -> date | None:
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        return None


def _page(title: str, inner: str) -> bytes:
    return (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
            f"<script src=\"/static/js/jquery.min.js\"></script></head><body>{inner}</body></html>").encode("utf-8")


def _html(status: int, body: bytes):
    return status, {"Content-Type": "text/html; charset=utf-8"}, body, "" if status == 200 else "missing"


def _json(payload: dict, note: str = ""):
    return 200, {"Content-Type": "application/json;charset=UTF-8"}, json.dumps(payload, ensure_ascii=False).encode("utf-8"), note


def day_range(start: date, end: date):
    d = start
    while d <= end:
        yield d
        d += timedelta(days=1)
