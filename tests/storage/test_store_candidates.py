"""Possible cases (issue 12 item 2, downstream): what the extractor calls a possible case is stored on the
notice, kept by reextract, searchable on its own, counted apart from cases, and never mixed into them."""

from __future__ import annotations

import pytest
from storage_helpers import Spec, extraction, save

from extract.types import DocumentText
from storage.search import QuerySyntaxError, SearchQuery
from storage.store import Store

REASON = "service_not_acquired"  # reason codes of extract/compute/data/candidates.toml; stored as given

CASE = Spec(key="case", title="东湖大学云服务器租用项目", body="采购内容：租用阿里云GPU云服务器一年，服务期内按月结算。",
            remote_compute=True, compute_kinds=["cloud"], providers=["alibaba-cloud"])
CANDIDATE = Spec(key="candidate", title="南江学院智能体平台接口调用服务采购", body="采购内容：智能体平台接口调用服务一年。",
                 candidate_reasons=[REASON, "compute_quantity"], candidate_score=0.61)
PLAIN = Spec(key="plain", title="南江学院云桌面运维服务采购", body="采购内容：云桌面运维服务一年。")
# An extraction that says both (it must not): the case wins, the notice is not also a candidate.
BOTH = Spec(key="both", title="西岭研究院云计算资源租用", body="采购内容：云计算资源租用一年，含云主机。",
            remote_compute=True, compute_kinds=["cloud"], candidate_reasons=["title_topic"], candidate_score=0.9)


@pytest.fixture
def store(database_url, tmp_path):
    s = Store.open(database_url, blob_dir=tmp_path / "raw")
    s.ids = {spec.key: save(s, spec).notice_id for spec in (CASE, CANDIDATE, PLAIN, BOTH)}
    yield s
    s.close()


def ids(store, **kw) -> set[str]:
    result = store.search(SearchQuery(per_page=100, **kw))
    back = {v: k for k, v in store.ids.items()}
    return {back[h.id] for h in result.hits}


def test_a_possible_case_is_stored_with_its_score_and_reasons_and_shown_on_the_notice(store):
    d = store.notice_detail(store.ids["candidate"])
    assert d["compute_candidate"] is True and not d["remote_compute"]
    assert d["candidate_score"] == pytest.approx(0.61)
    assert d["candidate_reasons"] == [REASON, "compute_quantity"]
    plain = store.notice_detail(store.ids["plain"])
    assert plain["compute_candidate"] is False and plain["candidate_reasons"] == [] and plain["candidate_score"] is None


def test_a_case_is_never_also_a_possible_case(store):
    both = store.notice_detail(store.ids["both"])
    assert both["remote_compute"] and not both["compute_candidate"] and both["candidate_reasons"] == []


def test_possible_cases_are_searched_apart_and_never_mixed_into_cases(store):
    assert ids(store, candidates_only=True) == {"candidate"}
    assert ids(store, cases_only=True) == {"case", "both"}
    assert ids(store, text="接口调用", candidates_only=True) == {"candidate"}
    assert ids(store, text="云", candidates_only=True) == set()
    hit = store.search(SearchQuery(candidates_only=True)).hits[0]
    assert hit.compute_candidate and not hit.remote_compute and hit.candidate_reasons == [REASON, "compute_quantity"]
    with pytest.raises(QuerySyntaxError):
        SearchQuery(cases_only=True, candidates_only=True)


def test_the_possible_case_count_ignores_the_cases_switch_and_follows_text_and_filters(store):
    assert store.search(SearchQuery(cases_only=True)).candidates == 1
    assert store.search(SearchQuery(text="接口调用", cases_only=True)).candidates == 1
    assert store.search(SearchQuery(text="云服务器")).candidates == 0
    assert store.search(SearchQuery(buyer="东湖大学")).candidates == 0
    assert store.search(SearchQuery(cases_only=True, facets=False)).candidates is None


def test_stats_count_possible_cases_apart_from_cases(store):
    stats = store.stats()
    assert stats["cases"] == 2 and stats["possible_cases"] == 1


def test_reextract_keeps_the_candidate_columns_in_step_with_the_new_extraction(store):
    nid = store.ids["candidate"]
    body = DocumentText(text=CANDIDATE.body, kind="html", title=CANDIDATE.title)
    store.replace_extraction(nid, body, [], extraction(Spec(**{**CANDIDATE.__dict__, "candidate_reasons": []})))
    assert store.notice_detail(nid)["compute_candidate"] is False
    assert ids(store, candidates_only=True) == set()
    store.replace_extraction(nid, body, [], extraction(CANDIDATE))
    d = store.notice_detail(nid)
    assert d["compute_candidate"] and d["candidate_reasons"] == [REASON, "compute_quantity"]
    assert ids(store, candidates_only=True) == {"candidate"}
