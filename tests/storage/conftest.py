"""Storage-test fixtures: the search corpus stored once per module and backend (the read-only search
tests share it instead of building a database per test)."""

import os
import uuid

import pytest
import sqlalchemy as sa

from storage.store import Store


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def corpus_store(request, tmp_path_factory):
    """A Store holding storage_corpus.CORPUS, with `ids` (key → id) and `key_of` (id → key)."""
    from storage_corpus import CORPUS
    from storage_helpers import save

    tmp = tmp_path_factory.mktemp("corpus")
    drop = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp / 'corpus.db'}"
    else:
        url, drop = _postgres_database(request)
    store = Store.open(url, blob_dir=tmp / "raw")
    store.ids = {spec.key: save(store, spec).notice_id for spec in CORPUS}
    store.key_of = {v: k for k, v in store.ids.items()}
    yield store
    store.close()
    if drop:
        drop()


def _postgres_database(request):
    # Same server and skip/fail rules as the shared `postgres_url` fixture, at module scope.
    server = os.environ.get("TENDERWATCH_TEST_POSTGRES_URL")
    if not server:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true but TENDERWATCH_TEST_POSTGRES_URL is not set")
        pytest.skip("TENDERWATCH_TEST_POSTGRES_URL is not set")
    name = f"tw_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"PostgreSQL at {server} is not reachable: {exc}")
        pytest.skip(f"PostgreSQL at {server} is not reachable: {exc}")

    def drop():
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return sa.engine.make_url(server).set(database=name).render_as_string(hide_password=False), drop
