"""The crawl run's record, kept over the Store API by one Scrapy extension (RunRecord): the run row opened
when the spider opens (with what the spider should skip and retry), a heartbeat while it runs, every failed
page recorded, and the closing status and summary. The database is the truth for resuming.

Two functions are the only ways the rest of the crawler reports to it: ``record_error`` (a page failed) and
``stop_crawl`` (end the crawl early, with a reason and what caused it).
"""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Callable

from scrapy import signals
from scrapy.exceptions import CloseSpider
from twisted.internet import task

from crawler.signals import crawl_error

logger = logging.getLogger(__name__)

# Scrapy close reasons -> CrawlRun.status ("stopped": a --max-notices/--max-minutes limit; resumable)
RUN_STATUS = {"finished": "finished", "blocked": "blocked", "shutdown": "interrupted", "cancelled": "interrupted",
              "max_notices": "stopped", "max_minutes": "stopped",
              "frontier_lost": "interrupted"}  # (--frontier: its Redis stayed away; the others or a rerun go on)
# With --frontier, the frontier's counters in the summary: summary key -> stats key (crawler/frontier.py,
# crawler/politeness.py). `released`: put back by this worker as it stopped; `reclaimed`: lapsed leases of
# workers that went away, put back by this one; `delay_waits`: requests that waited for another worker's turn.
FRONTIER_COUNTERS = {"taken": "frontier/taken", "acked": "frontier/done", "released": "frontier/released",
                     "reclaimed": "frontier/reclaimed", "enqueued": "frontier/enqueued",
                     "filtered": "frontier/filtered", "delay_waits": "frontier/delay_waits",
                     "delay_wait_seconds": "frontier/delay_wait_seconds", "redis_retries": "frontier/redis_retries"}
# Failed pages that are the site refusing the crawler (a run failing with mostly these ends `blocked`).
REFUSALS = {"http_403", "http_429", "blocked", "empty_body"}
# Failures that are no page lost: robots.txt said no.
NOT_PAGE_FAILURES = {"robots_disallowed", "ignored"}


def record_error(crawler, url: str, reason: str, detail: str = "", retry_meta: dict | None = None) -> None:
    """A page failed (timeout, HTTP error, block page, parse failure …). `retry_meta` (what the list said)
    marks a notice page the next run fetches again; None for list, search and other pages."""
    crawler.signals.send_catch_log(crawl_error, url=url, reason=reason, detail=detail, retry_meta=retry_meta)


def stop_crawl(crawler, reason: str, detail: str, *, when_idle: bool = False) -> bool:
    """End the crawl early with Scrapy close `reason` ("blocked", "unreachable", "max_notices" …); `detail`
    becomes the run's reason. The first stop wins; False when the crawl is stopping already. `when_idle`:
    let the rest of the crawl finish first (one portal of several refused), and end with `reason` then. The
    caller says why in the log, in its own words (one line per stop)."""
    record = RunRecord.of(crawler)
    if record is None:  # a crawl without a run record (crawler.fetch): nothing to remember
        asyncio.ensure_future(crawler.engine.close_spider_async(reason=reason))
        return True
    if record.close_detail or crawler.engine is None:
        return False
    if when_idle:
        record.idle_stop = (reason, [*record.idle_stop[1], detail] if record.idle_stop else [detail])
        return True
    record.close_detail = detail
    asyncio.ensure_future(crawler.engine.close_spider_async(reason=reason))
    return True


def stop_at_limit(crawler, reason: str, detail: str) -> None:
    """--max-notices / --max-minutes reached: stop, resumably."""
    if stop_crawl(crawler, reason, detail):
        logger.info("%s; stopping (rerun the same command to continue)", detail)


class RunRecord:
    """Opens the Store when the spider opens, marks runs left `running` by dead crawls interrupted, hands the
    spider the canonical URLs already stored (``spider.known_urls``), its date window (continuing the last
    finished run) and the notice pages earlier runs failed on, and starts a CrawlRun. Errors signalled by
    spiders and middlewares (crawler.signals.crawl_error) are counted and recorded through one thread. At
    close the run gets its status and a summary, also left in the stats as ``tenderwatch/summary`` for the
    CLI to print."""

    def __init__(self, crawler):
        self.crawler = crawler
        settings = crawler.settings
        self.database_url = settings.get("TENDERWATCH_DATABASE_URL")
        self.max_minutes = settings.getfloat("TENDERWATCH_MAX_MINUTES", 0)
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tenderwatch-store")
        self.store = None
        self.run_id: int | None = None
        self.started = time.monotonic()
        self.close_detail: str | None = None  # why the crawl stopped early (stop_crawl)
        self.idle_stop: tuple[str, list[str]] | None = None  # (reason, details) to stop with once idle
        # With --frontier (set by crawler.frontier): whether any worker of this session failed a list page.
        self.shared_window_failed: Callable[[], bool] | None = None
        self.heartbeat: task.LoopingCall | None = None
        self.log_handler: logging.Handler | None = None
        self.log_path = None

    @classmethod
    def from_crawler(cls, crawler):
        record = cls(crawler)
        crawler.signals.connect(record.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(record.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(record.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(record.on_crawl_error, signal=crawl_error)
        return record

    @staticmethod
    def of(crawler) -> RunRecord | None:
        """The crawl's run record (None when the EXTENSIONS setting leaves it out)."""
        return next((e for e in crawler.extensions.middlewares if isinstance(e, RunRecord)), None)

    async def on_worker(self, fn, *args, **kwargs):
        """`fn` on the bookkeeping thread (the Store is used from that one thread)."""
        return await asyncio.wrap_future(self.executor.submit(fn, *args, **kwargs))

    # -- opening ----------------------------------------------------------------------------------------

    async def spider_opened(self, spider):
        from storage.runs import close_lost_runs
        from storage.store import Store

        settings = self.crawler.settings
        self.store = await self.on_worker(Store.open, self.database_url)  # migrates before the workers open it
        for run_id, name, why in await self.on_worker(close_lost_runs, self.store,
                                                      stale_seconds=settings.getfloat("STALE_RUN_SECONDS")):
            logger.warning("Crawl run %(run)d (%(name)s) was left running: %(why)s; now marked interrupted",
                           {"run": run_id, "name": name, "why": why})
        source = getattr(spider, "source", spider.name)
        if getattr(spider, "refresh", False):
            spider.known_urls = set()
        else:
            spider.known_urls = await self.on_worker(self.store.known_urls, source)
        if hasattr(spider, "continue_window"):
            await self.on_worker(self._plan_window, spider)
        arguments = spider.run_arguments() if hasattr(spider, "run_arguments") else {}
        self.run_id = await self.on_worker(self.store.start_run, spider.name, arguments)
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

            reactor.callLater(self.max_minutes * 60, stop_at_limit, self.crawler, "max_minutes",
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

    # -- while it runs ----------------------------------------------------------------------------------

    def _beat(self):
        if self.store is None or self.run_id is None:
            return
        from crawler.progress import snapshot

        self._write(self.store.heartbeat, self.run_id, snapshot(self.crawler, self.started))

    def on_crawl_error(self, url: str, reason: str, detail: str = "", retry_meta: dict | None = None):
        stats = self.crawler.stats
        stats.inc_value(f"tenderwatch/errors/{reason}")
        if reason not in NOT_PAGE_FAILURES:
            stats.inc_value("tenderwatch/pages_failed")
            if retry_meta is None:  # a list, search or homepage: the window must be read again
                stats.inc_value("tenderwatch/list_pages_failed")
        self.write_error(url, reason, detail, retry_meta)

    def write_error(self, url: str, reason: str, detail: str = "", retry_meta: dict | None = None) -> None:
        """The CrawlError row, without counting it as a failed page (storing errors of fetched notices)."""
        canonical = getattr(self.crawler.spider, "canonical_url", None)
        if canonical is not None:  # recorded under the site's own URL, like the notices, not the mirror's
            url = canonical(url)
        if self.store is not None:
            self._write(self.store.record_error, self.run_id, url, reason, detail, retry_meta)

    def _write(self, fn, *args) -> None:
        self.executor.submit(fn, *args).add_done_callback(_log_failure)

    def spider_idle(self, spider):
        if self.idle_stop and not self.close_detail:
            reason, details = self.idle_stop
            self.close_detail = "; ".join(details)
            # Closed here as well as by CloseSpider: with --frontier the shared scheduler keeps an idle worker
            # open (DontCloseSpider), which makes Scrapy drop the CloseSpider (closing twice is harmless).
            asyncio.ensure_future(self.crawler.engine.close_spider_async(reason=reason))
            raise CloseSpider(reason)

    # -- closing ----------------------------------------------------------------------------------------

    async def spider_closed(self, spider, reason):
        # After the item pipelines' close_spider: the storing workers have committed what they stored.
        if self.heartbeat is not None and self.heartbeat.running:
            self.heartbeat.stop()
        if self.store is None:
            self.executor.shutdown(wait=False)
            return
        try:
            summary = await self.on_worker(self._summary, reason)
        except Exception as exc:  # the run must still end with a status, never stay `running`
            logger.error("Could not count the run's summary: %r", exc)
            summary = {"run_id": self.run_id, "status": RUN_STATUS.get(reason, "failed"), "reason": reason}
        self.crawler.stats.set_value("tenderwatch/summary", summary)
        await self.on_worker(self.store.finish_run, self.run_id, summary["status"], summary)
        await self.on_worker(self.store.close)
        self.store = None
        self.executor.shutdown(wait=True)
        if self.log_handler is not None:
            logging.getLogger().removeHandler(self.log_handler)
            self.log_handler.close()

    def _summary(self, reason: str) -> dict:
        """The run's closing summary (stored in CrawlRun.stats and printed by the CLI). Errors are counted
        from the database, so attachment errors recorded by process_notice are included."""
        stats = self.crawler.stats
        spider = self.crawler.spider
        errors = self._error_counts()
        pages = {kind: stats.get_value(f"tenderwatch/pages/{kind}", 0) for kind in ("list", "search", "detail")}
        failed = stats.get_value("tenderwatch/pages_failed", 0)
        status = RUN_STATUS.get(reason, "failed")
        why = self.close_detail or getattr(spider, "close_detail", None) or reason
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
            **({"frontier": self._frontier_counts()} if self.crawler.settings.get("TENDERWATCH_FRONTIER") else {}),
        }

    def _frontier_counts(self) -> dict:
        get = self.crawler.stats.get_value
        counts = {key: get(stat, 0) for key, stat in FRONTIER_COUNTERS.items()}
        counts["delay_wait_seconds"] = round(counts["delay_wait_seconds"], 1)
        return counts

    def _error_counts(self) -> dict[str, int]:
        """CrawlError rows of this run by reason."""
        import sqlalchemy as sa

        from models.tables import ERROR

        with self.store.engine.connect() as conn:
            rows = conn.execute(
                sa.select(ERROR.c.reason, sa.func.count()).where(ERROR.c.run_id == self.run_id).group_by(ERROR.c.reason)
            ).all()
        return dict(sorted(rows))

    def _window(self, spider) -> dict:
        """The date window crawled, and `end`: where the next run without --since continues. A run whose list
        or search pages failed ends where it began, so the next one reads that window again."""
        since, until = getattr(spider, "since", None), getattr(spider, "until", None)
        complete = not self.crawler.stats.get_value("tenderwatch/list_pages_failed", 0)
        if complete and self.shared_window_failed is not None:  # list pages are shared: one worker's failure counts
            try:
                complete = not self.shared_window_failed()
            except Exception:  # cannot tell (Redis gone): read the window again next time rather than skip a page
                complete = False
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
