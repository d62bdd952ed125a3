"""`tenderwatch crawl all` against every replica (each on its own port): each spider in turn, one closing
summary, every notice of every replica stored once (the two ggzy copies of ccgp notices as links)."""

from __future__ import annotations

import json

from crawler.replica.content import load_notices
from crawler.replica.multi import all_sites, serving_all
from crawler.replica.zcy import ZcyOptions
from run_helpers import FAST_SETTINGS, Database, cli, crawl_db  # noqa: F401 (the fixture)

ARGS = ["--since", "2026-08-28", "--until", "2026-09-30", "--keywords", "", "--delay", "0"]


def run_all(url, data_dir, roots, *extra):
    site_root = ",".join(f"{name}={root}" for name, root in roots.items())
    return cli(data_dir, "crawl", "all", "--site-root", site_root, *ARGS, "--database-url", url, *FAST_SETTINGS, *extra,
               timeout=900)


def test_crawl_all_runs_every_spider_with_one_summary(crawl_db):
    url, data_dir, db = crawl_db
    sites = all_sites()
    with serving_all(sites) as roots:
        proc = run_all(url, data_dir, roots, "--json")
        again = run_all(url, data_dir, roots, "--json")
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads(proc.stdout)
    assert list(summary["spiders"]) == ["ccgp", "ggzy", "zcy", "cebpub"]
    assert summary["status"] == "finished"
    expected = {"ccgp": len(load_notices()), "ggzy": len(sites["ggzy"].crawlable()) - 2,
                "zcy": len(sites["zcy"].articles), "cebpub": len(sites["cebpub"].bulletins)}
    assert {name: s["notices"]["new"] for name, s in summary["spiders"].items()} == expected
    assert summary["notices"]["new"] == sum(expected.values()) == db.count("notice")
    assert summary["notices"]["linked"] == 2 == db.count("noticelink")
    assert {r.source: r.n for r in db.rows("SELECT source, count(*) AS n FROM notice GROUP BY source")} == expected
    assert db.count("crawlrun") == 8  # two `crawl all` runs of four spiders
    second = json.loads(again.stdout)
    assert second["notices"]["new"] == 0 and second["notices"]["linked"] == 0
    assert db.count("notice") == sum(expected.values())


def test_a_blocked_site_is_reported_and_the_next_sites_are_crawled(crawl_db):
    url, data_dir, db = crawl_db
    sites = all_sites(zcy=ZcyOptions(challenge=("zj", "sh")))
    with serving_all(sites) as roots:
        proc = run_all(url, data_dir, roots)
    assert proc.returncode == 3, proc.stderr[-3000:]
    assert "zcy: crawl run 3: blocked" in proc.stdout
    assert "cebpub: crawl run 4: finished" in proc.stdout
    assert "all 4 crawls: blocked" in proc.stdout
    assert db.rows("SELECT count(*) AS n FROM notice WHERE source = 'cebpub'")[0].n == len(sites["cebpub"].bulletins)


def test_site_roots_must_name_their_site(crawl_db):
    url, data_dir, db = crawl_db
    proc = cli(data_dir, "crawl", "all", "--site-root", "http://127.0.0.1:9", "--database-url", url)
    assert proc.returncode == 2 and "NAME=URL" in proc.stderr
