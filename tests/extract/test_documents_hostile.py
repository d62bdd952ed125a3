"""read_document on hostile or damaged markup: deep nesting and stray bytes. Nothing is cut or garbled
silently — the text is kept, or an `errors` entry says what was not."""

from __future__ import annotations

import pytest

from extract.documents import read_document

HEAD = "<html><head><title>某市政务云服务采购公告</title></head><body><p>一、项目概况</p>"
TAIL = "<p>二、采购人：某市大数据局</p></body></html>"


def nested(depth: int) -> bytes:
    return (HEAD + "<div>" * depth + "本项目采购云服务 算力 A100" + "</div>" * depth + TAIL).encode()


@pytest.mark.parametrize("depth", [200, 255, 256, 1000, 2000])
def test_deeply_nested_html_keeps_all_its_text(depth):
    doc = read_document(nested(depth), "deep.html")
    assert doc.text.split("\n")[1:] == ["一、项目概况", "本项目采购云服务 算力 A100", "二、采购人：某市大数据局"]
    assert doc.errors == []


@pytest.mark.parametrize("depth", [2100, 100_000])
def test_html_nested_beyond_the_parser_limit_keeps_its_text_and_says_so(depth):
    doc = read_document(nested(depth), "deeper.html")
    lines = doc.text.split("\n")
    assert "本项目采购云服务 算力 A100" in lines and lines[-1] == "二、采购人：某市大数据局"
    assert doc.title == "某市政务云服务采购公告"
    assert [e.split(":")[0] for e in doc.errors] == ["too_large"] and "nested" in doc.errors[0]


PAGE = ('<html><head><meta charset="{charset}"><title>某市政务云服务采购公告</title></head><body>'
        "<p>本项目采购云服务，含GPU算力租赁。</p><p>采购人：某市大数据局；预算金额：100万元。</p></body></html>")


@pytest.mark.parametrize("charset", ["utf-8", "gb2312", ""])
def test_stray_bytes_anywhere_in_a_utf8_page_do_not_change_its_charset(charset):
    source = PAGE.format(charset=charset)
    page = source.encode("utf-8")
    for stray in (b"\xff\xfe", b"\xfe\xff", b"\xff"):
        for i in range(len(page) + 1):
            doc = read_document(page[:i] + stray + page[i:], "page.html")
            assert doc.encoding == "utf-8", (stray, i, doc.text[:40])
            # The characters around the stray bytes may be lost (and counted); none is turned into another.
            kept = doc.text.replace("\ufffd", "")
            assert all(c in source for c in kept if not c.isspace()), (stray, i, kept)
            assert doc.meta.get("undecodable_chars", 0) >= 1


def test_a_utf8_page_after_a_stray_byte_order_mark_is_read_as_utf8():
    doc = read_document(b"\xff\xfe" + PAGE.format(charset="utf-8").encode(), "page.html")
    assert doc.encoding == "utf-8" and "本项目采购云服务，含GPU算力租赁。" in doc.text.split("\n")


def test_a_real_utf16_page_with_its_byte_order_mark_is_still_utf16():
    doc = read_document("\ufeff".encode("utf-16-le") + PAGE.format(charset="utf-16").encode("utf-16-le"), "p.html")
    assert doc.encoding == "utf-16-le" and "本项目采购云服务，含GPU算力租赁。" in doc.text.split("\n")


def test_a_gb18030_page_with_a_damaged_byte_stays_gb18030():
    page = PAGE.format(charset="gb2312").encode("gb18030")
    cut = page.index("采购人".encode("gb18030"))
    doc = read_document(page[:cut] + b"\xff" + page[cut:], "gb.html")
    assert doc.encoding == "gb18030" and "本项目采购云服务，含GPU算力租赁。" in doc.text.split("\n")


def test_the_charset_is_decided_on_the_whole_page_not_its_first_kilobytes():
    # 60 kB of ASCII script before the first Chinese character, no declared charset: Big5 text that also
    # decodes (into nonsense) as GB18030.
    script = "<script>" + "var x = 1;\n" * 6000 + "</script>"
    page = (f"<html><head>{script}<title>臺北市政府雲端服務採購公告</title></head><body>"
            "<p>本項目採購雲端服務，含GPU算力租賃。</p><p>採購機關：臺北市政府資訊局；預算金額：新臺幣100萬元。</p>"
            "</body></html>").encode("big5hkscs")
    assert page.decode("gb18030")  # the trap: it decodes
    doc = read_document(page, "big5.html")
    assert doc.encoding == "big5hkscs" and "本項目採購雲端服務，含GPU算力租賃。" in doc.text.split("\n")
