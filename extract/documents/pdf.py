"""PDF → text and tables.

Page text comes from pypdfium2 (≈800 pages/s, and it already drops fake-bold doubled glyphs and adds no
spaces inside letter-spaced CJK text); pdfplumber (≈20–60 pages/s, a full layout parse per page) is used only
for tables, on pages that have ruling lines, and at most `Limits.pdf_table_pages` of them — so a 200-page
tender file takes a fraction of a second, not minutes (../shared/reference/nlp-and-pdf.md §2). On a page
where tables were found, each table row replaces the table's region in the text as one tab-separated line.

A PDF without a usable text layer is flagged `needs_ocr` and its text is not passed on: scanned pages have
no characters; fonts without a ToUnicode map give control characters or real-looking but wrong Han
characters, which only the share of text falling into dictionary words exposes (a CJK ratio does not).
"""

from __future__ import annotations

import functools
import io
import re
from typing import Optional

from extract.types import DocumentText

from .limits import Limits
from .textutil import HAN_RE, clean_inline, control_share, drop_cjk_gaps, join_cell_lines

_HAN_RUN_RE = re.compile(r"[\u3400-\u9fff]+")
MIN_DICT_SHARE = 0.35  # good text scores 0.6–0.9, unmapped-font garbage 0.1–0.2 (measured on fixtures)
MIN_HAN_FOR_DICT_TEST = 20
_RULED_PATHS = 4  # path objects on a page before it is worth asking pdfplumber for tables
# Path objects on a page without characters before its "drawing" is taken for text converted to outlines
# (one path per glyph; a ruled but empty form has tens).
_OUTLINE_PATHS = 300
_JUNK_TITLE_RE = re.compile(r"^(untitled|无标题|文档\d*|document\d*|microsoft word - .*|wps.*)$", re.I)


@functools.lru_cache(maxsize=1)
def _jieba():
    import jieba

    from extract.jieba_dict import main_dictionary

    main_dictionary()  # loads the dictionary once per process (~0.4 s)
    return jieba


def dictionary_share(text: str, max_chars: int = 800) -> tuple[float, int]:
    """(share of Han characters inside multi-character dictionary words, Han characters looked at)."""
    jb = _jieba()
    freq = jb.dt.FREQ
    total = inside = 0
    for run in _HAN_RUN_RE.findall(text):
        total += len(run)
        for word in jb.cut(run, HMM=False):
            if len(word) > 1 and freq.get(word):
                inside += len(word)
        if total >= max_chars:
            break
    return (inside / total if total else 1.0), total


def _unusable(raw: str) -> Optional[str]:
    """Why a page's extracted text is not text, or None when it is."""
    if "(cid:" in raw:
        return "unmapped font codes"
    if control_share(raw.replace("\r", "").replace("\n", "")) > 0.1:
        return "unmapped font codes"
    if len(HAN_RE.findall(raw)) >= MIN_HAN_FOR_DICT_TEST:
        share, _ = dictionary_share(raw)
        if share < MIN_DICT_SHARE:
            return "characters that form no words (font without a ToUnicode map)"
    return None


def _clean_page(raw: str) -> str:
    lines = (drop_cjk_gaps(clean_inline(ln)) for ln in raw.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    return "\n".join(ln for ln in lines if ln)


def _count(page, kind: int, stop: int) -> int:
    n = 0
    for _ in page.get_objects(filter=[kind], max_depth=2):
        n += 1
        if n >= stop:
            break
    return n


def _title(meta: dict) -> Optional[str]:
    t = clean_inline(meta.get("Title") or "")
    if not t or _JUNK_TITLE_RE.match(t):
        return None
    return t


def read_pdf(data: bytes, name: str, limits: Limits) -> DocumentText:
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    doc = DocumentText(text="", kind="pdf", name=name)
    try:
        pdf = pdfium.PdfDocument(data)  # tries the empty user password by itself
    except pdfium.PdfiumError as exc:
        code = getattr(exc, "err_code", None)
        if code == pdfium_c.FPDF_ERR_PASSWORD:
            doc.errors.append("encrypted: a password is needed to open it (the empty password was tried)")
        elif code == pdfium_c.FPDF_ERR_SECURITY:
            doc.errors.append("encrypted: unsupported security handler")
        else:
            doc.errors.append(f"corrupt: {exc}")
        return doc

    try:
        n = len(pdf)
        doc.pages = n
        if pdfium_c.FPDF_GetSecurityHandlerRevision(pdf.raw) != -1:
            doc.meta["encrypted"] = "opened with the empty password"
        try:
            doc.title = _title(pdf.get_metadata_dict())
        except Exception:
            pass
        read = min(n, limits.pdf_max_pages)
        texts: list[str] = []
        bad: dict[int, str] = {}
        ruled: list[int] = []
        char_counts: list[int] = []
        for i in range(read):
            page = pdf[i]
            tp = page.get_textpage()
            nchars = tp.count_chars()
            raw = tp.get_text_range() if nchars else ""
            char_counts.append(nchars)
            why = None
            if not raw.strip():
                if _count(page, pdfium_c.FPDF_PAGEOBJ_IMAGE, 1):
                    why = "scanned image, no text"
                elif _count(page, pdfium_c.FPDF_PAGEOBJ_PATH, _OUTLINE_PATHS) >= _OUTLINE_PATHS:
                    why = "text drawn as vector outlines"
            else:
                why = _unusable(raw)
            if why:
                bad[i] = why
                texts.append("")
            else:
                texts.append(_clean_page(raw))
                if _count(page, pdfium_c.FPDF_PAGEOBJ_PATH, _RULED_PATHS) >= _RULED_PATHS:
                    ruled.append(i)
            tp.close()
            page.close()
        if n > read:
            doc.errors.append(f"too_large: {n} pages; text read from the first {read} (limit pdf_max_pages)")

        if ruled and limits.pdf_table_pages > 0:
            _tables(pdf, data, ruled[: limits.pdf_table_pages], texts, char_counts, doc)
        if len(ruled) > limits.pdf_table_pages:
            doc.meta["tables_note"] = (f"tables read on the first {limits.pdf_table_pages} of {len(ruled)} "
                                       "pages with ruling lines (limit pdf_table_pages)")
    finally:
        pdf.close()

    if bad:
        doc.needs_ocr = True
        doc.meta["ocr_pages"] = [i + 1 for i in sorted(bad)]
        reasons = sorted(set(bad.values()))
        if len(bad) == read:
            doc.errors.append(f"needs_ocr: no usable text layer on any of {read} pages ({'; '.join(reasons)})")
        else:
            pages = ", ".join(str(i + 1) for i in sorted(bad)[:20]) + (" …" if len(bad) > 20 else "")
            doc.errors.append(f"needs_ocr: pages {pages} of {read} have no usable text layer ({'; '.join(reasons)})")

    offsets, parts, pos = [], [], 0
    for t in texts:
        offsets.append(pos)
        if t:
            parts.append(t)
            pos += len(t) + 1
    doc.text = "\n".join(parts)
    doc.meta["page_offsets"] = offsets  # where each page starts in `text` (an empty page starts where the next does)
    return doc


def _tables(pdf, data: bytes, pages: list[int], texts: list[str], char_counts: list[int], doc: DocumentText) -> None:
    """Ruled tables from pdfplumber; the table region of the page text is replaced by its rows."""
    import pdfplumber

    try:
        # pdfplumber walks the whole page tree before its first page (0.3 s on 200 pages, even with its
        # `pages` argument): give it a copy holding only the pages it is to read.
        if len(pages) < len(texts):
            import pypdfium2 as pdfium

            sub = pdfium.PdfDocument.new()
            sub.import_pages(pdf, pages)
            buf = io.BytesIO()
            sub.save(buf)
            sub.close()
            data = buf.getvalue()
        plumber = pdfplumber.open(io.BytesIO(data), password="")
    except Exception as exc:
        doc.meta["tables_note"] = f"tables not read: {type(exc).__name__}"
        return
    try:
        for i, ppage in zip(pages, plumber.pages):
            try:
                _page_tables(pdf, ppage, i, texts, char_counts[i], doc)
            except Exception as exc:  # a table failure costs the table, never the page text
                doc.meta.setdefault("table_errors", []).append(f"page {i + 1}: {type(exc).__name__}: {exc}"[:200])
    finally:
        plumber.close()


def _page_tables(pdf, ppage, i: int, texts: list[str], nchars: int, doc: DocumentText) -> None:
    if len(ppage.chars) > 1.5 * max(nchars, 1):  # fake bold: every glyph drawn twice
        ppage = ppage.dedupe_chars(tolerance=1)
    found = ppage.find_tables()
    page_chars = set(re.sub(r"\s", "", texts[i]))
    grids = []
    for t in found:
        grid = []
        for row in t.extract():
            cells = [drop_cjk_gaps(clean_inline(join_cell_lines(c or ""))) for c in row]
            if any(cells):
                grid.append(cells)
        if len(grid) < 2 or max(len(r) for r in grid) < 2:
            continue
        chars = [c for row in grid for cell in row for c in cell if not c.isspace()]
        # pdfminer can misread a font pdfium reads right (seen on encrypted files): trust only tables
        # whose characters are on the page text.
        if not chars or sum(c in page_chars for c in chars) < 0.9 * len(chars):
            continue
        grids.append((t.bbox, grid))
    if not grids:
        ppage.close()
        return
    # Rebuild the page: text above, between and below the tables from pdfium, table rows in between.
    page = pdf[i]
    tp = page.get_textpage()
    width, height = page.get_size()
    lines, top = [], 0.0
    for (x0, t_top, x1, t_bottom), grid in sorted(grids, key=lambda g: g[0][1]):
        if t_top > top:
            lines.append(_clean_page(tp.get_text_bounded(left=0, bottom=height - t_top, right=width, top=height - top)))
        lines.extend("\t".join(r) for r in grid)
        top = max(top, t_bottom)
        doc.tables.append(grid)
    lines.append(_clean_page(tp.get_text_bounded(left=0, bottom=0, right=width, top=height - top)))
    texts[i] = "\n".join(ln for ln in lines if ln)
    tp.close()
    page.close()
    ppage.close()
