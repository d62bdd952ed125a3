"""`tenderwatch db upgrade` is the one migrator of a PostgreSQL database: the crawler, the other writing
commands and the site refuse an outdated schema in one line with exit status 1 (no traceback) and leave it at
its revision; after `db upgrade` they run. SQLite keeps upgrading itself."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from schema_helpers import hold_at, previous_revision, revision_of

from storage.db import head_revision

# Each refuses before doing any work: the crawl before Scrapy starts, the site before it listens.
REFUSING = [
    ["crawl", "ccgp", "--site-root", "http://127.0.0.1:9/", "--delay", "0"],
    ["reextract", "--all"],
    ["serve", "--port", "0"],
]


def tenderwatch(*args: str, data_dir) -> subprocess.CompletedProcess:
    env = dict(os.environ, TENDERWATCH_DATA_DIR=str(data_dir))
    env.pop("TENDERWATCH_DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "tenderwatch.cli", *args], env=env, capture_output=True, text=True,
                          timeout=120)


@pytest.fixture
def outdated_pg(postgres_url):
    hold_at(postgres_url, previous_revision())
    return postgres_url


@pytest.mark.postgres
@pytest.mark.parametrize("command", REFUSING, ids=[c[0] for c in REFUSING])
def test_an_outdated_postgresql_schema_is_refused_in_one_line(outdated_pg, command, tmp_path):
    done = tenderwatch(*command, "--database-url", outdated_pg, data_dir=tmp_path)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line == (f"Error: database schema is at revision {previous_revision()}, this code expects "
                    f"{head_revision()}: run `tenderwatch db upgrade --database-url URL` once (workers and the site "
                    "never migrate PostgreSQL)")
    assert revision_of(outdated_pg) == previous_revision()


@pytest.mark.postgres
def test_db_upgrade_migrates_postgresql_once_and_the_commands_then_run(outdated_pg, tmp_path):
    first = tenderwatch("db", "upgrade", "--database-url", outdated_pg, data_dir=tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == f"schema: {previous_revision()} → {head_revision()}"
    again = tenderwatch("db", "upgrade", "--database-url", outdated_pg, data_dir=tmp_path)
    assert again.stdout.strip() == f"schema already at {head_revision()}"
    done = tenderwatch("reextract", "--all", "--database-url", outdated_pg, data_dir=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "nothing to do" in done.stdout


def test_a_writing_command_upgrades_an_outdated_sqlite_database_itself(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    hold_at(url, previous_revision())
    done = tenderwatch("reextract", "--all", "--database-url", url, data_dir=tmp_path)
    assert done.returncode == 0, done.stderr
    assert revision_of(url) == head_revision()
