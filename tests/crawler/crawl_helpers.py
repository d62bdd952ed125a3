"""Helpers of the ccgp crawl tests: the crawl command with the replica's arguments, run as a subprocess (the
Twisted reactor cannot restart in one process). The database view and the environment are tests/run_helpers.py's."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from run_helpers import FAST_SETTINGS, ROOT, Database, env_for

__all__ = ["ROOT", "Database", "CrawlOutcome", "crawl_command", "crawl_env", "run_crawl"]
crawl_env = env_for


@dataclass
class CrawlOutcome:
    returncode: int
    summary: dict
    stderr: str


def crawl_command(database_url: str, site_root: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "tenderwatch.cli", "crawl", "ccgp", "--site-root", site_root, "--delay", "0",
            "--json", "--log-level", "INFO", "--database-url", database_url, *FAST_SETTINGS, *args]


def run_crawl(database_url: str, data_dir: Path, site_root: str, *args: str, timeout: float = 120) -> CrawlOutcome:
    proc = subprocess.run(crawl_command(database_url, site_root, *args), cwd=ROOT, env=crawl_env(data_dir),
                          capture_output=True, text=True, timeout=timeout)
    try:
        summary = json.loads(proc.stdout[proc.stdout.index("{"):])
    except ValueError:
        raise AssertionError(f"crawl printed no summary (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr[-4000:]}")
    return CrawlOutcome(proc.returncode, summary, proc.stderr)
