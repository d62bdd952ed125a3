"""`tenderwatch crawl SPIDER …` — the same crawl as `scrapy crawl SPIDER -a …`, with progress lines and a
closing summary (window, pages, notices new/changed/unchanged, attachments, errors by reason, how to resume)."""

from __future__ import annotations

import json
import os
import re
import shlex
import sys
import textwrap

import click

from tenderwatch.crawl_summary import format_summary
from tenderwatch.options import database_url_option

EXIT_BLOCKED = 3  # the site blocked the crawl (status "blocked"); rerun later with the same command
EXIT_FAILED = 1
EXIT_INTERRUPTED = 130  # Ctrl-C: the run is `interrupted`; the same command resumes it
STOP_GRACE_SECONDS = 1.0  # after Ctrl-C, in-flight downloads get this long before they are cut


def spider_rows() -> list[tuple[str, str]]:
    """(name, what it crawls) for every spider Scrapy's spider loader knows, from its docstring's Domain."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    from scrapy.spiderloader import SpiderLoader
    from scrapy.utils.project import get_project_settings

    loader = SpiderLoader.from_settings(get_project_settings())
    rows = []
    for name in sorted(loader.list()):
        rows.append((name, _domain(loader.load(name).__doc__ or "")))
    return rows + [("all", "every spider above in turn, one closing summary")]


def _domain(doc: str) -> str:
    """The (indented) Domain paragraph of a spider's docstring, up to its first ';' or ' — '."""
    lines = textwrap.dedent(doc.strip("\n")).splitlines()
    if "Domain" not in lines:
        return doc.strip().splitlines()[0] if doc.strip() else ""
    paragraph = []
    for line in lines[lines.index("Domain") + 1:]:
        if not line.startswith((" ", "\t")):  # the next heading
            break
        paragraph.append(line.strip())
    return re.split(r";| — ", " ".join(paragraph))[0].strip()


class CrawlCommand(click.Command):
    def format_epilog(self, ctx, formatter):
        with formatter.section("Spiders"):
            formatter.write_dl(spider_rows())
        super().format_epilog(ctx, formatter)


@click.command(cls=CrawlCommand)
@click.argument("spider")
@click.option("--since", help="Only notices published on or after this date (YYYY-MM-DD). Default: where the last "
              "finished crawl of SPIDER left off, less 3 days for late notices (CONTINUE_OVERLAP_DAYS); the site's own "
              "default window (ccgp search: 30 days) when none has finished, or with --refresh.")
@click.option("--until", help="Only notices published on or before this date (YYYY-MM-DD).")
@click.option("--keywords", help="Comma-separated search terms; default: the site's compute terms; '' = none.")
@click.option("--channels", help="Comma-separated channels (ccgp: gkzb, zbgg, dfgg/zbgg, zygg …); '' = none.")
@click.option("--max-pages", type=click.IntRange(min=1), help="List/search pages per channel or keyword.")
@click.option("--delay", type=click.FloatRange(min=0), help="Seconds between requests to a host (default 3).")
@click.option("--site-root", help="Fetch every host of the site from this root (a mirror, the replica).")
@click.option("--refresh", is_flag=True, help="Fetch stored notices again (changed pages get a new version).")
@click.option("--no-robots", is_flag=True, help="Do not obey robots.txt.")
@click.option("--jobdir", type=click.Path(file_okay=False), help="Scrapy JOBDIR: keep the request queue on disk.")
@click.option("--frontier", metavar="redis://HOST:6379/N",
              help="Share the request queue, seen-set, per-host politeness and block state in Redis with every "
              "other process crawling SPIDER with the same frontier (on any machine, into the same database).")
@click.option("--idle-exit", type=click.FloatRange(min=0), metavar="SECONDS",
              help="With --frontier: end once the shared frontier has been empty this long (default 10).")
@database_url_option
@click.option("--log-level", default="WARNING", show_default=True,
              type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False))
@click.option("--max-notices", type=click.IntRange(min=1), help="Stop after storing N notices (rerun to continue).")
@click.option("--max-minutes", type=click.FloatRange(min=0, min_open=True),
              help="Stop after M minutes (rerun to continue).")
@click.option("--json", "as_json", is_flag=True, help="Print the closing summary as JSON.")
@click.option("-s", "--set", "overrides", multiple=True, metavar="NAME=VALUE",
              help="Override a Scrapy setting, like scrapy crawl -s (e.g. BLOCK_BACKOFF_SECONDS=5).")
def crawl(spider, since, until, keywords, channels, max_pages, delay, site_root, refresh, no_robots, jobdir,
          frontier, idle_exit, database_url, log_level, max_notices, max_minutes, as_json, overrides):
    """Crawl SPIDER (one of those listed below, or all) into the database. Incremental: notices already
    stored are skipped unless --refresh, and notice pages earlier runs failed on are tried again; a stopped
    crawl resumes with the same command. Exit 0 when finished or stopped at a --max-* limit, 3 when the
    site blocked it, 1 when it failed (more than 20% of its pages, or every page, failed; a host that
    cannot be reached), 130 on Ctrl-C. A log of each run is kept in <data dir>/logs/.

    With --frontier, run the same command in as many processes, on as many machines, as you like: they
    share the work (each request fetched once, each notice stored once), keep --delay between requests to a
    host all together, pause together on a block page, and each ends by itself once the shared frontier
    has been empty for --idle-exit seconds. A killed worker's requests are handed out again."""
    overrides = list(overrides)
    if frontier:
        if jobdir:
            raise click.UsageError("--jobdir and --frontier: the frontier keeps the request queue (in Redis)")
        _check_frontier(frontier)
        overrides.append(f"TENDERWATCH_FRONTIER={frontier}")
    if idle_exit is not None:
        if not frontier:
            raise click.UsageError("--idle-exit needs --frontier")
        overrides.append(f"FRONTIER_IDLE_EXIT={idle_exit}")
    if spider == "all":  # every spider in turn, one closing summary (tenderwatch/crawl_all.py)
        from tenderwatch.crawl_all import crawl_all

        sys.exit(crawl_all(since=since, until=until, keywords=keywords, channels=channels, max_pages=max_pages,
                           delay=delay, site_root=site_root, refresh=refresh, no_robots=no_robots, jobdir=jobdir,
                           database_url=database_url, log_level=log_level, as_json=as_json, overrides=overrides,
                           max_notices=max_notices, max_minutes=max_minutes))
    arguments = {"since": since, "until": until, "keywords": keywords, "channels": channels, "max_pages": max_pages,
                 "delay": delay, "site_root": site_root, "refresh": refresh or None,
                 "obey_robots": False if no_robots else None}
    settings = {}
    if max_notices:
        settings["TENDERWATCH_MAX_NOTICES"] = max_notices
    if max_minutes:
        settings["TENDERWATCH_MAX_MINUTES"] = max_minutes
    for item in overrides:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"expected NAME=VALUE, got {item!r}", param_hint="--set")
        settings[name.strip()] = value
    summary = run_crawl(spider, {k: v for k, v in arguments.items() if v is not None}, database_url=database_url,
                        jobdir=jobdir, log_level=log_level, settings=settings)
    summary["command"] = shlex.join(["tenderwatch", *sys.argv[1:]])
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        click.echo(format_summary(summary))
    status = summary.get("status")
    if status == "blocked":
        sys.exit(EXIT_BLOCKED)
    if status == "interrupted":
        sys.exit(EXIT_INTERRUPTED)
    if status not in ("finished", "stopped"):
        sys.exit(EXIT_FAILED)


def _check_frontier(url: str) -> None:
    """A frontier that cannot be used is one line (tenderwatch.cli), before Scrapy starts."""
    from crawler.frontier import FrontierError, connect

    try:
        connect(url).close()
    except FrontierError as exc:
        raise click.ClickException(str(exc))


def run_crawl(spider: str, arguments: dict, *, database_url: str | None = None, jobdir: str | None = None,
              log_level: str = "WARNING", progress: bool = True, settings: dict | None = None) -> dict:
    """Run one crawl in this process (the Twisted reactor runs once per process) and return its summary.
    Progress lines go to stderr (rewritten in place on a terminal), so the summary on stdout stays clean."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    from scrapy.utils.project import get_project_settings

    from crawler.spiders.base import SpiderArgumentError
    from storage.store import Store

    # An unusable database is one line (tenderwatch.cli), before Scrapy starts and would bury it in tracebacks.
    Store.open(database_url).close()

    project = get_project_settings()
    project.set("LOG_LEVEL", log_level.upper(), priority="cmdline")
    project.set("TENDERWATCH_PROGRESS", progress, priority="cmdline")
    if database_url:
        project.set("TENDERWATCH_DATABASE_URL", database_url, priority="cmdline")
    if jobdir:
        project.set("JOBDIR", jobdir, priority="cmdline")
    for name, value in (settings or {}).items():
        project.set(name, value, priority="cmdline")
    process = _quick_stop_process()(project)
    try:
        spider_cls = process.spider_loader.load(spider)
    except KeyError:
        raise click.BadParameter(f"unknown spider {spider!r} (known: {', '.join(process.spider_loader.list())})")
    try:
        spider_cls(**arguments)  # check the arguments before anything starts
    except SpiderArgumentError as exc:
        raise click.UsageError(str(exc))
    crawler = process.create_crawler(spider_cls)
    process.crawl(crawler, **arguments)
    process.start()
    stats = crawler.stats
    summary = stats.get_value("tenderwatch/summary")
    if summary is None:  # the pipeline never wrote one (stopped while opening, or it failed)
        summary = {"run_id": stats.get_value("tenderwatch/run_id"), "spider": spider,
                   "status": "interrupted" if process.stopping else "failed",
                   "reason": stats.get_value("finish_reason") or "the crawl did not start"}
        if summary["run_id"] is not None:  # its row must not stay `running`
            with Store.open(database_url) as store:
                store.finish_run(summary["run_id"], summary["status"], summary)
    return summary


def _quick_stop_process():
    from scrapy.crawler import CrawlerProcess

    class QuickStop(CrawlerProcess):
        """Ctrl-C stops within seconds: the graceful stop (run recorded `interrupted`, summary printed) goes
        on, but downloads still in flight are cut after STOP_GRACE_SECONDS instead of running to their timeout
        (a host that does not answer would hold the stop for DOWNLOAD_TIMEOUT, a minute)."""

        stopping = False

        def _signal_shutdown(self, signum, frame):
            from twisted.internet import reactor

            self.stopping = True
            super()._signal_shutdown(signum, frame)
            reactor.callFromThread(reactor.callLater, STOP_GRACE_SECONDS, self._cut_downloads)

        def _cut_downloads(self):
            # Each in-flight download has a reactor call that cancels it at DOWNLOAD_TIMEOUT: bring it forward.
            from twisted.internet import reactor
            from twisted.internet.defer import Deferred

            for call in reactor.getDelayedCalls():
                func = getattr(call, "func", None)
                if getattr(func, "__name__", "") == "cancel" and isinstance(getattr(func, "__self__", None), Deferred) \
                        and call.active():
                    call.reset(0)

    return QuickStop
