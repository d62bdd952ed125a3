"""Schema once: a shared PostgreSQL database is migrated only by `tenderwatch db upgrade` (Store.open with
upgrade=True); crawler workers and other writers create the schema of an empty database but refuse an outdated
one, leaving it untouched; SQLite keeps upgrading itself when a writer opens it; a schema newer than the code
is never touched on either backend."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from schema_helpers import hold_at, previous_revision, revision_of

from storage.db import DatabaseError, head_revision
from storage.store import Store


@pytest.mark.postgres
def test_a_writer_refuses_an_outdated_postgresql_schema_and_leaves_it_as_it_was(postgres_url):
    old = previous_revision()
    hold_at(postgres_url, old)
    with pytest.raises(DatabaseError) as refused:
        Store.open(postgres_url)
    message = str(refused.value)
    assert "\n" not in message
    assert f"revision {old}" in message and head_revision() in message and "tenderwatch db upgrade" in message
    assert revision_of(postgres_url) == old


@pytest.mark.postgres
def test_the_site_refuses_an_outdated_postgresql_schema(postgres_url):
    hold_at(postgres_url, previous_revision())
    with pytest.raises(DatabaseError, match="tenderwatch db upgrade"):
        Store.open(postgres_url, read_only=True)


@pytest.mark.postgres
def test_db_upgrade_migrates_postgresql_and_then_writers_open_it(postgres_url):
    hold_at(postgres_url, previous_revision())
    Store.open(postgres_url, upgrade=True).close()
    assert revision_of(postgres_url) == head_revision()
    with Store.open(postgres_url) as store:
        assert store.notice_ids(stale_only=False, current_version="") == []


@pytest.mark.postgres
def test_workers_starting_together_on_an_empty_postgresql_database_create_one_schema(postgres_url):
    errors: list[BaseException] = []

    def open_and_close():
        try:
            Store.open(postgres_url).close()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_and_close) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert revision_of(postgres_url) == head_revision()


def test_a_sqlite_writer_upgrades_an_outdated_schema_itself(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    hold_at(url, previous_revision())
    Store.open(url).close()
    assert revision_of(url) == head_revision()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def newer_database(request, tmp_path):
    """A database whose schema revision this code has never heard of (written by a newer release)."""
    if request.param == "sqlite":
        return _stamp_unknown(f"sqlite:///{tmp_path / 'newer.db'}")
    return _stamp_unknown(request.getfixturevalue("postgres_url"))


def _stamp_unknown(url: str) -> str:
    Store.open(url).close()
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = 'zz99_from_the_future'"))
    engine.dispose()
    return url


@pytest.mark.parametrize("upgrade", [False, True], ids=["writer", "db-upgrade"])
def test_a_schema_newer_than_the_code_is_refused_and_left_alone(newer_database, upgrade):
    with pytest.raises(DatabaseError, match="zz99_from_the_future.*newer tenderwatch"):
        Store.open(newer_database, upgrade=upgrade)
    assert revision_of(newer_database) == "zz99_from_the_future"
