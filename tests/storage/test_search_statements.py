"""What a search asks the database, on PostgreSQL: id lists bound as one array parameter, so a statement's text
is the same whatever notices it is about, and a read-only connection keeps the statements it prepared, so
their plans are reused from one search to the next (planning is a large part of a search at a million)."""

import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from storage_helpers import Spec, save

from storage.db import make_engine
from storage.search import SearchQuery, engine
from storage.store import Store

pytestmark = pytest.mark.postgres

# A literal list of two ids or more, as `IN (12, 13)`: every statement text holding one was a new statement.
ID_LIST = re.compile(r"\(\s*\d+\s*(?:,\s*\d+\s*)+\)")


def statements_of(store, query: SearchQuery) -> tuple[object, list[str]]:
    seen = []

    def record(_conn, _cursor, statement, *_):
        seen.append(statement)

    sa.event.listen(store.engine, "before_cursor_execute", record)
    try:
        return store.search(query), seen
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", record)


@pytest.fixture
def archive(postgres_url, tmp_path):
    """Notices with 算力 in three years, tags and a vendor each; the URL of the database."""
    with Store.open(postgres_url, blob_dir=tmp_path / "raw") as store:
        for year in (2022, 2023, 2024):
            for i in range(3):
                save(store, Spec(key=f"n{year}-{i}", title=f"{year}年算力租赁{i}", body=f"租用GPU算力服务，第{i}批。",
                                 published_at=f"{year}-0{i + 1}-15", url=f"http://example.org/{year}/{i}",
                                 buyer="清华大学", vendors=["某某云计算有限公司"], providers=["alibaba-cloud"]))
        save(store, Spec(key="other", title="办公桌椅采购", body="购买办公桌椅。", published_at="2024-05-01",
                         url="http://example.org/other"))
    return postgres_url


@pytest.mark.parametrize("kw", [dict(text="算力"), dict(text="算力", sort="date"), dict(text="算力", buyer="清华"),
                                dict(provider="alibaba-cloud")])
def test_a_search_names_its_notices_by_parameters_never_by_literal_id_lists(archive, tmp_path, kw):
    with Store.open(archive, blob_dir=tmp_path / "raw", read_only=True) as store:
        result, statements = statements_of(store, SearchQuery(**kw))
    assert result.total == 9 and len(result.hits) == 9 and result.facets["provider"]
    assert [s for s in statements if ID_LIST.search(s)] == []


def test_filters_passing_too_many_notices_to_list_facet_their_newest_by_a_parameter(archive, tmp_path, monkeypatch):
    """Filters alone passing more than ID_LIST_MAX notices are walked in date order (`_exact`), and faceted over
    their newest CANDIDATES when more than FACET_LIMIT pass: those too are named by one array parameter."""
    monkeypatch.setattr(engine, "ID_LIST_MAX", 4)
    monkeypatch.setattr(engine, "FACET_LIMIT", 4)
    monkeypatch.setattr(engine, "CANDIDATES", 3)
    with Store.open(archive, blob_dir=tmp_path / "raw", read_only=True) as store:
        result, statements = statements_of(store, SearchQuery(provider="alibaba-cloud", per_page=5))
    assert result.total == 9 and len(result.hits) == 5 and result.facets_source == "newest"
    assert sum(f.count for f in result.facets["year"]) == 3  # the newest three, all of 2024
    assert [s for s in statements if ID_LIST.search(s)] == []


@pytest.mark.parametrize("kw, walked", [(dict(text="算力"), True), (dict(text="算力", sort="date"), True),
                                       (dict(text="算力", cases_only=True), True), (dict(), False),
                                       (dict(cases_only=True), False)])
def test_browsing_the_cases_and_a_text_in_most_notices_name_their_notices_by_parameters_too(archive, tmp_path,
                                                                                         monkeypatch, kw, walked):
    """A text in most notices (the statistics say so once analysed) is walked in date order and capped at its
    newest CANDIDATES (`_broad`); browsing every notice and the cases switch take their own paths."""
    analysing = make_engine(archive)
    with analysing.begin() as conn:
        conn.execute(sa.text("ANALYZE"))
    analysing.dispose()
    monkeypatch.setattr(engine, "CANDIDATES", 3)
    with Store.open(archive, blob_dir=tmp_path / "raw", read_only=True) as store:
        result, statements = statements_of(store, SearchQuery(**kw))
    assert (result.ranked_of == 3 or result.total == 0) if walked else result.ranked_of is None
    assert any("row_number()" in s for s in statements) == walked
    assert [s for s in statements if ID_LIST.search(s)] == []


def test_two_searches_with_different_hits_send_the_same_statements(archive, tmp_path):
    with Store.open(archive, blob_dir=tmp_path / "raw", read_only=True) as store:
        store.search(SearchQuery(text="算力"))  # reads (and caches) the index statistics once
        first, first_sql = statements_of(store, SearchQuery(text="算力", per_page=2))
        second, second_sql = statements_of(store, SearchQuery(text="算力", per_page=2, page=2))
    assert [h.id for h in first.hits] != [h.id for h in second.hits]
    assert first_sql == second_sql


def test_a_read_only_connection_keeps_its_prepared_statements_from_search_to_search(archive, tmp_path):
    """psycopg runs a statement five times as it is and prepares it the sixth, and forgets every one at a
    ROLLBACK; a clean read-only transaction ends with COMMIT, so they outlive the search that prepared them."""
    with Store.open(archive, blob_dir=tmp_path / "raw", read_only=True) as store:
        answers = [[h.id for h in store.search(SearchQuery(text="算力")).hits] for _ in range(7)]
        before = prepared_statements(store)
        answers.append([h.id for h in store.search(SearchQuery(text="算力")).hits])
        after = prepared_statements(store)
    assert answers == [answers[0]] * 8
    assert before and set(before) <= set(after)


def prepared_statements(store) -> list[str]:
    with store.engine.connect() as conn:
        return conn.execute(sa.text("SELECT name FROM pg_prepared_statements")).scalars().all()


def test_a_search_recovers_after_a_migration_changes_a_column_it_reads(archive, tmp_path):
    """A prepared statement whose result type a migration changed fails ("cached plan must not change result
    type"); the failed transaction is rolled back (not COMMITted), which makes psycopg drop its prepared
    statements, so at most the next search fails, not every search on that pooled connection until the site
    restarts; the connection stays read-only."""
    with Store.open(archive, blob_dir=tmp_path / "raw", read_only=True) as store:
        expected = [h.title for h in store.search(SearchQuery(text="算力")).hits]
        for _ in range(6):
            store.search(SearchQuery(text="算力"))
        assert prepared_statements(store)
        migrating = make_engine(archive)
        with migrating.begin() as conn:
            conn.execute(sa.text("ALTER TABLE notice ALTER COLUMN title TYPE text"))
        migrating.dispose()
        outcomes = []
        for _ in range(5):
            try:
                outcomes.append([h.title for h in store.search(SearchQuery(text="算力")).hits] == expected)
            except sa.exc.DBAPIError:
                outcomes.append("failed")
        with pytest.raises(sa.exc.DBAPIError, match="read-only transaction"):  # still read-only after the failure
            with store.engine.connect() as conn:
                conn.execute(sa.text("DELETE FROM notice"))
    assert outcomes[1:] == [True] * 4


# A statement setting an option for the session (plain SET, or set_config(..., false)): on a read-only engine a
# clean transaction ends with COMMIT, so it would outlive the page that made it and apply to the next user's.
SESSION_SET = re.compile(r"""["'(]\s*SET\s+(?!LOCAL\b)\w+|(?i:set_config)\s*\([^)]*,\s*(?i:false|0)\s*\)""")
READ_ONLY_CODE = [Path("storage/search"), Path("storage/reading.py"), Path("web")]


def test_code_reading_through_read_only_engines_sets_options_with_set_local_only():
    assert SESSION_SET.search('conn.execute(sa.text("SET work_mem = \'1GB\'"))')
    assert SESSION_SET.search("SELECT set_config('jit', 'off', false)")
    assert not SESSION_SET.search('sa.text("SET LOCAL jit = off")')
    root = Path(__file__).resolve().parents[2]
    files = [f for p in READ_ONLY_CODE for f in ([root / p] if p.suffix else sorted((root / p).rglob("*.py")))]
    assert len(files) > 5
    found = [f"{f.relative_to(root)}: {m.group(0)}" for f in files for m in SESSION_SET.finditer(f.read_text())]
    assert found == []
