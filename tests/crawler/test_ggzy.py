"""The ggzy spider against the ggzy replica over real HTTP into a real database: the list API sliced by
day (and by province when a day reaches the API's silent cap), the keyword fallback, business codes, and
empty content pages replaced by their origin. Expected notices come from the replica's own records."""

from __future__ import annotations

import json

import pytest

from crawler.replica.ggzy import GgzyOptions, GgzyReplica
from crawler.replica.multi import serving
from run_helpers import crawl, crawled_twice

WINDOW = ["--since", "2026-08-30", "--until", "2026-09-20"]
ALL = [*WINDOW, "--keywords", ""]  # every notice of every day, no keyword


def urls(records) -> list[str]:
    return sorted(r.detail_url for r in records)


def window(since: str, until: str) -> list[str]:
    """Crawl arguments for a few days around a quirk (shorter crawls), every notice, no keyword."""
    return ["--since", since, "--until", until, "--keywords", ""]


def between(records, since: str, until: str):
    return [r for r in records if since <= r.time[:10] <= until]


def api_calls(site: GgzyReplica) -> list:
    return site.requests_for("/information/pubTradingInfo/getTradList")


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    yield from crawled_twice(tmp_path_factory, "ggzy", GgzyReplica(), *ALL, "--channels", "01,02")


def test_a_full_crawl_stores_every_notice_the_api_lists(full):
    site, first, db = full["site"], full["first"], full["db"]
    assert first.returncode == 0, first.stderr[-3000:]
    expected = urls(site.crawlable(("01", "02")))
    assert db.notice_urls("ggzy") == expected
    assert first.summary["notices"]["new"] == len(expected) == 24
    assert first.summary["errors"] == {}


def test_a_second_run_fetches_no_content_page_again_and_adds_nothing(full):
    second, db = full["second"], full["db"]
    assert second.returncode == 0, second.stderr[-3000:]
    assert second.summary["notices"] == {"new": 0, "changed": 0, "unchanged": 0, "failed": 0}
    assert second.summary["skipped_known"] == len(full["site"].crawlable(("01", "02")))
    assert [r.path for r in full["second_log"] if "/html/b/" in r.path] == []
    assert db.count("notice") == 24


def test_the_list_names_the_shell_page_and_the_spider_stores_the_content_page(full):
    db = full["db"]
    assert all("/information/deal/html/b/" in u for u in db.notice_urls("ggzy"))
    assert not [r for r in full["site"].log if "/html/a/" in r.path]


def test_an_empty_content_page_is_replaced_by_its_origin(full):
    site, db = full["site"], full["db"]
    record = next(r for r in site.records if r.fields.get("ccgp") == 27281244)
    row = db.notice(record.detail_url)
    meta = row.list_meta if isinstance(row.list_meta, dict) else json.loads(row.list_meta)
    assert meta["origin_url"] == "https://www.ccgp.gov.cn/cggg/dfgg/gkzb/202609/t20260902_27281244.htm"
    assert "HBJH-2026-ZB-0902" in row.text and "算力" in row.text  # the origin's full text
    assert row.project_code == "HBJH-2026-ZB-0902"


def test_an_empty_page_without_an_origin_is_kept_as_it_is(full):
    site, db = full["site"], full["db"]
    record = next(r for r in site.records if r.title.startswith("福州市仓山区"))
    row = db.notice(record.detail_url)
    assert row.title == record.title
    assert "origin_url" not in (row.list_meta if isinstance(row.list_meta, dict) else json.loads(row.list_meta))


def test_attachments_are_fetched_from_the_download_host(full):
    db = full["db"]
    rows = db.rows("SELECT a.url, a.name, a.status FROM attachment a JOIN notice n ON n.id = a.notice_id WHERE n.source = 'ggzy' ORDER BY a.url")
    by_name = {r.name: r for r in rows}
    assert sorted(by_name) == ["中标通知书.pdf", "超算机时服务需求说明.pdf"]
    assert {r.status for r in rows} == {"ok"}
    assert by_name["超算机时服务需求说明.pdf"].url.startswith("https://download.ggzy.gov.cn/oss/download?uuid=")
    # a republished ccgp body keeps ccgp's attachment links
    assert by_name["中标通知书.pdf"].url.startswith("https://www.ccgp.gov.cn/gpx-public-file?accessCode=")


def test_a_day_at_the_result_cap_is_sliced_by_province(crawl_db):
    url, data_dir, db = crawl_db
    site = GgzyReplica(GgzyOptions(cap=10))  # the busy day has 12 notices over three provinces
    with serving(site) as server:
        out = crawl("ggzy", url, data_dir, server.url, *window("2026-09-14", "2026-09-16"), "--set", "GGZY_RESULT_CAP=10")
    assert out.returncode == 0, out.stderr[-3000:]
    assert db.notice_urls("ggzy") == urls(between(site.crawlable(), "2026-09-14", "2026-09-16"))
    assert len(api_calls(site)) == 3 + 31  # one call per day, then the busy day once per province
    assert out.summary["errors"] == {}


def test_a_province_day_still_at_the_cap_is_recorded_and_what_is_listed_is_kept(crawl_db):
    url, data_dir, db = crawl_db
    site = GgzyReplica(GgzyOptions(cap=3))  # four busy-day notices per province: one each is never listed
    with serving(site) as server:
        out = crawl("ggzy", url, data_dir, server.url, *window("2026-09-15", "2026-09-15"), "--set", "GGZY_RESULT_CAP=3")
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.summary["errors"] == {"result_capped": 3}
    assert len(db.notice_urls("ggzy")) == len(between(site.crawlable(), "2026-09-15", "2026-09-15")) - 3 == 9


def test_a_keyword_without_hits_stores_nothing_from_the_unfiltered_list(crawl_db):
    url, data_dir, db = crawl_db
    site = GgzyReplica()
    with serving(site) as server:
        out = crawl("ggzy", url, data_dir, server.url, *WINDOW, "--keywords", "算力,量子退火")
    assert out.returncode == 0, out.stderr[-3000:]
    assert db.notice_urls("ggzy") == urls(r for r in site.crawlable() if "算力" in r.title)
    assert len(db.notice_urls("ggzy")) == 2
    assert "no hits for '量子退火'" in out.stderr


def test_business_code_800_backs_off_and_the_crawl_completes(crawl_db):
    url, data_dir, db = crawl_db
    site = GgzyReplica(GgzyOptions(code_at={3: 800, 4: 800}))
    with serving(site) as server:
        out = crawl("ggzy", url, data_dir, server.url, *window("2026-09-01", "2026-09-06"))
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.summary["status"] == "finished"
    assert out.summary["errors"] == {"api_800": 2}
    assert db.notice_urls("ggzy") == urls(between(site.crawlable(), "2026-09-01", "2026-09-06"))


def test_business_code_800_that_persists_stops_the_crawl_as_blocked(crawl_db):
    url, data_dir, db = crawl_db
    site = GgzyReplica(GgzyOptions(code_at={n: 800 for n in range(2, 40)}))
    with serving(site) as server:
        out = crawl("ggzy", url, data_dir, server.url, *window("2026-09-01", "2026-09-10"))
    assert out.returncode == 3
    assert out.summary["status"] == "blocked"
    assert "800" in out.summary["reason"]
    # It stopped rather than hammering: the 10 day requests already in flight (no delay, against the
    # replica) and at most BLOCK_MAX_COUNT retries, nothing after.
    assert len(api_calls(site)) <= 10 + 3
    assert db.count("notice") == 0


def test_business_code_829_stops_the_crawl_cleanly_as_blocked(crawl_db):
    url, data_dir, db = crawl_db
    site = GgzyReplica(GgzyOptions(captcha_from=4))
    days = window("2026-09-01", "2026-09-10")
    with serving(site) as server:
        out = crawl("ggzy", url, data_dir, server.url, *days)
    assert out.returncode == 3, out.stderr[-3000:]
    run = db.run(out.summary["run_id"])
    assert run.status == "blocked"
    stats = run.stats if isinstance(run.stats, dict) else json.loads(run.stats)
    assert "829" in stats["reason"] and "需验证码" in stats["reason"]
    assert [e.reason for e in db.errors(run.id)].count("blocked") >= 1
    # A rerun after the captcha is gone picks up everything, with nothing doubled.
    site.options.captcha_from = None
    with serving(site) as server:
        again = crawl("ggzy", url, data_dir, server.url, *days)
    assert again.returncode == 0
    assert db.notice_urls("ggzy") == urls(between(site.crawlable(), "2026-09-01", "2026-09-10"))


def test_business_code_804_narrows_the_day_to_provinces(crawl_db):
    url, data_dir, db = crawl_db
    site = GgzyReplica(GgzyOptions(narrow_days=("2026-09-10",)))
    with serving(site) as server:
        out = crawl("ggzy", url, data_dir, server.url, *window("2026-09-09", "2026-09-11"))
    assert out.returncode == 0, out.stderr[-3000:]
    assert db.notice_urls("ggzy") == urls(between(site.crawlable(), "2026-09-09", "2026-09-11"))
    assert len([r for r in site.log if r.note == "code_804"]) == 1
    assert len(api_calls(site)) == 3 + 31
    assert out.summary["errors"] == {}
