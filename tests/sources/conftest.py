"""Source test fixtures: a fresh database and data folder per test."""

from __future__ import annotations

import pytest
from sources_helpers import Database


@pytest.fixture
def crawl_db(tmp_path):
    """(database URL, data dir, Database view) on a fresh SQLite file."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    url = f"sqlite:///{data_dir / 'tenderwatch.db'}"
    db = Database(url)
    yield url, data_dir, db
    db.close()
