"""Fetching a list of URLs with the crawler's own manners (crawler/settings.py: its user agent, the delay
between requests to a host with AutoThrottle, robots.txt, retries, size limit, empty-body retry and host
failures), for `tenderwatch ingest` of URL lists: one set of manners for every fetch the project makes.

The run's record and storing stay with the caller (ingest keeps its own run): only the download goes
through Scrapy here, and each URL ends in exactly one callback — `on_page(url, response)` or
`on_failure(url, reason, detail)` with the crawl-error reason (http_404, robots_disallowed, timeout …).
"""

from __future__ import annotations

from typing import Callable

import scrapy
from scrapy import signals
from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawler.middlewares import failure_reason
from crawler.spiders.base import delay_settings


class UrlListSpider(scrapy.Spider):
    """The listed URLs, in their order, one at a time (as a person would; and Scrapy's robots.txt check lets
    requests through that wait together for a host's robots.txt), each read as bytes (binary: no block
    markers, any site's pages)."""

    name = "url_list"

    def __init__(self, urls: list[str], on_page: Callable, on_failure: Callable, **kwargs):
        super().__init__(**kwargs)
        self.urls, self.on_page, self.on_failure = urls, on_page, on_failure

    async def start(self):
        for request in self.next_request(0):
            yield request

    def next_request(self, i: int):
        if i < len(self.urls):
            yield scrapy.Request(self.urls[i], callback=self.fetched, errback=self.failed, dont_filter=True,
                                 meta={"binary": True, "url": self.urls[i], "index": i})

    def fetched(self, response):
        self.on_page(response.meta["url"], response)
        yield from self.next_request(response.meta["index"] + 1)

    def failed(self, failure):
        reason, detail, _ = failure_reason(failure)
        self.on_failure(failure.request.meta["url"], reason, detail)
        yield from self.next_request(failure.request.meta["index"] + 1)


def fetch_urls(urls: list[str], *, delay: float, on_page: Callable, on_failure: Callable) -> str:
    """Fetch `urls` in this process (Twisted's reactor runs once per process); returns Scrapy's close
    reason ("finished", or "shutdown" after Ctrl-C)."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.setdict({
        "ITEM_PIPELINES": {},  # the caller stores, in its own run
        "EXTENSIONS": {"crawler.runs.RunRecord": None, "crawler.progress.ProgressLine": None},
        **delay_settings(delay),  # as a spider's `delay` argument sets them
        "LOG_LEVEL": "WARNING",  # the caller prints what happened to each URL
    }, priority="cmdline")
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(UrlListSpider)
    reasons = []
    crawler.signals.connect(lambda spider, reason: reasons.append(reason), signal=signals.spider_closed, weak=False)
    process.crawl(crawler, urls=urls, on_page=on_page, on_failure=on_failure)
    process.start()
    return reasons[0] if reasons else "finished"
