"""A crawl run as a Scrapyd job (`curl …/schedule.json -d project=tenderwatch -d spider=ccgp …`).

A Scrapyd job runs in the Scrapyd server's own working directory, so the default data dir (./data: raw blobs,
run logs and the default SQLite database) would land wherever Scrapyd was started. A job therefore refuses to
start unless its data dir is named explicitly, as an absolute path: the TENDERWATCH_DATA_DIR setting
(`-d setting=TENDERWATCH_DATA_DIR=/srv/tenderwatch/data`) or the environment Scrapyd was started with. The
database is TENDERWATCH_DATABASE_URL (setting or environment), else the SQLite file in that data dir.
"""

from __future__ import annotations

import logging
import os

from scrapy.exceptions import NotConfigured

logger = logging.getLogger(__name__)

DATA_DIR = "TENDERWATCH_DATA_DIR"


class ScrapydJobError(RuntimeError):
    """A Scrapyd job without an explicit, absolute data dir."""


def is_scrapyd_job(spider) -> bool:
    """Scrapyd passes every job its id as the spider argument `_job`."""
    return getattr(spider, "_job", None) is not None


def job_problem(data_dir: str | None) -> str | None:
    if not data_dir:
        return ("a Scrapyd job needs its data dir: schedule it with -d setting=TENDERWATCH_DATA_DIR=/absolute/path "
                "(or start scrapyd with TENDERWATCH_DATA_DIR set)")
    if not os.path.isabs(data_dir):
        return (f"TENDERWATCH_DATA_DIR={data_dir!r} is relative, and a Scrapyd job runs in Scrapyd's own "
                "directory: give an absolute path")
    return None


class DataDirectory:
    """Extension: the TENDERWATCH_DATA_DIR setting becomes the environment variable storage.config reads (here
    and in the store worker processes the pipeline starts); in a Scrapyd job it must be set, and absolute."""

    @classmethod
    def from_crawler(cls, crawler):
        data_dir = crawler.settings.get(DATA_DIR) or os.environ.get(DATA_DIR)
        if is_scrapyd_job(crawler.spider):
            problem = job_problem(data_dir)
            if problem:
                logger.critical(problem)
                raise ScrapydJobError(problem)
        if crawler.settings.get(DATA_DIR):
            os.environ[DATA_DIR] = os.path.abspath(crawler.settings.get(DATA_DIR))
        raise NotConfigured  # nothing to do once the crawl runs
