"""Progress of a running crawl: one snapshot (counts, rates, queue, estimate) that the progress display
prints, the run log records and the heartbeat stores in the crawl run row for `tenderwatch stats`."""

from __future__ import annotations

import logging
import sys
import time

from scrapy import signals
from twisted.internet import task

logger = logging.getLogger("tenderwatch.progress")
PAGE_KINDS = ("list", "search", "detail")
FIRST_LINE_SECONDS = 5.0


def snapshot(crawler, started: float) -> dict:
    """Where the crawl is: pages, notices, errors so far, rates per minute, queued requests, an estimate."""
    stats = crawler.stats
    get = stats.get_value
    minutes = max(time.monotonic() - started, 1e-6) / 60
    pages = sum(get(f"tenderwatch/pages/{k}", 0) for k in PAGE_KINDS)
    notices = {s: get(f"tenderwatch/notices_{s}", 0) for s in ("new", "changed", "unchanged", "linked")}
    stored = sum(notices.values())
    errors = sum(v for k, v in stats.get_stats().items() if k.startswith("tenderwatch/errors/"))
    engine = crawler.engine
    scheduler = getattr(engine, "scheduler", None) if engine else None
    queued = (len(scheduler) if scheduler is not None else 0) + (len(engine.downloader.active) if engine else 0)
    requests = get("downloader/request_count", 0)
    requests_per_minute = requests / minutes
    # Every queued request is roughly one more request; list pages add more as they are read, so this is
    # the least time left, and says so.
    eta = round(queued / requests_per_minute, 1) if requests_per_minute and queued else None
    return {
        "minutes": round(minutes, 2), "pages": pages, "pages_failed": get("tenderwatch/pages_failed", 0),
        "notices": stored, "notices_new": notices["new"], "skipped_known": get("tenderwatch/skipped_known", 0),
        "attachments": get("tenderwatch/attachments_fetched", 0), "errors": errors, "queued": queued,
        "requests": requests, "pages_per_minute": round(pages / minutes, 1),
        "notices_per_minute": round(stored / minutes, 1), "eta_minutes": eta,
    }


def progress_line(name: str, p: dict) -> str:
    left = p.get("eta_minutes")
    eta = "" if left is None else f", {'under a minute' if left < 1 else f'at least {left:.0f} min'} left"
    return (
        f"{name}: {p['minutes']:.1f} min, {p['pages']} pages ({p['pages_per_minute']:.1f}/min), "
        f"{p['notices']} notices stored ({p['notices_per_minute']:.1f}/min, {p['notices_new']} new), "
        f"{p['skipped_known']} already known, {p['attachments']} attachments, {p['errors']} errors, "
        f"{p['queued']} requests queued{eta}"
    )


class ProgressLine:
    """Every TENDERWATCH_PROGRESS_INTERVAL seconds (default 30, so at least once a minute; the first after 5 s)
    a progress line on stderr and in the run log; on a terminal the line is also rewritten in place every 2 s. On when
    TENDERWATCH_PROGRESS is set, as the CLI does."""

    tty_interval = 2.0

    def __init__(self, crawler):
        self.crawler = crawler
        self.interval = crawler.settings.getfloat("TENDERWATCH_PROGRESS_INTERVAL", 30.0)
        self.loop: task.LoopingCall | None = None
        self.first = None  # the delayed call of the first line
        self.tty = sys.stderr.isatty()
        self.started = time.monotonic()
        self.last_logged = self.started

    @classmethod
    def from_crawler(cls, crawler):
        ext = cls(crawler)
        if not crawler.settings.getbool("TENDERWATCH_PROGRESS"):
            return ext  # inert (NotConfigured would log a warning on every plain `scrapy crawl`)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider):
        from twisted.internet import reactor

        self.started = self.last_logged = time.monotonic()
        self.loop = task.LoopingCall(self.show)
        self.loop.start(min(self.tty_interval, self.interval) if self.tty else self.interval, now=False)
        # A first line soon, so a crawl that is going nowhere (no network …) shows it at once.
        self.first = reactor.callLater(min(FIRST_LINE_SECONDS, self.interval), self.show, True)

    def spider_closed(self, spider, reason):
        if self.loop and self.loop.running:
            self.loop.stop()
        if self.first is not None and self.first.active():
            self.first.cancel()
        if self.tty:
            sys.stderr.write("\r\033[K")

    def show(self, first: bool = False):
        line = progress_line(self.crawler.spider.name, snapshot(self.crawler, self.started))
        now = time.monotonic()
        due = first or now - self.last_logged >= self.interval - 0.01
        if due:
            self.last_logged = now
            logger.info("%s", line)
        if self.tty:
            sys.stderr.write("\r\033[K" + line + ("\n" if due else ""))
        elif due:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()
