"""OCR of scans and photos (issue 11): scanned PDF pages, images and DOCX files of pictures are read offline,
keep their page numbers and table rows, say which evidence came from OCR, and bad input gets a reason within
bounded time and memory. Fixtures: tests/fixtures/scans/, written by tests/fixtures/make_scans.py (real
200-dpi scans with noise and skew, and a phone photo). Each OCR'd fixture is read once per module."""

from __future__ import annotations

import datetime as dt
import io
import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from extract.documents import DEFAULT_LIMITS, Limits, read_document
from extract.documents.ocr import Line, Segment, layout
from extract.pipeline import extract_notice
from extract.types import DocumentText

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SCANS = FIXTURES / "scans"
sys.path.insert(0, str(FIXTURES))
import make_scans as mk  # noqa: E402

ROOT = FIXTURES.parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from bench_ocr import char_accuracy as accuracy  # noqa: E402  (1 − edit distance / length, as `make bench` counts)


def reasons(doc: DocumentText) -> list[str]:
    return [e.split(":", 1)[0] for e in doc.errors]


def read(name: str, **kw) -> DocumentText:
    return read_document((SCANS / name).read_bytes(), name, **kw)


@pytest.fixture(scope="module")
def mixed() -> DocumentText:
    return read("mixed.pdf")


@pytest.fixture(scope="module")
def photo() -> DocumentText:
    return read("photo.jpg")


# ---------------------------------------------------------------------------- scanned PDF pages


def test_scanned_pages_of_a_pdf_are_read_by_ocr_and_the_text_layer_page_is_kept(mixed):
    assert mixed.kind == "pdf" and mixed.pages == 3 and not mixed.needs_ocr and mixed.errors == []
    assert mixed.ocr["engine"] == "rapidocr" and mixed.ocr["pages"] == [2, 3] and mixed.ocr["capped"] is None
    assert 0.9 <= mixed.ocr["confidence"] <= 1
    assert mixed.text.startswith("\n".join(mk.TEXT_PAGE))  # page 1 from its text layer, untouched
    start = mixed.meta["page_offsets"][1]
    page2 = mixed.text[start:mixed.meta["page_offsets"][2]]
    assert accuracy(page2, "\n".join(mk.SCAN_PAGE_2)) >= 0.95


def test_ocr_lines_keep_their_page_number_and_reading_order(mixed):
    spans = mixed.meta["ocr_lines"]
    assert [s[0] for s in spans] == sorted(s[0] for s in spans)
    assert {s[2] for s in spans} == {2, 3}
    page_of = {mixed.text[s:e]: page for s, e, page, _ in spans}
    assert page_of["分项报价表"] == 3
    assert any("H800" in line and page == 2 for line, page in page_of.items())
    assert all(0 < conf <= 1 for *_, conf in spans)
    # nothing of page 1's text layer is claimed by OCR
    assert spans[0][0] >= mixed.meta["page_offsets"][1]


def test_a_scanned_table_becomes_tab_separated_rows(mixed):
    (table,) = mixed.tables
    assert [len(row) for row in table] == [4, 4, 4]
    assert table[1][2] == "552960" and "卡时" in table[1][1] and table[2][3] == "95.00"
    assert "\t".join(table[2]) in mixed.text


def test_evidence_read_by_ocr_says_so_with_page_and_confidence(mixed):
    extraction = extract_notice(mixed)
    out = extraction.to_json()
    assert out["gpu_models"] == ["nvidia-h800"] and out["remote_compute"]
    chip = next(e for e in out["evidence"] if e["field"] == "gpu_models:nvidia-h800")
    assert chip["source"] == "ocr" and chip["page"] == 2 and 0.5 < chip["confidence"] <= 1
    code = next(e for e in out["evidence"] if e["field"] == "project_codes")
    assert code["text"] == "JCLG-2026-ZB118" and "source" not in code and "page" not in code


def test_evidence_in_an_ocr_read_attachment_is_marked(photo):
    body = read_document("<html><body><h2>江城理工大学大模型API服务采购公告</h2><p>需求见附件。</p></body></html>"
                         .encode("utf-8"), "notice.htm")
    out = extract_notice(body, [photo]).to_json()
    from_photo = [e for e in out["evidence"] if e["document"] == "photo.jpg"]
    assert from_photo and all(e["source"] == "ocr" and e["page"] == 1 for e in from_photo)
    assert all("source" not in e for e in out["evidence"] if e["document"] == "")


# ---------------------------------------------------------------------------- images


def test_a_photo_of_a_page_is_read(photo):
    assert photo.kind == "image" and photo.meta["format"] == "jpg" and photo.pages == 1
    assert photo.errors == [] and photo.ocr["pages"] == [1]
    assert accuracy(photo.text, "\n".join(mk.PHOTO)) >= 0.95
    out = extract_notice(photo).to_json()
    assert out["remote_compute"] and "model_api" in out["compute_kinds"]


def test_a_docx_holding_only_a_picture_is_read_by_ocr():
    doc = read("picture_only.docx")
    assert doc.kind == "docx" and doc.ocr["pages"] == [1] and not doc.needs_ocr
    assert accuracy(doc.text, "\n".join(mk.PHOTO)) >= 0.95


def _png(size=(40, 30), mode="L") -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new(mode, size, 255).save(buf, "PNG")
    return buf.getvalue()


@pytest.mark.parametrize("data, name, detail", [
    (random.Random(1).randbytes(5000), "scan.jpg", "no image signature"),
    ((SCANS / "photo.jpg").read_bytes()[:600], "photo.jpg", "could not be decoded"),
    (b"\x89PNG\r\n\x1a\n" + bytes(64), "附件", "not an image"),
])
def test_a_file_that_is_not_a_readable_image_gets_a_reason(data, name, detail):
    doc = read_document(data, name)
    assert reasons(doc) == ["corrupt"] and detail in doc.errors[0]
    assert doc.text == "" and doc.ocr is None


def test_bmp_and_multi_page_tiff_are_images_with_their_pages(monkeypatch):
    from PIL import Image

    monkeypatch.setenv("TENDERWATCH_OCR", "0")  # what they are, without spending OCR time
    bmp = io.BytesIO()
    Image.new("L", (30, 20), 255).save(bmp, "BMP")
    tif = io.BytesIO()
    Image.new("L", (30, 20), 255).save(tif, "TIFF", save_all=True, append_images=[Image.new("L", (30, 20), 0)])
    for data, fmt, pages in ((bmp.getvalue(), "bmp", 1), (tif.getvalue(), "tif", 2)):
        doc = read_document(data, "scan")
        assert (doc.kind, doc.meta["format"], doc.pages, doc.needs_ocr) == ("image", fmt, pages, True)
    assert read_document("BMW 采购公告：项目编号 A-1\n".encode("utf-8"), "a.txt").kind == "text"  # "BM" is no bitmap


# ---------------------------------------------------------------------------- switching it off


def test_with_ocr_switched_off_scans_stay_needs_ocr(monkeypatch):
    monkeypatch.setenv("TENDERWATCH_OCR", "0")
    doc = read("mixed.pdf")
    assert doc.needs_ocr and doc.ocr is None and doc.meta["ocr_pages"] == [2, 3]
    assert reasons(doc) == ["needs_ocr"] and "TENDERWATCH_OCR=0" in doc.errors[0]
    assert doc.text == "\n".join(mk.TEXT_PAGE)
    image = read("photo.jpg")
    assert image.needs_ocr and reasons(image) == ["needs_ocr"] and image.text == ""


# ---------------------------------------------------------------------------- limits


def _scan_pdf(pages: int) -> bytes:
    """A scanner's PDF of `pages` pages (one small image drawn on every page: a few KB in all)."""
    from PIL import Image
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    img = Image.new("L", (60, 85), 240)
    buf = io.BytesIO()
    c = canvas.Canvas(buf, invariant=1)
    reader = ImageReader(img)
    for _ in range(pages):
        c.drawImage(reader, 0, 0, width=595, height=842)
        c.showPage()
    c.save()
    return buf.getvalue()


def test_a_500_page_scan_is_capped_and_the_cap_recorded():
    assert DEFAULT_LIMITS.ocr_max_pages < 100
    doc = read_document(_scan_pdf(500), "scan500.pdf", limits=Limits(ocr_max_pages=3))
    assert doc.pages == 500 and doc.ocr["pages"] == [1, 2, 3]
    assert doc.ocr["capped"] == "OCR read 3 of 500 scanned pages (limit ocr_max_pages 3)"
    assert "too_large: OCR read 3 of 500 scanned pages (limit ocr_max_pages 3)" in doc.errors


def test_the_time_budget_stops_ocr_between_pages_and_is_recorded():
    doc = read("mixed.pdf", limits=Limits(ocr_seconds=0))
    assert doc.ocr["pages"] == [2]  # at least one page, then the budget is spent
    assert reasons(doc) == ["ocr_timeout"] and "1 of 2 scanned pages" in doc.errors[0]
    assert "budget" in doc.ocr["capped"] and "H800" in doc.text


# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the forking test process. Decoding the 50-megapixel
# image whole would take 50 MB (greyscale) to 150 MB (RGB) above the ~20 MB the interpreter starts with.
_MEASURE = """
import json, re, sys
from extract.documents import DEFAULT_LIMITS, read_document
from extract.documents.ocr import open_image
data = open(sys.argv[1], "rb").read()
if sys.argv[2] == "read":
    doc = read_document(data, sys.argv[1])
    out = {"errors": doc.errors, "ocr": doc.ocr}
else:
    image, why = open_image(data, DEFAULT_LIMITS)
    out = {"size": list(image.size)}
out["peak_mb"] = int(re.search(r"VmHWM:\\s*(\\d+)", open("/proc/self/status").read()).group(1)) / 1024
print(json.dumps(out))
"""


def _measure(path: Path, how: str) -> dict:
    out = subprocess.run([sys.executable, "-c", _MEASURE, str(path), how], capture_output=True, text=True,
                         cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_a_50_megapixel_image_is_refused_or_decoded_scaled_down(tmp_path):
    from PIL import Image

    big = Image.new("L", (8660, 5774), 250)  # 50 megapixels
    big.save(tmp_path / "big.png")
    big.save(tmp_path / "big.jpg", quality=80)
    del big
    png = _measure(tmp_path / "big.png", "read")
    assert png["errors"] == ["too_large: png image of 50 megapixels (8660×5774) exceeds the 40-megapixel limit; "
                             "not read"]
    assert png["ocr"] is None and png["peak_mb"] < 45  # refused from its header: never decoded
    jpg = _measure(tmp_path / "big.jpg", "open")
    assert max(jpg["size"]) <= DEFAULT_LIMITS.ocr_max_side and jpg["peak_mb"] < 60  # decoded at half scale


# ---------------------------------------------------------------------------- offline


_NO_NETWORK = """
import socket, sys
def refuse(*a, **k):
    raise OSError("network blocked by the test")
socket.socket.connect = refuse
socket.create_connection = refuse
from extract.documents import read_document
doc = read_document(open(sys.argv[1], "rb").read(), "photo.jpg")
print(doc.ocr["engine"], len(doc.text))
"""


def test_the_engine_reads_with_the_network_blocked_its_models_ship_in_the_package():
    import rapidocr

    models = Path(rapidocr.__file__).parent / "models"
    assert sorted(p.name for p in models.glob("*.onnx"))  # in the wheel, not fetched
    out = subprocess.run([sys.executable, "-c", _NO_NETWORK, str(SCANS / "photo.jpg")], capture_output=True,
                         text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr
    engine, chars = out.stdout.split()
    assert engine == "rapidocr" and int(chars) > 50


# ---------------------------------------------------------------------------- layout


def test_layout_orders_rows_top_to_bottom_and_splits_cells_at_wide_gaps():
    segs = [
        Segment("数量", 0.9, (300, 100, 360, 130)),
        Segment("序号", 1.0, (10, 102, 70, 132)),
        Segment("GPU 租赁", 0.8, (10, 50, 200, 80), [(10, 20), (20, 30), (30, 40), (45, 60), (160, 200)]),
    ]
    lines = layout(segs)
    assert [ln.text for ln in lines] == ["GPU 租\t赁", "序号\t数量"]
    assert lines[1].cells == ["序号", "数量"] and lines[1].confidence == pytest.approx(0.95)
    assert isinstance(lines[0], Line)


# ---------------------------------------------------------------------------- ruled tables, numbers, dates


@pytest.fixture(scope="module")
def wide() -> DocumentText:
    return read("wide_table.pdf")


def test_a_wide_ruled_table_whose_header_cells_wrap_is_one_header_row_and_one_line_per_row(wide):
    (table,) = wide.tables
    want = [line.split("\t") for line in mk.WIDE_TABLE if "\t" in line]
    assert [len(row) for row in table] == [len(row) for row in want]  # every row, every column, in place
    assert accuracy("".join(table[0]), "".join(want[0])) >= 0.95  # each header cell whole, in its column
    assert table[0][4].startswith("中标单价") and table[0][4].endswith("(元)") and table[0][7].startswith("数量")
    # a long cell wrapped in a narrow column is one cell again; the number beside it stays in its own column
    assert [row[1] for row in table[1:]] == [row[1] for row in want[1:]]
    assert [row[4] for row in table[1:]] == [row[4] for row in want[1:]]
    assert "评审专家名单" not in "".join(table[-1])  # the line under the table's last rule is not part of it


def test_a_scanned_wide_table_gives_the_answers_of_its_text(wide):
    source = DocumentText(text="\n".join(mk.WIDE_TABLE), kind="text", name="wide_table.txt")
    want, got = extract_notice(source).fields, extract_notice(wide).fields
    assert sorted(a.value_cny for a in got.amounts if a.kind == "unit_price") == [356800.0, 1680000.0]
    assert sorted((a.kind, a.value_cny) for a in got.amounts) == sorted((a.kind, a.value_cny) for a in want.amounts)
    assert got.vendors == want.vendors and got.published_at == want.published_at == dt.datetime(2026, 3, 18, 14, 26)


def test_a_dateline_whose_spaces_are_lost_or_added_still_dates_the_notice():
    for line in ("2026年07月12日11:54来源：中国政府采购网", "2026年07月 12日 11:54 来源：中国政府采购网"):
        doc = DocumentText(text=f"某大学服务器采购项目中标公告\n{line}\n一、项目编号：X-1", kind="text", name="n.txt")
        assert extract_notice(doc).fields.published_at == dt.datetime(2026, 7, 12, 11, 54), line


def test_digits_of_one_number_stay_together_and_a_real_space_between_numbers_is_kept():
    from extract.documents.ocr import _latin_spaces

    height = 44
    # character boxes step unevenly inside a number (5 px gaps) — no space: "16 80000元" would be 16 yuan
    price = [(0, 15), (15, 30), (35, 50), (50, 65), (65, 80), (85, 100), (100, 115), (120, 140)]
    assert _latin_spaces("1680000元", price, height) == "1680000元"
    # a gap a space wide between two numbers is a space
    gpu = [(0, 14), (14, 28), (28, 42), (42, 56), (70, 84), (84, 98), (98, 112), (112, 126)]
    assert _latin_spaces("A80080GB", gpu, height) == "A800 80GB"


def test_label_lines_stay_apart_however_far_the_first_runs():
    lines = layout([
        Segment("评审专家名单：韩锋、寇应展、韩宏伟", 0.9, (10, 10, 600, 40)),
        Segment("总中标金额：￥0.077650万元", 0.9, (10, 60, 400, 90)),
        Segment("采购需求：本项目采购GPU算力租赁服务，服务期", 0.9, (10, 110, 600, 140)),
        Segment("十二个月", 0.9, (10, 160, 120, 190)),
    ])
    assert [ln.text for ln in lines] == ["评审专家名单：韩锋、寇应展、韩宏伟", "总中标金额：￥0.077650万元",
                                         "采购需求：本项目采购GPU算力租赁服务，服务期十二个月"]


def test_a_markdown_heading_keeps_its_space_and_stands_on_its_own_line():
    lines = layout([
        Segment("#中国医学科学院北京协和医院模拟训练系统采购项目中标公告", 0.9, (10, 10, 600, 40)),
        Segment("# URL: http://www.ccgp.gov.cn/cggg/t1.htm", 0.9, (10, 60, 400, 90)),
        Segment("##公告概要：", 0.9, (10, 110, 200, 140)),
    ])
    assert [ln.text for ln in lines] == ["# 中国医学科学院北京协和医院模拟训练系统采购项目中标公告",
                                         "# URL: http://www.ccgp.gov.cn/cggg/t1.htm", "## 公告概要："]
