"""`tenderwatch ingest` of a mixed folder (encodings, scripts, formats, one broken file) and of a list of
URLs served on 127.0.0.1: each document stored once under its content hash, errors recorded per input,
and ingesting the same files again — even moved and renamed — adds nothing."""

from __future__ import annotations

import hashlib
import shutil
import threading

import pytest

from crawler.replica.make_files import make_docx, make_pdf
from crawler.replica.multi import serving
from crawler.replica.site import LoggedRequest
from run_helpers import Database, crawl_db, ingest  # noqa: F401 (the fixture)

UTF8 = "宁安市数据局关于采购政务云服务的公告\n项目编号：NA-2026-YF-001\n采购人：宁安市数据局\n采购内容：租用政务云主机200核、对象存储50TB，服务期一年。\n预算金额：96万元\n"
GB = "东川县人民医院物业管理服务采购公告\n项目编号：DC-2026-WY-018\n采购人：东川县人民医院\n服务内容：保洁、安保及绿化服务，服务期一年。\n"
BIG5 = "臺北市資訊局雲端運算服務採購案公告\n案號：TPE-2026-CLD-07\n採購機關：臺北市資訊局\n採購內容：租用公有雲虛擬主機及GPU運算資源，服務期十二個月。\n預算金額：新臺幣850萬元\n"
ENGLISH = ("Invitation to Tender: Cloud Computing Services for the Harbin Institute of Oceanography\n"
           "Project number: HIO-2026-CS-11\nThe buyer seeks 12 months of public cloud compute (GPU instances on AWS or Azure).\n")
HTML_GBK = ("<html><head><meta charset='gbk'><title>西湖区教育局大模型API服务采购公告</title></head><body>"
            "<h1>西湖区教育局大模型API服务采购公告</h1><p>项目编号：XH-2026-AI-03</p>"
            "<p>采购内容：大模型API调用服务，按tokens计费。</p></body></html>")


def make_folder(root):
    (root / "nested").mkdir(parents=True)
    files = {
        "utf8.txt": UTF8.encode("utf-8"),
        "gb18030.txt": GB.encode("gb18030"),
        "traditional_big5.txt": BIG5.encode("big5"),
        "english.txt": ENGLISH.encode("ascii"),
        "nested/notice.html": HTML_GBK.encode("gbk"),
        "nested/requirements.pdf": make_pdf("江源大学高性能计算机时服务采购需求", ["项目编号：JY-2026-HPC-05", "购买超算中心CPU机时500万核时。"]),
        "nested/specs.docx": make_docx("北湖区财政局办公设备采购需求", ["项目编号：BH-2026-BG-09", "台式计算机50台。"]),
        "broken.docx": b"PK\x03\x04 this is not really a zip archive",
        ".hidden/ignored.txt": b"not read: hidden folders are skipped",
    }
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return files


GOOD = ["utf8.txt", "gb18030.txt", "traditional_big5.txt", "english.txt", "nested/notice.html",
        "nested/requirements.pdf", "nested/specs.docx"]


def test_a_mixed_folder_is_stored_once_per_document_and_reingest_adds_nothing(crawl_db, tmp_path):
    url, data_dir, db = crawl_db
    folder = tmp_path / "docs"
    files = make_folder(folder)

    first = ingest(url, data_dir, str(folder))
    assert first.returncode == 0, first.stderr[-3000:]
    assert first.summary["inputs"] == 8
    assert first.summary["notices"] == {"new": 7, "changed": 0, "unchanged": 0, "failed": 0}
    assert first.summary["errors"] == {"corrupt": 1}
    expected = sorted("local:" + hashlib.sha256(files[name]).hexdigest() for name in GOOD)
    assert db.notice_urls("local") == expected
    (error,) = db.errors(first.summary["run_id"])
    assert error.url.endswith("broken.docx") and error.reason == "corrupt"

    texts = {r.url: r.text for r in db.rows("SELECT url, text FROM notice")}
    by_name = {name: texts["local:" + hashlib.sha256(files[name]).hexdigest()] for name in GOOD}
    assert "东川县人民医院" in by_name["gb18030.txt"]
    assert "臺北市資訊局雲端運算服務採購案" in by_name["traditional_big5.txt"]
    assert "西湖区教育局大模型API服务" in by_name["nested/notice.html"]
    assert "超算中心CPU机时" in by_name["nested/requirements.pdf"]
    assert "台式计算机50台" in by_name["nested/specs.docx"]

    again = ingest(url, data_dir, str(folder))
    assert again.summary["notices"] == {"new": 0, "changed": 0, "unchanged": 0, "failed": 0}
    assert again.summary["skipped_known"] == 7

    moved = tmp_path / "elsewhere" / "renamed"
    shutil.copytree(folder, moved)
    for p in list(moved.rglob("*.txt")):
        p.rename(p.with_name("copy_of_" + p.name))
    third = ingest(url, data_dir, str(moved))
    assert third.summary["notices"]["new"] == 0 and third.summary["skipped_known"] == 7
    assert db.count("notice") == 7


def test_a_single_file_and_a_named_source(crawl_db, tmp_path):
    url, data_dir, db = crawl_db
    path = tmp_path / "one.txt"
    path.write_bytes(UTF8.encode("utf-8"))
    out = ingest(url, data_dir, str(path), "--source", "foia-2026")
    assert out.summary["notices"]["new"] == 1
    (row,) = db.rows("SELECT source, title, project_code FROM notice")
    assert row.source == "foia-2026"
    assert row.title == "宁安市数据局关于采购政务云服务的公告"


class _Pages:
    """A tiny site for URL lists: two notices, a missing page, a page robots.txt disallows."""

    accepts_post = False

    def __init__(self):
        self.log: list[LoggedRequest] = []
        self.lock = threading.Lock()
        self.pages = {
            "/notice/1.html": ("<html><head><meta charset='utf-8'><title>青山区政务云服务采购公告</title></head><body>"
                               "<h1>青山区政务云服务采购公告</h1><p>项目编号：QS-2026-01</p><p>租用政务云资源。</p></body></html>").encode(),
            "/notice/2.txt": "碧水县人民医院食堂食材配送服务采购公告\n项目编号：BS-2026-02\n".encode("gb18030"),
            "/private/3.html": b"<html><body>secret</body></html>",
        }

    def handle(self, target, headers):
        with self.lock:
            agent = next((v for k, v in headers.items() if k.lower() == "user-agent"), "")
            self.log.append(LoggedRequest(target, 200, 0, agent=agent))
        if target == "/robots.txt":
            return 200, {"Content-Type": "text/plain"}, b"User-agent: *\nDisallow: /private/\n"
        if target in self.pages:
            kind = "text/html; charset=utf-8" if target.endswith(".html") else "text/plain"
            return 200, {"Content-Type": kind}, self.pages[target]
        return 404, {"Content-Type": "text/html"}, b"<html><body>404</body></html>"


def test_a_url_list_is_fetched_politely_and_errors_are_recorded_per_url(crawl_db, tmp_path):
    url, data_dir, db = crawl_db
    site = _Pages()
    with serving(site) as server:
        listing = tmp_path / "urls.txt"
        listing.write_text(f"# gathered by hand\n{server.url}/notice/1.html\n\n{server.url}/notice/2.txt#frag\n"
                           f"{server.url}/missing.html\n{server.url}/private/3.html\n{server.url}/notice/1.html\n")
        out = ingest(url, data_dir, str(listing), "--delay", "0", "--source", "handpicked")
        again = ingest(url, data_dir, str(listing), "--delay", "0", "--source", "handpicked")
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.summary["inputs"] == 4  # the repeated URL is listed once
    assert out.summary["notices"]["new"] == 2
    assert out.summary["errors"] == {"http_404": 1, "robots_disallowed": 1}
    assert db.notice_urls("handpicked") == [f"{server.url}/notice/1.html", f"{server.url}/notice/2.txt"]
    assert "/private/3.html" not in [r.path for r in site.log]
    assert again.summary["notices"]["new"] == 0 and again.summary["skipped_known"] == 2
    texts = [r.text for r in db.rows("SELECT text FROM notice ORDER BY url")]
    assert "碧水县人民医院" in texts[1]


def test_a_url_list_is_fetched_with_the_crawlers_manners_and_stored_urls_are_not_fetched_again(crawl_db, tmp_path):
    from crawler import settings

    url, data_dir, db = crawl_db
    site = _Pages()
    with serving(site) as server:
        listing = tmp_path / "urls.txt"
        listing.write_text(f"{server.url}/notice/1.html\n{server.url}/notice/2.txt\n")
        ingest(url, data_dir, str(listing), "--delay", "0")
        first = len(site.log)
        again = ingest(url, data_dir, str(listing), "--delay", "0")
    assert {r.agent for r in site.log} == {settings.USER_AGENT}  # the crawler's browser identity, robots.txt too
    assert [r.path for r in site.log[:first]] == ["/robots.txt", "/notice/1.html", "/notice/2.txt"]
    assert site.log[first:] == [] and again.summary["skipped_known"] == 2


def test_a_path_that_does_not_exist_is_a_usage_error(crawl_db, tmp_path):
    url, data_dir, db = crawl_db
    from run_helpers import cli

    proc = cli(data_dir, "ingest", str(tmp_path / "nope"), "--database-url", url)
    assert proc.returncode == 2 and "does not exist" in proc.stderr
