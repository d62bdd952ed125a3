"""The fixed sample database (storage/digest/sample.py), built through the real Store.

`sample_url` is one SQLite copy shared by the read-only tests of a session; `sample_url_any` builds it anew on
each backend (SQLite and PostgreSQL) for the tests whose output must not depend on the database."""

import pytest

from storage.db import make_engine
from storage.digest.sample import build_sample_database


@pytest.fixture(scope="session")
def sample_url(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("digest-sample")
    url = f"sqlite:///{folder / 'tenderwatch.db'}"
    build_sample_database(url, folder / "raw")
    return url


@pytest.fixture
def sample_url_any(database_url, tmp_path) -> str:
    build_sample_database(database_url, tmp_path / "raw")
    return database_url


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
