"""Item pipeline: store each notice (with its attachments) through storage.processing, in the crawl run
that crawler.runs.RunRecord keeps."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import traceback
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from scrapy import signals

from crawler.runs import RunRecord, stop_at_limit
from crawler.storing import init_worker, store_notice

logger = logging.getLogger(__name__)


class StorePipeline:
    """Each item is read, extracted and stored by process_notice in a worker process (crawler/storing.py;
    STORE_WORKERS of them, 0 = the run record's thread of this process) while Scrapy keeps downloading.
    --max-notices (TENDERWATCH_MAX_NOTICES) stops the crawl once that many notices were handed over.
    Each storing worker shows the start of the batch it holds open (`open_batches`), so the crawl can tell
    when a notice it handed over is committed (`committed_before`; the frontier acks after that)."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.run = RunRecord.of(crawler)
        if self.run is None:
            raise RuntimeError("StorePipeline stores in the crawl's run: crawler.runs.RunRecord must be in EXTENSIONS")
        self.workers = crawler.settings.getint("STORE_WORKERS", 1)
        self.pool: ProcessPoolExecutor | None = None
        self.open_batches = None  # per storing worker: time.monotonic() its open batch began, 0.0 when none
        self.pending: set[asyncio.Future] = set()
        self.max_notices = crawler.settings.getint("TENDERWATCH_MAX_NOTICES", 0)
        self.accepted = 0  # notices handed to the store in this run (--max-notices counts these)
        crawler.signals.connect(self.on_request_scheduled, signal=signals.request_scheduled)
        crawler._tenderwatch_store_pipeline = self

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    @staticmethod
    def of(crawler) -> "StorePipeline | None":
        """The crawl's store pipeline (None when ITEM_PIPELINES leaves it out)."""
        return getattr(crawler, "_tenderwatch_store_pipeline", None)

    def committed_before(self, moment: float) -> bool:
        """Is every notice this pipeline finished storing before `moment` (time.monotonic(), one clock for all
        processes of the machine) committed? True when no storing worker holds a batch begun before it."""
        if self.open_batches is None:  # no storing workers: process_notice commits each notice as it stores it
            return True
        return all(not began or began > moment for began in self.open_batches[:])

    def on_request_scheduled(self, request, spider):
        # Start the workers with the first notice request (ProcurementSpider.notice_request puts list_meta
        # in meta), so they load the extractor while its page and attachments download, and a crawl that
        # finds nothing new never starts them.
        if self.pool is None and self.workers > 0 and self.run.store is not None and "list_meta" in request.meta:
            self._start_pool()

    def _start_pool(self):
        # spawn, not fork: this process runs a reactor and threads.
        context = multiprocessing.get_context("spawn")
        # (a pool restarted after a crash gets new ones: the dead worker's batch is lost with it, not pending)
        self.open_batches, slots = context.Array("d", self.workers, lock=False), context.Value("i", 0)
        self.pool = ProcessPoolExecutor(self.workers, mp_context=context, initializer=init_worker,
                                        initargs=(self.run.database_url, os.getpid(), self.open_batches, slots))
        self.pool.submit(os.getpid)  # workers start on demand; start them now

    async def _store_notice(self, item):
        if self.pool is None and self.workers > 0:
            self._start_pool()
        if self.pool is None:
            from storage.processing import process_notice

            future = self.run.on_worker(process_notice, self.run.store, item, run_id=self.run.run_id)
        else:
            future = asyncio.wrap_future(self.pool.submit(store_notice, item, self.run.run_id))
        future = asyncio.ensure_future(future)
        self.pending.add(future)
        pool = self.pool
        try:
            return await future
        except BrokenProcessPool:
            if pool is not None and self.pool is pool:  # a worker died (a crashing PDF library …): this notice fails
                self._start_pool()
            raise
        finally:
            self.pending.discard(future)

    async def process_item(self, item):
        stats = self.crawler.stats
        if self.max_notices and self.accepted >= self.max_notices:
            stats.inc_value("tenderwatch/notices_beyond_limit")  # not stored: the next run fetches it
            return item
        self.accepted += 1
        try:
            result = await self._store_notice(item)
        except Exception as exc:  # a bug or bad data in one notice must not stop the crawl
            stats.inc_value("tenderwatch/notices_failed")
            detail = "".join(traceback.format_exception_only(exc)).strip()
            logger.error("Could not store %(url)s: %(detail)s", {"url": item.url, "detail": detail})
            self.run.write_error(item.url, "process_error", detail)
            return item
        stats.inc_value(f"tenderwatch/notices_{result.status}")
        fetched = sum(1 for a in item.attachments if a.data is not None)
        stats.inc_value("tenderwatch/attachments_fetched", fetched)
        stats.inc_value("tenderwatch/attachments_failed", len(item.attachments) - fetched)
        if self.max_notices and self.accepted >= self.max_notices:
            stop_at_limit(self.crawler, "max_notices", f"--max-notices {self.max_notices} reached")
        return item

    async def close_spider(self):
        if self.pending:
            await asyncio.gather(*list(self.pending), return_exceptions=True)
        if self.pool is not None:
            # The workers commit their last batch as they exit: before the run's summary counts from the database.
            pool, self.pool = self.pool, None
            await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)
