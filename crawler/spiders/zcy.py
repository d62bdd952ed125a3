from __future__ import annotations

import html
import time
from datetime import date, datetime, timedelta, timezone
from urllib.parse import quote, urlsplit, urlunsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import CloseSpider
from scrapy.http import JsonRequest

from crawler.items import AttachmentLink, RawNotice
from crawler.spiders.base import ListEntry, ProcurementSpider, SpiderArgumentError, default_window

CHINA = timezone(timedelta(hours=8))  # publishDate is epoch milliseconds; notices print Beijing time


class ZcySpider(ProcurementSpider):
    """
    Domain
      政采云 portals: 浙江政府采购网 zfcg.czt.zj.gov.cn and 上海政府采购网 www.zfcg.sh.gov.cn — the JSON
      /portal/category list and /portal/detail APIs; sites/zcy.toml
    Spider arguments
      channels
        Portals: zj, sh. Default: both.
      keywords
        `keyword` terms searched within each category; '' = whole category lists.
      site_root
        Each portal is fetched from ``<site_root>/<portal>/`` (their paths are the same on both hosts).
    Blocking
      A portal that answers with Aliyun WAF's JavaScript challenge is recorded (``blocked``) and left alone;
      the other portals are crawled, and the run ends with status blocked, saying which portal refused.
    """

    name = "zcy"
    # ProcurementSpider
    homepage_first = False  # each portal's homepage (its client cookie) is visited in start_lists

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.spider_idle, signal=signals.spider_idle)
        return spider

    def parse_channels(self, names):
        conf = self.site["channels"]
        chosen = conf["default"] if names is None else names
        unknown = [n for n in chosen if n not in conf or n == "default"]
        if unknown:
            raise SpiderArgumentError(f"spider argument `channels`: unknown portal {unknown[0]!r} (known: {', '.join(conf['default'])})")
        return list(dict.fromkeys(chosen))

    # -- hosts: both portals have the same paths, so --site-root serves each under its own key -------------

    def fetch_url(self, url):
        if not self.site_root or url.startswith(self.site_root + "/"):
            return url
        parts = urlsplit(url)
        portal = self.portal_of_host().get(self._site_host(parts.hostname) or "")
        if portal is None:
            return url
        return f"{self.site_root}/{portal}" + urlunsplit(("", "", parts.path or "/", parts.query, ""))

    def portal_of_host(self):
        return {self.site["channels"][p]["host"]: p for p in self.site["channels"]["default"]}

    # -- lists ----------------------------------------------------------------------------------------

    def start_lists(self):
        self.blocked_portals: dict[str, str] = {}
        self.served: dict[tuple, int] = {}
        for portal in self.channels:
            yield self.page_request(self.site["channels"][portal]["homepage"], self.portal_home,
                                    meta={"portal": portal}, dont_filter=True, priority=100)

    def portal_home(self, response):
        portal = response.meta["portal"]
        if self.challenged(response, portal):
            return
        for code in self.site["channels"][portal]["categories"]:
            for keyword in self.keywords or [""]:
                yield self.category_request((portal, code, keyword), 1)

    def category_request(self, key, page):
        portal, code, keyword = key
        conf, api = self.site["channels"][portal], self.site["api"]
        start, end = (self.since, self.until or date.today()) if self.since else default_window(self.until, api["default_days"])
        body = {"pageNo": page, "pageSize": api["page_size"], "categoryCode": code, **conf.get("body", {}),
                "_t": int(time.time() * 1000), "publishDateBegin": start.isoformat(), "publishDateEnd": end.isoformat()}
        if keyword:
            body["keyword"] = keyword
        return JsonRequest(self.fetch_url(f"https://{conf['host']}{api['category']}"), data=body, callback=self.parse_category,
                           errback=self.page_failed, dont_filter=True,
                           meta={"portal": portal, "list_key": key, "page": page})

    def parse_category(self, response):
        portal, key, page = response.meta["portal"], response.meta["list_key"], response.meta["page"]
        if self.challenged(response, portal):
            return
        self.crawler.stats.inc_value("tenderwatch/pages/list")
        try:
            payload = response.json()
            data = payload["result"]["data"]
            items, total = list(data.get("data") or []), int(data.get("total") or 0)
        except (ValueError, KeyError, TypeError) as exc:
            self.record_error(response.url, "parse_error", f"category {key[1]} page {page}: not the API's JSON ({exc!r})")
            return
        for item in items:
            entry = self.list_entry(portal, key[1], item)
            if entry is None or not self.in_window(entry.published):
                continue
            request = self.notice_request(entry)
            if request is not None:
                ms = int(time.time() * 1000)
                api = f"https://{self.site['channels'][portal]['host']}" + self.site["api"]["detail"].format(
                    id=quote(entry.meta["article_id"], safe=""), ms=ms)
                yield request.replace(url=self.fetch_url(api), callback=self.parse_detail,
                                      meta={**request.meta, "portal": portal, "canonical": entry.url})
        self.served[key] = self.served.get(key, 0) + len(items)
        if items and self.served[key] < total and page < self.max_pages:
            yield self.category_request(key, page + 1)

    def list_entry(self, portal, category, item):
        article_id = item.get("articleId")
        if not article_id:
            return None
        conf = self.site["channels"][portal]
        published = _from_ms(item.get("publishDate"))
        meta = {
            "title": item.get("title"), "published_at": published and published.strftime("%Y-%m-%d %H:%M"),
            "region": item.get("districtName"), "buyer": item.get("purchaseName"), "agency": item.get("author"),
            "project_code": item.get("projectCode"), "notice_type": conf["categories"].get(category),
            "budget": item.get("budgetPrice"), "portal": portal, "category": category, "article_id": article_id,
        }
        meta = {k: v for k, v in meta.items() if v not in (None, "")}
        return ListEntry(conf["detail_page"].format(id=quote(article_id, safe="")), published and published.date(), meta)

    # -- details --------------------------------------------------------------------------------------

    def parse_detail(self, response):
        portal, canonical = response.meta["portal"], response.meta["canonical"]
        if self.challenged(response, portal):
            return
        self.crawler.stats.inc_value("tenderwatch/pages/detail")
        try:
            payload = response.json()
            if not payload.get("success"):
                raise ValueError(payload.get("error") or "success=false")
            data = payload["result"]["data"]
        except (ValueError, KeyError, TypeError) as exc:
            # Not stored: the URL stays unknown, so the next crawl tries it again.
            self.record_error(canonical, "parse_error", f"detail API: {exc}")
            return
        meta = dict(response.meta.get("list_meta") or {})
        for field, key in (("projectCode", "project_code"), ("projectName", "project_name"),
                           ("announcementType", "announcement_type"), ("districtName", "region")):
            if data.get(field):
                meta[key] = data[field]
        host = self.site["channels"][portal]["host"]
        links = [AttachmentLink(f"https://{host}" + self.site["api"]["attachment"].format(id=quote(str(a["fileId"]), safe="")),
                                str(a.get("name") or a["fileId"]))
                 for a in data.get("attachmentList") or [] if a.get("fileId")]
        notice = RawNotice(
            source=self.source, url=canonical, data=render_detail(data, meta), content_type="text/html; charset=utf-8",
            name=f"{meta.get('article_id', 'detail')}.html", external_id=meta.get("article_id"), list_meta=meta,
        )
        yield from self.next_attachment(notice, links)

    # -- the WAF --------------------------------------------------------------------------------------

    def challenged(self, response, portal) -> bool:
        """True when the portal answered with the WAF's JavaScript challenge instead of its page or JSON."""
        if portal in getattr(self, "blocked_portals", {}):
            return True
        content_type = (response.headers.get("Content-Type") or b"").decode("latin-1").lower()
        if "json" in content_type or not isinstance(response, scrapy.http.TextResponse):
            return False
        marker = next((m for m in self.site["waf"]["challenge_markers"] if m in response.text), None)
        if marker is None:
            return False
        conf = self.site["channels"][portal]
        detail = f"{conf['title']} ({conf['host']}) answers with Aliyun WAF's JavaScript challenge ({marker!r}); not solved"
        self.blocked_portals[portal] = detail
        self.crawler.stats.inc_value("tenderwatch/blocked_pages")
        self.record_error(response.url, "blocked", detail)
        self.logger.error("%(detail)s; leaving that portal alone", {"detail": detail})
        return True

    def spider_idle(self):
        """Once the other portals are done, end the run as blocked if a portal refused."""
        if getattr(self, "blocked_portals", None) and not self.close_detail:
            self.close_detail = "; ".join(self.blocked_portals.values())
            raise CloseSpider("blocked")


def render_detail(data: dict, meta: dict) -> bytes:
    """The detail API's JSON as one HTML page (what is stored and read): title, date, facts, body."""
    title = html.escape(str(data.get("title") or meta.get("title") or ""))
    published = _from_ms(data.get("publishDate"))
    facts = [("项目编号", data.get("projectCode")), ("项目名称", data.get("projectName")),
             ("公告类型", data.get("announcementType")), ("行政区域", data.get("districtName")),
             ("采购人", meta.get("buyer")), ("代理机构", meta.get("agency"))]
    rows = "".join(f"<tr><td>{k}</td><td>{html.escape(str(v))}</td></tr>" for k, v in facts if v)
    date_line = f"<p class='time'>发布时间：{published:%Y-%m-%d %H:%M}</p>" if published else ""
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{title}</title><meta name='ArticleTitle' content='{title}'>"
        + (f"<meta name='PubDate' content='{published:%Y-%m-%d %H:%M}'>" if published else "")
        + f"</head><body><article><h1>{title}</h1>{date_line}<table class='facts'>{rows}</table>"
        f"<div class='content'>{data.get('content') or ''}</div></article></body></html>"
    ).encode("utf-8")


def _from_ms(value):
    try:
        return datetime.fromtimestamp(int(value) / 1000, CHINA).replace(tzinfo=None)
    except (TypeError, ValueError, OverflowError, OSError):
        return None
