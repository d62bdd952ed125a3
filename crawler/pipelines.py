"""Item pipeline: store each notice (with its attachments) through storage.processing, and keep the
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
from datetime import date

from scrapy import signals
from twisted.internet import task

from crawler.signals import crawl_error
from crawler.storing import init_worker, store_notice

logger = logging.getLogger(__name__)

# Scrapy close reasons -> CrawlRun.status ("stopped": a --max-notices/--max-minutes limit; resumable)
RUN_STATUS = {"finished": "finished", "blocked": "blocked", "shutdown": "interrupted", "cancelled": "interrupted",
              "max_notices": "stopped", "max_minutes": "stopped"}
# Failed pages that are the site refusing the crawler (a run failing with mostly these ends `blocked`).
REFUSALS = {"http_403", "http_429", "blocked", "empty_body"}
# Failures that are no page lost: robots.txt said no.
NOT_PAGE_FAILURES = {"robots_disallowed", "ignored"}


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
        settings = crawler.settings
        self.max_notices = settings.getint("TENDERWATCH_MAX_NOTICES", 0)
        self.max_minutes = settings.getfloat("TENDERWATCH_MAX_MINUTES", 0)
        self.accepted = 0  # notices handed to the store in this run (--max-notices counts these)
        self.heartbeat: task.LoopingCall | None = None
        self.log_handler: logging.Handler | None = None
        self.log_path = None
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
            from storage.processing import process_notice

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
        from storage.runs import close_lost_runs
        from storage.store import Store

        spider = self.crawler.spider
        settings = self.crawler.settings
        self.store = await self._on_worker(Store.open, self.database_url)  # migrates before the workers open it
        for run_id, name, why in await self._on_worker(close_lost_runs, self.store,
                                                       stale_seconds=settings.getfloat("STALE_RUN_SECONDS")):
            logger.warning("Crawl run %(run)d (%(name)s) was left running: %(why)s; now marked interrupted",
                           {"run": run_id, "name": name, "why": why})
        source = getattr(spider, "source", spider.name)
        if getattr(spider, "refresh", False):
            spider.known_urls = set()
        else:
            spider.known_urls = await self._on_worker(self.store.known_urls, source)
        if hasattr(spider, "continue_window"):
            await self._on_worker(self._plan_window, spider)
        self.run_id = await self._on_worker(self.store.start_run, spider.name, spider.run_arguments())
        self.crawler.stats.set_value("tenderwatch/run_id", self.run_id)  # the CLI names the run even if it dies
        self._open_log(spider.name)
        logger.info("Crawl run %(run)d; %(known)d %(source)s notices already stored; window from %(since)s (%(why)s); "
                    "%(retry)d notice pages of earlier runs to try again",
                    {"run": self.run_id, "known": len(spider.known_urls), "source": source,
                     "since": getattr(spider, "since", None), "why": getattr(spider, "window_from", ""),
                     "retry": len(getattr(spider, "failed_pages", []))})
        self.heartbeat = task.LoopingCall(self._beat)
        self.heartbeat.start(settings.getfloat("HEARTBEAT_SECONDS"), now=False)
        if self.max_minutes:
            from twisted.internet import reactor

            reactor.callLater(self.max_minutes * 60, self._stop_at_limit, "max_minutes",
                              f"--max-minutes {self.max_minutes:g} reached")

    def _plan_window(self, spider) -> None:
        """Without --since, continue from the last finished run; and take up the notice pages earlier runs
        failed on (and did not store since), unless they failed in RETRY_FAILED_RUNS runs already."""
        # (--refresh looks back over the default window: re-fetching is about what is stored, not what is new)
        continues = spider.since is None and not getattr(spider, "refresh", False)
        last = self.store.last_finished_run(spider.name) if continues else None
        if last is not None:
            window = (last.stats or {}).get("window") or {}
            # (rows from before `window.end` existed: the run's own arguments, else the day it finished)
            end = window["end"] if "end" in window else (
                (last.args or {}).get("window_end") or (last.finished_at and last.finished_at.date().isoformat()))
            if end:
                spider.continue_window(date.fromisoformat(end), last.id,
                                       self.crawler.settings.getint("CONTINUE_OVERLAP_DAYS"))
        limit = self.crawler.settings.getint("RETRY_FAILED_RUNS")
        spider.failed_pages = [(url, meta) for url, meta, runs in self.store.failed_notice_pages(spider.name)
                               if url not in spider.known_urls and runs < limit]

    def _open_log(self, name: str) -> None:
        """A log file per run under the data folder (INFO and up, whatever the console shows)."""
        from storage.config import data_dir

        folder = data_dir() / "logs"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            self.log_path = folder / f"crawl-{name}-{self.run_id}.log"
            handler = logging.FileHandler(self.log_path, encoding="utf-8")
        except OSError as exc:
            logger.warning("No run log: %s", exc)
            self.log_path = None
            return
        handler.setLevel(logging.INFO)
        handler.setFormatter(logging.Formatter("%(asctime)s [%(name)s] %(levelname)s: %(message)s"))
        logging.getLogger().addHandler(handler)
        self.log_handler = handler

    def _beat(self):
        if self.store is None or self.run_id is None:
            return
        from crawler.progress import snapshot

        future = self.executor.submit(self.store.heartbeat, self.run_id, snapshot(self.crawler, self.started))
        future.add_done_callback(_log_failure)

    def _stop_at_limit(self, reason: str, detail: str) -> None:
        spider = self.crawler.spider
        engine = self.crawler.engine
        if engine is None or self.store is None or getattr(spider, "close_detail", None):
            return
        spider.close_detail = detail
        logger.info("%s; stopping (rerun the same command to continue)", detail)
        asyncio.ensure_future(engine.close_spider_async(reason=reason))

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
            await self._on_worker(self.store.record_error, self.run_id, item.url, "process_error", detail)
            return item
        stats.inc_value(f"tenderwatch/notices_{result.status}")
        fetched = sum(1 for a in item.attachments if a.data is not None)
        stats.inc_value("tenderwatch/attachments_fetched", fetched)
        stats.inc_value("tenderwatch/attachments_failed", len(item.attachments) - fetched)
        if self.max_notices and self.accepted >= self.max_notices:
            self._stop_at_limit("max_notices", f"--max-notices {self.max_notices} reached")
        return item

    def on_crawl_error(self, url: str, reason: str, detail: str = "", retry_meta: dict | None = None):
        stats = self.crawler.stats
        stats.inc_value(f"tenderwatch/errors/{reason}")
        if reason not in NOT_PAGE_FAILURES:
            stats.inc_value("tenderwatch/pages_failed")
            if retry_meta is None:  # a list, search or homepage: the window must be read again
                stats.inc_value("tenderwatch/list_pages_failed")
        canonical = getattr(self.crawler.spider, "canonical_url", None)
        if canonical is not None:  # recorded under the site's own URL, like the notices, not the mirror's
            url = canonical(url)
        if self.store is not None:
            future = self.executor.submit(self.store.record_error, self.run_id, url, reason, detail, retry_meta)
            future.add_done_callback(_log_failure)

    async def close_spider(self):
        if self.pending:
            await asyncio.gather(*list(self.pending), return_exceptions=True)

    async def on_spider_closed(self, spider, reason):
        # The close reason is only known here (after the pipelines' close_spider).
        if self.heartbeat is not None and self.heartbeat.running:
            self.heartbeat.stop()
        if self.store is None:
            return
        if self.pool is not None:
            # The workers commit their last batch as they exit: before the summary counts from the database.
            pool, self.pool = self.pool, None
            await self._on_worker(pool.shutdown, wait=True, cancel_futures=True)
        try:
            summary = await self._on_worker(self._summary, reason)
        except Exception as exc:  # the run must still end with a status, never stay `running`
            logger.error("Could not count the run's summary: %r", exc)
            summary = {"run_id": self.run_id, "status": RUN_STATUS.get(reason, "failed"), "reason": reason}
        self.crawler.stats.set_value("tenderwatch/summary", summary)
        await self._on_worker(self.store.finish_run, self.run_id, summary["status"], summary)
        await self._on_worker(self.store.close)
        self.store = None
        self.executor.shutdown(wait=True)
        if self.log_handler is not None:
            logging.getLogger().removeHandler(self.log_handler)
            self.log_handler.close()

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
        pages = {kind: stats.get_value(f"tenderwatch/pages/{kind}", 0) for kind in ("list", "search", "detail")}
        failed = stats.get_value("tenderwatch/pages_failed", 0)
        status = RUN_STATUS.get(reason, "failed")
        why = getattr(spider, "close_detail", None) or reason
        if status == "finished":
            status, why = self._verdict(sum(pages.values()), failed, errors) or (status, why)
        return {
            "run_id": self.run_id,
            "status": status,
            "reason": why,
            "window": self._window(spider),
            "pages": pages,
            "pages_failed": failed,
            "retried_from_earlier_runs": stats.get_value("tenderwatch/retried_from_earlier_runs", 0),
            "waf": {k: stats.get_value(f"tenderwatch/waf/{k}", 0) for k in ("renewed_by_page", "homepage_renewals",
                                                                           "refused", "retried")},
            "log": str(self.log_path) if self.log_path else None,
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


    def _window(self, spider) -> dict:
        """The date window crawled, and `end`: where the next run without --since continues. A run whose list
        or search pages failed ends where it began, so the next one reads that window again."""
        since, until = getattr(spider, "since", None), getattr(spider, "until", None)
        complete = not self.crawler.stats.get_value("tenderwatch/list_pages_failed", 0)
        args = spider.run_arguments() if hasattr(spider, "run_arguments") else {}
        return {"since": _iso(since), "until": _iso(until), "from": getattr(spider, "window_from", None),
                "end": args.get("window_end") if complete else _iso(since)}

    def _verdict(self, pages_ok: int, failed: int, errors: dict[str, int]) -> tuple[str, str] | None:
        """A crawl that ran to its end but whose pages mostly failed did not finish: (status, reason), or None.
        The line: more than FAILED_PAGES_SHARE of the pages it tried (and at least FAILED_PAGES_MIN), or every
        page it tried. `blocked` when most failures were the site refusing, else `failed`."""
        settings = self.crawler.settings
        tried = pages_ok + failed
        share = settings.getfloat("FAILED_PAGES_SHARE")
        if not failed or (pages_ok and (failed < settings.getint("FAILED_PAGES_MIN") or failed <= share * tried)):
            return None
        page_errors = {r: n for r, n in errors.items() if r not in NOT_PAGE_FAILURES and not r.startswith("attachment_")}
        refused = sum(n for r, n in page_errors.items() if r in REFUSALS)
        top = ", ".join(f"{r} {n}" for r, n in sorted(page_errors.items(), key=lambda x: -x[1])[:3])
        status = "blocked" if refused * 2 >= sum(page_errors.values()) else "failed"
        return status, (f"{failed} of {tried} pages failed ({top}); a crawl with more than {share:.0%} of its pages "
                        "failed is not finished")


def _iso(day) -> str | None:
    return day.isoformat() if day else None


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
