from __future__ import annotations

import re
from urllib.parse import quote, urlencode

from crawler.spiders.base import ListEntry, ProcurementSpider
from crawler.spiders.lists import PagedListMixin


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
    # ProcurementSpider
    channel_kind = "list"

    def start_lists(self):
        for channel in self.channels:
            for keyword in self.keywords or [""]:
                yield self.list_page_request((channel, keyword), 0)

    def list_page_request(self, key, page):
        (channel, keyword), conf = key, self.site["channels"]
        start, end = self.window(conf["default_days"])
        params = {
            "searchDate": end.isoformat(), "dates": min((end - start).days + 1, conf["max_days"]),
            # the page's JavaScript encodes the word twice (sites.md §3); urlencode adds the second encoding
            "word": quote(keyword, safe="") if keyword else "", "categoryId": conf["codes"][channel]["id"],
            **conf["params"], "startcheckDate": start.isoformat(), "endcheckDate": f"{end.isoformat()} 23:59:59",
            "page": page + 1,
        }
        url = conf["url"].format(file=channel) + "?" + urlencode(params)
        return self.page_request(url, self.parse_list, meta={"list_key": key, "page": page})

    def parse_list_page(self, response):
        sel, channel = self.site["channels"]["selectors"], response.meta["list_key"][0]
        entries = []
        for row in response.css(sel["row"]):
            link = row.css(sel["link"])
            match = re.search(sel["uuid"], link.attrib.get("href", "")) if link else None
            if not match:
                continue  # the header row, "暂无数据"
            industry, area, source, published = ([c.strip() for c in row.css(sel["cells"]).getall()] + [""] * 4)[:4]
            meta = {"title": link.attrib.get("title") or "".join(link.css("::text").getall()).strip(),
                    "published_at": published, "industry": industry, "region": area.strip("【】"), "source_channel": source,
                    "notice_type": self.site["channels"]["codes"][channel]["type"], "channel": channel,
                    "viewer_url": self.site["detail"]["viewer"].format(uuid=match.group(1))}
            url = self.site["detail"]["pdf"].format(uuid=match.group(1))
            entries.append(ListEntry(url, self.list_date(published), meta))
        count = response.css(sel["page_count"]).get()
        return entries, int(count) if count and count.strip().isdigit() else None
