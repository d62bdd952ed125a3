"""read_document: every kind of file, and every bad file, gives a correct result or a clear `errors` entry —
never an exception. Fixtures: tests/fixtures/documents/, written by tests/fixtures/make_documents.py."""

from __future__ import annotations

import io
import random
import sys
import zipfile
from pathlib import Path

import pytest

from extract.documents import Limits, read_document
from extract.documents.encoding import decode, plausibility
from extract.types import DocumentText

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
DOCS = FIXTURES / "documents"
sys.path.insert(0, str(FIXTURES))
import make_documents as mk  # noqa: E402

TITLE = mk.TITLE
PROJECT = "蜀江大学高性能计算集群GPU算力租赁服务采购项目"


def read(name: str, **kw) -> DocumentText:
    return read_document((DOCS / name).read_bytes(), name, **kw)


def reasons(doc: DocumentText) -> list[str]:
    return [e.split(":", 1)[0] for e in doc.errors]


# ---------------------------------------------------------------------------- fixtures


def test_committed_fixtures_are_what_the_script_writes():
    built = mk.build()
    on_disk = {p.name: p.read_bytes() for p in DOCS.iterdir()}
    assert set(built) == set(on_disk)
    stale = [name for name, data in built.items() if on_disk[name] != data]
    assert not stale, f"run tests/fixtures/make_documents.py: {stale}"


# ---------------------------------------------------------------------------- sniffing


def test_kind_comes_from_the_bytes_not_the_name():
    pdf = (DOCS / "notice.pdf").read_bytes()
    html = (DOCS / "ccgp_utf8.html").read_bytes()
    docx = (DOCS / "notice.docx").read_bytes()
    assert read_document(pdf, "notice.html").kind == "pdf"
    as_pdf = read_document(html, "notice.pdf")
    assert as_pdf.kind == "html" and as_pdf.title == TITLE
    assert as_pdf.meta["kind_mismatch"] == "named or served as pdf, but the bytes are html"
    assert read_document(docx, "attachment.zip").kind == "docx"
    assert read_document((DOCS / "quote.xlsx").read_bytes(), "download", "application/octet-stream").kind == "xlsx"


def test_empty_file():
    doc = read("empty.pdf")
    assert doc.kind == "empty" and doc.text == ""
    assert doc.errors == ["empty: the file has no bytes"]


def test_binary_garbage_is_unsupported_not_text():
    doc = read("garbage.bin")
    assert doc.kind == "unknown" and doc.text == ""
    assert reasons(doc) == ["unsupported"]


def test_garbage_named_as_a_pdf_is_a_corrupt_pdf():
    doc = read_document((DOCS / "garbage.bin").read_bytes(), "招标文件.pdf")
    assert doc.kind == "pdf" and reasons(doc) == ["corrupt"]


def test_whitespace_only_text_is_reported_empty():
    doc = read_document(b"  \r\n\t\n", "blank.txt")
    assert doc.kind == "text" and reasons(doc) == ["empty"]


@pytest.mark.parametrize("data, reason", [
    (b"\x89PNG\r\n\x1a\n" + bytes(64), "corrupt"),  # an image header with no picture (OCR: tests/extract/test_ocr.py)
    (b"\xff\xd8\xff\xe0" + bytes(64), "corrupt"),
    (b"Rar!\x1a\x07\x00" + bytes(64), "corrupt"),  # a RAR / 7z signature and nothing after it
    (b"7z\xbc\xaf\x27\x1c" + bytes(64), "corrupt"),
    (b"\x1f\x8b\x08" + bytes(64), "unsupported"),
])
def test_images_and_other_archives_get_a_reason(data, reason):
    doc = read_document(data, "附件")
    assert reasons(doc) == [reason]
    assert doc.needs_ocr == (reason == "needs_ocr")


# ---------------------------------------------------------------------------- encodings


def test_gb18030_page_without_a_charset():
    doc = read("ccgp_gb18030_nocharset.html")
    assert doc.encoding == "gb18030" and not doc.errors
    assert doc.title == TITLE
    assert "采购单位：蜀江大学" in doc.text


def test_page_declaring_gb2312_with_characters_outside_gb2312_decodes_as_gb18030():
    doc = read("ccgp_gb2312_declared.html")
    assert doc.meta["declared_charset"] == "gb2312"
    assert doc.encoding == "gb18030"
    assert "朱镕喆研究院" in doc.text  # 镕 and 喆 are GBK, not GB2312
    assert "成都市𠮷祥路8号" in doc.text  # 𠮷 is a four-byte GB18030 sequence
    assert doc.meta["summary"]["采购单位"] == "朱镕喆研究院"


def test_declared_utf8_that_is_not_utf8_is_detected():
    html = mk.ccgp_page("charset=utf-8").encode("gb18030")
    doc = read_document(html, "x.htm")
    assert doc.encoding == "gb18030" and doc.title == TITLE


def test_utf8_page_still_declaring_gb2312_is_utf8():
    doc = read_document(mk.ccgp_page("charset=gb2312").encode("utf-8"), "x.htm")
    assert doc.encoding == "utf-8" and doc.title == TITLE


def test_big5_label_on_gb18030_bytes_loses_to_the_bytes():
    text = "采购人：某市大数据管理局，项目预算金额为人民币伍拾万元整，服务内容为政务云主机租用。"
    got = decode(text.encode("gb18030"), "big5")
    assert got.encoding == "gb18030" and got.text == text


def test_content_type_charset_is_a_hint_too():
    html = mk.GENERIC_PAGE.encode("gb18030")
    doc = read_document(html.replace(b'charset="utf-8"', b""), "x.htm", "text/html; charset=GBK")
    assert doc.encoding == "gb18030" and "某市大数据管理局" in doc.text


@pytest.mark.parametrize("name, encoding", [
    ("notice_header.txt", "utf-8"),
    ("notice_bom.txt", "utf-8"),
    ("notice_utf16.txt", "utf-16-le"),
    ("notice_gb18030.txt", "gb18030"),
])
def test_text_encodings(name, encoding):
    doc = read(name)
    assert doc.encoding == encoding and not doc.errors
    assert doc.title == "楚澜传媒学院云渲染服务采购项目成交公告"
    assert doc.text.startswith("楚澜传媒学院云渲染服务采购项目成交公告\n")


def test_big5_traditional_chinese_text():
    doc = read("notice_big5.txt")
    assert doc.encoding == "big5hkscs"
    assert doc.title == "臺灣某大學雲端運算服務採購案決標公告"
    assert "三、決標金額：新臺幣壹佰萬元整" in doc.text


@pytest.mark.parametrize("text, codec", [
    ("中华人民共和国政府采购法规定，采购人应当公开采购项目预算金额。", "gb18030"),
    ("GPU服务器租赁：8卡A100，按月计费，服务期十二个月。", "gb18030"),
    ("臺北市政府資訊局雲端服務採購案，決標金額新臺幣參佰萬元。", "big5hkscs"),
    ("臺北市政府資訊局雲端服務採購案，決標金額新臺幣參佰萬元。", "gb18030"),  # traditional text in GB18030
    ("國立大學GPU伺服器租用服務，每月新臺幣伍萬元。", "big5hkscs"),
])
def test_gb18030_and_big5_are_told_apart(text, codec):
    got = decode(text.encode(codec))
    assert got.text == text, (codec, got.encoding)


def test_plausibility_prefers_real_chinese():
    assert plausibility("采购人：某市大数据管理局") > 0.9
    assert plausibility("よ痸ぱ荡嘿") < 0.3


def test_western_declared_page_stays_western():
    html = '<html><head><meta charset="windows-1252"></head><body><p>Café – résumé</p></body></html>'
    doc = read_document(html.encode("cp1252"), "x.html")
    assert "Café – résumé" in doc.text


# ---------------------------------------------------------------------------- HTML


@pytest.fixture(scope="module")
def ccgp() -> DocumentText:
    return read("ccgp_utf8.html")


def test_ccgp_page_meta(ccgp):
    assert ccgp.kind == "html" and ccgp.encoding == "utf-8" and not ccgp.errors
    assert ccgp.title == TITLE
    assert ccgp.meta["ArticleTitle"] == TITLE
    assert ccgp.meta["PubDate"] == "2024-05-28 11:08"
    assert ccgp.meta["pub_time"] == "2024年05月28日 11:08"
    assert ccgp.meta["notice_type_label"] == "中标公告"
    assert ccgp.meta["template"] == "ccgp"
    assert ccgp.meta["attachments"] == [{"name": "附件1成交通知书.pdf", "href": "javascript:void(0)", "id": "1559985149"}]


def test_ccgp_summary_table_is_a_dict_and_stays_in_the_text(ccgp):
    assert ccgp.meta["summary"] == {
        "采购项目名称": PROJECT, "采购单位": "蜀江大学", "行政区域": "成都市", "公告时间": "2024年05月28日 11:08",
        "总中标金额": "￥128.500000 万元（人民币）", "项目联系人": "", "附件": "附件1成交通知书.pdf",
    }
    lines = ccgp.text.split("\n")
    assert lines[:4] == [TITLE, "2024年05月28日 11:08 来源：中国政府采购网", "公告概要：", f"采购项目名称：{PROJECT}"]
    assert "总中标金额：￥128.500000 万元（人民币）" in lines
    assert not any(ln.startswith("项目联系人") for ln in lines)  # empty values stay out of the text


def test_ccgp_body_layout(ccgp):
    lines = ccgp.text.split("\n")
    assert "一、项目编号：SJDX-2024-FW-0612" in lines  # &nbsp; indentation gone
    assert "供应商名称：四川雪岭数智科技有限公司" in lines  # label and value from two <p> on one line
    assert "序号\t供应商名称\t中标金额" in lines  # a table row is one line, cells tab-separated
    assert "1\t四川雪岭数智科技有限公司\t128.5万元" in lines  # <br> inside a CJK cell joins without a gap
    assert ccgp.tables == [[["序号", "供应商名称", "中标金额"], ["1", "四川雪岭数智科技有限公司", "128.5万元"]]]
    assert "四、评审专家名单：张 伟、李 娜&王强" in lines  # full-width spaces and entities


def test_ccgp_body_runs_to_the_end_marker_and_chrome_is_dropped(ccgp):
    # After the content div closed but before <!--vF_deail_maincontent-->: still the notice.
    assert ccgp.text.endswith("采购人：蜀江大学 地址：四川省成都市武侯区锦江大道三段66号")
    for chrome in ("脚本里的文字不应出现", "政采法规", "主办单位", "财政部唯一指定", "打印", "当前位置", "color: red"):
        assert chrome not in ccgp.text


def test_offsets_into_the_text_find_the_values(ccgp):
    start = ccgp.text.index("SJDX-2024-FW-0612")
    assert ccgp.text[start:start + 17] == "SJDX-2024-FW-0612"


def test_generic_page_keeps_the_main_content():
    doc = read("generic.html")
    assert doc.meta["template"] == "generic"
    assert doc.title == "关于云资源服务采购项目的成交公告"
    assert doc.text.split("\n") == [
        "关于云资源服务采购项目的成交公告",
        "项目编号：SZ-YZY-2024-018",
        "采购人：某市大数据管理局",
        "成交供应商：某某云计算有限公司，成交金额：人民币壹佰贰拾万元整（¥1,200,000.00）。",
        "服务内容：政务云主机、对象存储及弹性计算资源租用，服务期一年。",
    ]


def test_layout_tables_are_read_as_blocks_not_rows():
    html = ("<html><body><table><tr><td><p>一、项目编号：A-1</p><table><tr><td>名称</td><td>数量</td></tr>"
            "<tr><td>GPU服务器</td><td>2</td></tr></table><p>二、采购人：某大学</p></td></tr></table></body></html>")
    doc = read_document(html.encode(), "x.html")
    assert doc.text.split("\n") == ["一、项目编号：A-1", "名称\t数量", "GPU服务器\t2", "二、采购人：某大学"]
    assert doc.tables == [[["名称", "数量"], ["GPU服务器", "2"]]]


def test_html_in_a_text_file_is_read_as_html():
    doc = read_document(("\ufeff" + mk.GENERIC_PAGE).encode("utf-16"), "page.txt")
    assert doc.kind == "html" and doc.title == "关于云资源服务采购项目的成交公告"


# ---------------------------------------------------------------------------- plain text


def test_text_header_lines_become_title_and_meta():
    doc = read("notice_header.txt")
    assert doc.meta == {"url": "http://www.ccgp.gov.cn/cggg/dfgg/cjgg/202408/t20240821_22816034.htm",
                        "type": "award", "fetched": "2024-08-21 14:49:19"}
    assert "# URL" not in doc.text
    assert doc.text.split("\n")[2:] == ["", "一、项目编号：CLCM-2024-0821", "二、项目名称：楚澜传媒学院云渲染服务采购项目"]


def test_text_without_header_takes_its_first_line_as_title():
    doc = read_document("某市政务云服务采购公告\n\n\n\n项目编号：\n\nZW-2024-01\n".encode(), "a.txt")
    assert doc.title == "某市政务云服务采购公告" and doc.meta == {}
    assert doc.text == "某市政务云服务采购公告\n\n项目编号：ZW-2024-01"  # blank runs collapse, label joins value


# ---------------------------------------------------------------------------- PDF


@pytest.fixture(scope="module")
def notice_pdf() -> DocumentText:
    return read("notice.pdf")


def test_pdf_text_and_tables(notice_pdf):
    doc = notice_pdf
    assert doc.kind == "pdf" and doc.pages == 2 and not doc.errors and not doc.needs_ocr
    lines = doc.text.split("\n")
    assert lines[0] == TITLE
    assert "名称：蜀江大学 地址：四川省成都市武侯区锦江大道三段66号" in lines  # a real gap is kept
    assert doc.tables == [mk.TABLE]
    assert "1\t四川雪岭数智科技有限公司\tA100 GPU云服务器租赁 8卡×12个月\t1,285,000.00" in lines
    assert lines[-1] == "第二页：服务期限为自合同签订之日起十二个月，按实际使用的卡时结算。"
    assert doc.text[doc.meta["page_offsets"][1]:].startswith("第二页")


def test_fake_bold_characters_are_not_doubled(notice_pdf):
    doc = read("fakebold.pdf")
    assert doc.text == notice_pdf.text and doc.tables == notice_pdf.tables


# pdfium re-initialised to look for fonts only in an empty folder: the machine's CJK fonts (or their absence)
# cannot change what is read. The fixture's STSong-Light is not embedded, as in most real notices.
_WITHOUT_SYSTEM_FONTS = """
import ctypes, json, sys
import pypdfium2.raw as pdfium_c
from pypdfium2 import _library_scope
from pypdfium2.internal import bases

_library_scope.destroy_lib()
paths = (ctypes.c_char_p * 2)(sys.argv[1].encode(), None)
pdfium_c.FPDF_InitLibraryWithConfig(pdfium_c.FPDF_LIBRARY_CONFIG(
    version=2, m_pUserFontPaths=ctypes.cast(paths, type(pdfium_c.FPDF_LIBRARY_CONFIG().m_pUserFontPaths)),
    m_pIsolate=None, m_v8EmbedderSlot=0))
bases.LIBRARY_AVAILABLE = True

from extract.documents import read_document
out = {}
for path in sys.argv[2:]:
    with open(path, "rb") as f:
        doc = read_document(f.read(), path)
    out[path] = {"text": doc.text, "tables": doc.tables}
print(json.dumps(out, ensure_ascii=False))
"""


def _read_without_system_fonts(tmp_path, *names: str | Path) -> dict:
    import json
    import subprocess

    fonts = tmp_path / "no-fonts"
    fonts.mkdir()
    paths = [str(DOCS / n) for n in names]  # a Path stays itself
    done = subprocess.run([sys.executable, "-c", _WITHOUT_SYSTEM_FONTS, str(fonts), *paths], capture_output=True,
                          text=True, timeout=120, cwd=FIXTURES.parents[1])
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    return {n: found[p] for n, p in zip(names, paths)}


def test_fake_bold_characters_are_not_doubled_when_the_machine_has_no_cjk_font(tmp_path):
    found = _read_without_system_fonts(tmp_path, "fakebold.pdf", "notice.pdf")
    plain, bold = found["notice.pdf"], found["fakebold.pdf"]
    assert "三、中标（成交）信息" in plain["text"].split("\n")
    assert bold == plain


FAKE_BOLD_LINES = ("项目编号：SJDX-2024-FW-0612", "三、中标（成交）信息", "供应商名称：四川雪岭数智科技有限公司",
                   "成交金额：1,285,000.00元")


def _fake_bold_pdf(layout: str) -> bytes:
    """FAKE_BOLD_LINES drawn bold the way PDF writers fake it: each line twice (the copy 0.3 pt right), or
    each glyph twice inside one text-showing operator (TJ moving back by its width less 0.3 pt)."""
    buf = io.BytesIO()
    c = mk._canvas(buf)
    for n, line in enumerate(FAKE_BOLD_LINES):
        y = 790 - 20 * n
        for dx in ((0.0, 0.3) if layout == "line" else (0.0,)):
            t = c.beginText(56 + dx, y)
            t.setFont("STSong-Light", 11)
            if layout == "line":
                t.textOut(line)
            else:
                parts = []
                for ch in line:
                    code = t._formatText(ch).removesuffix(" Tj").rsplit(" TL ", 1)[-1]  # the glyph's string operand
                    back = 1000 * (c.stringWidth(ch, "STSong-Light", 11) - 0.3) / 11  # thousandths of an em
                    parts.append(f"{code} {back:.0f} {code}")
                t._code.append("[" + " ".join(parts) + "] TJ")
            c.drawText(t)
    c.showPage()
    c.save()
    return buf.getvalue()


@pytest.mark.parametrize("layout", ["line", "glyph"])
def test_text_drawn_twice_a_fraction_of_a_point_apart_is_read_once(layout):
    doc = read_document(_fake_bold_pdf(layout), "bold.pdf")
    assert doc.text.split("\n") == list(FAKE_BOLD_LINES)


GLYPH_LINE = "本项目采购云服务，含GPU算力租赁A100。"


def _one_glyph_per_text_object_pdf() -> bytes:
    """GLYPH_LINE with each glyph placed by its own text object, in a font the PDF does not embed."""
    buf = io.BytesIO()
    c = mk._canvas(buf)
    x = 56.0
    for ch in GLYPH_LINE:
        c.setFont("STSong-Light", 11)
        c.drawString(x, 790, ch)
        x += c.stringWidth(ch, "STSong-Light", 11)
    c.showPage()
    c.save()
    return buf.getvalue()


def test_glyphs_placed_one_by_one_are_read():
    assert read_document(_one_glyph_per_text_object_pdf(), "glyphs.pdf").text == GLYPH_LINE


def test_glyphs_placed_one_by_one_are_read_when_the_machine_has_no_cjk_font(tmp_path):
    # pdfium alone returns only "GPU A100" here: glyphs of a font it cannot find have no size and are dropped.
    pdf = tmp_path / "glyphs.pdf"
    pdf.write_bytes(_one_glyph_per_text_object_pdf())
    assert _read_without_system_fonts(tmp_path, pdf)[pdf]["text"] == GLYPH_LINE


def test_text_repeated_in_another_place_is_kept():
    buf = io.BytesIO()
    c = mk._canvas(buf)
    c.setFont("STSong-Light", 11)
    c.drawString(56, 790, "算力服务 算力服务")  # the same words twice on a line, side by side
    c.drawString(56, 770, "……")
    c.drawString(56, 750, "算力服务 算力服务")
    c.showPage()
    c.save()
    doc = read_document(buf.getvalue(), "repeat.pdf")
    assert doc.text.split("\n") == ["算力服务 算力服务", "……", "算力服务 算力服务"]


def test_letter_spaced_text_loses_its_spaces(notice_pdf):
    doc = read("letterspaced.pdf")
    assert doc.text == notice_pdf.text


def test_pdf_encrypted_with_the_empty_password_is_read(notice_pdf):
    doc = read("encrypted_empty_password.pdf")
    # pdfminer misreads this file's CID font ((cid:N) codes), so its tables are refused and pdfium's row
    # text stays: the same text, cells separated by spaces instead of tabs.
    assert not doc.errors and doc.text == notice_pdf.text.replace("\t", " ")
    assert doc.tables == []
    assert doc.meta["encrypted"] == "opened with the empty password"


def test_pdf_that_needs_a_password():
    doc = read("encrypted_password.pdf")
    assert doc.kind == "pdf" and doc.text == ""
    assert reasons(doc) == ["encrypted"]


def test_truncated_pdf_is_corrupt():
    doc = read("truncated.pdf")
    assert doc.kind == "pdf" and doc.text == "" and reasons(doc) == ["corrupt"]


@pytest.fixture
def ocr_off(monkeypatch):
    """The `needs_ocr` decision itself, as with TENDERWATCH_OCR=0 (with OCR on, test_ocr.py)."""
    monkeypatch.setenv("TENDERWATCH_OCR", "0")


def test_scanned_pdf_needs_ocr(ocr_off):
    doc = read("scanned.pdf")
    assert doc.needs_ocr and doc.text == "" and doc.pages == 1
    assert reasons(doc) == ["needs_ocr"] and "scanned" in doc.errors[0]


def test_cid_garbage_pdf_needs_ocr_although_it_looks_chinese():
    import pypdfium2

    raw = pypdfium2.PdfDocument((DOCS / "cid_garbage.pdf").read_bytes())[0].get_textpage().get_text_range()
    han = sum("\u3400" <= c <= "\u9fff" for c in raw)
    assert han > 0.5 * len(raw.replace("\r\n", "")) - 60  # mostly Han characters: a CJK ratio would pass it
    doc = read("cid_garbage.pdf")
    assert doc.needs_ocr and doc.text == "" and reasons(doc) == ["needs_ocr"]


def _drawing_pdf(paths: int) -> bytes:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, invariant=1)
    for k in range(paths):
        p = c.beginPath()
        x, y = 40 + (k % 40) * 12, 800 - (k // 40) * 16
        p.moveTo(x, y)
        p.lineTo(x + 8, y)
        p.lineTo(x + 4, y - 10)
        p.close()
        c.drawPath(p, fill=1)
    c.showPage()
    c.save()
    return buf.getvalue()


def test_text_converted_to_outlines_needs_ocr_but_an_empty_form_does_not(ocr_off):
    outlines = read_document(_drawing_pdf(400), "outlines.pdf")
    assert outlines.needs_ocr and "vector outlines" in outlines.errors[0]
    form = read_document(_drawing_pdf(40), "form.pdf")
    assert not form.needs_ocr and reasons(form) == ["empty"]


def test_pdf_with_some_scanned_pages_keeps_the_rest(ocr_off):
    import pypdfium2

    merged = pypdfium2.PdfDocument.new()
    merged.import_pages(pypdfium2.PdfDocument((DOCS / "notice.pdf").read_bytes()))
    merged.import_pages(pypdfium2.PdfDocument((DOCS / "scanned.pdf").read_bytes()))
    buf = io.BytesIO()
    merged.save(buf)
    doc = read_document(buf.getvalue(), "mixed.pdf")
    assert doc.pages == 3 and doc.needs_ocr and doc.meta["ocr_pages"] == [3]
    assert doc.errors == ["needs_ocr: pages 3 of 3 have no usable text layer (scanned image, no text); "
                          "OCR is switched off (TENDERWATCH_OCR=0)"]
    assert doc.text.startswith(TITLE)


def test_200_page_pdf_is_read_whole():
    doc = read("long200.pdf")
    assert doc.pages == 200 and not doc.errors
    assert "第200章 技术要求" in doc.text and len(doc.meta["page_offsets"]) == 200
    assert doc.tables == [mk.TABLE]


def test_pdf_page_and_table_limits():
    doc = read("long200.pdf", limits=Limits(pdf_max_pages=50, pdf_table_pages=0))
    assert doc.pages == 200 and reasons(doc) == ["too_large"]
    assert "第50章" in doc.text and "第51章" not in doc.text
    assert doc.tables == [] and "pdf_table_pages" in doc.meta["tables_note"]


def test_table_work_is_capped_on_pdfs_full_of_tables():
    buf = io.BytesIO()
    c = mk._canvas(buf)
    for _ in range(6):
        mk._notice_page(c)
        c.showPage()
    c.save()
    doc = read_document(buf.getvalue(), "tables.pdf", limits=Limits(pdf_table_pages=2))
    assert doc.pages == 6 and not doc.errors
    assert doc.tables == [mk.TABLE, mk.TABLE]  # pdfplumber ran on two pages only …
    assert doc.meta["tables_note"] == "tables read on the first 2 of 6 pages with ruling lines (limit pdf_table_pages)"
    assert doc.text.count("四川雪岭数智科技有限公司") == 12  # … while every page's text is there


def test_byte_limit():
    doc = read("notice.pdf", limits=Limits(max_bytes=1000))
    assert doc.kind == "pdf" and doc.text == "" and reasons(doc) == ["too_large"]
    text = read("notice_header.txt", limits=Limits(max_bytes=200))
    assert reasons(text) == ["too_large"] and text.text.startswith("楚澜传媒学院")  # what was read is kept


# ---------------------------------------------------------------------------- Office


def test_docx_paragraphs_and_tables_in_document_order():
    doc = read("notice.docx")
    assert doc.kind == "docx" and not doc.errors and doc.title == TITLE
    lines = doc.text.split("\n")
    assert lines[0] == TITLE
    assert lines.index("序号\t供应商名称\t服务内容与金额") == 6  # after the five paragraphs, merged cell once
    assert lines[-1] == "名称：蜀江大学 地址：四川省成都市武侯区锦江大道三段66号"
    assert doc.tables[0][1] == mk.TABLE[1]


def test_xlsx_rows_as_tab_separated_lines():
    doc = read("quote.xlsx")
    assert doc.kind == "xlsx" and not doc.errors
    assert doc.meta["sheets"] == ["分项报价表", "说明"]
    assert doc.text.split("\n") == [
        "分项报价表：",
        "序号\t服务名称\t数量\t单价（元）\t金额（元）",
        "1\tGPU云服务器（8×A100）\t12\t98000\t1176000",
        "2\t对象存储\t100\t80.5\t8050",
        "合计\t\t\t\t1184050",
        "说明：",
        "报价日期\t2024-05-20",
    ]
    assert len(doc.tables) == 2


def test_xlsx_cell_limit():
    doc = read("quote.xlsx", limits=Limits(xlsx_max_cells=12))
    assert reasons(doc) == ["too_large"] and "GPU云服务器" in doc.text


@pytest.mark.parametrize("name", ["notice.docx", "quote.xlsx"])
def test_truncated_office_files_are_corrupt(name):
    data = (DOCS / name).read_bytes()
    doc = read_document(data[: len(data) // 2], name)
    assert doc.kind == name.rsplit(".", 1)[1] and reasons(doc) == ["corrupt"]


def test_an_ole_file_that_only_names_a_word_stream_is_corrupt():
    # Real .doc/.wps files are read through LibreOffice (tests/extract/test_documents_legacy.py); this stub
    # has the OLE signature and a WordDocument entry but nothing LibreOffice can load.
    from extract.documents.legacy import soffice_path

    doc = read("legacy.doc")
    assert doc.kind == "doc" and doc.meta["format"] == "doc" and doc.text == ""
    assert reasons(doc) == (["corrupt"] if soffice_path() else ["unsupported"])


def test_legacy_excel_workbook_is_read():
    doc = read("quote.xls")
    assert doc.kind == "doc" and doc.meta == {"format": "xls", "sheets": ["分项报价表"]} and not doc.errors
    assert doc.text.split("\n") == [
        "分项报价表：",
        "序号\t服务名称\t数量\t单价（元）\t金额（元）",
        "1\tGPU云服务器（8×A100）\t12\t98000\t1176000",
        "2\t对象存储\t100\t80.5\t8050",
        "报价日期\t2024-05-20",
    ]


def test_damaged_legacy_excel_workbook_is_corrupt():
    doc = read("legacy.xls")
    assert doc.kind == "doc" and reasons(doc) == ["corrupt"]


def test_password_protected_office_file():
    doc = read_document(mk.ole_stub("EncryptedPackage"), "报价表.xlsx")
    assert reasons(doc) == ["encrypted"]


# ---------------------------------------------------------------------------- ZIP


def test_zip_with_gb18030_member_names():
    doc = read("attachments_gb18030.zip")
    assert doc.kind == "zip" and not doc.errors
    assert doc.meta["members"] == ["附件1采购需求.txt", "附件2成交通知书.pdf", "报价/分项报价表.xlsx"]
    assert [(p.name, p.kind) for p in doc.parts] == [
        ("附件1采购需求.txt", "text"), ("附件2成交通知书.pdf", "pdf"), ("报价/分项报价表.xlsx", "xlsx")]
    assert doc.parts[0].encoding == "gb18030"
    assert "【附件2成交通知书.pdf】\n" + TITLE in doc.text
    assert "1\tGPU云服务器（8×A100）\t12\t98000\t1176000" in doc.text


def _zip(members: dict[str, bytes], level: int = 9) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def test_zip_bomb_members_are_not_inflated():
    bomb = _zip({"readme.txt": "说明".encode(), "zeros.txt": bytes(20_000_000)})
    doc = read_document(bomb, "a.zip")
    assert [e.split(":")[0] for e in doc.errors] == ["too_large"] and "zeros.txt" in doc.errors[0]
    assert doc.text == "【readme.txt】\n说明"


def test_zip_member_size_is_counted_while_inflating():
    doc = read_document(_zip({"a.txt": "采购需求".encode() * 100_000}), "a.zip",
                        limits=Limits(zip_max_member_bytes=10_000, zip_max_ratio=10**9))
    assert reasons(doc) == ["too_large"] and doc.parts == []


def test_zip_member_count_and_depth_limits():
    many = _zip({f"{i}.txt": f"第{i}号附件".encode() for i in range(10)})
    doc = read_document(many, "a.zip", limits=Limits(zip_max_members=3))
    assert reasons(doc) == ["too_large"] and len(doc.parts) == 3
    nested = many
    for level in range(4):
        nested = _zip({f"level{level}.zip": nested})
    deep = read_document(nested, "a.zip")
    assert "too_large" in reasons(deep) and "nested deeper" in " ".join(deep.errors)


def test_zip_with_a_damaged_member_keeps_the_others():
    data = bytearray(_zip({"good.txt": "完好的附件".encode(), "bad.txt": "损坏的附件内容".encode() * 50}, level=0))
    at = data.index("损坏的附件内容".encode()) + 10
    data[at] ^= 0xFF  # stored, so the CRC check catches it
    doc = read_document(bytes(data), "a.zip")
    assert reasons(doc) == ["corrupt"] and "bad.txt" in doc.errors[0]
    assert doc.text == "【good.txt】\n完好的附件"


def test_password_protected_zip_member():
    data = bytearray(_zip({"报价.txt": "报价一览表".encode()}))
    data[6] |= 0x1  # "encrypted" flag in the local header …
    data[data.index(b"PK\x01\x02") + 8] |= 0x1  # … and in the central directory
    doc = read_document(bytes(data), "a.zip")
    assert doc.errors == ["encrypted: 报价.txt: password-protected ZIP member"]


def test_docx_nested_table_text_is_kept():
    import docx

    d = docx.Document()
    outer = d.add_table(rows=1, cols=2)
    outer.cell(0, 0).text = "采购内容"
    inner = outer.cell(0, 1).add_table(rows=1, cols=2)
    inner.cell(0, 0).text = "GPU服务器"
    inner.cell(0, 1).text = "2台"
    buf = io.BytesIO()
    d.save(buf)
    doc = read_document(buf.getvalue(), "a.docx")
    assert doc.tables == [[["采购内容", "GPU服务器 2台"]]]  # nested cells stay apart


def test_str_and_bytearray_input_are_accepted():
    assert read_document("采购公告\n项目编号：A-1", "a.txt").text == "采购公告\n项目编号：A-1"
    assert read_document(bytearray((DOCS / "notice.pdf").read_bytes()), "a.pdf").pages == 2


def test_member_errors_are_reported_reason_first(ocr_off):
    doc = read_document(_zip({"扫描件.pdf": (DOCS / "scanned.pdf").read_bytes()}), "a.zip")
    assert doc.needs_ocr
    assert doc.errors[0].startswith("needs_ocr: 扫描件.pdf: ")


# ---------------------------------------------------------------------------- never an exception


def _mutations():
    rng = random.Random(20240528)
    for path in sorted(DOCS.iterdir()):
        data = path.read_bytes()
        if not data:
            continue
        for frac in (0.1, 0.5, 0.9):
            yield f"{path.name}[:{frac}]", data[: int(len(data) * frac)], path.name
        for k in range(3):
            flipped = bytearray(data)
            for _ in range(max(1, len(data) // 500)):
                flipped[rng.randrange(len(flipped))] = rng.randrange(256)
            yield f"{path.name}~{k}", bytes(flipped), path.name


@pytest.mark.parametrize("label, data, name", list(_mutations()), ids=lambda v: v if isinstance(v, str) else "")
def test_damaged_files_never_raise(label, data, name):
    doc = read_document(data, name)
    assert isinstance(doc, DocumentText)
    assert doc.text or doc.errors or doc.parts
    assert all(": " in e and e.split(":")[0].isidentifier() for e in doc.errors)


def test_a_crashing_reader_becomes_an_error(monkeypatch):
    import extract.documents.plaintext as plaintext

    def boom(*a, **k):
        raise RuntimeError("boom")

    monkeypatch.setattr(plaintext, "read_text", boom)
    doc = read_document("采购公告".encode(), "a.txt")
    assert doc.errors == ["failed: text reader raised RuntimeError: boom"]
