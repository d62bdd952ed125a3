"""`tenderwatch crawl SPIDER …` — the same crawl as `scrapy crawl SPIDER -a …`, with a progress line and a
closing summary (pages, notices new/changed/unchanged, attachments, errors by reason)."""

from __future__ import annotations

import json
import os
import sys

import click

EXIT_BLOCKED = 3  # the site blocked the crawl (status "blocked"); rerun later with the same command
EXIT_FAILED = 1


@click.command()
@click.argument("spider")
@click.option("--since", help="Only notices published on or after this date (YYYY-MM-DD).")
@click.option("--until", help="Only notices published on or before this date (YYYY-MM-DD).")
@click.option("--keywords", help="Comma-separated search terms; default: the site's compute terms; '' = none.")
@click.option("--channels", help="Comma-separated channels (ccgp: gkzb, zbgg, dfgg/zbgg, zygg …); '' = none.")
@click.option("--max-pages", type=click.IntRange(min=1), help="List/search pages per channel or keyword.")
@click.option("--delay", type=click.FloatRange(min=0), help="Seconds between requests to a host (default 3).")
@click.option("--site-root", help="Fetch every host of the site from this root (a mirror, the replica).")
@click.option("--refresh", is_flag=True, help="Fetch stored notices again (changed pages get a new version).")
@click.option("--no-robots", is_flag=True, help="Do not obey robots.txt.")
@click.option("--jobdir", type=click.Path(file_okay=False), help="Scrapy JOBDIR: keep the request queue on disk.")
@click.option("--database-url", envvar="TENDERWATCH_DATABASE_URL", help="Database (default: data/tenderwatch.db).")
@click.option("--log-level", default="WARNING", show_default=True,
              type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False))
@click.option("--json", "as_json", is_flag=True, help="Print the closing summary as JSON.")
@click.option("-s", "--set", "overrides", multiple=True, metavar="NAME=VALUE",
              help="Override a Scrapy setting, like scrapy crawl -s (e.g. BLOCK_BACKOFF_SECONDS=5).")
def crawl(spider, since, until, keywords, channels, max_pages, delay, site_root, refresh, no_robots, jobdir,
          database_url, log_level, as_json, overrides):
    """Crawl SPIDER (ccgp) into the database. Incremental: notices already stored are skipped unless
    --refresh; a stopped crawl resumes with the same command."""
    if spider == "all":  # every spider in turn, one closing summary (tenderwatch/crawl_all.py)
        from tenderwatch.crawl_all import crawl_all

        sys.exit(crawl_all(since=since, until=until, keywords=keywords, channels=channels, max_pages=max_pages,
                           delay=delay, site_root=site_root, refresh=refresh, no_robots=no_robots, jobdir=jobdir,
                           database_url=database_url, log_level=log_level, as_json=as_json, overrides=overrides))
    arguments = {"since": since, "until": until, "keywords": keywords, "channels": channels, "max_pages": max_pages,
                 "delay": delay, "site_root": site_root, "refresh": refresh or None,
                 "obey_robots": False if no_robots else None}
    settings = {}
    for item in overrides:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"expected NAME=VALUE, got {item!r}", param_hint="--set")
        settings[name.strip()] = value
    summary = run_crawl(spider, {k: v for k, v in arguments.items() if v is not None}, database_url=database_url,
                        jobdir=jobdir, log_level=log_level, progress=not as_json, settings=settings)
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        click.echo(format_summary(summary))
    if summary.get("status") == "blocked":
        sys.exit(EXIT_BLOCKED)
    if summary.get("status") not in ("finished", "interrupted"):
        sys.exit(EXIT_FAILED)


def run_crawl(spider: str, arguments: dict, *, database_url: str | None = None, jobdir: str | None = None,
              log_level: str = "WARNING", progress: bool = True, settings: dict | None = None) -> dict:
    """Run one crawl in this process (the Twisted reactor runs once per process) and return its summary."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    from crawler.spiders.base import SpiderArgumentError

    project = get_project_settings()
    project.set("LOG_LEVEL", log_level.upper(), priority="cmdline")
    project.set("TENDERWATCH_PROGRESS", progress and sys.stderr.isatty(), priority="cmdline")
    if database_url:
        project.set("TENDERWATCH_DATABASE_URL", database_url, priority="cmdline")
    if jobdir:
        project.set("JOBDIR", jobdir, priority="cmdline")
    for name, value in (settings or {}).items():
        project.set(name, value, priority="cmdline")
    process = CrawlerProcess(project)
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
    return crawler.stats.get_value("tenderwatch/summary") or {
        "status": "failed", "reason": crawler.stats.get_value("finish_reason") or "the crawl did not start"}


def format_summary(summary: dict) -> str:
    pages = summary.get("pages", {})
    notices = summary.get("notices", {})
    attachments = summary.get("attachments", {})
    errors = summary.get("errors", {})
    lines = [
        f"crawl run {summary.get('run_id')}: {summary.get('status')} ({summary.get('reason')}) "
        f"in {summary.get('seconds', 0)} s, {summary.get('requests', 0)} requests",
        f"  pages: {pages.get('list', 0)} list, {pages.get('search', 0)} search, {pages.get('detail', 0)} detail",
        f"  notices: {notices.get('new', 0)} new, {notices.get('changed', 0)} changed, "
        f"{notices.get('unchanged', 0)} unchanged, {notices.get('failed', 0)} failed"
        + (f", {notices['linked']} linked to the same notice from another source" if notices.get("linked") else "")
        + f"; {summary.get('skipped_known', 0)} already stored, not fetched",
        f"  attachments: {attachments.get('fetched', 0)} fetched, {attachments.get('failed', 0)} failed",
        "  errors: " + (", ".join(f"{reason} {count}" for reason, count in errors.items()) or "none"),
    ]
    return "\n".join(lines)
