"""Search semantics on both databases: exact Chinese and Latin matching, the query language, filters,
facets, snippets, paging — and that SQLite and PostgreSQL return the same notices."""

from datetime import date

import pytest
import sqlalchemy as sa
from storage_corpus import BY_KEY, CORPUS
from storage_helpers import Spec, contains, save

from storage.search import QuerySyntaxError, SearchQuery
from storage.store import Store


@pytest.fixture
def store(corpus_store):
    """The corpus, stored once per module and backend (these tests only read)."""
    return corpus_store


def keys(store, text="", **kw) -> set[str]:
    result = store.search(SearchQuery(text=text, per_page=100, **kw))
    assert result.total == len(result.hits)
    return {store.key_of[h.id] for h in result.hits}


def truth(*needles: str) -> set[str]:
    """Notices whose title, body or attachment text contains every needle."""
    return {s.key for s in CORPUS if all(contains(s, n) for n in needles)}


# ---------------------------------------------------------------- exactness


@pytest.mark.parametrize(
    "term", ["阿里云", "算力", "云服务器", "华为云", "卡时", "服务", "采购需求", "智算中心算力租赁"]
)
def test_chinese_terms_match_exactly_the_notices_containing_them(store, term):
    assert keys(store, term) == truth(term)
    assert truth(term), "the corpus must contain the term for the test to mean anything"


def test_aliyun_does_not_match_alibaba_or_yunnan(store):
    assert keys(store, "阿里云") == {"aliyun"}


def test_suanli_finds_every_notice_with_it_in_title_body_or_attachment(store):
    assert keys(store, "算力") == {"aliyun", "huawei", "attachment", "xss"}


@pytest.mark.parametrize("char", ["云", "租", "卡", "钉", "桌", "研"])
def test_one_character_search_is_exact(store, char):
    assert keys(store, char) == truth(char)
    assert truth(char)


def test_one_character_at_the_end_of_a_run_and_before_latin(store):
    # 云 at a run's end (阿里云ECS) and 云 followed by Latin in the same term.
    assert keys(store, "云ECS") == {"aliyun"}
    assert keys(store, "里云") == truth("里云") == {"aliyun"}


def test_latin_digit_tokens_match_as_written(store):
    assert keys(store, "A100") == {"aliyun", "hardware", "alibaba"}
    assert keys(store, "A10") == {"a10rental"}  # A10 is not a prefix match of A100
    assert keys(store, "p4d.24xlarge") == {"aws"}
    assert keys(store, "P4D.24XLARGE") == {"aws"}
    assert keys(store, "Ａ１００") == keys(store, "A100")  # full-width folds to ASCII
    assert keys(store, "AWS") == {"aws"}
    assert keys(store, "xlarge") == {"aws"}
    assert keys(store, "larg") == set()  # Latin words are whole tokens


def test_mixed_cjk_latin_terms(store):
    assert keys(store, "8卡A100") == {"hardware"}
    assert keys(store, "昇腾910B") == {"huawei"}


# ---------------------------------------------------------------- query language


def test_terms_are_anded(store):
    assert keys(store, "算力 A100") == {"aliyun"}
    assert keys(store, "算力 华为云") == {"huawei"}


def test_or(store):
    assert keys(store, "阿里云 OR 华为云") == {"aliyun", "huawei"}
    assert keys(store, "阿里云 OR 华为云 卡时") == {"aliyun", "huawei"}
    assert keys(store, "阿里云 OR 亚马逊 A100") == {"aliyun"}


def test_quoted_phrase_keeps_word_order(store):
    assert keys(store, '"NVIDIA A100"') == {"aliyun"}
    assert keys(store, '"A100 NVIDIA"') == set()
    assert keys(store, "“算力 租赁”") == set()  # the words must be adjacent (only separators between)
    assert keys(store, '"算力租赁"') == {"attachment"}


def test_exclusion(store):
    assert keys(store, "算力 -华为云") == {"aliyun", "attachment", "xss"}
    assert keys(store, 'A100 -"会议室"') == {"aliyun", "hardware"}


@pytest.mark.parametrize(
    "bad", ['"unclosed', "OR 阿里云", "阿里云 OR", "-阿里云", "阿里云 OR -华为", "，。", "-", "x" * 201]
)
def test_bad_queries_raise_query_syntax_error(store, bad):
    with pytest.raises(QuerySyntaxError):
        store.search(SearchQuery(text=bad))


# ---------------------------------------------------------------- filters


def test_filters_combine(store):
    assert keys(store, "", cases_only=True) == {"aliyun", "huawei", "aws", "a10rental", "attachment"}
    assert keys(store, "A100", cases_only=True) == {"aliyun"}
    assert keys(store, "", since=date(2024, 1, 1), until=date(2024, 5, 28)) == {
        "aliyun",
        "huawei",
        "yunnan",
        "alibaba",
        "xss",
    }
    assert keys(store, "算力", since=date(2024, 5, 28), cases_only=True) == {"aliyun", "attachment"}
    assert keys(store, "", buyer="清华") == {"aliyun"}
    assert keys(store, "", buyer=["清华大学", "浙江大学"]) == {"aliyun", "a10rental"}
    assert keys(store, "", vendor="云启") == {"aws"}
    assert keys(store, "", notice_type="award") == {"aws"}
    assert keys(store, "", region="杭州") == {"a10rental", "alibaba"}
    assert keys(store, "", provider="aws", flag="offshore") == {"aws"}
    assert keys(store, "", chip="nvidia-a100") == {"aliyun", "aws", "hardware"}
    assert keys(store, "", chip="nvidia-a100", kind="gpu_rental") == {"aliyun", "aws"}
    assert keys(store, "", flag=["us_provider", "domestic_only"]) == set()  # several values: all of them
    assert keys(store, "", amount_min=1_000_000, amount_max=3_000_000) == {"aliyun", "aws"}
    assert keys(store, "服务", amount_max=1_000_000, region="北京") == {"huawei"}


def test_buyer_filter_by_organisation_id(store):
    hit = store.search(SearchQuery(text="阿里云")).hits[0]
    assert keys(store, "", buyer=str(hit.buyer_id)) == {"aliyun"}


# ---------------------------------------------------------------- results


def test_facets_count_the_whole_result_set_not_the_page(store):
    result = store.search(SearchQuery(text="算力 OR A100 OR A10", per_page=1))
    assert result.total == 7 and len(result.hits) == 1
    f = {name: {c.value: c.count for c in counts} for name, counts in result.facets.items()}
    assert f["chip"] == {"nvidia-a100": 2, "nvidia-a10": 1, "huawei-ascend-910b": 1}
    assert f["provider"] == {"alibaba-cloud": 1, "huawei-cloud": 1}
    assert f["kind"] == {"cloud": 2, "gpu_rental": 3}
    assert f["notice_type"] == {"tender": 7}
    assert f["year"] == {"2024": 6, "2023": 1}
    assert f["region"]["北京市"] == 2
    labels = {c.label: c.count for c in result.facets["buyer"]}
    assert labels["清华大学"] == 1 and len(labels) == 7


def test_vendor_facet_has_names(store):
    result = store.search(SearchQuery(text="p4d"))
    assert [(c.label, c.count) for c in result.facets["vendor"]] == [("上海云启信息技术有限公司", 1)]


def test_hits_carry_snippets_with_highlighted_hits(store):
    hit = store.search(SearchQuery(text="阿里云")).hits[0]
    assert [p.text for p in hit.snippet.parts if p.hit] == ["阿里云"]
    assert "<mark>阿里云</mark>" in hit.snippet.html
    assert hit.snippet.document == ""
    assert hit.buyer == "清华大学" and hit.cloud_providers == ["alibaba-cloud"] and hit.remote_compute


def test_snippet_comes_from_the_attachment_when_the_hit_is_there(store):
    hit = store.search(SearchQuery(text="算力租赁")).hits[0]
    assert hit.snippet.document == "采购需求.pdf"
    assert "<mark>算力租赁</mark>" in hit.snippet.html


def test_snippets_and_titles_are_html_escaped(store):
    hit = store.search(SearchQuery(text="onerror")).hits[0]
    assert "<img" not in hit.snippet.html and "&lt;img" in hit.snippet.html
    assert "<mark>onerror</mark>" in hit.snippet.html
    assert "<script>" in hit.title  # the raw title is data; escaping it is the page's job


def test_latin_highlight_respects_token_boundaries(store):
    hit = store.search(SearchQuery(text="A10")).hits[0]
    assert [p.text for p in hit.snippet.parts if p.hit] == ["A10"]
    hit = next(h for h in store.search(SearchQuery(text="A100")).hits if store.key_of[h.id] == "hardware")
    assert [p.text for p in hit.snippet.parts if p.hit] == ["A100"]


def test_relevance_weights_the_title(store):
    # 算力 is in the huawei title and body, in the aliyun body only.
    ranked = [store.key_of[h.id] for h in store.search(SearchQuery(text="华为云 OR 阿里云")).hits]
    assert ranked[0] in ("huawei", "aliyun")
    result = store.search(SearchQuery(text="算力平台"))
    assert [store.key_of[h.id] for h in result.hits] == ["xss"]
    ranked = [store.key_of[h.id] for h in store.search(SearchQuery(text="服务器")).hits]
    assert ranked[0] in ("aliyun", "hardware", "a10rental")  # title hits first
    assert ranked.index("hardware") < ranked.index("attachment") if "attachment" in ranked else True


def test_date_sort_and_paging(store):
    pages = [store.search(SearchQuery(text="服务", sort="date", per_page=2, page=p)) for p in (1, 2, 3, 4)]
    order = [store.key_of[h.id] for r in pages for h in r.hits]
    expected = sorted(truth("服务"), key=lambda k: BY_KEY[k].published_at, reverse=True)
    assert order == expected
    assert pages[0].total == len(expected) and pages[0].pages == -(-len(expected) // 2)


def test_empty_query_lists_everything_newest_first(store):
    result = store.search(SearchQuery(per_page=3))
    assert result.total == len(CORPUS)
    assert [store.key_of[h.id] for h in result.hits] == ["attachment", "a10rental", "aliyun"]


# ---------------------------------------------------------------- long texts and index upkeep


def test_long_notices_match_beyond_tsvector_limits(database_url, tmp_path):
    """PostgreSQL tsvector positions stop at 16,383 and keep 256 per lexeme: the index splits notices."""
    filler = "本项目采购内容包括服务器运维、网络安全、机房环境监控等服务。" * 1200  # ~36,000 characters
    tail = "最后：租用阿里云A100实例。"
    with Store.open(database_url, blob_dir=tmp_path / "raw") as s:
        save(s, Spec(key="long", title="运维服务采购", body=filler + tail))
        assert s.search(SearchQuery(text="租用阿里云A100")).total == 1
        assert s.search(SearchQuery(text='"机房环境监控等服务"')).total == 1
        assert s.search(SearchQuery(text="阿里云 -机房")).total == 0


def test_changed_notice_is_reindexed_and_old_text_no_longer_matches(database_url, tmp_path):
    with Store.open(database_url, blob_dir=tmp_path / "raw") as s:
        spec = Spec(key="v", title="云服务采购公告", body="采购阿里云对象存储服务。")
        save(s, spec)
        spec.body = "采购华为云对象存储服务。"
        assert save(s, spec).status == "changed"
        assert s.search(SearchQuery(text="阿里云")).total == 0
        assert s.search(SearchQuery(text="华为云")).total == 1
        if s.dialect == "sqlite":
            with s.engine.connect() as c:  # the contentless index agrees with its rows
                c.exec_driver_sql("INSERT INTO notice_fts(notice_fts, rank) VALUES('integrity-check', 0)")


def test_rebuild_search_index_gives_the_same_results(store):
    before = {t: keys(store, t) for t in ("阿里云", "云", "A100", "算力 -华为云")}
    assert store.rebuild_search_index() == len(CORPUS)
    assert {t: keys(store, t) for t in before} == before


# ---------------------------------------------------------------- both backends agree

AGREEMENT_QUERIES = [
    "阿里云",
    "算力",
    "云",
    "A100",
    "A10",
    "p4d.24xlarge",
    "服务 -云",
    '"NVIDIA A100"',
    "阿里云 OR 华为云 OR 亚马逊",
    "采购",
    "卡",
    "8卡A100",
    "租赁 OR 租用",
]


@pytest.mark.postgres
def test_sqlite_and_postgres_return_the_same_results(sqlite_url, postgres_url, tmp_path):
    results = {}
    for name, url in (("sqlite", sqlite_url), ("postgres", postgres_url)):
        with Store.open(url, blob_dir=tmp_path / "raw") as s:
            for spec in CORPUS:
                save(s, spec)
            out = {}
            for text in AGREEMENT_QUERIES:
                rel = s.search(SearchQuery(text=text, per_page=100))
                by_date = s.search(SearchQuery(text=text, per_page=100, sort="date"))
                out[text] = (
                    rel.total,
                    sorted(h.url for h in rel.hits),
                    [h.url for h in by_date.hits],
                    {
                        k: [(c.value, c.count) for c in v]
                        for k, v in rel.facets.items()
                        if k not in ("buyer", "vendor")
                    },
                    [h.snippet.html for h in by_date.hits],
                )
            results[name] = out
    for text in AGREEMENT_QUERIES:
        assert results["sqlite"][text] == results["postgres"][text], text
    assert results["sqlite"]["阿里云"][0] == 1 and results["sqlite"]["云"][0] == len(truth("云"))


def test_search_index_objects_exist(database_url, tmp_path):
    with Store.open(database_url, blob_dir=tmp_path / "raw") as s:
        names = sa.inspect(s.engine).get_table_names()
        assert ("notice_fts" in names) if s.dialect == "sqlite" else ("notice_search" in names)


# ---------------------------------------------------------------- limits for very broad searches


def test_more_matches_than_the_cap_are_ranked_over_the_newest_and_the_result_says_so(store, monkeypatch):
    from storage.search import engine

    ranked = store.search(SearchQuery(text="服务", per_page=100))
    assert ranked.sort == "relevance" and ranked.ranked_of is None and ranked.scope_note == ""
    newest = {h.id for h in store.search(SearchQuery(text="服务", sort="date", per_page=2)).hits}
    monkeypatch.setattr(engine, "CANDIDATES", 2)
    capped = store.search(SearchQuery(text="服务", per_page=100))
    assert capped.sort == "relevance" and capped.ranked_of == 2
    assert {h.id for h in capped.hits} == newest and capped.total == len(truth("服务"))
    assert capped.scope_note.startswith(f"Ranked the newest 2 of {len(truth('服务'))} matches")
    assert store.search(SearchQuery(text="阿里云")).ranked_of is None  # one match: ranked whole


def test_date_order_is_the_same_when_scanning_the_date_index(store, monkeypatch):
    from storage.search import engine

    expected = [h.id for h in store.search(SearchQuery(text="采购", sort="date", per_page=100)).hits]
    monkeypatch.setattr(engine, "SORT_MAX", 0)
    assert [h.id for h in store.search(SearchQuery(text="采购", sort="date", per_page=100)).hits] == expected
    paged = [
        h.id for p in (1, 2, 3) for h in store.search(SearchQuery(text="采购", sort="date", per_page=3, page=p)).hits
    ]
    assert paged == expected[:9]


def test_facets_over_the_limit_count_the_newest_matches_and_say_so(store, monkeypatch):
    from collections import Counter

    from storage.search import engine

    monkeypatch.setattr(engine, "FACET_LIMIT", 3)
    monkeypatch.setattr(engine, "CANDIDATES", 4)
    broad = store.search(SearchQuery(text="采购", sort="date", per_page=4))
    assert not broad.facets_complete and broad.facets_source == "newest" and broad.ranked_of == 4
    assert {c.value: c.count for c in broad.facets["notice_type"]} == Counter(h.notice_type for h in broad.hits)
    assert broad.scope_note.startswith("Facets count the newest 4 of")
    narrow = store.search(SearchQuery(text="阿里云"))
    assert narrow.facets_complete and narrow.facets_source == "matches"
    assert narrow.facets["provider"][0].value == "alibaba-cloud"


def test_broad_text_with_selective_filters_probes_the_index_with_the_same_results(store, monkeypatch):
    from storage.search import engine

    queries = [
        dict(text="采购", cases_only=True),
        dict(text="云", cases_only=True, sort="date"),
        dict(text="服务", chip="nvidia-a100"),
        dict(text="云", buyer="大学", since=date(2024, 1, 1)),
        dict(text="A100 -会议室", vendor="云启"),
        dict(text="服务", region="北京"),
        dict(text="云", sort="date"),
    ]
    expected = [keys(store, **kw) for kw in queries]
    monkeypatch.setattr(engine, "PROBE_FROM", 0)
    monkeypatch.setattr(engine, "SORT_MAX", 0)
    assert [keys(store, **kw) for kw in queries] == expected
    assert expected[0] == truth("采购") & {"aliyun", "huawei", "aws", "a10rental", "attachment"}


def test_cases_only_with_text_uses_the_same_semantics(store):
    assert keys(store, "采购", cases_only=True) == truth("采购") & {
        "aliyun",
        "huawei",
        "aws",
        "a10rental",
        "attachment",
    }
    assert keys(store, "云", cases_only=True, sort="date") == truth("云") & {
        "aliyun",
        "huawei",
        "aws",
        "a10rental",
        "attachment",
    }
