"""Downloader middlewares: decoding Chinese pages right, and the site's blocking manners (empty bodies,
"频繁访问" pages) detected, backed off from, and turned into a clean stop."""

from __future__ import annotations

import asyncio
import codecs
import logging
import re
import time
import zlib

from scrapy import signals
from scrapy.downloadermiddlewares import cookies as cookies_middleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, TextResponse, XmlResponse
from tldextract import TLDExtract
from twisted.python.failure import Failure

from crawler.runs import record_error, stop_crawl
from extract.documents.encoding import declared_charset, decode

logger = logging.getLogger(__name__)

# Scrapy's cookie middleware fetches the Public Suffix List from the internet on first use; the snapshot
# bundled with tldextract is enough, and a crawl must not depend on publicsuffix.org being reachable.
cookies_middleware._split_domain = TLDExtract(suffix_list_urls=(), include_psl_private_domains=True)


class SkippedResponse(IgnoreRequest):
    """Raised by BlockDetectionMiddleware for a response it gave up on; already recorded as a crawl error,
    so errbacks must not record it again. `reason` is the CrawlError reason."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


def _codec_name(label: str | None) -> str | None:
    try:
        return codecs.lookup(label).name if label else None
    except LookupError:
        return None


class CharsetMiddleware:
    """Re-decode HTML whose declared charset is wrong or missing (the raw bytes are untouched and stored as
    fetched). Scrapy would otherwise read an undeclared GB18030 page as cp1252 and garble attachment names."""

    def process_response(self, request, response):
        if not isinstance(response, TextResponse) or not response.body:
            return response
        content_type = response.headers.get("Content-Type", b"").decode("latin-1")
        # The extractor's reading of the bytes (extract.documents.encoding): decided once, for both.
        encoding = decode(response.body, declared_charset(response.body, content_type, html=True)).encoding
        if _codec_name(response.encoding) != _codec_name(encoding):
            return response.replace(encoding=encoding)
        return response


class BlockDetectionMiddleware:
    """Watch every response for the site's ways of saying "stop":

    * HTTP 200 with an empty body (the CDN does this now and then): retried once after
      EMPTY_BODY_RETRY_DELAY seconds; a second empty body is recorded as ``empty_body``.
    * a block page (a marker from the spider's ``block_markers`` in the title, or anywhere in a short page):
      recorded as ``blocked``; the whole engine pauses BLOCK_BACKOFF_SECONDS, doubled for each further block
      in a row, then the request is tried again. After BLOCK_MAX_COUNT blocks in a row the spider closes with
      reason ``blocked`` (the spider's ``close_detail`` says which marker at which URL). Captchas are never
      solved.

    Requests with ``meta["binary"]`` (attachments) only get the empty-body check.

    Scrapy frees a host's download slot, and may send its next queued request, before the middlewares see the
    response that freed it; so a block page is also looked for the moment it arrives (`response_downloaded`,
    which Scrapy sends before it takes the next request) and the host's queue is held there: after a block page
    nothing more goes out to the site until the back-off is decided.

    With a shared frontier (TENDERWATCH_FRONTIER) the blocks in a row are counted over every worker and the
    pause is the host's, for every worker (crawler/politeness.py: SharedBlocks); the stop stops them all.
    """

    def __init__(self, crawler):
        self.crawler = crawler
        settings = crawler.settings
        self.empty_retry_delay = settings.getfloat("EMPTY_BODY_RETRY_DELAY")
        self.backoff = settings.getfloat("BLOCK_BACKOFF_SECONDS")
        self.max_blocks = settings.getint("BLOCK_MAX_COUNT")
        self.blocks_in_row = 0
        self.stopping = False
        self._held_delays: list = []  # (downloader slot, its delay, its jitter) while a block pause holds the queues
        self._shared = None  # SharedBlocks, with a frontier (made when the first response comes)
        self._unclaimed_hold = False  # a block page held the queues on arrival; process_response not yet run

    @classmethod
    def from_crawler(cls, crawler):
        middleware = cls(crawler)
        crawler.signals.connect(middleware._on_arrival, signal=signals.response_downloaded)
        return middleware

    def _on_arrival(self, response, request, spider):
        """A block page just arrived: hold every host's queue for the first back-off at once; process_response,
        a moment later, decides how long (or stops), and every hold ends with the pause (`_resume`). With a
        frontier the host's shared budget paces the workers instead."""
        engine = self.crawler.engine
        if (request.meta.get("binary") or self.stopping or engine is None or engine.paused
                or self.crawler.settings.get("TENDERWATCH_FRONTIER")
                or not getattr(self.crawler.spider, "block_markers", ())):
            return
        readable = _as_received(response)
        if readable is not None and self.block_marker(readable) is not None:
            self._hold_queued_downloads(self.backoff)
            self._unclaimed_hold = True
            asyncio.get_running_loop().call_later(self.backoff, self._end_unclaimed_hold)

    def _end_unclaimed_hold(self):
        # The block page never reached process_response (a middleware nearer the downloader failed it): the hold
        # ends after one back-off, as a pause would.
        if self._unclaimed_hold and self.crawler.engine is not None and not self.crawler.engine.paused:
            self._resume()

    async def process_response(self, request, response):
        if response.status == 200 and not response.body:
            return await self._empty_body(request)
        if request.meta.get("binary") or not isinstance(response, TextResponse):
            return response
        marker = self.block_marker(response)
        shared = self.shared_blocks()
        if marker is None:
            if response.status < 400:
                self.blocks_in_row = 0
                if shared is not None:
                    await self._frontier_call(request, shared.answered(request.url))
            return response
        if shared is not None:
            return await self._blocked_shared(shared, request, response, marker)
        return self._blocked(request, response, marker)

    def shared_blocks(self):
        if self._shared is None and self.crawler.settings.get("TENDERWATCH_FRONTIER"):
            from crawler.frontier import Frontier
            from crawler.politeness import SharedBlocks

            self._shared = SharedBlocks(Frontier.of(self.crawler))
        return self._shared

    def block_marker(self, response: TextResponse) -> str | None:
        spider = self.crawler.spider
        markers = getattr(spider, "block_markers", ())
        if not markers:
            return None
        # JSON answers (API endpoints) have no <title>; a block page served to an API call is HTML and is read here.
        is_markup = isinstance(response, (HtmlResponse, XmlResponse))
        title = " ".join(response.xpath("//title//text()").getall()) if is_markup else ""
        short_page = len(response.body) <= getattr(spider, "block_short_page_bytes", 3000)
        text = response.text if short_page else title
        return next((m for m in markers if m in text), None)

    async def _empty_body(self, request):
        stats = self.crawler.stats
        if request.meta.get("empty_body_retried"):
            stats.inc_value("tenderwatch/empty_body_failed")
            self._record(request, "empty_body", "HTTP 200 with an empty body, also on the retry")
            raise SkippedResponse("empty_body", f"empty body twice: {request.url}")
        stats.inc_value("tenderwatch/empty_body_retried")
        logger.info("Empty body from %(url)s; retrying once in %(delay).1fs", {"url": request.url, "delay": self.empty_retry_delay})
        await asyncio.sleep(self.empty_retry_delay)
        return request.replace(dont_filter=True, meta={**request.meta, "empty_body_retried": True})

    def _blocked(self, request, response, marker: str):
        self._unclaimed_hold = False  # an early hold is this block page's: the pause (or the stop) decides it
        stats = self.crawler.stats
        stats.inc_value("tenderwatch/blocked_pages")
        engine = self.crawler.engine
        retry = self._retry_after_block(request)
        if engine.paused:
            # Sent before the pause began: the same episode, not a further block. Try it again after the pause.
            return retry
        self.blocks_in_row += 1
        detail = f"block page ({marker!r}, HTTP {response.status}), {self.blocks_in_row} in a row"
        self._record(request, "blocked", detail)
        if self.blocks_in_row >= self.max_blocks:
            self.stopping = True
            spider = self.crawler.spider
            url = spider.canonical_url(request.url) if hasattr(spider, "canonical_url") else request.url
            detail = f"{marker!r} at {url} ({self.blocks_in_row} block pages in a row)"
            if stop_crawl(self.crawler, "blocked", detail):
                logger.error("Blocked by the site: %(detail)s; stopping the crawl", {"detail": detail})
                engine.pause()  # nothing more goes out while the crawl closes
                self._drop_queued_downloads()
            raise SkippedResponse("blocked", f"blocked: {request.url}")
        pause = self.backoff * 2 ** (self.blocks_in_row - 1)
        logger.warning("Block page at %(url)s (%(marker)s); pausing the crawl for %(pause).0fs",
                       {"url": request.url, "marker": marker, "pause": pause})
        engine.pause()
        self._hold_queued_downloads(pause)
        asyncio.get_running_loop().call_later(pause, self._resume)
        return retry

    def _retry_after_block(self, request):
        if self.stopping:
            raise SkippedResponse("blocked", f"blocked (crawl stopping): {request.url}")
        return request.replace(dont_filter=True, meta={**request.meta, "block_retries": request.meta.get("block_retries", 0) + 1})

    async def _blocked_shared(self, shared, request, response, marker: str):
        """A block page with a frontier: the host pauses for every worker (its budget's next free moment moves
        on), so this worker just retries the request, which waits for the host like any other."""
        stats = self.crawler.stats
        stats.inc_value("tenderwatch/blocked_pages")
        retry = self._retry_after_block(request)
        verdict, count, pause = await self._frontier_call(request, shared.blocked(request.url, self.backoff,
                                                                                  self.max_blocks))
        if verdict == "episode":
            return retry  # sent before the host's pause began: the same episode; it goes out after the pause
        detail = f"block page ({marker!r}, HTTP {response.status}), {count} in a row over all workers"
        self._record(request, "blocked", detail)
        spider = self.crawler.spider
        if verdict == "stop":
            self.stopping = True
            url = spider.canonical_url(request.url) if hasattr(spider, "canonical_url") else request.url
            why = f"{marker!r} at {url} ({count} block pages in a row over all workers)"
            # Workers that start while the site would still be blocking stop too: the stop holds as long as
            # the next back-off would have been.
            shared.frontier.stop_all(why, self.backoff * 2 ** count)
            stop_crawl(self.crawler, "blocked", why)
            raise SkippedResponse("blocked", f"blocked: {request.url}")
        logger.warning("Block page at %(url)s (%(marker)s); every worker pauses this host for %(pause).0fs",
                       {"url": request.url, "marker": marker, "pause": pause})
        return retry

    @staticmethod
    async def _frontier_call(request, call):
        """A SharedBlocks call; its Redis gone for good (the worker is stopping, crawler/frontier.py): the
        response is not read, and its request is no failed page (its lease goes back to the queue)."""
        from crawler.frontier import FrontierLost

        try:
            return await call
        except FrontierLost:
            raise SkippedResponse("not_sent", f"not read, the frontier is unreachable: {request.url}") from None

    def _resume(self):
        for slot, delay, jitter in self._held_delays:
            slot.delay, slot.jitter = delay, jitter
        self._held_delays = []
        if self.crawler.engine is not None and not self.stopping:
            self.crawler.engine.unpause()

    # Requests already handed to the downloader have passed the middlewares and wait in its per-host queues;
    # pausing the engine does not stop them, so the pause and the stop reach into those queues too.

    def _hold_queued_downloads(self, seconds: float):
        """Each host waits `seconds` before its next request — exactly: without the delay's random jitter, which
        would cut a hold to half (its delay and jitter are restored when the pause ends)."""
        now = time.monotonic()
        for slot in self.crawler.engine.downloader.slots.values():
            if not any(held is slot for held, _, _ in self._held_delays):
                self._held_delays.append((slot, slot.delay, slot.jitter))
            slot.delay, slot.jitter, slot.lastseen = seconds, 0.0, now

    def _drop_queued_downloads(self):
        """Fail every request still queued in the downloader (their notices are fetched by the next run)."""
        for slot in self.crawler.engine.downloader.slots.values():
            while slot.queue:
                request, deferred = slot.queue.popleft()
                deferred.errback(Failure(SkippedResponse("blocked", f"not sent, crawl stopping: {request.url}")))

    def _record(self, request, reason: str, detail: str):
        record_error(self.crawler, request.url, reason, detail, request.meta.get("list_meta"))


_EARLY_BYTES = 256 * 1024  # enough for a block page or a page's <title>; a bigger body is read no further


def _as_received(response) -> TextResponse | None:
    """The response as the middlewares will read it — inflated (gzip, deflate) and decoded as CharsetMiddleware
    decodes it — for the early block-page look; None when it is no text page or its coding is not one read here."""
    if not isinstance(response, TextResponse) or not response.body:
        return None
    body = response.body
    coding = b",".join(response.headers.getlist("Content-Encoding")).strip().lower()
    try:
        if coding in (b"gzip", b"x-gzip", b"deflate"):
            try:  # gzip or zlib headers, told apart by zlib itself (+32) …
                body = zlib.decompressobj(zlib.MAX_WBITS | 32).decompress(body, _EARLY_BYTES)
            except zlib.error:
                if coding != b"deflate":
                    raise
                # … or "deflate" sent raw, as some servers do
                body = zlib.decompressobj(-zlib.MAX_WBITS).decompress(body, _EARLY_BYTES)
        elif coding not in (b"", b"identity"):
            return None  # br, zstd, stacked codings: left to the middleware chain
    except zlib.error:
        return None  # undecodable here: the chain's own reading decides
    return CharsetMiddleware().process_response(None, response.replace(body=body))


# Download failures -> CrawlError / RawAttachment.error reasons (Scrapy ≥ 2.19 names, then Twisted's).
_EXCEPTION_REASONS = {
    "DownloadTimeoutError": "timeout",
    "TimeoutError": "timeout",
    "TCPTimedOutError": "timeout",
    "CannotResolveHostError": "dns_error",
    "DNSLookupError": "dns_error",
    "DownloadConnectionRefusedError": "connection_refused",
    "ConnectionRefusedError": "connection_refused",
    "DownloadFailedError": "connection_lost",
    "ConnectionLost": "connection_lost",
    "ConnectionDone": "connection_lost",
    "ResponseNeverReceived": "connection_lost",
    "ResponseFailed": "connection_lost",
    "ResponseDataLossError": "data_loss",
    "DataLoss": "data_loss",
    "PotentialDataLoss": "data_loss",
    "DownloadCancelledError": "download_cancelled",
}


def is_robots_request(request) -> bool:
    """The robots.txt request Scrapy's RobotsTxtMiddleware makes for a host."""
    return bool(request.meta.get("dont_obey_robotstxt")) and request.url.endswith("/robots.txt")


def failure_reason(failure) -> tuple[str, str, bool]:
    """(reason, detail, already_recorded) for a request's errback failure."""
    exc = failure.value
    if isinstance(exc, SkippedResponse):
        return exc.reason, str(exc), True
    response = getattr(exc, "response", None)
    if response is not None and getattr(response, "status", None):
        return f"http_{response.status}", f"HTTP {response.status}", False
    if isinstance(exc, IgnoreRequest):
        message = str(exc)
        if "robots.txt" in message:
            return "robots_disallowed", message, False
        return "ignored", message, False
    name = type(exc).__name__
    reason = _EXCEPTION_REASONS.get(name) or re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
    if reason == "download_cancelled" and "max size" in str(exc):  # DOWNLOAD_MAXSIZE / meta download_maxsize
        reason = "too_large"
    return reason, f"{name}: {exc}", False
