"""A one-line progress display for long crawls (on when TENDERWATCH_PROGRESS is set, as the CLI does)."""

from __future__ import annotations

import sys

from scrapy import signals
from twisted.internet import task


class ProgressLine:
    """Every `interval` seconds, rewrite one stderr line with pages, notices and errors so far (a new line
    each time when stderr is not a terminal, e.g. in a log file)."""

    interval = 2.0

    def __init__(self, crawler):
        self.crawler = crawler
        self.loop: task.LoopingCall | None = None
        self.tty = sys.stderr.isatty()

    @classmethod
    def from_crawler(cls, crawler):
        ext = cls(crawler)
        if not crawler.settings.getbool("TENDERWATCH_PROGRESS"):
            return ext  # inert (NotConfigured would log a warning on every plain `scrapy crawl`)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider):
        self.loop = task.LoopingCall(self.show)
        self.loop.start(self.interval if self.tty else 10 * self.interval, now=False)

    def spider_closed(self, spider, reason):
        if self.loop and self.loop.running:
            self.loop.stop()
        if self.tty:
            self.show()
            sys.stderr.write("\n")

    def line(self) -> str:
        get = self.crawler.stats.get_value
        pages = sum(get(f"tenderwatch/pages/{k}", 0) for k in ("list", "search", "detail"))
        notices = {s: get(f"tenderwatch/notices_{s}", 0) for s in ("new", "changed", "unchanged")}
        errors = sum(v for k, v in self.crawler.stats.get_stats().items() if k.startswith("tenderwatch/errors/"))
        return (
            f"{self.crawler.spider.name}: {pages} pages, {sum(notices.values())} notices stored "
            f"({notices['new']} new, {notices['changed']} changed, {notices['unchanged']} unchanged), "
            f"{get('tenderwatch/skipped_known', 0)} already known, "
            f"{get('tenderwatch/attachments_fetched', 0)} attachments, {errors} errors"
        )

    def show(self):
        if self.tty:
            sys.stderr.write("\r\033[K" + self.line())
        else:
            sys.stderr.write(self.line() + "\n")
        sys.stderr.flush()
