"""The ccgp spider crawling the replica over real HTTP into a real database, end to end.

Each crawl runs in a subprocess (`tenderwatch crawl ccgp --site-root … --delay 0`); expected counts come
from the replica's own data (crawler/replica/content/notices.toml), never from the crawl.
"""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from crawler.replica.content import WWW, load_notices
from crawler.replica.server import serving
from crawler.replica.site import ReplicaSite

from crawl_helpers import ROOT, Database, crawl_command, crawl_env, run_crawl

NOTICES = load_notices()
ATTACHMENTS = [a for n in NOTICES for a in n.attachments]
CANONICAL = {n.id: "https://www.ccgp.gov.cn" + n.path for n in NOTICES}
CHANGED = [n for n in NOTICES if "changed" in n.fields]
DEFAULT_CRAWL = []  # default channels and keywords: what the demo runs
REFRESH_CHANNEL = "dfgg/gzgg"
IN_REFRESH_CHANNEL = [n for n in NOTICES if f"{n.zone}/{n.channel}" == REFRESH_CHANNEL]


def by_id(notice_id: int):
    return next(n for n in NOTICES if n.id == notice_id)


# --- one full crawl, then a second one, then a --refresh crawl of a changed page (shared state) ---------


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """The replica, crawled once with the demo's arguments; later fixtures crawl it again."""
    data_dir = tmp_path_factory.mktemp("crawl") / "data"
    data_dir.mkdir()
    url = f"sqlite:///{data_dir / 'tenderwatch.db'}"
    site = ReplicaSite()
    with serving(site) as server:
        first = run_crawl(url, data_dir, server.url, *DEFAULT_CRAWL)
        state = {"site": site, "root": server.url, "url": url, "data_dir": data_dir, "db": Database(url),
                 "first": first, "first_log": list(site.log)}
        yield state
        state["db"].close()


@pytest.fixture(scope="module")
def second(crawled):
    site = crawled["site"]
    mark = len(site.log)
    # --since reaching back over every notice: without it the run would continue from the first run's window
    # end (today, less the overlap; test_long_crawls.py), where the replica has no notices.
    outcome = run_crawl(crawled["url"], crawled["data_dir"], crawled["root"], *DEFAULT_CRAWL, "--since", "2026-08-01")
    return outcome, site.log[mark:]


@pytest.fixture(scope="module")
def refreshed(second, crawled):
    site = crawled["site"]
    site.options.changed = True  # the replica now serves the edited version of one page
    mark = len(site.log)
    # Only the changed notice's channel, to keep the test short; --refresh fetches its stored notices again.
    outcome = run_crawl(crawled["url"], crawled["data_dir"], crawled["root"], "--refresh", "--keywords", "",
                        "--channels", REFRESH_CHANNEL)
    return outcome, site.log[mark:]


def test_first_crawl_stores_every_notice_and_attachment_the_replica_serves(crawled):
    db, first = crawled["db"], crawled["first"]
    assert first.returncode == 0, first.stderr[-3000:]
    assert first.summary["status"] == "finished"
    assert db.notice_urls() == sorted(CANONICAL.values())
    assert first.summary["notices"] == {"new": len(NOTICES), "changed": 0, "unchanged": 0, "failed": 0}
    stored = {(a.notice_url, a.name) for a in db.attachments()}
    expected = {(CANONICAL[n.id], a.label) for n in NOTICES for a in n.attachments}
    assert stored == expected
    assert db.count("attachment") == len(ATTACHMENTS)


def test_a_case_whose_evidence_is_only_in_scans_is_found_through_ocr(crawled):
    """Notices whose body names no compute, with a scanned PDF and a photo among the attachments: read by OCR
    in the storing worker, the case is found and its evidence says it came from OCR (issue 11)."""
    import json

    db = crawled["db"]
    scanned = [n for n in NOTICES if any(a.file.endswith((".jpg", "_scan.pdf")) for a in n.attachments)]
    assert scanned
    for n in scanned:
        row = db.notice(CANONICAL[n.id])
        assert row.remote_compute
        (extraction,) = db.rows("SELECT result FROM extraction WHERE notice_id = :id", id=row.id)
        result = extraction.result if isinstance(extraction.result, dict) else json.loads(extraction.result)
        compute = [e for e in result["evidence"] if e["field"].split(":")[0] in ("remote_compute", "gpu_models")]
        assert compute and all(e.get("source") == "ocr" and e.get("page") == 1 for e in compute)
        atts = db.rows("SELECT format, status, ocr FROM attachment WHERE notice_id = :id", id=row.id)
        ocr = [json.loads(a.ocr) if isinstance(a.ocr, str) else a.ocr for a in atts if a.ocr]
        assert {a.format for a in atts} >= {"pdf", "jpg"} and all(a.status == "ok" for a in atts)
        assert len(ocr) == 2 and all(o["engine"] == "rapidocr" and o["pages"] == [1] for o in ocr)


def test_stored_urls_are_the_real_sites_not_the_mirrors(crawled):
    db = crawled["db"]
    assert all(u.startswith("https://www.ccgp.gov.cn/cggg/") for u in db.notice_urls())
    hosts = {urlsplit(a.url).netloc for a in db.attachments()}
    assert hosts == {"download.ccgp.gov.cn", "www.ccgp.gov.cn"}
    assert not any(crawled["root"] in a.url for a in db.attachments())


def test_every_host_of_the_site_was_fetched_from_the_site_root(crawled):
    paths = [r.path for r in crawled["first_log"]]
    assert any(p.startswith("/bxsearch?") for p in paths)  # search.ccgp.gov.cn
    assert any(p.startswith("/oss/download?uuid=") for p in paths)  # download.ccgp.gov.cn
    assert any(p.startswith("/gpx-public-file?accessCode=") for p in paths)  # www.ccgp.gov.cn
    # Search results link to http://www.ccgp.gov.cn/…; those detail pages came from the replica too.
    assert all(r.status != 403 for r in crawled["first_log"])


def test_homepage_is_visited_first_for_the_waf_cookies(crawled):
    log = [r.path for r in crawled["first_log"] if r.path != "/robots.txt"]
    assert log[0] == "/"
    assert not [r for r in crawled["first_log"] if r.note == "waf"]  # no page refused for a missing cookie


def test_channel_lists_are_followed_page_by_page(crawled):
    paths = {r.path for r in crawled["first_log"]}
    assert {"/cggg/dfgg/gkzb/index.htm", "/cggg/dfgg/gkzb/index_1.htm"} <= paths
    pages = len([n for n in NOTICES if n.zone == "dfgg" and n.channel == "gkzb"]) // 4 + 1
    assert f"/cggg/dfgg/gkzb/index_{pages}.htm" not in paths  # stops at the last page, no 404 probing
    assert not [r for r in crawled["first_log"] if r.status == 404 and r.path.startswith("/cggg/")]


def test_empty_body_is_retried_once_and_the_notice_kept(crawled):
    (notice,) = [n for n in NOTICES if n.fields.get("empty_first")]
    served = [r.note or r.status for r in crawled["first_log"] if r.path == notice.path]
    assert served == ["empty", 200]
    assert CANONICAL[notice.id] in crawled["db"].notice_urls()
    assert "empty_body" not in crawled["first"].summary["errors"]


def test_gb18030_pages_with_wrong_or_missing_charset_are_decoded(crawled):
    db = crawled["db"]
    gb_pages = [n for n in NOTICES if n.fields.get("encoding") == "gb18030"]
    assert {n.fields["declared_charset"] for n in gb_pages} == {"gb2312", ""}
    for notice in gb_pages:
        row = db.notice(CANONICAL[notice.id])
        assert notice.buyer in row.text
        assert notice.project_code in row.text
    names = {a.name for a in db.attachments() if a.notice_url == CANONICAL[27281877]}
    assert names == {"附件1超声诊断系统技术参数（镕）.pdf"}  # name read from the GB18030 page, 镕 outside GB2312


def test_bad_attachments_are_recorded_and_their_notices_kept(crawled):
    db, first = crawled["db"], crawled["first"]
    attachments = {a.name: a for a in db.attachments()}
    corrupt = attachments["附件1报价明细表.pdf"]
    assert corrupt.status == "corrupt"
    missing = attachments["附件2投标人得分排序表.doc"]
    assert missing.status == "fetch_error" and "http_404" in missing.error
    reasons = {(e.reason, e.url) for e in db.errors(first.summary["run_id"])}
    assert ("attachment_http_404", missing.url) in reasons
    assert ("attachment_corrupt", corrupt.url) in reasons
    assert first.summary["errors"] == {"attachment_corrupt": 1, "attachment_http_404": 1}


def test_legacy_word_and_archive_attachments_are_read_and_listed_with_their_format(crawled):
    import json

    label = {a.file: a.label for a in ATTACHMENTS}
    by_name = {a.name: a for a in crawled["db"].attachments()}
    files = {"gpu_rental_contract_terms.doc": "doc", "gov_cloud_security_terms.rar": "rar",
             "hpc_job_rules.7z": "7z", "property_service_gbk.zip": "zip"}
    found = {f: by_name[label[f]] for f in files}
    assert {f: a.format for f, a in found.items()} == files
    assert {a.status for a in found.values()} == {"ok"}
    assert "采购人通过专线远程使用算力" in found["gpu_rental_contract_terms.doc"].text
    members = {f: [(m["name"], m["format"], m["status"]) for m in json.loads(a.members)]
               for f, a in found.items() if a.members not in (None, "null")}
    assert members == {
        "gov_cloud_security_terms.rar": [("附件2-政务云安全技术要求.docx", "docx", "ok")],
        "hpc_job_rules.7z": [("超算服务附件/作业调度与计费规则.pdf", "pdf", "ok")],
        "property_service_gbk.zip": [("附件1-物业管理服务需求.docx", "docx", "ok")],  # GB18030 names, no UTF-8 flag
    }


def test_fjxx_links_without_a_file_extension_are_not_attachments(crawled):
    assert not [r for r in crawled["first_log"] if r.path.startswith("/gpx-bid-file/")]  # "获取采购文件"
    # …while fjxx files whose URL has no extension are kept under the name the page gives them.
    names = {a.name for a in crawled["db"].attachments() if a.url.startswith(WWW.replace("http:", "https:"))}
    assert "算力租赁服务采购需求.docx" in names


def test_the_run_and_its_summary_are_stored(crawled):
    first = crawled["first"]
    run = crawled["db"].run(first.summary["run_id"])
    assert run.status == "finished"
    assert run.finished_at is not None
    summary = run.stats if isinstance(run.stats, dict) else __import__("json").loads(run.stats)
    assert summary["notices"]["new"] == len(NOTICES)
    assert summary["pages"]["detail"] == len(NOTICES)  # the empty-body retry happens below the spider
    assert summary["attachments"] == {"fetched": len(ATTACHMENTS) - 1, "failed": 1}


def test_second_run_fetches_no_stored_notice_and_adds_nothing(second, crawled):
    outcome, log = second
    assert outcome.returncode == 0, outcome.stderr[-3000:]
    detail_paths = {n.path for n in NOTICES}
    assert not [r.path for r in log if r.path in detail_paths]
    assert not [r.path for r in log if r.path.startswith(("/oss/", "/gpx-public-file"))]
    assert outcome.summary["notices"] == {"new": 0, "changed": 0, "unchanged": 0, "failed": 0}
    assert outcome.summary["skipped_known"] == len(NOTICES)
    assert crawled["db"].count("notice") == len(NOTICES)
    assert crawled["db"].count("noticeversion") == len(NOTICES)


def test_refresh_after_a_page_changed_yields_exactly_one_new_version(refreshed, crawled):
    outcome, log = refreshed
    db = crawled["db"]
    assert outcome.returncode == 0, outcome.stderr[-3000:]
    assert len(CHANGED) == 1 and CHANGED[0] in IN_REFRESH_CHANNEL
    assert outcome.summary["notices"] == {"new": 0, "changed": 1, "unchanged": len(IN_REFRESH_CHANNEL) - 1, "failed": 0}
    assert {r.path for r in log} >= {n.path for n in IN_REFRESH_CHANNEL}  # fetched again although stored
    assert db.count("notice") == len(NOTICES)
    assert db.count("noticeversion") == len(NOTICES) + 1
    (changed,) = db.rows("SELECT n.url FROM noticeversion v JOIN notice n ON n.id = v.notice_id "
                         "GROUP BY n.url HAVING count(*) = 2")
    assert changed.url == CANONICAL[CHANGED[0].id]
    assert "2026年10月09日" in db.notice(changed.url).text  # the edited deadline is the current text


# --- stopping and resuming ------------------------------------------------------------------------------


def _stored(db: Database) -> int:
    try:
        return db.count("notice")
    except Exception:  # the schema is not there yet
        return 0


def _start_and_stop(crawl_db, root, stop_signal, after_notices: int) -> subprocess.Popen:
    url, data_dir, db = crawl_db
    # A small delay so the crawl is still running when the signal comes.
    cmd = crawl_command(url, root, "--keywords", "")
    cmd[cmd.index("--delay") + 1] = "0.02"
    proc = subprocess.Popen(cmd, cwd=ROOT, env=crawl_env(data_dir), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    deadline = time.monotonic() + 90
    while _stored(db) < after_notices:
        assert proc.poll() is None, f"crawl ended before {after_notices} notices were stored: {proc.stderr.read()[-3000:]}"
        assert time.monotonic() < deadline, "crawl too slow"
        time.sleep(0.05)
    workers = _children(proc.pid)  # the storing worker processes
    proc.send_signal(stop_signal)
    proc.communicate(timeout=60)
    deadline = time.monotonic() + 15
    while [pid for pid in workers if _alive(pid)]:  # they notice and exit; no orphan keeps the database
        assert time.monotonic() < deadline, f"storing workers outlived the crawl: {workers}"
        time.sleep(0.1)
    return proc


def _children(pid: int) -> list[int]:
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    return children


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_killed_crawl_resumes_with_nothing_missing_or_doubled(crawl_db, replica):
    url, data_dir, db = crawl_db
    site, root = replica()
    proc = _start_and_stop(crawl_db, root, signal.SIGKILL, after_notices=4)
    assert proc.returncode == -signal.SIGKILL
    stored_before = set(db.notice_urls())
    assert 4 <= len(stored_before) < len(NOTICES)
    (killed_run,) = db.rows("SELECT status FROM crawlrun")
    assert killed_run.status == "running"  # it never got to say otherwise

    mark = len(site.log)
    outcome = run_crawl(url, data_dir, root, "--keywords", "")
    assert outcome.returncode == 0, outcome.stderr[-3000:]
    assert db.notice_urls() == sorted(CANONICAL.values())
    assert outcome.summary["notices"]["new"] == len(NOTICES) - len(stored_before)
    assert outcome.summary["skipped_known"] == len(stored_before)
    assert db.count("attachment") == len(ATTACHMENTS)
    assert not db.rows("SELECT notice_id, url FROM attachment GROUP BY notice_id, url HAVING count(*) > 1")
    # Nothing stored before the kill was fetched again.
    refetched = [r.path for r in site.log[mark:] if "https://www.ccgp.gov.cn" + r.path in stored_before]
    assert refetched == []


# --- the site's manners -----------------------------------------------------------------------------------


def test_block_page_stops_the_crawl_cleanly_and_keeps_what_was_fetched(crawl_db, replica):
    url, data_dir, db = crawl_db
    site, root = replica(block_after=30, block_prefix="/cggg/")
    # One request at a time with a small delay, as on the real site (at --delay 0 Scrapy sends in bursts).
    outcome = run_crawl(url, data_dir, root, "--keywords", "", "--set", "DOWNLOAD_DELAY=0.02",
                        "--set", "CONCURRENT_REQUESTS_PER_DOMAIN=1")
    assert outcome.returncode == 3  # tenderwatch crawl's exit code for "blocked"
    assert outcome.summary["status"] == "blocked"
    assert "频繁访问" in outcome.summary["reason"] and "https://www.ccgp.gov.cn/cggg/" in outcome.summary["reason"]
    run = db.run(outcome.summary["run_id"])
    assert run.status == "blocked"
    blocked_errors = [e for e in db.errors(run.id) if e.reason == "blocked"]
    assert len(blocked_errors) == 3, [(e.url, e.detail) for e in blocked_errors]  # BLOCK_MAX_COUNT
    # It did not hammer: after the first block page only the two backed-off retries went out — no request that
    # was queued when a block page came back went out before the back-off (or the stop) was decided.
    after_block = site.requests_for("/cggg/")[30:]
    assert len(after_block) == 3 and {r.note for r in after_block} == {"blocked"}, [r.path for r in after_block]
    # Every notice whose page and attachments were served before the block is stored.
    served = {r.path for r in site.log if r.status == 200 and not r.note}
    complete = {CANONICAL[n.id] for n in NOTICES if n.path in served and all(a.path in served or not a.file
                                                                                for a in n.attachments)}
    assert complete and complete <= set(db.notice_urls())

    assert not db.rows("SELECT url FROM notice GROUP BY url HAVING count(*) > 1")


def test_a_timeout_is_recorded_and_the_crawl_goes_on(crawl_db, replica):
    url, data_dir, db = crawl_db
    slow = "/cggg/dfgg/fblbgg/index.htm"
    site, root = replica(slow_paths={slow: 3.0})
    outcome = run_crawl(url, data_dir, root, "--keywords", "", "--channels", "dfgg/fblbgg,dfgg/gzgg",
                        "--set", "DOWNLOAD_TIMEOUT=1", "--set", "RETRY_TIMES=1")
    assert outcome.summary["status"] == "finished"
    # The replica logs a slow request when it answers, 3 s after it came: a crawl that ends sooner than that
    # after its retry would leave it unlogged. Wait out every slow answer, then count.
    time.sleep(3.5)
    assert len(site.requests_for(slow)) == 2  # tried, retried once, given up
    (error,) = db.errors(outcome.summary["run_id"])
    assert (error.reason, error.url) == ("timeout", "https://www.ccgp.gov.cn" + slow)
    assert set(db.notice_urls()) == {CANONICAL[n.id] for n in NOTICES if (n.zone, n.channel) == ("dfgg", "gzgg")}


def test_robots_txt_is_obeyed(crawl_db, replica):
    url, data_dir, db = crawl_db
    site, root = replica(robots_disallow=["/cggg/zygg/"])
    outcome = run_crawl(url, data_dir, root, "--keywords", "", "--channels", "gzgg")
    assert site.requests_for("/robots.txt")
    assert not site.requests_for("/cggg/zygg/")
    assert site.requests_for("/cggg/dfgg/gzgg/index.htm")
    assert set(db.notice_urls()) == {CANONICAL[n.id] for n in NOTICES if (n.zone, n.channel) == ("dfgg", "gzgg")}
    assert outcome.summary["errors"] == {"robots_disallowed": 1}  # the zygg/gzgg list page
    # (--no-robots turning ROBOTSTXT_OBEY off: test_spider_parts.py)


def test_date_window_and_max_pages_bound_channel_and_search_pages(crawl_db, replica):
    url, data_dir, db = crawl_db
    site, root = replica(search_page_size=3)
    since, until = "2026-09-12", "2026-09-20"
    run_crawl(url, data_dir, root, "--channels", "dfgg/gkzb", "--keywords", "采购", "--max-pages", "2",
              "--since", since, "--until", until)

    def in_window(n):
        return since <= n.published[:10] <= until

    newest_first = sorted(NOTICES, key=lambda n: (n.published_at, n.id), reverse=True)
    search_hits = [n for n in newest_first if in_window(n) and "采购" in n.text_for_search()]
    assert len(search_hits) > 2 * 3  # more than two pages of results in the window
    listed = [n for n in NOTICES if in_window(n) and (n.zone, n.channel) == ("dfgg", "gkzb")]
    assert set(db.notice_urls()) == {CANONICAL[n.id] for n in listed + search_hits[:6]}
    # The first list page already reaches back before --since, so the second is not fetched.
    assert site.requests_for("/cggg/dfgg/gkzb/index.htm")
    assert not site.requests_for("/cggg/dfgg/gkzb/index_1.htm")
    # Search: the window as timeType=6 with YYYY:MM:DD dates, pages 1 and 2 of more.
    queries = [parse_qs(urlsplit(r.path).query) for r in site.requests_for("/bxsearch")]
    assert sorted(q["page_index"][0] for q in queries) == ["1", "2"]
    for q in queries:
        assert q["kw"] == ["采购"] and q["timeType"] == ["6"] and q["searchtype"] == ["2"]
        assert (q["start_time"], q["end_time"]) == (["2026:09:12"], ["2026:09:20"])


@pytest.mark.postgres
def test_crawl_into_postgresql(postgres_url, tmp_path, replica):
    site, root = replica()
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    outcome = run_crawl(postgres_url, data_dir, root, "--keywords", "", "--channels", "gzgg")
    assert outcome.returncode == 0, outcome.stderr[-3000:]
    db = Database(postgres_url)
    try:
        expected = {CANONICAL[n.id] for n in NOTICES if n.channel == "gzgg"}
        assert set(db.notice_urls()) == expected
        assert db.run(outcome.summary["run_id"]).status == "finished"
    finally:
        db.close()
