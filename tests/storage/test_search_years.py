"""PostgreSQL's text index by year (migration 0016): a search lists its matches a few years at a time, newest
first, and stops when the result has what it shows; each notice's parts stay in the partition of its year
through saves, date changes and a downgrade and upgrade of the schema."""

from datetime import date

import pytest
import sqlalchemy as sa
from storage_helpers import Spec, save

from storage.search import SearchQuery, engine
from storage.store import Store

pytestmark = pytest.mark.postgres

YEARS = range(2016, 2025)  # nine years of notices, four a year with 算力, one without


def _spec(year: int, i: int, text: str) -> Spec:
    return Spec(key=f"y{year}-{i}", title=f"{year}年第{i}批采购公告", body=f"项目{i}：{text}。",
                published_at=f"{year}-0{i + 1}-1{i}", url=f"http://example.org/{year}/{i}",
                buyer="清华大学" if i in (0, 4) else "某某科技有限公司")


@pytest.fixture
def years_store(postgres_url, tmp_path, monkeypatch):
    # In a corpus this small 算力 is in most notices, which a search walks in date order (`engine._broad`); a
    # text in a few percent of a large archive is listed, which is what these tests are about.
    monkeypatch.setattr(engine, "BROAD_SHARE", 1.0)
    with Store.open(postgres_url, blob_dir=tmp_path / "raw") as store:
        for year in YEARS:
            for i in range(4):
                save(store, _spec(year, i, "租用算力服务器"))
            save(store, _spec(year, 4, "购买办公桌椅"))
        save(store, Spec(key="undated", title="算力租赁", body="算力服务", published_at=None,
                         url="http://example.org/undated"))
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("ANALYZE"))
        yield store


def existing(conn) -> set[int]:
    """The buckets that have a partition, from the catalogue (by the names notice_search_ensure_bucket gives)."""
    names = conn.execute(sa.text("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
                                 " WHERE i.inhparent = 'notice_search'::regclass")).scalars()
    return {0 if name == "notice_search_undated" else int(name.rsplit("_y", 1)[1]) for name in names}


def _newest_first(store, text: str) -> list[int]:
    with store.engine.connect() as conn:
        return conn.execute(sa.text(
            "SELECT id FROM notice WHERE title LIKE :t OR text LIKE :t ORDER BY published_at DESC NULLS LAST, id DESC"
        ), {"t": f"%{text}%"}).scalars().all()


def _years_listed(store, query: SearchQuery) -> tuple[object, list[tuple[int, int]]]:
    """The result and the (first, last) years each listing statement read."""
    ranges = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        if "bucket BETWEEN" in statement and isinstance(parameters, dict):
            ranges.append((parameters["bucket_from"], parameters["bucket_to"]))

    sa.event.listen(store.engine, "before_cursor_execute", seen)
    try:
        return store.search(query), ranges
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", seen)


def test_each_year_has_its_own_partition_and_an_undated_notice_its_own(years_store):
    with years_store.engine.connect() as conn:
        assert existing(conn) == {*YEARS, 0}
        per_year = dict(conn.execute(sa.text(
            "SELECT bucket, count(DISTINCT notice_id) FROM notice_search GROUP BY bucket")).all())
    assert per_year == {**{y: 5 for y in YEARS}, 0: 1}


def test_a_listing_stops_at_the_year_that_completes_the_newest_matches(years_store, monkeypatch):
    monkeypatch.setattr(engine, "CANDIDATES", 6)
    monkeypatch.setattr(engine, "LISTED_WHOLE", 5)
    expected = _newest_first(years_store, "算力")
    result, ranges = _years_listed(years_store, SearchQuery(text="算力", sort="date", per_page=3))
    assert [h.id for h in result.hits] == expected[:3]
    assert ranges and min(lo for lo, _ in ranges) > min(YEARS)  # the oldest years were never read
    assert not result.total_exact and result.facets_source == "newest" and result.ranked_of == 6
    assert sum(c.count for c in result.facets["year"]) == 6
    assert "about" in result.scope_note


def test_a_listing_that_reaches_the_oldest_year_is_exact(years_store):
    expected = _newest_first(years_store, "算力")
    result, ranges = _years_listed(years_store, SearchQuery(text="算力", sort="date", per_page=100))
    assert [h.id for h in result.hits] == expected  # the undated notice last
    assert result.total == len(expected) == 4 * len(YEARS) + 1 and result.total_exact
    assert result.facets_source == "matches" and {c.value for c in result.facets["year"]} == {str(y) for y in YEARS}


@pytest.mark.parametrize("kw", [dict(text="算力"), dict(text="算力", since=date(2019, 1, 1)), dict(text="采购 -服务器")],
                         ids=["text", "since", "excluded"])
def test_keyset_pages_past_a_stopped_listing_go_on_year_by_year_and_list_every_hit_once(years_store, monkeypatch, kw):
    expected = [h.id for h in years_store.search(SearchQuery(**kw, sort="date", per_page=1000)).hits]
    assert len(expected) > 6
    monkeypatch.setattr(engine, "CANDIDATES", 3)
    monkeypatch.setattr(engine, "LISTED_WHOLE", 2)
    first, _ = _years_listed(years_store, SearchQuery(**kw, sort="date", per_page=2))
    assert not first.total_exact  # the listing stopped: later pages list on past it
    seen, after = [], None
    for _ in range(100):
        page = years_store.search(SearchQuery(**kw, sort="date", per_page=2, after=after))
        seen += [h.id for h in page.hits]
        after = page.next_after
        if not after:
            break
    assert seen == expected


def test_a_changed_date_moves_the_notices_parts_to_its_new_years_partition(years_store):
    notice_id = _newest_first(years_store, "2016年第0批")[0]
    with years_store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE notice SET published_at = '2031-07-01' WHERE id = :i"), {"i": notice_id})
    with years_store.engine.connect() as conn:
        assert 2031 in existing(conn)
        buckets = conn.execute(sa.text("SELECT DISTINCT bucket, published_at FROM notice_search WHERE notice_id = :i"),
                               {"i": notice_id}).all()
    assert [(b, p.year) for b, p in buckets] == [(2031, 2031)]
    result = years_store.search(SearchQuery(text="算力", sort="date", per_page=1))
    assert result.hits[0].id == notice_id  # now the newest


def test_a_schema_downgraded_and_upgraded_again_finds_the_same_notices(years_store, postgres_url):
    from alembic import command

    from storage import db

    before = [h.id for h in years_store.search(SearchQuery(text="算力", sort="date", per_page=100)).hits]
    years_store.engine.dispose()
    engine_ = db.make_engine(postgres_url)
    with db.write_transaction(engine_) as conn:
        command.downgrade(db.alembic_config(conn), "0015")
    with engine_.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM pg_inherits")).scalar_one() == 0
    db.upgrade(engine_)
    engine_.dispose()
    after = [h.id for h in years_store.search(SearchQuery(text="算力", sort="date", per_page=100)).hits]
    assert after == before


def test_few_matches_in_all_are_listed_whole_unless_filters_hide_how_many_the_text_has(years_store, monkeypatch):
    """Without filters, a listing whose first years project at most LISTED_WHOLE matches lists every year (every
    match faceted, the total exact); with filters it stops at the newest CANDIDATES: the matches the filters
    leave can be few while the text's, which the listing reads, are many."""
    monkeypatch.setattr(engine, "CANDIDATES", 6)
    monkeypatch.setattr(engine, "LISTED_WHOLE", 1_000)
    whole = years_store.search(SearchQuery(text="算力"))
    assert whole.total_exact and whole.total == 4 * len(YEARS) + 1 and whole.facets_source == "matches"
    filtered, ranges = _years_listed(years_store, SearchQuery(text="算力", since=date(2016, 1, 1)))
    assert not filtered.total_exact and filtered.facets_source == "newest" and filtered.ranked_of == 6
    assert min(lo for lo, _ in ranges) > min(YEARS)


def test_a_phrase_with_a_selective_filter_is_checked_on_the_notices_the_filter_leaves(years_store, monkeypatch):
    """The index lists the notices holding the phrase's words, the filter keeps a few and only those are checked
    for the phrase: a notice with the words apart is not a match."""
    save(years_store, Spec(key="apart", title="设备公告", body="租用设备，用算盘核对算力。", buyer="清华大学",
                           published_at="2024-12-01", url="http://example.org/apart"))
    expected = _newest_first(years_store, "项目0：租用算力")  # the buyer is a university for the first of each year
    loose = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        if isinstance(parameters, dict) and "tsq_loose0" in parameters:
            loose.append(parameters["tsq_loose0"])

    sa.event.listen(years_store.engine, "before_cursor_execute", seen)
    try:
        result = years_store.search(SearchQuery(text="租用算力", buyer=["大学"], sort="date", per_page=100))
    finally:
        sa.event.remove(years_store.engine, "before_cursor_execute", seen)
    assert loose and "&" in loose[0]  # the words anywhere, then the phrase checked
    assert [h.id for h in result.hits] == expected and len(expected) == len(YEARS)
