from __future__ import annotations

import html
import time
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

import scrapy
from scrapy.http import JsonRequest

from crawler.items import AttachmentLink, RawNotice
from crawler.spiders.base import ListEntry, PagedListMixin, ProcurementSpider

CHINA = timezone(timedelta(hours=8))  # publishDate is epoch milliseconds; notices print Beijing time


class ZcySpider(PagedListMixin, ProcurementSpider):
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
    channel_kind = "portal"
    homepage_first = False  # each portal's homepage (its client cookie) is visited in start_lists

    def api_url(self, portal, path):
        return f"https://{self.site['channels'][portal]['host']}{path}"

    # -- lists ----------------------------------------------------------------------------------------

    def start_lists(self):
        self.blocked_portals: dict[str, str] = {}
        self.served: dict[tuple, int] = {}
        for portal in self.channels:
            yield self.page_request(self.site["channels"][portal]["homepage"], self.portal_home,
                                    meta={"portal": portal}, dont_filter=True, priority=100)

    def portal_home(self, response):
        portal = response.meta["portal"]
        if not self.challenged(response, portal):
            for code in self.site["channels"][portal]["categories"]:
                for keyword in self.keywords or [""]:
                    yield self.list_page_request((portal, code, keyword), 0)

    def list_page_request(self, key, page):
        (portal, code, keyword), api = key, self.site["api"]
        start, end = self.window(api["default_days"])
        body = {"pageNo": page + 1, "pageSize": api["page_size"], "categoryCode": code,
                **self.site["channels"][portal].get("body", {}), "_t": int(time.time() * 1000),
                "publishDateBegin": start.isoformat(), "publishDateEnd": end.isoformat(),
                **({"keyword": keyword} if keyword else {})}
        return JsonRequest(self.fetch_url(self.api_url(portal, api["category"])), data=body, callback=self.parse_list,
                           errback=self.page_failed, dont_filter=True,
                           meta={"portal": portal, "list_key": key, "page": page})

    def parse_list(self, response):
        if not self.challenged(response, response.meta["portal"]):
            yield from super().parse_list(response)

    def parse_list_page(self, response):
        (portal, category, _), page = response.meta["list_key"], response.meta["page"]
        data = response.json()["result"]["data"]
        items, total = list(data.get("data") or []), int(data.get("total") or 0)
        key = response.meta["list_key"]
        self.served[key] = self.served.get(key, 0) + len(items)  # the portal caps pageSize: count what came
        conf = self.site["channels"][portal]
        entries = []
        for item in items:
            if not item.get("articleId"):
                continue
            published = _from_ms(item.get("publishDate"))
            meta = {**self.pick(item, self.site["api"]["list_fields"]), "portal": portal, "category": category,
                    "published_at": published and published.strftime("%Y-%m-%d %H:%M"),
                    "notice_type": conf["categories"].get(category), "article_id": item["articleId"]}
            entries.append(ListEntry(conf["detail_page"].format(id=quote(item["articleId"], safe="")),
                                     published and published.date(), {k: v for k, v in meta.items() if v is not None}))
        return entries, page + (2 if self.served[key] < total else 1)

    # -- details: the API's JSON, stored as one HTML page under the portal's own page URL ---------------

    def detail_url(self, entry):
        article = quote(entry.meta["article_id"], safe="")
        path = self.site["api"]["detail"].format(id=article, ms=int(time.time() * 1000))
        return self.api_url(entry.meta["portal"], path)

    def parse_notice(self, response):
        meta = dict(response.meta.get("list_meta") or {})
        if self.challenged(response, meta["portal"]):
            return
        self.crawler.stats.inc_value("tenderwatch/pages/detail")
        try:
            payload = response.json()
            if not payload.get("success"):
                raise ValueError(payload.get("error") or "success=false")
            data = payload["result"]["data"]
        except (ValueError, KeyError, TypeError) as exc:
            # Not stored: the URL stays unknown, so the next crawl tries it again.
            self.record_error(response.meta["canonical"], "parse_error", f"detail API: {exc}")
            return
        meta.update(self.pick(data, self.site["api"]["detail_fields"]))
        attachment = self.site["api"]["attachment"]
        links = [AttachmentLink(self.api_url(meta["portal"], attachment.format(id=quote(str(a["fileId"]), safe=""))),
                                str(a.get("name") or a["fileId"]))
                 for a in data.get("attachmentList") or [] if a.get("fileId")]
        page = render_detail(data, meta, self.site["detail"]["facts"])
        notice = RawNotice(source=self.source, url=response.meta["canonical"], data=page,
                           content_type="text/html; charset=utf-8", name=f"{meta.get('article_id', 'detail')}.html",
                           external_id=meta.get("article_id"), list_meta=meta)
        yield from self.next_attachment(notice, links)

    # -- the WAF --------------------------------------------------------------------------------------

    def challenged(self, response, portal) -> bool:
        """True when the portal answered with the WAF's JavaScript challenge instead of its page or JSON: that
        portal is left alone, the others crawled, and the run ends as blocked."""
        if portal in self.blocked_portals:
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
        self.logger.error("%(detail)s; leaving that portal alone", {"detail": detail})
        self.stop_blocked(response.url, detail, when_idle=True)
        return True


def render_detail(data: dict, meta: dict, facts: list[list[str]]) -> bytes:
    """The detail API's JSON as one HTML page (what is stored and read): title, date, facts, body."""
    title = html.escape(str(data.get("title") or meta.get("title") or ""))
    published = _from_ms(data.get("publishDate"))
    values = [(label, data.get(key) or meta.get(key)) for label, key in facts]
    rows = "".join(f"<tr><td>{k}</td><td>{html.escape(str(v))}</td></tr>" for k, v in values if v)
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
