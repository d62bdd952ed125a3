"""Crawls that run for hours (issue 17) and crawls that cannot run (issue 18, items 7, 8, 11): WAF cookies kept
alive, honest endings, a window that continues, limits, progress, heartbeats, unreachable hosts, Ctrl-C and
kill -9 — each on the replica over real HTTP, with the crawl as a real subprocess."""

from __future__ import annotations

import json
import math
import signal
import socket
import subprocess
import sys
import time
from urllib.parse import parse_qs, urlsplit

import pytest

from crawler.replica.content import load_notices
from crawl_helpers import ROOT, Database, crawl_command, crawl_env, run_crawl

NOTICES = load_notices()
ATTACHMENTS = [a for n in NOTICES for a in n.attachments]
CANONICAL = {n.id: "https://www.ccgp.gov.cn" + n.path for n in NOTICES}
ONE_AT_A_TIME = ["--set", "DOWNLOAD_DELAY=0.05", "--set", "CONCURRENT_REQUESTS_PER_DOMAIN=1"]


def detail_paths_requested(log) -> list[str]:
    paths = {n.path for n in NOTICES}
    return [r.path for r in log if r.path in paths]


def free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- 1. cookies that stay alive ---------------------------------------------------------------------------


def test_a_crawl_that_outlives_many_waf_cookies_stores_everything(crawl_db, replica):
    url, data_dir, db = crawl_db
    lifetime = 2
    # Two attachments that take longer than a cookie lives: no page renews the cookie meanwhile, so the
    # crawler must visit the homepage again before the next request (or be refused).
    slow = [a.path for a in ATTACHMENTS if a.file][:2]
    site, root = replica(waf_lifetime=lifetime, slow_paths={p: lifetime + 0.5 for p in slow})
    started = time.monotonic()
    outcome = run_crawl(url, data_dir, root, "--keywords", "", *ONE_AT_A_TIME)
    lapses = math.ceil((time.monotonic() - started) / lifetime)
    assert outcome.returncode == 0, outcome.stderr[-3000:]
    assert outcome.summary["status"] == "finished"
    assert lapses >= 4  # the crawl outlived several cookies
    assert db.notice_urls() == sorted(CANONICAL.values())
    assert db.count("attachment") == len(ATTACHMENTS)
    refused = [r for r in site.log if r.status == 403]
    assert len(refused) <= lapses  # at most one refusal per lapse (in practice none: renewed in time)
    homepage_visits = [r for r in site.log if r.path == "/"]
    assert len(homepage_visits) >= 2  # renewed from the homepage when no page had renewed the cookie
    assert outcome.summary["waf"]["homepage_renewals"] >= 1
    assert outcome.summary["waf"]["renewed_by_page"] >= len(NOTICES)


def test_a_refused_page_renews_the_cookies_and_is_retried_once(crawl_db, replica):
    url, data_dir, db = crawl_db
    attachment = next(a for a in ATTACHMENTS if a.file)
    notice = next(n for n in NOTICES if attachment in n.attachments)
    # The script says 600 s but the WAF ends the cookie after 1 s, and a slow attachment outlasts it: only
    # the refusal of the next request can tell the crawler.
    site, root = replica(waf_lifetime=1, waf_declared=600, slow_paths={attachment.path: 1.5})
    outcome = run_crawl(url, data_dir, root, "--keywords", "", "--channels", f"{notice.zone}/{notice.channel}",
                        *ONE_AT_A_TIME)
    assert outcome.returncode == 0, outcome.stderr[-3000:]
    in_channel = {CANONICAL[n.id] for n in NOTICES if (n.zone, n.channel) == (notice.zone, notice.channel)}
    assert set(db.notice_urls()) == in_channel
    waf = outcome.summary["waf"]
    assert waf["refused"] >= 1 and waf["refused"] == waf["retried"]  # each refusal: fresh cookies, one retry
    assert waf["homepage_renewals"] >= 1
    assert not {"http_403", "blocked"} & set(outcome.summary["errors"])  # none reached the spider


# --- 2. honest endings ------------------------------------------------------------------------------------


def test_a_replica_that_refuses_everything_ends_blocked_with_a_nonzero_exit(crawl_db, replica):
    url, data_dir, db = crawl_db
    site, root = replica(refuse_all=True)
    outcome = run_crawl(url, data_dir, root, "--keywords", "")
    assert outcome.returncode != 0
    assert outcome.summary["status"] == "blocked"
    assert db.run(outcome.summary["run_id"]).status == "blocked"
    assert outcome.summary["pages_failed"] >= 1
    assert db.count("notice") == 0


def test_a_crawl_whose_pages_mostly_fail_ends_failed_and_names_the_failures(crawl_db, replica):
    url, data_dir, db = crawl_db
    channel = [n for n in NOTICES if (n.zone, n.channel) == ("dfgg", "gkzb")]
    # Every detail page of the channel times out; its list pages answer.
    site, root = replica(slow_paths={n.path: 2.0 for n in channel})
    outcome = run_crawl(url, data_dir, root, "--keywords", "", "--channels", "dfgg/gkzb",
                        "--set", "DOWNLOAD_TIMEOUT=0.5", "--set", "RETRY_TIMES=0")
    assert outcome.returncode == 1
    assert outcome.summary["status"] == "failed"
    assert outcome.summary["pages_failed"] == len(channel)
    assert f"{len(channel)} of " in outcome.summary["reason"] and "timeout" in outcome.summary["reason"]
    text = subprocess.run([sys.executable, "-c", "import json,sys; from tenderwatch.crawl_summary import "
                           "format_summary; print(format_summary(json.load(sys.stdin)))"],
                          input=json.dumps(outcome.summary), capture_output=True, text=True, cwd=ROOT).stdout
    assert f"{len(channel)} failed" in text and "to resume:" in text


def test_failed_notice_pages_are_fetched_again_by_the_next_run(crawl_db, replica):
    url, data_dir, db = crawl_db
    late = next(n for n in NOTICES if (n.zone, n.channel) == ("dfgg", "gkzb"))
    site, root = replica(slow_paths={late.path: 2.0})
    first = run_crawl(url, data_dir, root, "--keywords", "", "--channels", "dfgg/gkzb",
                      "--set", "DOWNLOAD_TIMEOUT=0.5", "--set", "RETRY_TIMES=0")
    assert CANONICAL[late.id] not in db.notice_urls()
    site.options.slow_paths = {}
    # The next run's window no longer lists that notice; it is fetched all the same.
    later = max(n.published[:10] for n in NOTICES)
    mark = len(site.log)
    second = run_crawl(url, data_dir, root, "--keywords", "", "--channels", "dfgg/gkzb", "--since", later)
    assert late.published[:10] < later
    assert second.summary["retried_from_earlier_runs"] == 1
    assert late.path in detail_paths_requested(site.log[mark:])
    assert CANONICAL[late.id] in db.notice_urls()
    assert first.summary["errors"].get("timeout") == 1


# --- 3. a window that continues ---------------------------------------------------------------------------


def test_without_since_a_crawl_continues_where_the_last_finished_one_ended(crawl_db, replica):
    url, data_dir, db = crawl_db
    site, root = replica(search_page_size=50)
    args = ["--keywords", "采购", "--channels", "dfgg/gkzb"]
    first = run_crawl(url, data_dir, root, *args, "--since", "2026-09-01", "--until", "2026-09-15")
    assert first.summary["status"] == "finished"
    mark = len(site.log)
    second = run_crawl(url, data_dir, root, *args)
    assert second.summary["window"]["since"] == "2026-09-12"  # 2026-09-15 less the 3-day overlap
    assert f"run {first.summary['run_id']}" in second.summary["window"]["from"]
    log = site.log[mark:]
    queries = [parse_qs(urlsplit(r.path).query) for r in log if r.path.startswith("/bxsearch")]
    assert queries and {q["start_time"][0] for q in queries} == {"2026:09:12"}
    by_path = {n.path: n for n in NOTICES}
    fetched = [by_path[p] for p in detail_paths_requested(log)]
    assert fetched and all(n.published[:10] >= "2026-09-12" for n in fetched)
    # --since wins over the continuation.
    mark = len(site.log)
    third = run_crawl(url, data_dir, root, *args, "--since", "2026-08-01")
    assert third.summary["window"]["from"] == "--since"
    queries = [parse_qs(urlsplit(r.path).query) for r in site.log[mark:] if r.path.startswith("/bxsearch")]
    assert {q["start_time"][0] for q in queries} == {"2026:08:01"}


def test_the_default_window_is_explained_in_crawl_help():
    out = subprocess.run([sys.executable, "-m", "tenderwatch.cli", "crawl", "--help"], cwd=ROOT,
                         capture_output=True, text=True).stdout
    assert "last finished crawl" in " ".join(out.split())


# --- 4. long-run ergonomics -------------------------------------------------------------------------------


def test_max_notices_stops_cleanly_and_the_rerun_completes_with_nothing_doubled(crawl_db, replica):
    url, data_dir, db = crawl_db
    site, root = replica()
    first = run_crawl(url, data_dir, root, "--keywords", "", "--max-notices", "5")
    assert first.returncode == 0, first.stderr[-3000:]
    assert first.summary["status"] == "stopped" and "--max-notices 5" in first.summary["reason"]
    assert db.count("notice") == 5
    second = run_crawl(url, data_dir, root, "--keywords", "")
    assert second.summary["status"] == "finished"
    assert db.notice_urls() == sorted(CANONICAL.values())
    assert second.summary["notices"]["new"] == len(NOTICES) - 5
    assert not db.rows("SELECT url FROM notice GROUP BY url HAVING count(*) > 1")
    assert db.count("attachment") == len(ATTACHMENTS)


def test_max_minutes_stops_cleanly(crawl_db, replica):
    url, data_dir, db = crawl_db
    site, root = replica()
    outcome = run_crawl(url, data_dir, root, "--keywords", "", "--max-minutes", "0.05",
                        "--set", "DOWNLOAD_DELAY=0.5", "--set", "CONCURRENT_REQUESTS_PER_DOMAIN=1")
    assert outcome.returncode == 0
    assert outcome.summary["status"] == "stopped" and "--max-minutes" in outcome.summary["reason"]
    assert db.count("notice") < len(NOTICES)  # at 0.5 s a request, 3 s is not enough for all of them


def test_progress_lines_show_rates_queue_and_errors_and_go_to_the_run_log(crawl_db, replica):
    url, data_dir, db = crawl_db
    site, root = replica()
    outcome = run_crawl(url, data_dir, root, "--keywords", "", "--set", "TENDERWATCH_PROGRESS_INTERVAL=0.3",
                        *ONE_AT_A_TIME)
    lines = [line for line in outcome.stderr.splitlines() if line.startswith("ccgp: ")]
    assert len(lines) >= 2
    for part in ("pages (", "/min)", "notices stored (", "errors", "requests queued"):
        assert part in lines[-1]
    log = data_dir / "logs" / f"crawl-ccgp-{outcome.summary['run_id']}.log"
    assert outcome.summary["log"] == str(log)
    assert "requests queued" in log.read_text(encoding="utf-8")


def test_a_running_crawl_shows_its_progress_in_stats_from_another_terminal(crawl_db, replica):
    url, data_dir, db = crawl_db
    site, root = replica()
    cmd = crawl_command(url, root, "--keywords", "", "--set", "HEARTBEAT_SECONDS=0.3",
                        "--set", "DOWNLOAD_DELAY=0.3", "--set", "CONCURRENT_REQUESTS_PER_DOMAIN=1")
    proc = subprocess.Popen(cmd, cwd=ROOT, env=crawl_env(data_dir), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert time.monotonic() < deadline and proc.poll() is None
            rows = db.rows("SELECT stats FROM crawlrun WHERE status = 'running'") if _has_runs(db) else []
            if rows and "pages" in _json(rows[0].stats) and _json(rows[0].stats)["pages"] > 0:
                break
            time.sleep(0.2)
        out = subprocess.run([sys.executable, "-m", "tenderwatch.cli", "stats", "--database-url", url],
                             cwd=ROOT, env=crawl_env(data_dir), capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        assert "running: run 1" in out.stdout and "pages (" in out.stdout and "requests queued" in out.stdout
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)


# --- hardening 7: runs whose process is gone; the summary names the run -----------------------------------


def test_a_killed_run_is_marked_interrupted_when_the_next_crawl_starts(crawl_db, replica):
    url, data_dir, db = crawl_db
    site, root = replica()
    cmd = crawl_command(url, root, "--keywords", "", "--set", "DOWNLOAD_DELAY=0.3",
                        "--set", "CONCURRENT_REQUESTS_PER_DOMAIN=1")
    proc = subprocess.Popen(cmd, cwd=ROOT, env=crawl_env(data_dir), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not (_has_runs(db) and db.rows("SELECT id FROM crawlrun")):
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.1)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    (killed,) = db.rows("SELECT id, status, pid FROM crawlrun")
    assert (killed.status, killed.pid) == ("running", proc.pid)
    outcome = run_crawl(url, data_dir, root, "--keywords", "", "--channels", "dfgg/gzgg")
    row = db.run(killed.id)
    assert row.status == "interrupted"
    assert f"process {proc.pid}" in _json(row.stats)["reason"]
    assert outcome.summary["run_id"] == killed.id + 1


def test_a_crawl_stopped_before_it_started_never_says_run_none():
    from tenderwatch.crawl_summary import format_summary

    line = format_summary({"run_id": None, "spider": "ccgp", "status": "interrupted", "reason": "shutdown"})
    assert "None" not in line and line.startswith("crawl ccgp: interrupted")
    assert format_summary({"run_id": 7, "status": "failed", "reason": "x"}).startswith("crawl run 7: failed")


# --- hardening 8: no network -> one line, non-zero, quick; Ctrl-C within 5 s ------------------------------


@pytest.mark.parametrize("root, line", [
    (f"http://127.0.0.1:{free_port()}", "connection refused"),
    ("http://www.ccgp.invalid", "cannot reach www.ccgp.invalid: DNS lookup failed"),  # .invalid never resolves
])
def test_an_unreachable_host_ends_the_crawl_with_one_clear_line(crawl_db, root, line):
    url, data_dir, db = crawl_db
    started = time.monotonic()
    outcome = run_crawl(url, data_dir, root, "--keywords", "", "--log-level", "WARNING", timeout=60)
    assert time.monotonic() - started < 40
    assert outcome.returncode == 1
    assert outcome.summary["status"] == "failed"
    assert line in outcome.summary["reason"] and outcome.summary["reason"].startswith("cannot reach ")
    assert "Traceback" not in outcome.stderr
    said = [x for x in outcome.stderr.splitlines() if "cannot reach" in x]
    assert len(said) == 1, outcome.stderr
    assert outcome.summary["requests"] <= 8  # not every channel and keyword with retries


def test_ctrl_c_stops_the_crawl_within_five_seconds(crawl_db, replica):
    url, data_dir, db = crawl_db
    slow = "/cggg/dfgg/gkzb/index.htm"
    site, root = replica(slow_paths={slow: 30.0})  # a request that would hold the stop for half a minute
    cmd = crawl_command(url, root, "--keywords", "", "--channels", "dfgg/gkzb")
    proc = subprocess.Popen(cmd, cwd=ROOT, env=crawl_env(data_dir), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    deadline = time.monotonic() + 60
    while not any(r.path == "/" for r in site.log):  # the homepage answered: the slow list page is on its way
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.1)
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    sent = time.monotonic()
    stdout, stderr = proc.communicate(timeout=30)
    assert time.monotonic() - sent < 5, stderr[-3000:]
    assert proc.returncode == 130
    summary = json.loads(stdout[stdout.index("{"):])
    assert summary["status"] == "interrupted" and summary["run_id"] == 1
    assert db.run(1).status == "interrupted"
    assert "Traceback" not in stderr


# --- hardening 11: the help lists every spider and every replica ------------------------------------------


def test_crawl_help_lists_every_spider_one_line_each():
    from scrapy.spiderloader import SpiderLoader
    from scrapy.utils.project import get_project_settings

    import os

    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    names = SpiderLoader.from_settings(get_project_settings()).list()
    out = subprocess.run([sys.executable, "-m", "tenderwatch.cli", "crawl", "--help"], cwd=ROOT,
                         capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"}).stdout
    listed = out.split("Spiders:")[1].splitlines()
    assert len(names) >= 4
    for name in names + ["all"]:
        (entry,) = [line for line in listed if line.split()[:1] == [name]]
        assert len(entry.split()) > 2  # the name and what it crawls


def test_replica_help_lists_every_replica():
    import os

    from crawler.replica.multi import all_sites

    out = subprocess.run([sys.executable, "-m", "tenderwatch.cli", "replica", "--help"], cwd=ROOT,
                         capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"}).stdout
    entries = [line for line in out.split("Replicas:")[1].splitlines() if line.startswith("  ") and line[2] != " "]
    listed = [line.split()[0] for line in entries]
    assert set(listed) == set(all_sites())


def _has_runs(db: Database) -> bool:
    try:
        db.rows("SELECT 1 FROM crawlrun LIMIT 1")
        return True
    except Exception:  # the schema is not there yet
        return False


def _json(value):
    return value if isinstance(value, dict) else json.loads(value or "{}")
