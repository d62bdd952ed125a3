"""Fixtures shared by every test area: the ../shared benchmarks, and a database per backend."""

import os
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The code under test comes before tests/ on sys.path (pytest puts tests/ first): the test folders mirror the
# packages (tests/storage/exports), and a namespace package made of test folders must never shadow them.
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(ROOT / "tests" / "fixtures"))  # fixture builders (sample_database, make_documents …) by name
SHARED = ROOT.parent / "shared"
IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="session")
def chromium_executable() -> Path:
    """Debian's Chromium for the browser tests: skipped without it on a user's machine, required under CI."""
    path = Path("/usr/bin/chromium")
    if not path.exists():
        if IN_CI:
            pytest.fail(f"CI=true but {path} is missing (apt-get install chromium)")
        pytest.skip(f"{path} is not installed (apt-get install chromium)")
    return path


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """../shared (benchmarks, real samples). Skipped on a user's fresh clone; required under CI."""
    if not SHARED.is_dir():
        if IN_CI:
            pytest.fail("../shared is missing but CI=true: the benchmark tests must run in CI")
        pytest.skip("../shared is not beside this checkout")
    return SHARED


def _postgres_server_url() -> str | None:
    url = os.environ.get("TENDERWATCH_TEST_POSTGRES_URL")
    if not url and IN_CI:
        pytest.fail("CI=true but TENDERWATCH_TEST_POSTGRES_URL is not set")
    return url


@pytest.fixture
def postgres_url():
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    server = _postgres_server_url()
    if not server:
        pytest.skip("TENDERWATCH_TEST_POSTGRES_URL is not set")
    import sqlalchemy as sa

    name = f"tw_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # a missing server under CI must fail, not skip
        if IN_CI:
            pytest.fail(f"PostgreSQL at {server} is not reachable: {exc}")
        pytest.skip(f"PostgreSQL at {server} is not reachable: {exc}")
    url = sa.engine.make_url(server).set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def redis_url():
    """The Redis the frontier tests use (TENDERWATCH_TEST_REDIS_URL, default redis://127.0.0.1:6379/3): skipped
    when it does not answer, a failure under CI=true. Tests keep to keys under a `redis_prefix` of their own."""
    url = os.environ.get("TENDERWATCH_TEST_REDIS_URL", "redis://127.0.0.1:6379/3")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        if IN_CI:
            pytest.fail(f"CI=true but Redis at {url} is not reachable: {exc}")
        pytest.skip(f"Redis at {url} is not reachable: {exc}")
    return url


@pytest.fixture
def redis_prefix(redis_url):
    """A key prefix of this test's own (two runs at once cannot collide); its keys are deleted afterwards."""
    import redis

    prefix = f"tw-test-{uuid.uuid4().hex[:12]}"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(f"{prefix}:*"))
    if keys:
        client.delete(*keys)


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'tenderwatch.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request, tmp_path):
    """Runs a test once on SQLite and once on PostgreSQL (when configured)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'tenderwatch.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def second_database_url(database_url, tmp_path):
    """A second, empty database on the backend of `database_url` (PostgreSQL: on the same server, dropped after),
    for tests that write the same notices two ways and compare."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'second.db'}"
        return
    import uuid

    import sqlalchemy as sa

    name = f"tw_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield sa.engine.make_url(database_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    """An isolated TENDERWATCH_DATA_DIR (blobs, default SQLite database)."""
    d = tmp_path / "data"
    d.mkdir()
    monkeypatch.setenv("TENDERWATCH_DATA_DIR", str(d))
    monkeypatch.delenv("TENDERWATCH_DATABASE_URL", raising=False)
    return d


# The fixed sample database (tests/fixtures/sample_database.py), built through the real Store, read by the digest and
# the export tests. `sample_url` is one SQLite copy shared by the read-only tests of a session;
# `sample_url_any` builds it anew on each backend (SQLite and PostgreSQL) for tests whose output must not
# depend on the database.
@pytest.fixture(scope="session")
def sample_url(tmp_path_factory) -> str:
    from sample_database import build_sample_database

    folder = tmp_path_factory.mktemp("digest-sample")
    url = f"sqlite:///{folder / 'tenderwatch.db'}"
    build_sample_database(url, folder / "raw")
    return url


@pytest.fixture
def sample_url_any(database_url, tmp_path) -> str:
    from sample_database import build_sample_database

    build_sample_database(database_url, tmp_path / "raw")
    return database_url
