"""Search bounded by design at scale, on SQLite and PostgreSQL: facet counts of the unfiltered archive from
summary tables that stay exact through writes, re-extraction and deletes; broad texts ranked over a capped
candidate set that the result states; keyset pages that list every hit once. The limits are lowered so the
small test corpus exercises the paths a million notices takes."""

from dataclasses import replace

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
    seen, after = [], None
    for _ in range(len(expected) + 2):
        page = store.search(SearchQuery(sort="date", per_page=2, after=after, **kw))
        seen += [h.id for h in page.hits]
        after = page.next_after
        if after is None:
            break
    assert seen == expected


def test_a_malformed_page_cursor_is_a_query_error():
    from storage.search import QuerySyntaxError

    with pytest.raises(QuerySyntaxError, match="page cursor"):
        SearchQuery(after="yesterday|x")
