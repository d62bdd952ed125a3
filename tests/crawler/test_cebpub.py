"""The cebpub spider against the cebpubservice replica over real HTTP into a real database: the bulletin
list pages page by page, each notice stored as its PDF (the full text), keywords double-encoded as the
site's JavaScript does, and the slider captcha ending the crawl cleanly."""

from __future__ import annotations

import json

import pytest

from crawler.replica.cebpub import CebpubOptions, CebpubReplica
from crawler.replica.multi import serving
from run_helpers import crawl, crawled_twice

WINDOW = ["--since", "2026-08-30", "--until", "2026-09-20"]
ALL = [*WINDOW, "--keywords", ""]


def urls(bulletins) -> list[str]:
    return sorted(b.pdf_url for b in bulletins)


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    yield from crawled_twice(tmp_path_factory, "cebpub", CebpubReplica(), *ALL)


def test_a_full_crawl_stores_every_bulletin_as_its_pdf(full):
    site, first, db = full["site"], full["first"], full["db"]
    assert first.returncode == 0, first.stderr[-3000:]
    assert db.notice_urls("cebpub") == urls(site.bulletins)
    assert first.summary["notices"]["new"] == len(site.bulletins) == 8
    row = db.notice(next(b for b in site.bulletins if b.uuid.startswith("5b0d7e22")).pdf_url)
    assert row.raw_content_type == "application/pdf"
    assert "128卡NVIDIA A800" in row.text and row.remote_compute
    meta = row.list_meta if isinstance(row.list_meta, dict) else json.loads(row.list_meta)
    assert meta["region"] == "河北" and meta["viewer_url"].startswith("https://ctbpsp.com/#/bulletinDetail?uuid=5b0d7e22")


def test_list_pages_are_followed_to_the_last(full):
    lists = [r for r in full["first_log"] if r.path.startswith("/xxfbcmses/search/")]
    # three rows a page: bulletin 4 → 2 pages, change 1 → 1, result 3 → 1
    assert len(lists) == 4
    assert {r.path.split("?")[0] for r in lists} == {f"/xxfbcmses/search/{c}.html" for c in ("bulletin", "change", "result")}


def test_a_second_run_fetches_no_pdf_again_and_adds_nothing(full):
    second = full["second"]
    assert second.returncode == 0
    assert second.summary["notices"] == {"new": 0, "changed": 0, "unchanged": 0, "failed": 0}
    assert second.summary["skipped_known"] == 8
    assert not [r for r in full["second_log"] if "record-pdf" in r.path]


def test_keywords_reach_the_site_double_encoded(crawl_db):
    url, data_dir, db = crawl_db
    site = CebpubReplica()
    with serving(site) as server:
        out = crawl("cebpub", url, data_dir, server.url, *WINDOW, "--keywords", "算力")
    assert out.returncode == 0, out.stderr[-3000:]
    assert db.notice_urls("cebpub") == urls(b for b in site.bulletins if "算力" in b.title)
    assert len(db.notice_urls("cebpub")) == 2
    assert all("word=%25E7%25AE%2597%25E5%258A%259B" in r.path for r in site.requests_for("/xxfbcmses/search/"))


def test_the_slider_captcha_stops_the_crawl_cleanly_and_a_rerun_completes(crawl_db):
    url, data_dir, db = crawl_db
    site = CebpubReplica(CebpubOptions(captcha_after=5))
    with serving(site) as server:
        out = crawl("cebpub", url, data_dir, server.url, *ALL)
        assert out.returncode == 3, out.stderr[-3000:]
        run = db.run(out.summary["run_id"])
        assert run.status == "blocked"
        stats = run.stats if isinstance(run.stats, dict) else json.loads(run.stats)
        assert "slider captcha" in stats["reason"]
        stored = db.count("notice")
        assert stored < 8
        captchas = [r.path for r in site.log if r.path.startswith("/VerificationCode/")]
        assert captchas and len(captchas) == len(set(captchas))  # requests in flight, none retried
        site.options.captcha_after = None
        again = crawl("cebpub", url, data_dir, server.url, *ALL)
    assert again.returncode == 0
    assert again.summary["notices"]["new"] == 8 - stored
    assert db.notice_urls("cebpub") == urls(site.bulletins)
