from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from urllib.parse import urljoin

import scrapy

from crawler.middlewares import failure_reason
from crawler.spiders.base import ListEntry, ProcurementSpider


class GgzySpider(ProcurementSpider):
    """
    Domain
      全国公共资源交易平台 www.ggzy.gov.cn: the JSON list API and the /html/b/ content pages; sites/ggzy.toml
    Spider arguments
      channels
        DEAL_CLASSIFY codes (01 工程建设, 02 政府采购 …). Default: 02.
      keywords
        FINDTXT terms, one query per day, channel and term; '' lists every notice of the day.
      since, until
        Crawled one day at a time (default: the last `default_days` days).
    Site quirks handled
      The API silently caps `total` at 1000, so a day that reaches it is asked again per province (and a
      province-day that still reaches it is recorded as ``result_capped``). A keyword with no hits returns
      the unfiltered list: records whose title lacks the keyword are dropped, and the slice stops there.
      Business codes: 800 backs off, 829 stops the crawl as blocked, 804 narrows to provinces.
      An empty content page is replaced by its origin (原文链接), when it names one.
    Settings
      GGZY_RESULT_CAP
        The cap to detect (default: the TOML's 1000); replicas in tests serve a smaller one.
    """

    name = "ggzy"
    # ProcurementSpider
    channel_kind = "DEAL_CLASSIFY"
    # 50 pages × 20 records is the API's 1000-result cap: a slice never has more pages than that.
    default_max_pages = 50

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.cap = crawler.settings.getint("GGZY_RESULT_CAP", spider.site["api"]["cap"])
        spider.busy_in_row = 0  # code-800 answers in a row
        return spider

    def start_lists(self):
        start, day = self.window(self.site["api"]["default_days"])
        while day >= start:  # newest first
            for classify in self.channels:
                for keyword in self.keywords or [""]:
                    yield self.list_request((day.isoformat(), classify, keyword, "0"), 1)
            day -= timedelta(days=1)

    def list_request(self, key, page):
        day, classify, keyword, province = key
        api = self.site["api"]
        form = {**api["form"], "TIMEBEGIN": day, "TIMEEND": day, "DEAL_CLASSIFY": classify,
                "DEAL_PROVINCE": province, "FINDTXT": keyword, "PAGENUMBER": str(page)}
        return scrapy.FormRequest(
            self.fetch_url(api["url"]), formdata=form, headers=api["headers"], callback=self.parse_api,
            errback=self.api_failed, dont_filter=True,
            # binary: BlockDetectionMiddleware reads HTML titles; the API's refusals are business codes, read here.
            meta={"list_key": key, "page": page, "binary": True},
        )

    def parse_api(self, response):
        key, page = response.meta["list_key"], response.meta["page"]
        self.crawler.stats.inc_value("tenderwatch/pages/list")
        try:
            payload = response.json()
            code = int(payload.get("code"))
        except (ValueError, TypeError, AttributeError) as exc:
            self.record_error(response.url, "parse_error", f"list API {_describe(key, page)}: not the API's JSON ({exc!r})")
            return
        if code != 200:
            yield from self.business_code(response, code, payload.get("message") or "")
            return
        self.busy_in_row = 0
        data = payload.get("data") or {}
        records, total, pages = data.get("records") or [], int(data.get("total") or 0), int(data.get("pages") or 0)
        day, classify, keyword, province = key
        if keyword:
            hits = [r for r in records if keyword.lower() in str(r.get("title", "")).lower()]
            if records and not hits:
                # The API ignored the keyword and sent the unfiltered list: nothing here is a hit.
                self.crawler.stats.inc_value("tenderwatch/ggzy/keyword_fallback")
                self.logger.info("ggzy: no hits for %(kw)r on %(day)s (the API returned the unfiltered list)",
                                 {"kw": keyword, "day": day})
                return
            records = hits
        if total >= self.cap and page == 1:
            if province == "0":
                self.crawler.stats.inc_value("tenderwatch/ggzy/sliced_by_province")
                for code in self.site["api"]["provinces"]:
                    yield self.list_request((day, classify, keyword, code), 1)
                return
            self.record_error(response.url, "result_capped",
                              f"{_describe(key, page)}: {total} results, the API's cap; later ones are not listed")
        yield from self.notice_requests(e for e in map(self.list_entry, records) if e is not None)
        if page < pages and page < self.max_pages:
            yield self.list_request(key, page + 1)

    def business_code(self, response, code, message):
        action = self.site["api"]["codes"].get(str(code), "error")
        key, page = response.meta["list_key"], response.meta["page"]
        detail = f"business code {code} ({message}) for {_describe(key, page)}"
        self.crawler.stats.inc_value(f"tenderwatch/ggzy/code_{code}")
        if action == "stop":
            self.stop_blocked(response.url, detail)
        elif action == "backoff":
            self.busy_in_row += 1
            limit = self.settings.getint("BLOCK_MAX_COUNT")
            self.record_error(response.url, f"api_{code}", detail)
            if self.busy_in_row >= limit:
                self.stop_blocked(response.url, f"{detail}, {self.busy_in_row} times in a row")
                return
            pause = self.settings.getfloat("BLOCK_BACKOFF_SECONDS") * 2 ** (self.busy_in_row - 1)
            self.logger.warning("ggzy: %(detail)s; pausing the crawl for %(pause).1fs", {"detail": detail, "pause": pause})
            engine = self.crawler.engine
            if not engine.paused:
                engine.pause()
                asyncio.get_running_loop().call_later(pause, engine.unpause)
            yield response.request.replace(dont_filter=True)
        elif action == "narrow" and key[3] == "0":
            for province in self.site["api"]["provinces"]:
                yield self.list_request((*key[:3], province), 1)
        else:
            self.record_error(response.url, f"api_{code}", detail)

    def api_failed(self, failure):
        reason, detail, recorded = failure_reason(failure)
        if not recorded:
            self.record_error(failure.request.url, reason, f"list API {_describe(failure.request.meta['list_key'], failure.request.meta['page'])}: {detail}")
        if reason in ("http_403", "http_429"):  # refused outright: fail closed rather than hammer
            self.stop_blocked(failure.request.url, f"list API answered {detail}")

    def list_entry(self, record):
        url = record.get("url")
        if not url:
            return None
        meta = self.pick(record, self.site["api"]["fields"])
        meta["notice_type"] = self.site["api"]["notice_types"].get(str(record.get("informationType")))
        meta["ggzy_id"] = record.get("id")
        # The list names the shell page (/html/a/); its content is the page it frames (/html/b/).
        content = re.sub(r"/html/a/", "/html/b/", urljoin(self.site["api"]["url"], url), count=1)
        return ListEntry(self.canonical_url(content), self.list_date(record.get("publishTime")), meta)

    # -- detail pages ----------------------------------------------------------------------------------

    def parse_notice(self, response):
        conf = self.site["detail"]
        body = "".join(response.css(f"{conf['body']} ::text").getall()).strip()
        origin = None if body or self.check_notice_page(response) else self.origin_link(response)
        if origin is None:
            yield from super().parse_notice(response)
            return
        self.crawler.stats.inc_value("tenderwatch/ggzy/origin_followed")
        yield self.page_request(origin, self.parse_origin, priority=self.notice_priority + 1,
                                errback=self.origin_failed, dont_filter=True,
                                meta={"list_meta": response.meta.get("list_meta") or {}, "ggzy_page": response})

    def origin_link(self, response):
        conf = self.site["detail"]
        href = (response.css(conf["origin_link"]).get() or "").strip()
        if not href or href.startswith(("javascript", "#")):
            match = re.search(conf["origin_script"], response.text)
            href = match.group(1) if match else ""
        return response.urljoin(href) if href else None

    def parse_origin(self, response):
        """Store the ggzy notice with its origin's full text (under the ggzy URL: the link is ggzy's record)."""
        self.crawler.stats.inc_value("tenderwatch/pages/detail")
        meta = {**response.meta["list_meta"], "origin_url": self.canonical_url(response.url)}
        yield self.make_notice(response, response.meta["ggzy_page"].url, meta)

    def origin_failed(self, failure):
        """The origin could not be fetched: record why and keep the ggzy page as it is (metadata only)."""
        reason, detail, recorded = failure_reason(failure)
        if reason == "blocked":
            return
        self.record_error(failure.request.url, f"origin_{reason}", detail)
        page = failure.request.meta["ggzy_page"]
        page.meta["list_meta"] = failure.request.meta["list_meta"]
        yield from super().parse_notice(page)


def _describe(key, page) -> str:
    day, classify, keyword, province = key
    parts = [day, f"DEAL_CLASSIFY {classify}"]
    if province != "0":
        parts.append(f"province {province}")
    if keyword:
        parts.append(f"FINDTXT {keyword!r}")
    return ", ".join(parts) + f", page {page}"

