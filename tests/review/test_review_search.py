"""The case list follows the reviewers: a rejected case leaves it, a confirmed possible case (or a notice
the extractor missed) joins it and leaves the possible cases; every plan of the search engine agrees."""

from __future__ import annotations

import pytest

from storage.review import ReviewWriter
from storage.search import SearchQuery
from storage.store import Store
from review_fixtures import add_candidate, extracted  # noqa: F401  (the fixture)


def _ids(url, **kw) -> set[int]:
    with Store.open(url, read_only=True) as store:
        return {h.id for h in store.search(SearchQuery(per_page=100, **kw)).hits}


@pytest.mark.parametrize("probe", [False, True], ids=["plain-plan", "probe-plan"])
def test_confirmed_notices_join_the_case_list_and_rejected_ones_leave_it(extracted, monkeypatch, probe):
    if probe:  # the plan for broad texts with a selective filter (SQLite: filters drive, the text is probed)
        from storage.search import engine

        monkeypatch.setattr(engine, "PROBE_FROM", 0)
    ids = extracted.ids
    url = extracted.url
    candidate = add_candidate(url, "西岭学院智能计算服务采购公告", "2025-03-20")
    text = {"text": "采购"}  # matches every notice of the corpus
    assert _ids(url, cases_only=True, **text) == {ids["cloud"], ids["model_api"]}
    assert _ids(url, candidates_only=True, **text) == {candidate}
    with ReviewWriter.open(url) as writer:
        writer.record(candidate, "confirmed", "anna", note="智能计算服务 is GPU time here", kinds=["gpu_rental"])
        writer.record(ids["plain"], "confirmed", "anna", note="missed by the extractor")
        writer.record(ids["model_api"], "rejected", "anna", note="a demo")
    cases = {ids["cloud"], candidate, ids["plain"]}
    assert _ids(url, cases_only=True, **text) == cases
    assert _ids(url, cases_only=True) == cases
    assert _ids(url, cases_only=True, sort="date", **text) == cases
    assert _ids(url, candidates_only=True, **text) == set()  # settled: no longer a possible case
    assert _ids(url, cases_only=True, review="confirmed") == {candidate, ids["plain"]}
    assert _ids(url, review="rejected") == {ids["model_api"]}


def test_the_digest_counts_a_confirmed_possible_case_as_a_case(extracted):
    from sqlmodel import Session

    from models.tables import utcnow
    from storage import db
    from storage.digest.data import build_digest
    from storage.digest.weeks import IsoWeek

    candidate = add_candidate(extracted.url, "西岭学院智能计算服务采购公告", "2025-03-20")
    with ReviewWriter.open(extracted.url) as writer:
        writer.record(candidate, "confirmed", "anna", note="GPU time")
    engine = db.make_engine(extracted.url, read_only=True)
    with Session(engine) as session:
        digest = build_digest(session, IsoWeek.of(utcnow().date()))
    engine.dispose()
    leads = {c.lead.id: c for c in digest.new_cases}
    assert set(leads) == {extracted.ids["cloud"], extracted.ids["model_api"], candidate}
    assert leads[candidate].confirmed and not leads[extracted.ids["cloud"]].confirmed
    assert candidate not in {r.id for r in digest.to_check}
