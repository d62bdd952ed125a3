"""Read-only engines on the fixed sample database (`sample_url`, `sample_url_any`: tests/conftest.py)."""

import pytest

from storage.db import make_engine


def _engine(url):
    engine = make_engine(url, read_only=True)
    yield engine
    engine.dispose()


@pytest.fixture
def sample_engine(sample_url):
    yield from _engine(sample_url)


@pytest.fixture
def sample_engine_any(sample_url_any):
    yield from _engine(sample_url_any)
