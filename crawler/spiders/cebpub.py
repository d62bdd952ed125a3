from __future__ import annotations

import re
from datetime import date, datetime
from urllib.parse import quote, urlencode

from scrapy.http import TextResponse

from crawler.spiders.base import ListEntry, PagedListMixin, ProcurementSpider, SpiderArgumentError, default_window


class CebpubSpider(PagedListMixin, ProcurementSpider):
    """
    Domain
      中国招标投标公共服务平台 bulletin.cebpubservice.com: the bulletin list pages, and each notice's full
      text as a PDF; sites/cebpub.toml
    Spider arguments
      channels
        List files: bulletin (招标公告), change (变更公告), result (结果公示). Default: all three.
      keywords
        `word` terms, one list per channel and term; '' = whole lists.
    Blocking
      A redirect to the slider captcha (VerificationCode) stops the crawl as blocked; it is never solved.
    """

    name = "cebpub"

    def parse_channels(self, names):
        codes = self.site["channels"]["codes"]
        chosen = self.site["channels"]["default"] if names is None else names
        unknown = [n for n in chosen if n not in codes]
        if unknown:
            raise SpiderArgumentError(f"spider argument `channels`: unknown list {unknown[0]!r} (known: {', '.join(codes)})")
        return list(dict.fromkeys(chosen))

    def start_lists(self):
        for channel in self.channels:
            for keyword in self.keywords or [""]:
                yield self.list_page_request((channel, keyword), 0)

    def list_page_request(self, key, page):
        channel, keyword = key
        conf = self.site["channels"]
        start, end = (self.since, self.until or date.today()) if self.since else default_window(self.until, conf["default_days"])
        params = {
            "searchDate": end.isoformat(), "dates": min((end - start).days + 1, conf["max_days"]),
            # the page's JavaScript encodes the word twice (sites.md §3); urlencode adds the second encoding
            "word": quote(keyword, safe="") if keyword else "", "categoryId": conf["codes"][channel]["id"],
            **conf["params"], "startcheckDate": start.isoformat(), "endcheckDate": f"{end.isoformat()} 23:59:59",
            "page": page + 1,
        }
        url = conf["url"].format(file=channel) + "?" + urlencode(params)
        return self.page_request(url, self.parse_list, meta={"list_key": key, "page": page})

    def parse_list(self, response):
        if self.captcha(response):
            return
        yield from super().parse_list(response)

    def parse_list_page(self, response):
        sel, channel = self.site["channels"]["selectors"], response.meta["list_key"][0]
        entries = []
        for row in response.css(sel["row"]):
            link = row.css(sel["link"])
            match = re.search(sel["uuid"], link.attrib.get("href", "")) if link else None
            if not match:
                continue  # the header row, "暂无数据"
            uuid = match.group(1)
            industry, area, source, published = ([c.strip() for c in row.css(sel["cells"]).getall()] + [""] * 4)[:4]
            day = _date(published)
            meta = {"title": link.attrib.get("title") or "".join(link.css("::text").getall()).strip(),
                    "published_at": published, "industry": industry, "region": area.strip("【】"), "source_channel": source,
                    "notice_type": self.site["channels"]["codes"][channel]["type"], "channel": channel,
                    "viewer_url": self.site["detail"]["viewer"].format(uuid=uuid)}
            entries.append(ListEntry(self.site["detail"]["pdf"].format(uuid=uuid), day, meta))
        count = response.css(sel["page_count"]).get()
        return entries, int(count) if count and count.strip().isdigit() else None

    def parse_notice(self, response):
        if self.captcha(response):
            return
        yield from super().parse_notice(response)

    def check_notice_page(self, response):
        if not response.body.startswith(b"%PDF"):
            kind = response.headers.get("Content-Type", b"").decode("latin-1") or "no content type"
            return f"expected the notice's PDF, got {kind} ({len(response.body)} bytes)"
        return None

    def captcha(self, response) -> bool:
        """True (and the crawl stopping) when the site sent its slider captcha instead of the page."""
        conf = self.site["captcha"]
        marker = next((m for m in conf["url_markers"] if m in response.url), None)
        if marker is None and isinstance(response, TextResponse) and not response.body.startswith(b"%PDF"):
            marker = next((m for m in conf["markers"] if m in response.text), None)
        if marker is None:
            return False
        self.stop_blocked(response.url, f"slider captcha ({marker!r}) instead of the page; not solved")
        return True


def _date(text):
    match = re.search(r"(\d{4})-(\d{1,2})-(\d{1,2})", text or "")
    return datetime(*map(int, match.groups())).date() if match else None
