"""Hosts that cannot be reached: after HOST_FAILURES_MAX connection failures in a row on a host (DNS, refused,
lost; timeouts while the host has not answered at all), stop asking it, with one line that says why (`cannot reach www.ccgp.gov.cn: DNS lookup
failed`); when it is the site's own host, end the crawl (status ``failed``) instead of working through
every channel and keyword with retries."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from twisted.python.failure import Failure

from crawler.frontier import leave_to_others
from crawler.middlewares import SkippedResponse, failure_reason, is_robots_request as _is_robots
from crawler.runs import record_error, stop_crawl

logger = logging.getLogger(__name__)

# failure_reason() reasons that say the host is not answering at all (an HTTP status is an answer).
CONNECTION_REASONS = {"dns_error", "connection_refused", "timeout", "connection_lost", "tcp_timed_out_error",
                      "no_route_error", "connect_error", "connection_aborted"}
WORDS = {"dns_error": "DNS lookup failed", "connection_refused": "connection refused", "timeout": "timed out",
         "connection_lost": "connection lost"}


class _GaveUpOnConnection(logging.Filter):
    """RetryMiddleware's "Gave up retrying" error for a connection failure repeats what the crawl error
    records and the one line above says; it is left out of the console and the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        reason = record.args.get("reason") if isinstance(record.args, dict) else None
        if not (isinstance(reason, Exception) and str(record.msg).startswith("Gave up retrying")):
            return True
        return failure_reason(Failure(reason))[0] not in CONNECTION_REASONS


logging.getLogger("scrapy.downloadermiddlewares.retry").addFilter(_GaveUpOnConnection())


class HostFailureMiddleware:
    """Downloader middleware above RetryMiddleware: it sees every failed attempt, retries included."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.max_failures = crawler.settings.getint("HOST_FAILURES_MAX", 4)
        self.failures: dict[str, int] = {}
        self.down: dict[str, str] = {}  # host -> why
        self.answered: set[str] = set()  # hosts that answered in this run

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request):
        host = _host(request.url)
        if host in self.down:
            self._skip(request, f"not sent, {self.down[host]}")

    def process_response(self, request, response):
        host = _host(request.url)
        self.failures.pop(host, None)  # any answer: the host is reachable
        self.answered.add(host)
        return response

    def process_exception(self, request, exception):
        reason, detail, _ = failure_reason(Failure(exception))
        host = _host(request.url)
        # A timeout from a host that has answered is a slow page, not an unreachable host.
        if reason not in CONNECTION_REASONS or (reason == "timeout" and host in self.answered):
            return None
        if host in self.down:
            self._skip(request, self.down[host])
        self.failures[host] = self.failures.get(host, 0) + 1
        self.crawler.stats.inc_value("tenderwatch/connection_failures")
        if self.failures[host] >= self.max_failures:
            self._give_up(host, reason)
            self._record(request, reason, detail)
            raise SkippedResponse(reason, f"{self.down[host]}: {request.url}")
        if _is_robots(request):
            # Scrapy logs a failed robots.txt with a traceback unless it is an IgnoreRequest; without robots.txt
            # the host's pages are allowed, as Scrapy does for any robots.txt error.
            logger.info("robots.txt unavailable at %s (%s)", host, WORDS.get(reason, reason))
            raise SkippedResponse(reason, f"robots.txt: {detail}")
        return None  # RetryMiddleware retries it

    def _give_up(self, host: str, reason: str) -> None:
        self.down[host] = f"cannot reach {host}: {WORDS.get(reason, reason)}"
        logger.error("%s (%d failures in a row); no more requests to it", self.down[host], self.failures[host])
        self._drop_queued(host)
        if self._site_host(host):
            stop_crawl(self.crawler, "unreachable", self.down[host])

    def _site_host(self, host: str) -> bool:
        """Whether `host` serves the site's homepage (the site itself, not a download or portal host)."""
        spider = self.crawler.spider
        homepage = getattr(spider, "site", {}).get("site", {}).get("homepage")
        fetch = getattr(spider, "fetch_url", lambda url: url)
        return bool(homepage) and _host(fetch(homepage)) == host

    def _drop_queued(self, host: str) -> None:
        for slot in self.crawler.engine.downloader.slots.values():
            kept = []
            while slot.queue:
                request, deferred = slot.queue.popleft()
                if _host(request.url) == host:
                    self._record(request, "host_unreachable", self.down[host])
                    deferred.errback(Failure(SkippedResponse("host_unreachable", f"not sent: {request.url}")))
                else:
                    kept.append((request, deferred))
            slot.queue.extend(kept)

    def _skip(self, request, detail: str):
        self._record(request, "host_unreachable", detail)
        raise SkippedResponse("host_unreachable", f"{detail}: {request.url}")

    def _record(self, request, reason: str, detail: str) -> None:
        if _is_robots(request):
            return
        host = _host(request.url)
        # With --frontier, the site itself out of this worker's reach is no failed page: other workers may reach
        # it (crawler/frontier.py). Another host (a portal, a download host) fails its pages as in one process:
        # the worker goes on with the rest, rather than stopping or taking the same requests back again and again.
        if self._site_host(host) and leave_to_others(self.crawler, request, self.down.get(host, detail)):
            return
        record_error(self.crawler, request.url, reason, detail, request.meta.get("list_meta"))


def _host(url: str) -> str:
    return urlsplit(url).netloc.lower()

