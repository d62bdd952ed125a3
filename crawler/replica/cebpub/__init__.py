"""The replica of bulletin.cebpubservice.com (中国招标投标公共服务平台): the bulletin list pages
``/xxfbcmses/search/{bulletin,change,result}.html`` (an HTML table, ``page=N``, total pages in
``div.pagination label``) and each notice's full text as a PDF at
``/agency/api/agency-business/tenant-record/record-pdf/{uuid}``.

Manners: with ``captcha_after`` set, every request after that many redirects (302) to the slider captcha
``/VerificationCode/login.html?id=88&url=…``, as the real site does to clients it distrusts.
"""

from __future__ import annotations

import html
import math
import threading
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from crawler.replica.content import Record, read_records
from crawler.replica.site import LoggedRequest

HERE = Path(__file__).resolve().parent
FILES = HERE / "files"
PDF_PATH = "/agency/api/agency-business/tenant-record/record-pdf/"
# list file -> (categoryId, heading of the first column)
CATEGORIES = {"bulletin": ("88", "招标公告名称"), "change": ("89", "变更公告名称"), "result": ("90", "结果公示名称")}


@dataclass
class CebpubOptions:
    page_size: int = 3  # small, so lists have several pages (the real site shows 15)
    captcha_after: int | None = None  # after this many list/PDF requests, redirect to the slider captcha


class Bulletin(Record):

    @property
    def day(self) -> date:
        return datetime.strptime(self.fields["date"], "%Y-%m-%d").date()

    @property
    def pdf_url(self) -> str:
        """The canonical URL the spider stores."""
        return f"https://bulletin.cebpubservice.com{PDF_PATH}{self.uuid}"

    def pdf(self) -> bytes:
        return (FILES / f"{self.uuid}.pdf").read_bytes()


def load_bulletins(path: Path = HERE / "bulletins.toml") -> list[Bulletin]:
    return read_records(path, "bulletin", Bulletin, lambda b: b.uuid)


class CebpubReplica:
    accepts_post = True  # POSTs get the site's 405 like any unknown method

    def __init__(self, options: CebpubOptions | None = None, bulletins: list[Bulletin] | None = None):
        self.options = options or CebpubOptions()
        self.bulletins = bulletins if bulletins is not None else load_bulletins()
        self.log: list[LoggedRequest] = []
        self._lock = threading.Lock()
        self._content_requests = 0

    def requests_for(self, prefix: str) -> list[LoggedRequest]:
        with self._lock:
            return [r for r in self.log if r.path.startswith(prefix)]

    def handle(self, target: str, headers: dict[str, str], method: str = "GET", body: bytes = b""):
        status, out_headers, out, note = self._route(target, method)
        with self._lock:
            self.log.append(LoggedRequest(target, status, len(out), note))
        return status, out_headers, out

    def _route(self, target: str, method: str):
        parts = urlsplit(target)
        path, query = parts.path, parse_qs(parts.query)
        if path == "/robots.txt":
            return 200, {"Content-Type": "text/plain; charset=utf-8"}, b"User-agent: *\nDisallow: /admin/\n", ""
        if path == "/VerificationCode/login.html":
            return _page(200, "安全验证", "<div id='vaptchaContainer'>请拖动滑块完成人机验证</div>"
                         "<script src='https://v.vaptcha.com/v3.js'></script>") + ("captcha",)
        if method != "GET":
            return _page(405, "405", "<h1>405 Method Not Allowed</h1>") + ("missing",)
        if path in ("/", "/xxfbcmses/"):
            return _page(200, "中国招标投标公共服务平台", "<div class='index'>公告公示</div>") + ("",)
        is_list = path.startswith("/xxfbcmses/search/") and path.endswith(".html")
        is_pdf = path.startswith(PDF_PATH)
        if (is_list or is_pdf) and self._captcha_due():
            location = f"/VerificationCode/login.html?id=88&url={quote(target, safe='')}"
            return 302, {"Location": location, "Content-Type": "text/html; charset=utf-8"}, b"", "captcha"
        if is_list:
            return self._list(path.rsplit("/", 1)[-1][:-5], query)
        if is_pdf:
            bulletin = next((b for b in self.bulletins if b.uuid == path[len(PDF_PATH):]), None)
            if bulletin is None:
                return 200, {"Content-Type": "application/json;charset=UTF-8"}, b'{"code":500,"msg":"record not found"}', "missing"
            return 200, {"Content-Type": "application/pdf", "Content-Disposition": f"inline; filename={bulletin.uuid}.pdf"}, bulletin.pdf(), ""
        return _page(404, "404", "<h1>404 Not Found</h1>") + ("missing",)

    def _captcha_due(self) -> bool:
        if self.options.captcha_after is None:
            return False
        with self._lock:
            self._content_requests += 1
            return self._content_requests > self.options.captcha_after

    def _list(self, category: str, query: dict[str, list[str]]):
        if category not in CATEGORIES:
            return _page(404, "404", "<h1>404 Not Found</h1>") + ("missing",)

        def arg(name: str) -> str:
            return (query.get(name) or [""])[0]

        # The page's JavaScript encodes `word` twice; one decoding is left after the query string's own.
        word = unquote(arg("word")).strip()
        start, end = _day(arg("startcheckDate")), _day(arg("endcheckDate")[:10])
        rows = [b for b in self.bulletins if b.category == category and (not word or word in b.title)
                and (start is None or b.day >= start) and (end is None or b.day <= end)]
        rows.sort(key=lambda b: (b.day, b.uuid), reverse=True)
        size = self.options.page_size
        pages = max(1, math.ceil(len(rows) / size))
        try:
            page = max(1, int(arg("page") or 1))
        except ValueError:
            page = 1
        chunk = rows[(page - 1) * size:page * size]
        heading = CATEGORIES[category][1]
        trs = "".join(
            f"<tr><td style='text-align:left;'><a href=\"javascript:urlOpen('{b.uuid}')\" title=\"{html.escape(b.title)}\">"
            f"{html.escape(b.title)}</a></td><td>{html.escape(b.industry)}</td><td>【{html.escape(b.area)}】</td>"
            f"<td>{html.escape(b.source)}</td><td>{b.date}</td></tr>"
            for b in chunk)
        empty = "" if chunk else "<tr><td colspan='5'>暂无数据</td></tr>"
        inner = (f"<div class='inner-main-content'><table class='table_text' width='100%'>"
                 f"<tr><th>{heading}</th><th>所属行业</th><th>所属地区</th><th>来源渠道</th><th>公告发布时间</th></tr>"
                 f"{trs}{empty}</table>"
                 f"<div class='pagination'>共<label>{pages}</label>页 当前第{page}页</div></div>")
        return _page(200, "中国招标投标公共服务平台", inner) + ("",)


def _day(value: str) -> date | None:
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        return None


def _page(status: int, title: str, inner: str):
    page = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head>"
            f"<body>{inner}</body></html>")
    return status, {"Content-Type": "text/html; charset=utf-8"}, page.encode("utf-8")
