"""The replica of www.ccgp.gov.cn (plus search.ccgp.gov.cn/bxsearch and download.ccgp.gov.cn/oss/download)
under one root: routing, and the real site's manners — WAF cookies from the homepage, robots.txt, a
CDN that sometimes answers 200 with an empty body, a "频繁访问" block page — with every request logged so
tests can see what the crawler fetched.

WAF mode (`waf_lifetime`): as on the real site, every page's script sets a fresh HBB_HC that lives
`waf_lifetime` seconds (the real 600 s, compressed), and every request but the homepage and robots.txt
needs a live one, or gets 403. `refuse_all` answers 403 to everything.

`ReplicaSite.handle()` is plain Python (path + headers in, status + headers + body out); server.py puts it
behind a threaded HTTP server.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, quote, urlsplit

from crawler.replica import render
from crawler.replica.content import CHANNEL_TYPES, ZONES, ReplicaNotice, generated_notices, load_notices

CONTENT_TYPES = {
    ".pdf": "application/pdf",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xls": "application/vnd.ms-excel",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".zip": "application/zip",
    ".rar": "application/vnd.rar",
    ".7z": "application/x-7z-compressed",
    ".wps": "application/kswps",
}
DEFAULT_ROBOTS = ["/_bot_sbu/", "/_ws_sbu/", "/zxly/"]
FORBIDDEN = (b"<html><head><title>403 Forbidden</title></head><body><center><h1>403 Forbidden</h1></center>"
             b"<hr><center>openresty</center></body></html>")


@dataclass
class ReplicaOptions:
    list_page_size: int = 4  # small, so the replica's channels have several pages
    search_page_size: int = 5
    require_cookies: bool = True  # list and search pages need the homepage's WAF cookie, as on the real site
    robots_disallow: list[str] = field(default_factory=lambda: list(DEFAULT_ROBOTS))
    block_after: int | None = None  # after this many content requests, every content request gets 频繁访问
    block_prefix: str = "/"  # … only requests whose path starts with this
    block_pages: int | None = None  # … only this many block pages, then normal answers again (None: all)
    generated: int = 0  # extra generated notices (large replica for benchmarks)
    changed: bool = False  # serve the [notice.changed] variants
    slow_paths: dict[str, float] = field(default_factory=dict)  # path -> seconds to wait before answering
    latency: float = 0.0  # seconds every other answer takes (a distant server; benchmarks)
    waf_lifetime: int | None = None  # WAF mode: HBB_HC lives this many seconds, renewed by every page
    waf_declared: int | None = None  # the max-age the script states, if not the true lifetime (a WAF that ends
    # sessions early: only a refusal tells the crawler)
    refuse_all: bool = False  # 403 to every request


@dataclass
class LoggedRequest:
    path: str
    status: int
    size: int
    note: str = ""  # "empty", "blocked", "waf", "missing"
    at: float = 0.0  # time.monotonic() when the request arrived (politeness is measured from these)
    agent: str = ""  # the request's User-Agent (tells apart crawl processes that set their own)


class ReplicaSite:
    def __init__(self, options: ReplicaOptions | None = None, notices: list[ReplicaNotice] | None = None):
        self.options = options or ReplicaOptions()
        base = notices if notices is not None else load_notices()
        self.notices = base + generated_notices(self.options.generated, base)
        self.by_path = {n.path: n for n in self.notices}
        self.attachments = {a.path: a for n in self.notices for a in n.attachments}
        self.log: list[LoggedRequest] = []
        self._lock = threading.Lock()
        self._empty_served: set[str] = set()
        self._content_requests = 0
        self._waf_tokens: dict[str, float] = {}  # HBB_HC value -> time.monotonic() when it lapses

    # -- what the replica serves (tests compare the crawl with these) --------------------------------------

    def notice(self, notice_id: int) -> ReplicaNotice:
        return next(n for n in self.notices if n.id == notice_id)

    def served(self, notice: ReplicaNotice) -> ReplicaNotice:
        return notice.variant(self.options.changed)

    def requests_for(self, path_prefix: str) -> list[LoggedRequest]:
        with self._lock:
            return [r for r in self.log if r.path.startswith(path_prefix)]

    # -- HTTP ----------------------------------------------------------------------------------------------

    def handle(self, target: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        arrived = time.monotonic()
        status, out_headers, body, note = self._route(target, headers)  # the WAF looks at the request on arrival
        if self.options.waf_lifetime and status == 200 and out_headers.get("Content-Type", "").startswith("text/html"):
            body = self._renew_waf_cookie(body)
        delay = self.options.slow_paths.get(target, self.options.latency)
        if delay:
            time.sleep(delay)  # a slow server (each connection has its own thread)
        with self._lock:
            self.log.append(LoggedRequest(target, status, len(body), note, arrived, headers.get("User-Agent", "")))
        out_headers.setdefault("Content-Length", str(len(body)))
        return status, out_headers, body

    def _route(self, target: str, headers: dict[str, str]):
        parts = urlsplit(target)
        path, query = parts.path, parse_qs(parts.query)
        if self.options.refuse_all:  # the CDN's bare 403: no block-page words for the crawler to recognise
            return 403, {"Content-Type": "text/html; charset=utf-8"}, FORBIDDEN, "refused"
        if path == "/robots.txt":
            return self._text("User-agent: *\n" + "".join(f"Disallow: {p}\n" for p in self.options.robots_disallow))
        if path in ("/", "/index.htm", "/index.shtml"):
            return self._home()
        if self.options.waf_lifetime and not self._live_waf_cookie(headers):
            return 403, {"Content-Type": "text/html; charset=utf-8"}, render.waf_denied_page(), "waf"
        if self._blocked(path):
            return 200, {"Content-Type": "text/html; charset=utf-8"}, render.block_page(), "blocked"
        if path.startswith("/cggg/") or path == "/bxsearch":
            if self.options.require_cookies and not self._has_waf_cookie(headers):
                return 403, {"Content-Type": "text/html; charset=utf-8"}, render.waf_denied_page(), "waf"
        if path == "/bxsearch":
            return self._search(query)
        if path.startswith("/cggg/"):
            return self._cggg(path)
        attachment = self.attachments.get(target)
        if attachment is not None:
            return self._attachment(attachment)
        return self._not_found()

    def _blocked(self, path: str) -> bool:
        if self.options.block_after is None or not path.startswith(self.options.block_prefix):
            return False
        with self._lock:
            self._content_requests += 1
            over = self._content_requests - self.options.block_after
            return over > 0 and (self.options.block_pages is None or over <= self.options.block_pages)

    @staticmethod
    def _has_waf_cookie(headers: dict[str, str]) -> bool:
        cookie = SimpleCookie()
        cookie.load(headers.get("Cookie", ""))
        return "HOY_TR" in cookie and cookie["HOY_TR"].value == render.WAF_COOKIES["hoy_tr"]

    def _live_waf_cookie(self, headers: dict[str, str]) -> bool:
        cookie = SimpleCookie()
        cookie.load(headers.get("Cookie", ""))
        if "HBB_HC" not in cookie:
            return False
        with self._lock:
            lapses = self._waf_tokens.get(cookie["HBB_HC"].value)
        return lapses is not None and time.monotonic() < lapses

    def _renew_waf_cookie(self, body: bytes) -> bytes:
        """The page's script sets a new HBB_HC with the replica's lifetime (the template's is the real one)."""
        lifetime = self.options.waf_lifetime
        with self._lock:
            token = f"{render.WAF_COOKIES['hbb_hc'][:64]}{len(self._waf_tokens):08d}"
            self._waf_tokens[token] = time.monotonic() + lifetime
        old = f"HBB_HC={render.WAF_COOKIES['hbb_hc']}; max-age=600".encode()
        return body.replace(old, f"HBB_HC={token}; max-age={self.options.waf_declared or lifetime}".encode())

    def _home(self):
        headers = {"Content-Type": "text/html; charset=utf-8",
                   "Set-Cookie": "JSESSIONID=A1B2C3D4E5F60718293A4B5C6D7E8F90; Path=/; HttpOnly"}
        return 200, headers, render.home_page(), ""

    @staticmethod
    def _text(text: str):
        return 200, {"Content-Type": "text/plain; charset=utf-8"}, text.encode(), ""

    @staticmethod
    def _not_found():
        return 404, {"Content-Type": "text/html; charset=utf-8"}, b"<html><body><h1>404 Not Found</h1></body></html>", "missing"

    def _cggg(self, path: str):
        notice = self.by_path.get(path)
        if notice is not None:
            return self._detail(notice)
        segments = path.strip("/").split("/")
        if len(segments) not in (3, 4) or segments[1] not in ZONES or segments[2] not in CHANNEL_TYPES:
            return self._not_found()
        page_name = segments[3] if len(segments) == 4 else "index.htm"
        if page_name == "index.htm":
            page = 0
        elif page_name.startswith("index_") and page_name.endswith(".htm") and page_name[6:-4].isdigit():
            page = int(page_name[6:-4])
        else:
            return self._not_found()
        zone, channel = segments[1], segments[2]
        items = sorted((self.served(n) for n in self.notices if n.zone == zone and n.channel == channel),
                       key=lambda n: (n.published_at, n.id), reverse=True)
        size = self.options.list_page_size
        pages = max(1, math.ceil(len(items) / size))
        if page >= pages:
            return self._not_found()
        body = render.list_page(zone, channel, items[page * size:(page + 1) * size], page, pages)
        return 200, {"Content-Type": "text/html; charset=utf-8"}, body, ""

    def _detail(self, notice: ReplicaNotice):
        notice = self.served(notice)
        if notice.fields.get("empty_first"):
            with self._lock:
                first = notice.path not in self._empty_served
                self._empty_served.add(notice.path)
            if first:  # the real CDN's intermittent 200 + 0 bytes
                return 200, {"Content-Type": "text/html; charset=utf-8"}, b"", "empty"
        body = render.detail_page(notice)
        encoding = notice.fields.get("encoding", "utf-8")
        content_type = "text/html; charset=utf-8" if encoding == "utf-8" else "text/html"
        return 200, {"Content-Type": content_type}, body, ""

    def _search(self, query: dict[str, list[str]]):
        def arg(name: str, default: str = "") -> str:
            return query.get(name, [default])[0]

        kw = arg("kw").strip()
        words = kw.split()
        full_text = arg("searchtype", "1") == "2"
        bid_type = int(arg("bidType", "0") or 0)
        bid_sort = arg("bidSort", "0")
        start = end = None
        if arg("timeType") == "6":
            start = _parse_search_date(arg("start_time"))
            end = _parse_search_date(arg("end_time"))
        try:
            page = max(1, int(arg("page_index", "1")))
        except ValueError:
            page = 1
        hits = []
        for n in map(self.served, self.notices):
            haystack = n.text_for_search() if full_text else n.title
            if not all(w in haystack for w in words):
                continue
            if bid_type and n.bid_type != bid_type:
                continue
            if bid_sort in ("1", "2") and n.zone != ("zygg" if bid_sort == "1" else "dfgg"):
                continue
            day = n.published_at.date()
            if (start and day < start) or (end and day > end):
                continue
            hits.append(n)
        hits.sort(key=lambda n: (n.published_at, n.id), reverse=True)
        size = self.options.search_page_size
        pages = math.ceil(len(hits) / size)
        chunk = hits[(page - 1) * size:page * size]
        body = render.search_page(kw, chunk, page, pages, len(hits), "所有公告")
        return 200, {"Content-Type": "text/html; charset=utf-8"}, body, ""

    @staticmethod
    def _attachment(attachment):
        data = attachment.data()
        if data is None:
            return 404, {"Content-Type": "text/html; charset=utf-8"}, b"<html><body>file not found</body></html>", "missing"
        extension = "." + attachment.name.rsplit(".", 1)[-1].lower()
        headers = {
            "Content-Type": CONTENT_TYPES.get(extension, "application/octet-stream"),
            "Content-Disposition": f"attachment;filename={quote(attachment.name)}",
        }
        return 200, headers, data, ""


def _parse_search_date(value: str):
    """bxsearch dates are YYYY:MM:DD."""
    try:
        return datetime.strptime(value, "%Y:%m:%d").date()
    except ValueError:
        return None
