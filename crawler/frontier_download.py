"""The HTTP handler of a crawl with a shared frontier (crawler/frontier.py wires it in): the WAF cookies set
as the request leaves (crawler/waf.py), and the host budget all workers share (crawler/politeness.py) taken
just before the request goes on the wire — below the downloader's queues, so a request that waited in one
cannot go out right behind another worker's."""

from __future__ import annotations

from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler

from crawler.frontier import engine_closing
from crawler.middlewares import SkippedResponse
from crawler.politeness import HostBudget
from crawler.waf import WafCookieDownloadHandler


class _TokenGate(HTTP11DownloadHandler):
    async def download_request(self, request):
        if not await HostBudget.of(self.crawler).take(request.url, lambda: engine_closing(self.crawler)):
            # Not a failed page: the frontier keeps the request (its lease is put back) for whoever goes on.
            raise SkippedResponse("not_sent", f"not sent, the crawl is stopping: {request.url}")
        return await super().download_request(request)


class PoliteDownloadHandler(WafCookieDownloadHandler, _TokenGate):
    """WafCookieDownloadHandler over the budget: its homepage fetches that renew the WAF cookies go through
    the same `super().download_request`, so they wait for the host's budget too."""
