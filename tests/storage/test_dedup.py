"""Cross-source dedup: the same notice reached through ccgp and ggzy is stored once, with the other place
kept as a NoticeLink — matched by SimHash of the normalised body text AND agreeing project code (or
title). Notices that only look alike (one procurement's tender and correction, a code shared by another
text) stay apart. Runs on SQLite and PostgreSQL; the crawl tests use the real replicas over HTTP."""

from __future__ import annotations

import pytest

from crawler.replica import render
from crawler.replica.content import load_notices
from crawler.replica.ggzy import GgzyReplica
from crawler.replica.multi import serving
from crawler.replica.server import serving as serving_ccgp
from crawler.replica.site import ReplicaSite
from storage import dedup
from storage.store import Store
from storage.processing import RawNotice, process_notice
from run_helpers import crawl, crawl_db  # noqa: F401 (the fixture)

CCGP = {n.id: n for n in load_notices()}
WINDOW = ["--since", "2026-08-28", "--until", "2026-09-30", "--keywords", ""]


# -- SimHash ------------------------------------------------------------------------------------------


def test_simhash_is_a_signed_64_bit_value_and_ignores_spacing_and_punctuation():
    text = "滨海市2026年度政务云服务采购项目中标（成交）结果公告，项目编号：BHZC2026-0633，中标金额：人民币412.6万元。"
    value = dedup.simhash(text)
    assert -(1 << 63) <= value < (1 << 63)
    assert dedup.simhash(text) == value  # stable across runs (no salted hash)
    respaced = text.replace("，", " , ").replace("：", ":  ") + "\n\n"
    assert dedup.simhash(respaced) == value
    assert dedup.simhash("ＢＨＺＣ２０２６" + text[4:]) is not None


def test_a_page_with_too_little_text_has_no_simhash():
    assert dedup.simhash("采购意向公开") is None


def test_distance_counts_differing_bits_of_signed_values():
    assert dedup.distance(-1, 0) == 64
    assert dedup.distance(5, 5) == 0
    assert dedup.distance(-(1 << 63), 0) == 1


# -- the store ------------------------------------------------------------------------------------------


def ccgp_raw(notice_id: int, *, source="ccgp", url=None) -> RawNotice:
    n = CCGP[notice_id]
    return RawNotice(source=source, url=url or "https://www.ccgp.gov.cn" + n.path, data=render.detail_page(n),
                     content_type="text/html; charset=utf-8", name=n.path.rsplit("/", 1)[-1],
                     list_meta={"title": n.title, "notice_type": None})


def ggzy_raw(record, site: GgzyReplica) -> RawNotice:
    return RawNotice(source="ggzy", url=record.detail_url, data=site._content_page(record),
                     content_type="text/html; charset=utf-8", name=record.id + ".html", list_meta={"title": record.title})


def links(store: Store) -> list[tuple]:
    import sqlalchemy as sa

    with store.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text("SELECT notice_id, source, url FROM noticelink ORDER BY url"))]


def test_a_republished_copy_is_stored_once_with_a_link(database_url, data_dir):
    site = GgzyReplica()
    copy = next(r for r in site.records if r.fields.get("ccgp") == 27281555)  # ggzy's copy of ccgp's body
    with Store.open(database_url) as store:
        first = process_notice(store, ccgp_raw(27281555))
        second = process_notice(store, ggzy_raw(copy, site))
        assert first.status == "new"
        assert (second.notice_id, second.status) == (first.notice_id, "linked")
        assert links(store) == [(first.notice_id, "ggzy", copy.detail_url)]
        again = process_notice(store, ggzy_raw(copy, site))  # the second place fetched again
        assert (again.notice_id, again.status) == (first.notice_id, "unchanged")
        assert copy.detail_url in store.known_urls("ggzy")  # so crawls skip it like a stored notice
        with store.engine.connect() as conn:
            import sqlalchemy as sa

            assert conn.execute(sa.text("SELECT count(*) FROM notice")).scalar() == 1


def test_a_tender_and_its_correction_from_two_sources_stay_apart(database_url, data_dir):
    # Same project code (ZJCY-2026-GK-0831), same buyer, much of the same text — different notices.
    with Store.open(database_url) as store:
        tender = process_notice(store, ccgp_raw(27280935))
        correction = process_notice(store, ccgp_raw(27284466, source="ggzy", url="https://www.ggzy.gov.cn/x/1.html"))
        assert correction.status == "new" and correction.notice_id != tender.notice_id
        assert links(store) == []


def test_the_same_code_on_a_different_text_is_not_a_duplicate(database_url, data_dir):
    # One code, two different notices of the same type (e.g. two lots): the SimHash keeps them apart.
    with Store.open(database_url) as store:
        a = process_notice(store, ccgp_raw(27281105))
        other = ccgp_raw(27283358, source="ggzy", url="https://www.ggzy.gov.cn/x/2.html")
        other.data = other.data.replace(b"GC-FWX261187", b"GC-FGX260912")  # borrow a's project code
        b = process_notice(store, other)
        assert b.status == "new" and b.notice_id != a.notice_id


def test_the_same_source_never_merges_its_own_urls(database_url, data_dir):
    with Store.open(database_url) as store:
        a = process_notice(store, ccgp_raw(27281555))
        b = process_notice(store, ccgp_raw(27281555, url="https://www.ccgp.gov.cn/cggg/dfgg/zbgg/202609/copy.htm"))
        assert b.status == "new" and b.notice_id != a.notice_id


def test_simhash_is_stored_for_every_notice(database_url, data_dir):
    import sqlalchemy as sa

    with Store.open(database_url) as store:
        result = process_notice(store, ccgp_raw(27282710))
        with store.engine.connect() as conn:
            stored = conn.execute(sa.text("SELECT simhash, text FROM notice WHERE id = :id"), {"id": result.notice_id}).one()
    assert stored.simhash == dedup.simhash(stored.text)


# -- two crawls over HTTP -------------------------------------------------------------------------------


@pytest.mark.parametrize("order", [("ccgp", "ggzy"), ("ggzy", "ccgp")])
def test_the_same_notice_crawled_from_ccgp_and_ggzy_is_stored_once_with_both_links(crawl_db, order):
    url, data_dir, db = crawl_db
    ggzy_site = GgzyReplica()
    with serving_ccgp(ReplicaSite()) as ccgp_server, serving(ggzy_site) as ggzy_server:
        roots = {"ccgp": ccgp_server.url, "ggzy": ggzy_server.url}
        outcomes = {name: crawl(name, url, data_dir, roots[name], *WINDOW) for name in order}
        rerun = crawl(order[1], url, data_dir, roots[order[1]], *WINDOW)
    assert all(o.returncode == 0 for o in outcomes.values()), [o.stderr[-2000:] for o in outcomes.values()]
    republished = {r.fields["ccgp"]: r for r in ggzy_site.records if r.fields.get("ccgp")}
    assert len(republished) == 2
    for ccgp_id, record in republished.items():
        ccgp_url = "https://www.ccgp.gov.cn" + CCGP[ccgp_id].path
        first_url, second_url = (ccgp_url, record.detail_url) if order[0] == "ccgp" else (record.detail_url, ccgp_url)
        (row,) = db.rows("SELECT id FROM notice WHERE url IN (:a, :b)", a=ccgp_url, b=record.detail_url)
        assert db.notice(first_url).id == row.id
        assert [(r.source, r.url) for r in db.rows("SELECT source, url FROM noticelink WHERE notice_id = :id", id=row.id)] \
            == [(order[1], second_url)]
    expected_total = len(CCGP) + len(ggzy_site.crawlable()) - 2
    assert db.count("notice") == expected_total
    assert outcomes[order[1]].summary["notices"].get("linked") == 2
    # The linked places are known: a rerun neither stores nor links anything new.
    assert rerun.summary["notices"]["new"] == 0 and not rerun.summary["notices"].get("linked")
    assert db.count("notice") == expected_total and db.count("noticelink") == 2


def test_the_stores_fast_simhash_agrees_with_the_reference():
    from storage.store import fast_simhash

    texts = [render.detail_page(n).decode("utf-8", "replace") for n in list(CCGP.values())[:6]] + ["短", "A100 " * 40]
    assert [fast_simhash(t) for t in texts] == [dedup.simhash(t) for t in texts]
