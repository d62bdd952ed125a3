"""Search bounded by design at scale, on SQLite and PostgreSQL: facet counts of the unfiltered archive from
summary tables that stay exact through writes, re-extraction and deletes; broad texts ranked over a capped
candidate set that the result states; keyset pages that list every hit once. The limits are lowered so the
small test corpus exercises the paths a million notices takes."""

from collections import Counter
from dataclasses import replace
from datetime import date

import pytest
import sqlalchemy as sa
from storage_corpus import CORPUS
from storage_helpers import Spec, extraction, save

from extract.types import DocumentText
from storage.search import SearchQuery, backends, engine, summary
from storage.store import Store


def facets_counted(store) -> dict:
    """Facet counts over every notice, as the search counts them for a result set (no summary involved)."""
    with store.engine.connect() as conn:
        counted = engine._facets(conn, "SELECT id FROM notice", {}, SearchQuery(facet_limit=50))
    return {name: [(c.value, c.count) for c in counts] for name, counts in counted.items()}


def facets_shown(store) -> dict:
    result = store.search(SearchQuery(facet_limit=50))
    assert result.facets_source == "summary"
    return {name: [(c.value, c.count) for c in counts] for name, counts in result.facets.items()}


@pytest.fixture(params=[2_000, 1], ids=["deltas-unfolded", "folded-every-write"])
def fresh_store(request, database_url, tmp_path, monkeypatch):
    monkeypatch.setattr(summary, "COMPACT_AT", request.param)
    with Store.open(database_url, blob_dir=tmp_path / "raw") as store:
        yield store


def test_unfiltered_facets_from_the_summary_equal_the_counted_facets_through_every_kind_of_write(fresh_store):
    store = fresh_store
    ids = {spec.key: save(store, spec).notice_id for spec in CORPUS}
    assert facets_shown(store) == facets_counted(store)
    assert store.search(SearchQuery()).total == len(CORPUS)

    # A new version of a notice moves it to another buyer, region, type and year.
    first = CORPUS[0]
    changed = replace(first, body=first.body + "（更正）", buyer="某某市财政局", region="上海市",
                      notice_type="correction", published_at="2019-03-01")
    save(store, changed)
    # Re-extraction changes its compute tags and vendors.
    second = next(s for s in CORPUS if s.providers)
    redone = replace(second, providers=[], chips=["nvidia-a100"], flags=["controlled_chip"], vendors=["新供应商有限公司"])
    store.replace_extraction(ids[second.key], DocumentText(text=redone.body, kind="html", title=redone.title), [],
                             extraction(redone))
    assert facets_shown(store) == facets_counted(store)

    # A notice deleted with its rows (as a merge of duplicates does).
    gone = ids[CORPUS[-1].key]
    with store.engine.begin() as conn:
        for table in ("notice_search" if store.dialect != "sqlite" else None, "noticetag", "noticeparty",
                      "noticeamount", "extraction", "noticeversion", "attachment", "noticelink"):
            if table:
                conn.execute(sa.text(f"DELETE FROM {table} WHERE notice_id = :i"), {"i": gone})
        if store.dialect == "sqlite":
            from storage.search import index

            index.unindex(conn, gone)
        conn.execute(sa.text("DELETE FROM notice WHERE id = :i"), {"i": gone})
    assert facets_shown(store) == facets_counted(store)
    assert store.search(SearchQuery()).total == len(CORPUS) - 1

    with store.engine.begin() as conn:  # a full recount agrees with what the triggers kept
        summary.refresh(conn)
    assert facets_shown(store) == facets_counted(store)


def counted_archive(store) -> tuple[int, dict[int, int]]:
    with store.engine.connect() as conn:
        total = conn.execute(sa.text("SELECT count(*) FROM notice")).scalar_one()
        years = conn.execute(sa.text("SELECT published_at FROM notice WHERE published_at IS NOT NULL")
                             .columns(published_at=sa.DateTime)).scalars().all()
    return total, dict(Counter(y.year for y in years))


def test_the_archive_counts_a_search_reads_in_one_statement_are_the_notices_by_year(fresh_store):
    """How many notices, and how many each year (what a walk by years plans with): from the summary's totals and
    unfolded deltas, the untyped notices counted directly; undated and untyped notices included."""
    store = fresh_store
    for spec in CORPUS:
        save(store, spec)
    save(store, Spec(key="undated", title="未注明日期的公告", body="采购服务", published_at=None, notice_type=None,
                     url="http://example.org/undated"))
    save(store, replace(CORPUS[0], body=CORPUS[0].body + "（更正）", published_at="2019-03-01"))  # moves a year
    with store.engine.connect() as conn:
        assert summary.notice_counts(conn) == counted_archive(store)
        assert summary.notice_counts(conn)[0] == len(CORPUS) + 1
    with store.engine.begin() as conn:
        summary.compact(conn)
    with store.engine.connect() as conn:
        assert summary.notice_counts(conn) == counted_archive(store)


def test_the_summary_top_values_are_exact_when_unfolded_deltas_reorder_them(fresh_store):
    store = fresh_store
    for i in range(6):  # buyer A on 6 notices, B on 4, C on 2: then B gains 5 more, unfolded
        save(store, Spec(key=f"a{i}", title=f"甲单位采购{i}", body="采购服务", buyer="甲单位"))
    for i in range(4):
        save(store, Spec(key=f"b{i}", title=f"乙单位采购{i}", body="采购服务", buyer="乙单位"))
    for i in range(2):
        save(store, Spec(key=f"c{i}", title=f"丙单位采购{i}", body="采购服务", buyer="丙单位"))
    with store.engine.begin() as conn:
        summary.compact(conn)
    for i in range(4, 9):
        save(store, Spec(key=f"b{i}", title=f"乙单位采购{i}", body="采购服务", buyer="乙单位"))
    top = store.search(SearchQuery(facet_limit=1)).facets["buyer"]
    assert [(c.label, c.count) for c in top] == [("乙单位", 9)]


@pytest.fixture
def small_limits(monkeypatch, corpus_store):
    """Limits lowered to the corpus' size, and fresh planner statistics for PostgreSQL's estimate."""
    monkeypatch.setattr(engine, "BROAD_SHARE", 0.01)
    monkeypatch.setattr(engine, "FACET_LIMIT", 2)
    monkeypatch.setattr(engine, "CANDIDATES", 3)
    if corpus_store.dialect == "postgresql":
        with corpus_store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("ANALYZE notice_search"))
            conn.execute(sa.text("ANALYZE notice"))
    backends._stats_cache.clear()
    yield corpus_store
    backends._stats_cache.clear()


def date_ordered(store, **kw) -> list[int]:
    return [h.id for h in store.search(SearchQuery(sort="date", per_page=1000, **kw)).hits]


def keyset_pages(store, expected_count: int, **kw) -> list[int]:
    """Every hit of the search in date order, read two at a time by following `next_after`."""
    seen, after = [], None
    for _ in range(expected_count + 2):
        page = store.search(SearchQuery(sort="date", per_page=2, after=after, **kw))
        seen += [h.id for h in page.hits]
        after = page.next_after
        if after is None:
            break
    return seen


def test_a_broad_text_is_ranked_over_its_newest_matches_and_the_result_states_the_cap(small_limits):
    store = small_limits
    everything = date_ordered(store, text="采购")
    assert len(everything) > 3
    result = store.search(SearchQuery(text="采购"))
    assert result.sort == "relevance" and result.ranked_of == 3 and result.facets_source == "newest"
    assert {h.id for h in result.hits} == set(everything[:3])
    assert sum(c.count for c in result.facets["notice_type"]) == 3
    if store.dialect == "sqlite":  # counted
        assert result.total_exact and result.total == len(everything)
    else:  # estimated from the share of matches among the notices walked
        assert not result.total_exact and result.total >= 3 and "about" in result.scope_note
    assert "newest 3 of" in result.scope_note


def test_a_broad_text_with_a_filter_lists_only_matching_notices(small_limits):
    store = small_limits
    result = store.search(SearchQuery(text="采购", cases_only=True, sort="date", per_page=100))
    with_filter = {h.id for h in result.hits}
    assert with_filter and all(h.remote_compute for h in result.hits)
    assert with_filter <= set(date_ordered(store, text="采购"))


@pytest.mark.parametrize("kw", [dict(text="采购"), dict(), dict(text="云", cases_only=True), dict(text="服务")],
                         ids=["broad-text", "everything", "filtered", "exact-text"])
@pytest.mark.parametrize("broad", [True, False], ids=["small-limits", "default-limits"])
def test_keyset_pages_in_date_order_list_every_hit_once(corpus_store, monkeypatch, kw, broad):
    store = corpus_store
    if broad:
        monkeypatch.setattr(engine, "BROAD_SHARE", 0.01)
        monkeypatch.setattr(engine, "CANDIDATES", 3)
        monkeypatch.setattr(engine, "SORT_MAX", 0)
    expected = date_ordered(store, **kw)
    assert keyset_pages(store, len(expected), **kw) == expected


def test_a_malformed_page_cursor_is_a_query_error():
    from storage.search import QuerySyntaxError

    with pytest.raises(QuerySyntaxError, match="page cursor"):
        SearchQuery(after="yesterday|x")


@pytest.mark.parametrize("broad", [True, False], ids=["walked", "listed"])
def test_a_capped_ranking_puts_title_matches_first_then_the_newest(corpus_store, monkeypatch, broad):
    from storage_corpus import BY_KEY

    from storage.normalise import fold_text

    store = corpus_store
    newest = date_ordered(store, text="采购")[:4]
    in_title = {i for i in newest if "采购" in fold_text(BY_KEY[store.key_of[i]].title)}
    # The premise: date order alone would put a notice without 采购 in its title first.
    assert newest[0] not in in_title and 0 < len(in_title) < len(newest)
    monkeypatch.setattr(engine, "CANDIDATES", 4)
    if broad:
        monkeypatch.setattr(engine, "BROAD_SHARE", 0.01)
    result = store.search(SearchQuery(text="采购", per_page=100))
    ranked = [h.id for h in result.hits]
    assert result.ranked_of == 4 and set(ranked) == set(newest)
    assert set(ranked[: len(in_title)]) == in_title
    assert ranked[len(in_title):] == [i for i in newest if i not in in_title]  # then newest first


def test_filters_alone_over_the_listing_limit_page_and_facet_like_a_listed_result(corpus_store, monkeypatch):
    store = corpus_store
    kw = dict(since=date(2023, 1, 1), notice_type=["tender", "award", "correction"])
    expected = date_ordered(store, **kw)
    listed = store.search(SearchQuery(**kw))
    assert len(expected) > 2 and listed.facets_source == "matches"
    monkeypatch.setattr(engine, "ID_LIST_MAX", 2)
    monkeypatch.setattr(engine, "FACET_LIMIT", 2)
    monkeypatch.setattr(engine, "CANDIDATES", 2)
    result = store.search(SearchQuery(**kw))
    assert result.total == len(expected) and result.facets_source == "newest" and result.ranked_of == 2
    assert sum(c.count for c in result.facets["notice_type"]) == 2
    assert keyset_pages(store, len(expected), **kw) == expected


@pytest.mark.parametrize("probe_cost", [1, 1_000], ids=["possible-cases-probe-the-text", "text-lists-its-matches"])
@pytest.mark.parametrize("kw", [dict(text="阿里云"), dict(text="云"), dict(text="服务", since=date(2024, 1, 1)),
                                dict(text="采购", cases_only=True)], ids=["rare", "several", "filtered", "cases"])
def test_the_possible_cases_count_is_what_the_possible_cases_switch_lists(corpus_store, monkeypatch, kw, probe_cost):
    """Whichever drives the count (SQLite: the few possible cases passing the filters, each probed in the text
    index, when they are fewer than the text's matches ÷ PROBE_COST; else the text's matches)."""
    store = corpus_store
    monkeypatch.setattr(engine, "PROBE_COST", probe_cost)
    shown = store.search(SearchQuery(**kw)).candidates
    listed = store.search(SearchQuery(**{**kw, "cases_only": False}, candidates_only=True, per_page=100)).total
    assert shown == listed


def test_facets_of_listed_notices_equal_the_facets_counted_in_sql(corpus_store):
    """PostgreSQL counts a listed result's facets from the listing (the notice columns) and the tag, vendor and
    screening tables; the counts are those of the one-statement count over the same notices."""
    def pairs(facets):
        return {name: [(c.value, c.label, c.count) for c in counts] for name, counts in facets.items()}

    with corpus_store.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT n.id, n.published_at, n.buyer_id, n.region, n.notice_type FROM notice n")
                            .columns(published_at=sa.DateTime)).all()
        listed = engine._listed_facets(conn, rows, SearchQuery(facet_limit=50))
        counted = engine._facets(conn, "SELECT id FROM notice", {}, SearchQuery(facet_limit=50))
    assert pairs(listed) == pairs(counted)
    assert listed["year"] and listed["vendor"] and listed["provider"]


@pytest.mark.parametrize("probe_cost, driver", [(1, "the filter"), (1_000, "the text")])
def test_a_filter_drives_and_probes_the_text_only_when_it_passes_fewer_notices_than_the_text_matches(
        corpus_store, monkeypatch, probe_cost, driver):
    """SQLite: buyer 大学 passes 4 of the corpus' notices and 采购 matches more; probing a notice costs
    PROBE_COST matches read, so the filter drives at cost 1 and the text at cost 1,000. Same hits either way."""
    store = corpus_store
    if store.dialect != "sqlite":
        pytest.skip("the driver choice is SQLite's")
    kw = dict(text="采购", buyer="大学", sort="date", per_page=100)
    expected = date_ordered(store, text="采购", buyer="大学")
    assert 0 < len(expected) < len(date_ordered(store, text="采购"))
    monkeypatch.setattr(engine, "PROBE_FROM", 0)
    monkeypatch.setattr(engine, "PROBE_COST", probe_cost)
    statements = []

    def seen(_conn, _cursor, sql, *_):
        statements.append(sql)

    sa.event.listen(store.engine, "before_cursor_execute", seen)
    try:
        hits = [h.id for h in store.search(SearchQuery(**kw)).hits]
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", seen)
    text_drove = any("FROM notice_fts CROSS JOIN notice n" in s for s in statements)
    assert text_drove == (driver == "the text")
    assert hits == expected


def test_a_search_its_filters_leave_empty_reads_no_page(corpus_store):
    """The text matches, the filters leave nothing: the result is empty without a page query (SQLite's ranking
    of an empty list would still score every match of the text)."""
    store = corpus_store
    statements = []

    def seen(_conn, _cursor, sql, *_):
        statements.append(sql)

    sa.event.listen(store.engine, "before_cursor_execute", seen)
    try:
        result = store.search(SearchQuery(text="采购", buyer="没有这个采购人"))
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", seen)
    assert date_ordered(store, text="采购") and result.total == 0 and result.hits == []
    assert not [s for s in statements if "LIMIT 20 OFFSET" in s]
