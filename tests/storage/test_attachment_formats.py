"""Attachments keep what they are: format (from the bytes), pages, whether OCR read them, the members of an
archive, and the reason when unreadable — stored by process_notice, rebuilt by reextract, listed by `show`,
the notice page and its JSON, and counted by `stats`."""

import json
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from fastapi.testclient import TestClient

from crawler.replica import archive_writers as w
from extract.documents import read_document
from extract.pipeline import extract_notice
from models.tables import Attachment
from storage.store import Store
from tenderwatch.cli import main
from storage.processing import RawAttachment, RawNotice, process_notice, reprocess_notice

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
DOCS = FIXTURES / "documents"
sys.path.insert(0, str(FIXTURES))
import make_documents as mk  # noqa: E402

PAGE = """<html><head><meta charset="utf-8"><title>中国政府采购网</title></head><body>
<div class="vF_detail_content"><p>项目编号：SJDX-2024-FW-0612</p><p>采购人名称：蜀江大学</p>
<p>采购需求：租用GPU算力，详见附件。</p></div></body></html>"""
BASE = "http://www.ccgp.gov.cn/oss/download?uuid="


def attachments() -> list[RawAttachment]:
    docx = (DOCS / "notice.docx").read_bytes()
    return [
        RawAttachment(BASE + "1", "采购文件.rar", w.rar5_stored({"附件1-采购需求.docx": docx,
                                                             "报价.xlsx": (DOCS / "quote.xlsx").read_bytes()})),
        RawAttachment(BASE + "2", "全部附件.zip", w.zip_with_gbk_names({"名单.pdf": (DOCS / "notice.pdf").read_bytes()})),
        RawAttachment(BASE + "3", "报价.7z", w.seven_zip({"报价.txt": "报价一览表".encode()}, password="secret")),
        RawAttachment(BASE + "4", "技术参数.pdf", (DOCS / "notice.pdf").read_bytes()),
    ]


def raw() -> RawNotice:
    return RawNotice(source="ccgp", url="http://www.ccgp.gov.cn/cggg/dfgg/gkzb/202405/t20240528_1.htm",
                     data=PAGE.encode(), content_type="text/html", name="t20240528_1.htm",
                     list_meta={"title": "蜀江大学GPU算力租赁服务采购公告", "published_at": "2024-05-28"},
                     attachments=attachments())


@pytest.fixture
def stored(database_url, data_dir, monkeypatch):
    monkeypatch.setenv("TENDERWATCH_DATABASE_URL", database_url)
    with Store.open(database_url) as store:
        notice_id = process_notice(store, raw()).notice_id
    return {"url": database_url, "id": notice_id,
            "env": {"TENDERWATCH_DATABASE_URL": database_url, "TENDERWATCH_DATA_DIR": str(data_dir)}}


def rows(url: str) -> dict[str, sa.Row]:
    with Store.open(url) as store, store.engine.connect() as conn:
        return {r.name: r for r in conn.execute(sa.select(Attachment.__table__))}


def test_format_pages_members_and_reason_are_stored(stored):
    got = rows(stored["url"])
    assert {n: (r.format, r.status) for n, r in got.items()} == {
        "采购文件.rar": ("rar", "ok"), "全部附件.zip": ("zip", "ok"), "报价.7z": ("7z", "encrypted"),
        "技术参数.pdf": ("pdf", "ok")}
    assert got["技术参数.pdf"].pages == 2
    assert [(m["name"], m["format"], m["status"]) for m in got["采购文件.rar"].members] == [
        ("附件1-采购需求.docx", "docx", "ok"), ("报价.xlsx", "xlsx", "ok")]
    assert got["全部附件.zip"].members[0] | {"error": None} == {
        "name": "名单.pdf", "format": "pdf", "pages": 2, "status": "ok", "error": None, "ocr": None}
    assert "password-protected 7z archive" in got["报价.7z"].error


def test_reextract_rebuilds_the_attachment_details(stored):
    with Store.open(stored["url"]) as store, store.engine.begin() as conn:
        conn.execute(sa.update(Attachment.__table__).values(format=None, pages=None, members=None))
    with Store.open(stored["url"]) as store:
        reprocess_notice(store, stored["id"])
    got = rows(stored["url"])
    assert got["采购文件.rar"].format == "rar" and len(got["采购文件.rar"].members) == 2
    assert got["技术参数.pdf"].pages == 2


def test_show_and_stats_list_formats_members_and_reasons(stored):
    runner = CliRunner()
    show = runner.invoke(main, ["show", str(stored["id"])], env=stored["env"])
    assert show.exit_code == 0
    assert "采购文件.rar — rar, ok," in show.output
    assert "· 附件1-采购需求.docx — docx, ok" in show.output
    assert "技术参数.pdf — pdf, 2 pages, ok," in show.output
    assert "报价.7z — 7z, encrypted (encrypted: password-protected 7z archive" in show.output
    stats = json.loads(runner.invoke(main, ["stats", "--json"], env=stored["env"]).output)
    assert stats["attachments_by_format"] == {"7z": 1, "pdf": 1, "rar": 1, "zip": 1}
    assert stats["attachments_by_status"] == {"ok": 3, "encrypted": 1}
    plain = runner.invoke(main, ["stats"], env=stored["env"]).output
    assert "by format: 7z 1, pdf 1, rar 1, zip 1" in plain


def test_an_attachment_read_by_ocr_says_so_everywhere(database_url, data_dir, monkeypatch):
    # What the OCR reader hands over (DocumentText.ocr): stored as is and shown with a warning.
    monkeypatch.setenv("TENDERWATCH_DATABASE_URL", database_url)
    scan = read_document((DOCS / "notice.pdf").read_bytes(), "扫描件.pdf")
    scan.ocr = {"engine": "rapidocr", "pages": [1, 2], "confidence": 0.93, "capped": None, "seconds": 4.2}
    notice = raw()
    notice.attachments = [RawAttachment(BASE + "9", "扫描件.pdf", (DOCS / "notice.pdf").read_bytes())]
    body = read_document(notice.data, notice.name)
    with Store.open(database_url) as store:
        notice_id = store.save_notice(notice, body, [(notice.attachments[0], scan)],
                                      extract_notice(body, [scan])).notice_id
    assert rows(database_url)["扫描件.pdf"].ocr["engine"] == "rapidocr"
    show = CliRunner().invoke(main, ["show", str(notice_id)], env={"TENDERWATCH_DATABASE_URL": database_url})
    assert "扫描件.pdf — pdf, 2 pages, read by OCR (rapidocr, mean confidence 0.93) — check the scan, ok" in show.output

    from web.app import create_app

    client = TestClient(create_app(database_url, blob_root=data_dir / "raw"))
    page = client.get(f"/notices/{notice_id}").text
    assert "read by OCR — check the scan (rapidocr, mean confidence 0.93)" in page
    api = client.get(f"/api/notices/{notice_id}").json()
    assert api["attachments"][0]["ocr"]["pages"] == [1, 2] and api["attachments"][0]["format"] == "pdf"


def test_the_notice_page_lists_archive_members_and_reasons(stored, data_dir):
    from web.app import create_app

    client = TestClient(create_app(stored["url"], blob_root=data_dir / "raw"))
    page = client.get(f"/notices/{stored['id']}").text
    assert '<span class="format">rar</span>' in page
    assert "<li>附件1-采购需求.docx — docx</li>" in page
    assert "encrypted: password-protected 7z archive" in page
    api = client.get(f"/api/notices/{stored['id']}").json()
    by_name = {a["name"]: a for a in api["attachments"]}
    assert by_name["报价.7z"]["reason"].startswith("encrypted:") and by_name["采购文件.rar"]["reason"] is None
    assert [m["name"] for m in by_name["采购文件.rar"]["members"]] == ["附件1-采购需求.docx", "报价.xlsx"]
