"""Item pipeline: store each notice (with its attachments) through tenderwatch.processing, and keep the
crawl run's record — start, errors, closing summary — in the database, which is the truth for resuming."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import time
import traceback
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from scrapy import signals

from crawler.signals import crawl_error
from crawler.storing import init_worker, store_notice

logger = logging.getLogger(__name__)

# Scrapy close reasons -> CrawlRun.status
RUN_STATUS = {"finished": "finished", "blocked": "blocked", "shutdown": "interrupted", "cancelled": "interrupted"}


class StorePipeline:
    """Opens the Store when the spider opens, starts a CrawlRun, and hands the spider the canonical URLs
    already stored (`spider.known_urls`, for incremental crawls). Each item is read, extracted and stored
    by process_notice in a worker process (crawler/storing.py; STORE_WORKERS of them, 0 = a thread of this
    process) while Scrapy keeps downloading. Run bookkeeping — the run row, errors signalled by spiders and
    middlewares (crawler.signals.crawl_error) — goes through one thread here. At close the run gets its
    status and a summary, also left in the stats as ``tenderwatch/summary`` for the CLI to print."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.database_url = crawler.settings.get("TENDERWATCH_DATABASE_URL")
        self.workers = crawler.settings.getint("STORE_WORKERS", 1)
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tenderwatch-store")
        self.pool: ProcessPoolExecutor | None = None
        self.store = None
        self.run_id: int | None = None
        self.started = time.monotonic()
        self.pending: set[asyncio.Future] = set()
        crawler.signals.connect(self.on_crawl_error, signal=crawl_error)
        crawler.signals.connect(self.on_spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.on_request_scheduled, signal=signals.request_scheduled)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def _on_worker(self, fn, *args, **kwargs):
        future = asyncio.wrap_future(self.executor.submit(fn, *args, **kwargs))
        self.pending.add(future)
        try:
            return await future
        finally:
            self.pending.discard(future)

    def on_request_scheduled(self, request, spider):
        # Start the workers with the first notice request (ProcurementSpider.notice_request puts list_meta
        # in meta), so they load the extractor while its page and attachments download, and a crawl that
        # finds nothing new never starts them.
        if self.pool is None and self.workers > 0 and self.store is not None and "list_meta" in request.meta:
            self._start_pool()

    def _start_pool(self):
        # spawn, not fork: this process runs a reactor and threads.
        self.pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                        initializer=init_worker, initargs=(self.database_url, os.getpid()))
        self.pool.submit(os.getpid)  # workers start on demand; start them now

    async def _store_notice(self, item):
        if self.pool is None and self.workers > 0:
            self._start_pool()
        if self.pool is None:
            from tenderwatch.processing import process_notice

            return await self._on_worker(process_notice, self.store, item, run_id=self.run_id)
        pool = self.pool
        future = asyncio.wrap_future(pool.submit(store_notice, item, self.run_id))
        self.pending.add(future)
        try:
            return await future
        except BrokenProcessPool:
            if self.pool is pool:  # a worker died (a crashing PDF library …): this notice fails, the rest go on
                self._start_pool()
            raise
        finally:
            self.pending.discard(future)

    async def open_spider(self):
        from storage.store import Store

        spider = self.crawler.spider
        self.store = await self._on_worker(Store.open, self.database_url)  # migrates before the workers open it
        self.run_id = await self._on_worker(self.store.start_run, spider.name, spider.run_arguments())
        source = getattr(spider, "source", spider.name)
        if getattr(spider, "refresh", False):
            spider.known_urls = set()
        else:
            spider.known_urls = await self._on_worker(self.store.known_urls, source)
        logger.info("Crawl run %(run)d; %(known)d %(source)s notices already stored",
                    {"run": self.run_id, "known": len(spider.known_urls), "source": source})

    async def process_item(self, item):
        stats = self.crawler.stats
        try:
            result = await self._store_notice(item)
        except Exception as exc:  # a bug or bad data in one notice must not stop the crawl
            stats.inc_value("tenderwatch/notices_failed")
            detail = "".join(traceback.format_exception_only(exc)).strip()
            logger.error("Could not store %(url)s: %(detail)s", {"url": item.url, "detail": detail})
            await self._on_worker(self.store.record_error, self.run_id, item.url, "process_error", detail)
            return item
        stats.inc_value(f"tenderwatch/notices_{result.status}")
        fetched = sum(1 for a in item.attachments if a.data is not None)
        stats.inc_value("tenderwatch/attachments_fetched", fetched)
        stats.inc_value("tenderwatch/attachments_failed", len(item.attachments) - fetched)
        return item

    def on_crawl_error(self, url: str, reason: str, detail: str = ""):
        self.crawler.stats.inc_value(f"tenderwatch/errors/{reason}")
        canonical = getattr(self.crawler.spider, "canonical_url", None)
        if canonical is not None:  # recorded under the site's own URL, like the notices, not the mirror's
            url = canonical(url)
        if self.store is not None:
            future = self.executor.submit(self.store.record_error, self.run_id, url, reason, detail)
            future.add_done_callback(_log_failure)

    async def close_spider(self):
        if self.pending:
            await asyncio.gather(*list(self.pending), return_exceptions=True)

    async def on_spider_closed(self, spider, reason):
        # The close reason is only known here (after the pipelines' close_spider).
        if self.store is None:
            return
        status = RUN_STATUS.get(reason, "failed")
        if self.pool is not None:
            # The workers commit their last batch as they exit: before the summary counts from the database.
            pool, self.pool = self.pool, None
            await self._on_worker(pool.shutdown, wait=True, cancel_futures=True)
        summary = await self._on_worker(self._summary, reason)
        self.crawler.stats.set_value("tenderwatch/summary", summary)
        await self._on_worker(self.store.finish_run, self.run_id, status, summary)
        await self._on_worker(self.store.close)
        self.store = None
        self.executor.shutdown(wait=True)

    def _summary(self, reason: str) -> dict:
        """The run's closing summary (stored in CrawlRun.stats and printed by the CLI). Errors are counted
        from the database, so attachment errors recorded by process_notice are included."""
        import sqlalchemy as sa

        from models.tables import CrawlError

        stats = self.crawler.stats
        spider = self.crawler.spider
        table = CrawlError.__table__
        with self.store.engine.connect() as conn:
            rows = conn.execute(
                sa.select(table.c.reason, sa.func.count()).where(table.c.run_id == self.run_id).group_by(table.c.reason)
            ).all()
        errors = dict(sorted(rows))
        status = RUN_STATUS.get(reason, "failed")
        return {
            "run_id": self.run_id,
            "status": status,
            "reason": getattr(spider, "close_detail", None) or reason,
            "pages": {kind: stats.get_value(f"tenderwatch/pages/{kind}", 0) for kind in ("list", "search", "detail")},
            "notices": _notice_counts(stats),
            "skipped_known": stats.get_value("tenderwatch/skipped_known", 0),
            "attachments": {
                "fetched": stats.get_value("tenderwatch/attachments_fetched", 0),
                "failed": stats.get_value("tenderwatch/attachments_failed", 0),
            },
            "errors": errors,
            "requests": stats.get_value("downloader/request_count", 0),
            "seconds": round(time.monotonic() - self.started, 1),
        }


def _notice_counts(stats) -> dict[str, int]:
    """new, changed, unchanged, failed — and any other status the store reports (counted as it comes)."""
    counts = {s: stats.get_value(f"tenderwatch/notices_{s}", 0) for s in ("new", "changed", "unchanged", "failed")}
    for key, value in stats.get_stats().items():
        if key.startswith("tenderwatch/notices_"):
            counts.setdefault(key.removeprefix("tenderwatch/notices_"), value)
    return counts


def _log_failure(future):
    exc = future.exception()
    if exc is not None:
        logger.error("Could not record a crawl error: %s", exc)
