"""A reviewer's newest decision decides whether a notice is a case, in one condition (storage.review.case_condition)
that every count and list applies: the search's case list, `stats`, `export --cases-only`, org pages."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from extract.types import ComputeFindings, DocumentText, NoticeExtraction, NoticeFields
from models.raw import RawNotice
from models.tables import Notice
from storage.exports.records import notice_filter
from storage.review import ReviewWriter, case_condition, decisions, is_case
from storage.search import SearchQuery
from storage.store import Store


def save(store: Store, key: str, *, case: bool) -> int:
    title = f"{key}大学GPU云服务器租赁项目公告"
    extraction = NoticeExtraction(
        fields=NoticeFields(notice_type="tender", title=title, published_at=dt.date(2024, 5, 28), project_codes=[f"{key}-1"]),
        compute=ComputeFindings(remote_compute=case, compute_kinds=["cloud"] if case else []),
        extractor_version="test",
    )
    raw = RawNotice(source="local", url=f"https://www.example.gov.cn/{key}.htm", data=title.encode(),
                    content_type="text/html", list_meta={"title": title})
    return store.save_notice(raw, DocumentText(text=title, kind="html", title=title), [], extraction).notice_id


def test_stats_exports_and_search_count_the_cases_after_review(database_url, tmp_path):
    store = Store.open(database_url, blob_dir=tmp_path / "raw")
    kept, rejected, confirmed, also, plain = (
        save(store, k, case=c) for k, c in
        (("kept", True), ("rejected", True), ("confirmed", False), ("also", False), ("plain", False)))
    writer = ReviewWriter(store.engine)
    writer.record(rejected, "confirmed", "anna")
    writer.record(rejected, "rejected", "anna")  # the newest decision counts
    writer.record(confirmed, "rejected", "ben")
    writer.record(confirmed, "confirmed", "ben")
    writer.record(also, "confirmed", "ben")
    cases = {kept, confirmed, also}

    assert store.stats()["cases"] == 3
    with store.engine.connect() as conn:
        assert set(conn.execute(sa.select(Notice.id).where(*notice_filter(cases_only=True))).scalars()) == cases
        assert set(conn.execute(sa.select(Notice.id).where(case_condition())).scalars()) == cases
        decided = decisions(conn)
        flags = dict(conn.execute(sa.select(Notice.id, Notice.remote_compute)).all())
    assert decided == {rejected: "rejected", confirmed: "confirmed", also: "confirmed"}
    assert {n for n, rc in flags.items() if is_case(rc, decided.get(n))} == cases  # the same rule, in Python
    assert {h.id for h in store.search(SearchQuery(text="", cases_only=True)).hits} == cases
    assert plain not in cases
    store.close()
