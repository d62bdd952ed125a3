"""Helpers of the tests that run the real CLI (crawls, `crawl all`, ingests) as subprocesses — the Twisted
reactor cannot restart in one process — and a read-only view of the database they wrote; `crawl_db`, a fresh
database per test (import it into a test module or conftest to use it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
# Short pauses so back-off and empty-body handling are exercised without slowing the suite.
FAST_SETTINGS = ["--set", "EMPTY_BODY_RETRY_DELAY=0.2", "--set", "BLOCK_BACKOFF_SECONDS=0.2"]


@dataclass
class Outcome:
    returncode: int
    summary: dict
    stdout: str
    stderr: str


def env_for(data_dir: Path) -> dict[str, str]:
    env = dict(os.environ, TENDERWATCH_DATA_DIR=str(data_dir))
    env.pop("TENDERWATCH_DATABASE_URL", None)
    return env


def cli(data_dir: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tenderwatch.cli", *args], cwd=ROOT, env=env_for(data_dir),
                          capture_output=True, text=True, timeout=timeout)


def _summary(proc: subprocess.CompletedProcess) -> dict:
    try:
        return json.loads(proc.stdout[proc.stdout.index("{"):])
    except ValueError:
        raise AssertionError(f"no JSON summary (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr[-4000:]}")


def crawl(spider: str, database_url: str, data_dir: Path, site_root: str, *args: str) -> Outcome:
    proc = cli(data_dir, "crawl", spider, "--site-root", site_root, "--delay", "0", "--json", "--log-level", "INFO",
               "--database-url", database_url, *FAST_SETTINGS, *args)
    return Outcome(proc.returncode, _summary(proc), proc.stdout, proc.stderr)


def crawled_twice(tmp_path_factory, spider: str, site, *args: str):
    """`spider` crawls the replica `site` twice (same arguments) into one fresh database: a generator for a
    module fixture, yielding both outcomes, what each run requested (`first_log`, `second_log`) and the
    Database view."""
    from crawler.replica.multi import serving

    data_dir = tmp_path_factory.mktemp(spider) / "data"
    data_dir.mkdir()
    url = f"sqlite:///{data_dir / 'tenderwatch.db'}"
    with serving(site) as server:
        first = crawl(spider, url, data_dir, server.url, *args)
        first_log = list(site.log)
        second = crawl(spider, url, data_dir, server.url, *args)
        db = Database(url)
        yield {"site": site, "first": first, "first_log": first_log, "second": second,
               "second_log": site.log[len(first_log):], "db": db}
        db.close()


def ingest(database_url: str, data_dir: Path, *args: str) -> Outcome:
    proc = cli(data_dir, "ingest", "--json", "--database-url", database_url, *args)
    return Outcome(proc.returncode, _summary(proc), proc.stdout, proc.stderr)


class Database:
    """What a crawl left in the database, read with plain SQL."""

    def __init__(self, url: str):
        self.engine = sa.create_engine(url)

    def rows(self, sql: str, **params) -> list[sa.Row]:
        with self.engine.connect() as conn:
            return list(conn.execute(sa.text(sql), params))

    def notice_urls(self, source: str | None = None) -> list[str]:
        if source is None:
            return [r.url for r in self.rows("SELECT url FROM notice ORDER BY url")]
        return [r.url for r in self.rows("SELECT url FROM notice WHERE source = :s ORDER BY url", s=source)]

    def notice(self, url: str) -> sa.Row:
        (row,) = self.rows("SELECT * FROM notice WHERE url = :url", url=url)
        return row

    def attachments(self) -> list[sa.Row]:
        return self.rows("SELECT a.*, n.url AS notice_url FROM attachment a JOIN notice n ON n.id = a.notice_id")

    def errors(self, run_id: int | None = None) -> list[sa.Row]:
        if run_id is None:
            return self.rows("SELECT * FROM crawlerror ORDER BY id")
        return self.rows("SELECT * FROM crawlerror WHERE run_id = :run ORDER BY id", run=run_id)

    def run(self, run_id: int) -> sa.Row:
        (row,) = self.rows("SELECT * FROM crawlrun WHERE id = :run", run=run_id)
        return row

    def count(self, table: str) -> int:
        return self.rows(f"SELECT count(*) AS n FROM {table}")[0].n

    def close(self):
        self.engine.dispose()


@pytest.fixture
def crawl_db(tmp_path):
    """A fresh SQLite database and data folder for one test: (database URL, data dir, Database view)."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    url = f"sqlite:///{data_dir / 'tenderwatch.db'}"
    db = Database(url)
    yield url, data_dir, db
    db.close()
