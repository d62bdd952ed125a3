"""The zcy spider against the 政采云 replica (Zhejiang and Shanghai portals) over real HTTP into a real
database: the JSON category lists page by page, the detail API rendered and stored under the portal's own
page URL, attachments, keywords, and a portal that answers with Aliyun WAF's JavaScript challenge."""

from __future__ import annotations

import json

import pytest

from crawler.replica.multi import serving
from crawler.replica.zcy import ZcyOptions, ZcyReplica
from run_helpers import crawl, crawled_twice

WINDOW = ["--since", "2026-08-30", "--until", "2026-09-20"]
ALL = [*WINDOW, "--keywords", ""]


def urls(articles) -> list[str]:
    return sorted(a.human_url for a in articles)


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    yield from crawled_twice(tmp_path_factory, "zcy", ZcyReplica(), *ALL)


def test_a_full_crawl_stores_every_article_of_both_portals(full):
    site, first, db = full["site"], full["first"], full["db"]
    assert first.returncode == 0, first.stderr[-3000:]
    assert db.notice_urls("zcy") == urls(site.articles)
    assert first.summary["notices"]["new"] == len(site.articles) == 10
    assert first.summary["errors"] == {}


def test_category_lists_are_followed_page_by_page(full):
    site = full["site"]
    lists = [r for r in full["first_log"] if r.path.endswith("/portal/category")]
    # two articles per page (the portal caps pageSize): zj 3+3 articles → 2+2 pages, sh 2+2 → 1+1
    assert len(lists) == 6
    assert full["first"].summary["pages"]["list"] == 6


def test_stored_pages_carry_the_detail_apis_fields(full):
    site, db = full["site"], full["db"]
    article = next(a for a in site.articles if a.project_code == "ZJHY-2026-FW-0728")
    row = db.notice(article.human_url)
    assert row.title == article.title
    assert row.project_code == "ZJHY-2026-FW-0728"
    assert row.published_at.startswith("2026-09-15 15:45") if isinstance(row.published_at, str) else row.published_at.hour == 15
    assert "阿里云弹性计算ECS" in row.text
    assert row.remote_compute


def test_attachments_are_fetched_and_kept(full):
    db = full["db"]
    rows = db.rows("SELECT a.name, a.status, a.url FROM attachment a ORDER BY a.name")
    assert [(r.name, r.status) for r in rows] == [("政务云资源租用服务需求.pdf", "ok"), ("算力租赁服务评分办法.pdf", "ok")]
    assert {r.url.split("/attachment/")[0] for r in rows} == {"https://zfcg.czt.zj.gov.cn", "https://www.zfcg.sh.gov.cn"}


def test_a_second_run_fetches_no_detail_again_and_adds_nothing(full):
    second = full["second"]
    assert second.returncode == 0, second.stderr[-3000:]
    assert second.summary["notices"] == {"new": 0, "changed": 0, "unchanged": 0, "failed": 0}
    assert second.summary["skipped_known"] == 10
    assert not [r for r in full["second_log"] if "/portal/detail" in r.path]
    assert full["db"].count("notice") == 10


def test_keywords_search_within_categories(crawl_db):
    url, data_dir, db = crawl_db
    site = ZcyReplica()
    with serving(site) as server:
        out = crawl("zcy", url, data_dir, server.url, *WINDOW, "--keywords", "算力,大模型")
    assert out.returncode == 0, out.stderr[-3000:]
    assert db.notice_urls("zcy") == urls(a for a in site.articles if "算力" in a.title or "大模型" in a.title)
    assert len(db.notice_urls("zcy")) == 2


def test_a_portal_behind_the_waf_challenge_is_reported_and_the_run_ends_blocked(crawl_db):
    url, data_dir, db = crawl_db
    site = ZcyReplica(ZcyOptions(challenge=("zj",)))
    with serving(site) as server:
        out = crawl("zcy", url, data_dir, server.url, *ALL)
    assert out.returncode == 3, out.stderr[-3000:]
    run = db.run(out.summary["run_id"])
    assert run.status == "blocked"
    stats = run.stats if isinstance(run.stats, dict) else json.loads(run.stats)
    assert "浙江政府采购网" in stats["reason"] and "JavaScript challenge" in stats["reason"]
    assert [e.reason for e in db.errors(run.id)] == ["blocked"]
    # Shanghai was crawled all the same; Zhejiang was asked once (its homepage) and then left alone.
    assert db.notice_urls("zcy") == urls(site.portal_articles("sh"))
    assert [r.path for r in site.requests_for("/zj/")] == ["/zj/"]


def test_the_whole_crawl_stops_cleanly_when_every_portal_is_challenged(crawl_db):
    url, data_dir, db = crawl_db
    site = ZcyReplica(ZcyOptions(challenge=("zj", "sh")))
    with serving(site) as server:
        out = crawl("zcy", url, data_dir, server.url, *ALL)
    assert out.returncode == 3
    assert out.summary["status"] == "blocked"
    assert out.summary["errors"] == {"blocked": 2}
    assert db.count("notice") == 0
