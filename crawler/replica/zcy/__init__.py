"""The replica of two 政采云 portals — Zhejiang (zfcg.czt.zj.gov.cn) and Shanghai (www.zfcg.sh.gov.cn) —
under one root: ``/zj/…`` and ``/sh/…`` are the two hosts. Each serves its SPA homepage, the JSON
``POST /portal/category`` list and ``GET /portal/detail?articleId=`` detail APIs, attachments at
``/attachment/downloadUrl?fileId=``, and ``/site/detail?articleId=`` (the human page, an empty SPA shell).

Manners: pageSize is capped (``max_page_size``) whatever the client asks, so lists page; a portal named in
``challenge`` answers every request with Aliyun WAF's JavaScript challenge page (HTTP 200, ``renderData``
and ``aliyun_waf_aa`` in the markup), as Zhejiang did to plain HTTP clients in 2026.
"""

from __future__ import annotations

import hashlib
import html
import json
import math
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from crawler.replica.content import FILES_DIR, Record, read_records
from crawler.replica.site import LoggedRequest

HERE = Path(__file__).resolve().parent
PORTALS = {"zj": "zfcg.czt.zj.gov.cn", "sh": "www.zfcg.sh.gov.cn"}
CHINA = timezone(timedelta(hours=8))
CHALLENGE_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title></title></head><body>
<textarea id="renderData" style="display:none">{"_waf_bd8ce2ce37":"8dPYmz4jTk1bZqlN3vQeLgA6xH0="}</textarea>
<script>var arg1='C3B0C2F1E8A44D6B9A0E7F3D2C1B5A6978F0E1D2';</script>
<script src="/aliyun_waf_aa/aliyun_waf_aa.js"></script>
<script>window.onload=function(){setTimeout(function(){location.reload();},300);}</script>
</body></html>"""


@dataclass
class ZcyOptions:
    max_page_size: int = 2  # the portals cap pageSize; small here so lists have several pages
    challenge: tuple[str, ...] = ()  # portals answering everything with the WAF JS challenge
    robots_disallow: list[str] = field(default_factory=lambda: ["/admin/"])


class ZcyArticle(Record):

    @property
    def published_at(self) -> datetime:
        return datetime.strptime(self.fields["published"], "%Y-%m-%d %H:%M")

    @property
    def publish_ms(self) -> int:
        return int(self.published_at.replace(tzinfo=CHINA).timestamp() * 1000)

    @property
    def human_url(self) -> str:
        """The canonical URL the spider stores (the portal's own detail page)."""
        if self.portal == "sh":
            return f"https://{PORTALS['sh']}/site/detail?parentId=137027&articleId={quote(self.articleId, safe='')}"
        return f"https://{PORTALS[self.portal]}/site/detail?articleId={quote(self.articleId, safe='')}"

    @property
    def attachments(self) -> list[dict[str, Any]]:
        out = []
        for i, a in enumerate(self.fields.get("attachments", [])):
            file_id = hashlib.sha1(f"{self.articleId}-{i}".encode()).hexdigest()[:24]
            out.append({**a, "fileId": file_id, "size": (FILES_DIR / a["file"]).stat().st_size})
        return out

    def list_item(self) -> dict[str, Any]:
        return {
            "articleId": self.articleId, "title": self.title, "pathName": "采购公告", "publishDate": self.publish_ms,
            "districtCode": "339900" if self.portal == "zj" else "310000", "districtName": self.district,
            "gpCatalogName": "", "procurementMethod": self.announcement_type, "projectCode": self.project_code,
            "projectName": self.project_name, "purchaseName": self.purchaser, "author": self.agency,
            "budgetPrice": self.budget, "supplierName": None, "totalContractAmount": None, "bidOpeningTime": None,
        }

    def detail(self) -> dict[str, Any]:
        return {
            "title": self.title, "content": render_content(self.content), "publishDate": self.publish_ms,
            "projectCode": self.project_code, "projectName": self.project_name,
            "announcementType": self.announcement_type, "districtName": self.district,
            "attachmentList": [{"name": a["name"], "fileId": a["fileId"], "size": a["size"]} for a in self.attachments],
            "expiredAt": None,
        }


def render_content(lines: list[str]) -> str:
    """The body HTML as the portals emit it (template-center-mark wrapper, code-* classes on fields)."""
    out, rows = [], []
    for line in lines + [""]:
        if line.startswith("|"):
            rows.append(line[1:].split("|"))
            continue
        if rows:
            head, *body = rows
            out.append("<table class='template-bookmark'><tr>" + "".join(f"<th>{html.escape(c)}</th>" for c in head) + "</tr>"
                       + "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in body) + "</table>")
            rows = []
        if line:
            out.append(f"<p class='code-text'>{html.escape(line)}</p>")
    return "<div id='template-center-mark'>" + "".join(out) + "</div>"


def load_articles(path: Path = HERE / "articles.toml") -> list[ZcyArticle]:
    return read_records(path, "article", ZcyArticle, lambda a: (a.portal, a.articleId))


class ZcyReplica:
    accepts_post = True

    def __init__(self, options: ZcyOptions | None = None, articles: list[ZcyArticle] | None = None):
        self.options = options or ZcyOptions()
        self.articles = articles if articles is not None else load_articles()
        self.log: list[LoggedRequest] = []
        self._lock = threading.Lock()

    def portal_articles(self, portal: str) -> list[ZcyArticle]:
        return [a for a in self.articles if a.portal == portal]

    def requests_for(self, prefix: str) -> list[LoggedRequest]:
        with self._lock:
            return [r for r in self.log if r.path.startswith(prefix)]

    def handle(self, target: str, headers: dict[str, str], method: str = "GET", body: bytes = b""):
        status, out_headers, out, note = self._route(target, method, body)
        with self._lock:
            self.log.append(LoggedRequest(target, status, len(out), note))
        return status, out_headers, out

    def _route(self, target: str, method: str, body: bytes):
        parts = urlsplit(target)
        if parts.path == "/robots.txt":
            text = "User-agent: *\n" + "".join(f"Disallow: /{p}{d}\n" for p in PORTALS for d in self.options.robots_disallow)
            return 200, {"Content-Type": "text/plain; charset=utf-8"}, text.encode(), ""
        portal, _, rest = parts.path.lstrip("/").partition("/")
        if portal not in PORTALS:
            return _html(404, "<h1>404</h1>") + ("missing",)
        path, query = "/" + rest, parse_qs(parts.query)
        if portal in self.options.challenge:
            return 200, {"Content-Type": "text/html; charset=utf-8", "Set-Cookie": "acw_tc=7b39758217; Path=/"}, CHALLENGE_PAGE.encode(), "challenge"
        if path in ("/", "/site/index", "/luban/index"):
            return _html(200, "<div id='app'></div><script src='/static/js/app.js'></script>", cookie=True) + ("",)
        if path == "/portal/category":
            if method != "POST":  # the real portal answers a GET with HTTP 416
                return _html(416, "<h1>416</h1>") + ("missing",)
            try:
                return self._category(portal, json.loads(body or b"{}"))
            except (ValueError, TypeError):
                return _json({"success": False, "error": "参数错误", "result": None}) + ("",)
        if path == "/portal/detail":
            article = next((a for a in self.portal_articles(portal) if a.articleId == (query.get("articleId") or [""])[0]), None)
            if article is None:
                return _json({"success": False, "error": "文章不存在", "result": None}) + ("missing",)
            return _json({"success": True, "error": None, "result": {"data": article.detail()}}) + ("",)
        if path == "/site/detail":
            return _html(200, "<div id='app'></div><script src='/static/js/detail.js'></script>") + ("",)
        if path == "/attachment/downloadUrl":
            file_id = (query.get("fileId") or [""])[0]
            for a in self.portal_articles(portal):
                for att in a.attachments:
                    if att["fileId"] == file_id:
                        data = (FILES_DIR / att["file"]).read_bytes()
                        return 200, {"Content-Type": "application/octet-stream",
                                     "Content-Disposition": f"attachment; filename*=UTF-8''{quote(att['name'])}"}, data, ""
        return _html(404, "<h1>404</h1>") + ("missing",)

    def _category(self, portal: str, body: dict[str, Any]):
        code = body.get("categoryCode")
        page = max(1, int(body.get("pageNo") or 1))
        size = max(1, min(int(body.get("pageSize") or 15), self.options.max_page_size))
        begin, end = _day(body.get("publishDateBegin")), _day(body.get("publishDateEnd"))
        keyword = (body.get("keyword") or "").strip()
        rows = [a for a in self.portal_articles(portal) if a.category == code
                and (begin is None or a.published_at.date() >= begin) and (end is None or a.published_at.date() <= end)
                and (not keyword or keyword in a.title)]
        rows.sort(key=lambda a: a.published_at, reverse=True)
        chunk = rows[(page - 1) * size:page * size]
        data = {"total": len(rows), "data": [a.list_item() for a in chunk], "pageNo": page, "pageSize": size,
                "pages": math.ceil(len(rows) / size)}
        return _json({"success": True, "error": None, "result": {"data": data}}) + ("",)


def _day(value):
    try:
        return datetime.strptime(str(value), "%Y-%m-%d").date() if value else None
    except ValueError:
        return None


def _html(status: int, inner: str, cookie: bool = False):
    headers = {"Content-Type": "text/html; charset=utf-8"}
    if cookie:  # the portals' client id cookie (sites.md §0)
        headers["Set-Cookie"] = "_zcy_log_client_uuid=2f6c1e40-8a1b-11f0-9c4e-5b3f0d2a7e91; Path=/"
    page = f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>政府采购网</title></head><body>{inner}</body></html>"
    return status, headers, page.encode("utf-8")


def _json(payload: dict):
    return 200, {"Content-Type": "application/json;charset=UTF-8"}, json.dumps(payload, ensure_ascii=False).encode("utf-8")

