"""Helpers of the crawler tests: crawls run as subprocesses (the Twisted reactor cannot restart in one
process), and a read-only view of the database a crawl wrote."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa


ROOT = Path(__file__).resolve().parents[2]
# Short pauses so block and empty-body handling are exercised without slowing the suite.
FAST_SETTINGS = ["--set", "EMPTY_BODY_RETRY_DELAY=0.2", "--set", "BLOCK_BACKOFF_SECONDS=0.2"]


@dataclass
class CrawlOutcome:
    returncode: int
    summary: dict
    stderr: str


def crawl_command(database_url: str, site_root: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "tenderwatch.cli", "crawl", "ccgp", "--site-root", site_root, "--delay", "0",
            "--json", "--log-level", "INFO", "--database-url", database_url, *FAST_SETTINGS, *args]


def crawl_env(data_dir: Path) -> dict[str, str]:
    env = dict(os.environ, TENDERWATCH_DATA_DIR=str(data_dir))
    env.pop("TENDERWATCH_DATABASE_URL", None)
    return env


def run_crawl(database_url: str, data_dir: Path, site_root: str, *args: str, timeout: float = 120) -> CrawlOutcome:
    proc = subprocess.run(crawl_command(database_url, site_root, *args), cwd=ROOT, env=crawl_env(data_dir),
                          capture_output=True, text=True, timeout=timeout)
    try:
        summary = json.loads(proc.stdout[proc.stdout.index("{"):])
    except ValueError:
        raise AssertionError(f"crawl printed no summary (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr[-4000:]}")
    return CrawlOutcome(proc.returncode, summary, proc.stderr)


class Database:
    """What a crawl left in the database, read with plain SQL."""

    def __init__(self, url: str):
        self.engine = sa.create_engine(url)

    def rows(self, sql: str, **params) -> list[sa.Row]:
        with self.engine.connect() as conn:
            return list(conn.execute(sa.text(sql), params))

    def notice_urls(self) -> list[str]:
        return [r.url for r in self.rows("SELECT url FROM notice ORDER BY url")]

    def notice(self, url: str) -> sa.Row:
        (row,) = self.rows("SELECT * FROM notice WHERE url = :url", url=url)
        return row

    def attachments(self) -> list[sa.Row]:
        return self.rows("SELECT a.*, n.url AS notice_url FROM attachment a JOIN notice n ON n.id = a.notice_id")

    def errors(self, run_id: int | None = None) -> list[sa.Row]:
        if run_id is None:
            return self.rows("SELECT * FROM crawlerror")
        return self.rows("SELECT * FROM crawlerror WHERE run_id = :run", run=run_id)

    def run(self, run_id: int) -> sa.Row:
        (row,) = self.rows("SELECT * FROM crawlrun WHERE id = :run", run=run_id)
        return row

    def count(self, table: str) -> int:
        return self.rows(f"SELECT count(*) AS n FROM {table}")[0].n

    def close(self):
        self.engine.dispose()
