"""Legacy Word (.doc), Kingsoft (.wps/.et) and archives (RAR 4/5, 7z, GBK-named ZIP): read like their modern
counterparts, and every bad one — corrupt, password-protected, a bomb, a hung or crashing converter — is a
recorded reason within bounded time and memory, never an exception or a stalled crawl.

The .doc files are made by LibreOffice from the .docx fixture at test time (so they are genuine Word 97
binaries); the RAR files are written in RAR's store method by crawler/replica/archive_writers.py (no free
RAR encoder exists), 7z by py7zr."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import pytest

from crawler.replica import archive_writers as w
from extract.documents import Limits, format_of, read_document
from extract.documents.legacy import SOFFICE_ENV, soffice_path
from extract.pipeline import extract_notice

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
DOCS = FIXTURES / "documents"
sys.path.insert(0, str(FIXTURES))
import make_documents as mk  # noqa: E402

IN_CI = os.environ.get("CI", "").lower() == "true"


def reasons(doc) -> list[str]:
    return [e.split(":", 1)[0] for e in doc.errors]


@pytest.fixture(scope="module")
def soffice() -> str:
    path = soffice_path()
    if path is None:
        if IN_CI:
            pytest.fail("LibreOffice (soffice) is missing but CI=true: .ci/run installs libreoffice-writer-nogui")
        pytest.skip("LibreOffice is not installed (apt-get install libreoffice-writer-nogui)")
    return path


@pytest.fixture(scope="module")
def doc_bytes(soffice, tmp_path_factory) -> bytes:
    """notice.docx saved by LibreOffice as Word 97-2003."""
    tmp = tmp_path_factory.mktemp("doc")
    (tmp / "notice.docx").write_bytes((DOCS / "notice.docx").read_bytes())
    subprocess.run([soffice, f"-env:UserInstallation={(tmp / 'profile').as_uri()}", "--headless", "--convert-to",
                    "doc", "--outdir", str(tmp), str(tmp / "notice.docx")], check=True, capture_output=True,
                   timeout=120)
    return (tmp / "notice.doc").read_bytes()


@pytest.fixture(scope="module")
def docx_doc():
    return read_document((DOCS / "notice.docx").read_bytes(), "notice.docx")


# ---------------------------------------------------------------------------- .doc / .wps / .et


def test_doc_gives_the_same_paragraphs_and_tables_as_the_docx(doc_bytes, docx_doc):
    doc = read_document(doc_bytes, "采购需求.doc")
    assert doc.kind == "doc" and format_of(doc) == "doc" and doc.errors == []
    assert doc.text == docx_doc.text
    assert doc.tables == docx_doc.tables and doc.tables[0][1] == mk.TABLE[1]
    assert doc.title == mk.TITLE  # the heading, not LibreOffice's placeholder document properties


def test_doc_extraction_equals_the_docx_extraction(doc_bytes, docx_doc):
    legacy = extract_notice(read_document(doc_bytes, "a.doc")).to_json()
    modern = extract_notice(docx_doc).to_json()
    for key in ("title", "buyer", "vendors", "amounts", "remote_compute", "cloud_providers", "gpu_models"):
        assert legacy[key] == modern[key], key


def test_wps_in_the_word_binary_format_is_read_and_named_wps(doc_bytes, docx_doc):
    # Kingsoft Writer's .wps is an OLE file with a WordDocument stream; no free tool writes Kingsoft's own
    # variant, so the .doc under a .wps name stands for it.
    doc = read_document(doc_bytes, "招标文件.wps")
    assert format_of(doc) == "wps" and doc.errors == [] and doc.text == docx_doc.text


def test_et_spreadsheet_is_read_as_the_excel_97_workbook_it_is():
    xls = read_document((DOCS / "quote.xls").read_bytes(), "quote.xls")
    et = read_document((DOCS / "quote.xls").read_bytes(), "报价表.et")
    assert format_of(et) == "et" and et.errors == [] and et.text == xls.text


def test_wps_that_is_really_a_zip_is_read_as_what_it_is():
    as_docx = read_document((DOCS / "notice.docx").read_bytes(), "招标文件.wps")
    assert as_docx.kind == "docx" and as_docx.errors == []
    assert "bytes are docx" in as_docx.meta["kind_mismatch"]
    bundle = read_document(w.zip_with_gbk_names({"说明.txt": "采购说明".encode("gb18030")}), "附件.wps")
    assert bundle.kind == "zip" and "bytes are zip" in bundle.meta["kind_mismatch"]


def test_corrupt_doc_is_a_recorded_reason(doc_bytes):
    fib = doc_bytes.find(b"\xec\xa5")  # the Word FIB's magic number
    header_gone = bytearray(doc_bytes)
    header_gone[fib:fib + 600] = bytes(600)
    scrambled = bytearray(doc_bytes)
    for i in range(fib + 1024, len(scrambled) - 2048):
        scrambled[i] = (scrambled[i] * 7 + 13) & 0xFF
    truncated = doc_bytes[: len(doc_bytes) // 3]
    for data in (bytes(header_gone), bytes(scrambled), truncated):
        doc = read_document(data, "坏文件.doc")
        assert doc.text == "" and len(doc.errors) == 1
        assert reasons(doc)[0] in ("corrupt", "converter_failed")


def test_password_protected_doc_is_encrypted(doc_bytes):
    fib = doc_bytes.find(b"\xec\xa5")
    locked = bytearray(doc_bytes)
    locked[fib + 11] |= 0x01  # fEncrypted (0x0100 of the FIB flags at 0x0A), as Word sets it with a password
    doc = read_document(bytes(locked), "报价.doc")
    assert doc.errors == ["encrypted: password-protected legacy Word 97-2003 document (.doc)"]


def _fake_converter(tmp_path: Path, body: str) -> str:
    exe = tmp_path / "fake-soffice"
    exe.write_text("#!/bin/sh\n" + body + "\n")
    exe.chmod(0o755)
    return str(exe)


def test_hung_converter_is_converter_timeout_and_is_killed(doc_bytes, tmp_path, monkeypatch):
    pid_file = tmp_path / "pid"
    monkeypatch.setenv(SOFFICE_ENV, _fake_converter(tmp_path, f"echo $$ > {pid_file}\nsleep 300"))
    start = time.monotonic()
    doc = read_document(doc_bytes, "a.doc", limits=Limits(converter_timeout=2))
    assert time.monotonic() - start < 60  # bounded by the timeout, not by the 300 s the converter wanted
    assert reasons(doc) == ["converter_timeout"] and "2 s" in doc.errors[0]
    with pytest.raises(ProcessLookupError):
        os.kill(int(pid_file.read_text()), 0)


def test_crashing_converter_is_converter_failed(doc_bytes, tmp_path, monkeypatch):
    monkeypatch.setenv(SOFFICE_ENV, _fake_converter(tmp_path, "kill -SEGV $$"))
    doc = read_document(doc_bytes, "a.doc")
    assert reasons(doc) == ["converter_failed"] and "exit status -11" in doc.errors[0]


def test_converter_memory_is_capped(doc_bytes, tmp_path, monkeypatch):
    hog = f'exec {sys.executable} -c "x = bytearray(3 * 1024**3); print(len(x))"'
    monkeypatch.setenv(SOFFICE_ENV, _fake_converter(tmp_path, hog))
    doc = read_document(doc_bytes, "a.doc", limits=Limits(converter_max_memory=512 * 1024**2))
    assert reasons(doc) == ["converter_failed"] and "MemoryError" in doc.errors[0]


def test_without_libreoffice_a_doc_is_unsupported_naming_what_to_install(doc_bytes, tmp_path, monkeypatch):
    monkeypatch.delenv(SOFFICE_ENV, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    doc = read_document(doc_bytes, "a.doc")
    assert reasons(doc) == ["unsupported"] and "libreoffice-writer-nogui" in doc.errors[0]


def test_conversions_run_side_by_side(doc_bytes, docx_doc):
    # Each conversion has its own LibreOffice profile: two at once must not trip over each other.
    out: list = [None, None]

    def work(i: int) -> None:
        out[i] = read_document(doc_bytes, f"{i}.doc")

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert [d.errors for d in out] == [[], []] and {d.text for d in out} == {docx_doc.text}


# ---------------------------------------------------------------------------- RAR, 7z, ZIP


MEMBERS = {
    "附件1-采购需求.txt": mk.TEXT_WITH_HEADER.encode("utf-8"),
    "报价/分项报价表.xlsx": (DOCS / "quote.xlsx").read_bytes(),
}
WRITERS = {"rar4": w.rar4_stored, "rar5": w.rar5_stored, "7z": w.seven_zip, "gbk_zip": w.zip_with_gbk_names}


@pytest.mark.parametrize("writer", WRITERS)
def test_rar_and_7z_members_are_read_like_zip_members(writer):
    doc = read_document(WRITERS[writer](MEMBERS), "附件.bin")
    assert format_of(doc) == {"rar4": "rar", "rar5": "rar", "7z": "7z", "gbk_zip": "zip"}[writer]
    assert doc.errors == []
    assert doc.meta["members"] == list(MEMBERS)
    assert [(p.name, p.kind) for p in doc.parts] == [("附件1-采购需求.txt", "text"), ("报价/分项报价表.xlsx", "xlsx")]
    assert "【报价/分项报价表.xlsx】\n分项报价表：" in doc.text
    assert "1\tGPU云服务器（8×A100）\t12\t98000\t1176000" in doc.text


@pytest.mark.parametrize("writer", WRITERS)
def test_the_title_of_a_bundled_notice_is_its_documents_title_not_the_member_name(writer):
    bundle = WRITERS[writer]({"附件1-蜀江大学GPU算力租赁采购文件.docx": (DOCS / "notice.docx").read_bytes()})
    doc = read_document(bundle, "bundle")
    assert doc.title == mk.TITLE
    assert extract_notice(doc).fields.title == mk.TITLE


def test_archives_nest_across_formats_up_to_the_depth_limit():
    inner = w.rar5_stored({"需求.docx": (DOCS / "notice.docx").read_bytes()})
    outer = w.seven_zip({"打包/第二层.rar": inner})
    doc = read_document(w.zip_with_gbk_names({"全部附件.7z": outer}), "all.zip")
    assert doc.errors == []
    assert "【全部附件.7z】\n【打包/第二层.rar】\n【需求.docx】\n" + mk.TITLE in doc.text
    deep = doc_bytes = w.rar4_stored({"x.txt": "最里层".encode()})
    for level in range(4):
        deep = (w.seven_zip if level % 2 else w.rar4_stored)({f"level{level}.bin": deep})
    doc_bytes = read_document(deep, "deep.rar")
    assert "too_large" in reasons(doc_bytes) and "nested deeper" in " ".join(doc_bytes.errors)


def test_7z_bomb_is_not_inflated():
    bomb = w.seven_zip({"说明.txt": "说明".encode(), "zeros.bin": bytes(50_000_000)})
    doc = read_document(bomb, "a.7z")
    assert reasons(doc) == ["too_large"] and "zeros.bin" in doc.errors[0] and "ratio" in doc.errors[0]
    assert doc.text == "【说明.txt】\n说明"


def test_rar_member_and_total_sizes_are_counted_while_reading():
    doc = read_document(w.rar5_stored({"a.txt": "采购需求".encode() * 10_000, "b.txt": "附件".encode()}), "a.rar",
                        limits=Limits(zip_max_member_bytes=10_000))
    assert reasons(doc) == ["too_large"] and "a.txt" in doc.errors[0] and doc.text == "【b.txt】\n附件"
    doc = read_document(w.rar4_stored({f"{i}.txt": b"x" * 6000 for i in range(5)}), "a.rar",
                        limits=Limits(zip_max_total_bytes=15_000))
    assert len(doc.parts) == 2 and reasons(doc) == ["too_large"] * 3


def test_archive_member_count_limit():
    doc = read_document(w.seven_zip({f"{i}.txt": f"第{i}号附件".encode() for i in range(10)}), "a.7z",
                        limits=Limits(zip_max_members=3))
    assert reasons(doc) == ["too_large"] and len(doc.parts) == 3


def test_member_paths_cannot_climb_out(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    members = {"../../etc/cron.d/x.txt": "一".encode(), "/abs/y.txt": "二".encode(), "C:\\Windows\\z.txt": "三".encode()}
    for writer in (w.rar4_stored, w.rar5_stored, w.zip_with_gbk_names):  # py7zr refuses to write such names
        doc = read_document(writer(members), "a")
        assert doc.meta["members"] == ["etc/cron.d/x.txt", "abs/y.txt", "Windows/z.txt"], writer.__name__
    assert list(tmp_path.iterdir()) == []  # nothing is ever written out


@pytest.mark.parametrize("data, detail", [
    (w.zip_encrypted({"报价.txt": "报价一览表".encode()}), "报价.txt: password-protected ZIP member"),
    (w.rar4_stored({"报价.txt": "报价一览表".encode()}, encrypted=True), "报价.txt: password-protected RAR member"),
    (w.seven_zip({"报价.txt": "报价一览表".encode()}, password="secret"),
     "password-protected 7z archive (its file list is encrypted too)"),
])
def test_password_protected_archives_are_encrypted(data, detail):
    doc = read_document(data, "a")
    assert doc.errors == [f"encrypted: {detail}"] and doc.text == ""


def test_7z_with_encrypted_contents_but_open_names():
    import py7zr

    buf = io.BytesIO()
    with py7zr.SevenZipFile(buf, "w", password="secret") as z:
        z.writestr("报价一览表".encode(), "报价.txt")
    doc = read_document(buf.getvalue(), "a.7z")
    assert doc.errors == ["encrypted: 报价.txt: password-protected 7z member"]


@pytest.mark.parametrize("writer", ["rar4", "rar5", "7z"])
def test_truncated_or_damaged_archives_are_corrupt(writer):
    data = WRITERS[writer](MEMBERS)
    for bad in (data[: len(data) // 2], data[:20], data[:12] + bytes(200) + data[212:]):
        doc = read_document(bad, "a")
        assert doc.errors and set(reasons(doc)) == {"corrupt"}


def test_gbk_member_names_without_the_utf8_flag():
    doc = read_document(w.zip_with_gbk_names({"名单.docx": (DOCS / "notice.docx").read_bytes()}), "a.zip")
    assert doc.meta["members"] == ["名单.docx"]
    assert zipfile.ZipFile(io.BytesIO(w.zip_with_gbk_names({"名单.docx": b""}))).namelist() != ["名单.docx"]
