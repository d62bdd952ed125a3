"""Fixtures of the CLI tests: real SQLite databases built through the storage layer."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "storage"))


@pytest.fixture
def empty_db(tmp_path, data_dir) -> str:
    """An existing database with the current schema and no notice."""
    from storage.store import Store

    url = f"sqlite:///{tmp_path / 'empty.db'}"
    Store.open(url).close()
    return url
