from __future__ import annotations

import asyncio
import re
from datetime import date, datetime, timedelta

import scrapy

from crawler.items import AttachmentLink, RawNotice
from crawler.middlewares import failure_reason
from crawler.spiders.base import (
    ListEntry, ProcurementSpider, SpiderArgumentError, default_window, file_extension,
)


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
    # 50 pages × 20 records is the API's 1000-result cap: a slice never has more pages than that.
    default_max_pages = 50

    def parse_channels(self, names):
        codes = self.site["channels"]["codes"]
        chosen = self.site["channels"]["default"] if names is None else names
        unknown = [c for c in chosen if c not in codes]
        if unknown:
            raise SpiderArgumentError(f"spider argument `channels`: unknown DEAL_CLASSIFY {unknown[0]!r} "
                                      f"(known: {', '.join(f'{k} {v}' for k, v in codes.items())})")
        return list(dict.fromkeys(chosen))

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.cap = crawler.settings.getint("GGZY_RESULT_CAP", spider.site["api"]["cap"])
        spider.busy_in_row = 0  # code-800 answers in a row
        return spider

    def start_lists(self):
        api = self.site["api"]
        start, end = (self.since, self.until or date.today()) if self.since else default_window(self.until, api["default_days"])
        day = end
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
        for record in records:
            entry = self.list_entry(response, record)
            if entry is not None and self.in_window(entry.published):
                request = self.notice_request(entry)
                if request is not None:
                    yield request
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

    def list_entry(self, response, record):
        url = record.get("url")
        if not url:
            return None
        fields = self.site["api"]["fields"]
        meta = {key: record.get(name) for name, key in fields.items() if record.get(name)}
        meta["notice_type"] = self.site["api"]["notice_types"].get(str(record.get("informationType")))
        meta["ggzy_id"] = record.get("id")
        # The list names the shell page (/html/a/); its content is the page it frames (/html/b/).
        content = re.sub(r"/html/a/", "/html/b/", response.urljoin(url), count=1)
        published = _date(record.get("publishTime"))
        return ListEntry(self.canonical_url(content), published, meta)

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
        page = response.meta["ggzy_page"]
        self.crawler.stats.inc_value("tenderwatch/pages/detail")
        meta = {**response.meta["list_meta"], "origin_url": self.canonical_url(response.url)}
        ctype = response.headers.get("Content-Type")
        yield RawNotice(
            source=self.source, url=self.canonical_url(page.url), data=response.body,
            content_type=ctype.decode("latin-1") if ctype else None,
            name=response.url.rstrip("/").rsplit("/", 1)[-1], external_id=self.external_id(page.url), list_meta=meta,
        )

    def origin_failed(self, failure):
        """The origin could not be fetched: record why and keep the ggzy page as it is (metadata only)."""
        reason, detail, recorded = failure_reason(failure)
        if reason == "blocked":
            return
        self.record_error(failure.request.url, f"origin_{reason}", detail)
        page = failure.request.meta["ggzy_page"]
        page.meta["list_meta"] = failure.request.meta["list_meta"]
        yield from super().parse_notice(page)

    def attachment_links(self, response):
        conf = self.site["attachments"]
        for a in response.css(conf["biz"]):
            if a.attrib.get("id"):
                name = "".join(a.css("::text").getall()).strip()
                yield AttachmentLink(self.canonical_url(conf["biz_url"].format(id=a.attrib["id"])), name)
        for a in response.css(conf["listed"]):
            name, href = "".join(a.css("::text").getall()).strip(), a.attrib.get("href", "")
            if href.startswith("javascript"):
                continue
            by_name, by_url = file_extension(name), file_extension(href)
            if by_name in conf["extensions"] or by_url in conf["extensions"]:
                yield AttachmentLink(self.canonical_url(response.urljoin(href)), name if by_name else f"{name}.{by_url}")


def _describe(key, page) -> str:
    day, classify, keyword, province = key
    parts = [day, f"DEAL_CLASSIFY {classify}"]
    if province != "0":
        parts.append(f"province {province}")
    if keyword:
        parts.append(f"FINDTXT {keyword!r}")
    return ", ".join(parts) + f", page {page}"


def _date(text):
    match = re.search(r"(\d{4})-(\d{1,2})-(\d{1,2})", str(text or ""))
    return datetime(*map(int, match.groups())).date() if match else None
