"""Helpers of the source tests: crawls (and ingests) run as subprocesses of the real CLI — the Twisted
reactor cannot restart in one process — and a read-only view of the database they wrote."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
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
