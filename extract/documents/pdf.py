"""PDF → text and tables.

Page text comes from pypdfium2 (≈800 pages/s; it adds no spaces inside letter-spaced CJK text). What pdfium
does depends on the machine's fonts for a font the PDF does not embed (most notices' SimSun/STSong): without a
CJK font it keeps fake-bold copies and drops glyphs placed one by one. The text must not depend on the
machine, so copies are removed by position (`_PageChars`) and dropped glyphs read by pdfminer
(`_recover_lost_glyphs`). pdfplumber (≈20–60 pages/s, a full layout parse per page) is used only
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
_WS_RE = re.compile(r"\s+")
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


# A run of text drawn again at (almost) the same place: fake bold. pdfium drops such copies only when it finds
# the font's glyph boxes (a system CJK font for the non-embedded SimSun/STSong of most notices), so the text
# must not depend on the fonts of the machine: copies are found here from the glyph origins, which the PDF
# itself fixes. The origins cost ~2 µs a character, so only pages whose text shows a repeat are examined.
_DOUBLED_GLYPHS_RE = re.compile(r"(?:(\S)\1){3}")  # 三三、、中中: each glyph drawn twice
_SAME_PLACE = 0.12  # of the font size: fake-bold offsets are ≤ 0.1 em, the narrowest real advance ≥ 0.2 em


def _looks_repeated(raw: str) -> bool:
    """A line that is one text twice (`X X`, `XX`), glyphs doubled, or a line repeated on the next one."""
    lines = raw.split("\r\n")
    for ln in lines:
        n, half = len(ln), len(ln) // 2
        if n >= 4 and ln[:half] == ln[n - half:] and (n % 2 == 0 or ln[half] == " "):
            return True
        if _DOUBLED_GLYPHS_RE.search(ln):
            return True
    return any(a and a == b for a, b in zip(lines, lines[1:]))


class _PageChars:
    """The characters of a pdfium text page with their baseline origins, fake-bold copies left out."""

    def __init__(self, tp, raw: str):
        import ctypes

        import pypdfium2.raw as pdfium_c

        x, y = ctypes.c_double(), ctypes.c_double()
        chars: list[tuple[str, float, float, bool, bool]] = []  # char, x, y, generated, copy
        seen: dict[str, list[tuple[float, float]]] = {}
        for i, ch in enumerate(raw[: tp.count_chars()]):
            generated = bool(pdfium_c.FPDFText_IsGenerated(tp.raw, i))
            pdfium_c.FPDFText_GetCharOrigin(tp.raw, i, x, y)
            copy = False
            if not generated and not ch.isspace():
                tol = _SAME_PLACE * max(pdfium_c.FPDFText_GetFontSize(tp.raw, i), 1.0)
                placed = seen.setdefault(ch, [])
                copy = any(abs(x.value - x0) <= tol and abs(y.value - y0) <= tol for x0, y0 in placed)
                if not copy:
                    placed.append((x.value, y.value))
            chars.append((ch, x.value, y.value, generated, copy))
        # A space or line break pdfium put before a copy belongs to the copy.
        keep, drop_next_gap = [], False
        for ch, cx, cy, generated, copy in reversed(chars):
            if copy:
                drop_next_gap = True
                continue
            if generated and drop_next_gap:
                continue
            drop_next_gap = False
            keep.append((ch, cy, generated))
        keep.reverse()
        # Generated characters (line breaks) sit where the character before them is.
        self.chars: list[tuple[str, float]] = []
        last_y = keep[0][1] if keep else 0.0
        for ch, cy, generated in keep:
            if not generated:
                last_y = cy
            self.chars.append((ch, last_y))

    def text(self) -> str:
        return "".join(ch for ch, _ in self.chars)

    def between(self, bottom: float, top: float) -> str:
        """The text whose baselines lie in (bottom, top], PDF units from the page's bottom edge."""
        return "".join(ch for ch, y in self.chars if bottom < y <= top)


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
        unrenderable: set[int] = set()  # garbled text in fonts the file does not carry: no fixed picture to OCR
        ruled: list[int] = []
        lost: list[int] = []  # pages whose text layer left out glyphs (_lost_glyphs)
        char_counts: list[int] = []
        for i in range(read):
            page = pdf[i]
            tp = page.get_textpage()
            nchars = tp.count_chars()
            raw = tp.get_text_range() if nchars else ""
            if raw and _looks_repeated(raw):
                raw = _PageChars(tp, raw).text()
            char_counts.append(nchars)
            if _lost_glyphs(page, nchars, pdfium_c):
                lost.append(i)
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
                if raw.strip() and not _fonts_embedded(page, pdfium_c):
                    unrenderable.add(i)
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
        lost = [i for i in lost if i not in bad]
        if lost:
            _recover_lost_glyphs(pdf, data, lost[: limits.pdf_table_pages], texts, doc)
        if len(ruled) > limits.pdf_table_pages:
            doc.meta["tables_note"] = (f"tables read on the first {limits.pdf_table_pages} of {len(ruled)} "
                                       "pages with ruling lines (limit pdf_table_pages)")
        ocr, no_ocr = None, ""
        if bad:  # pages without a usable text layer are read by OCR (extract/documents/ocr.py)
            from .ocr import ocr_pdf_pages, page_lines

            if len(unrenderable) < len(bad):
                ocr, no_ocr = ocr_pdf_pages(pdf, sorted(set(bad) - unrenderable), limits)
            for p in ocr.pages if ocr else ():
                texts[p.page - 1] = page_lines(p)
    finally:
        pdf.close()

    if bad:
        doc.meta["ocr_pages"] = [i + 1 for i in sorted(bad)]
        if unrenderable:  # their picture depends on the fonts of the machine: OCR would read that machine's guess
            doc.needs_ocr = True
            pages = ", ".join(str(i + 1) for i in sorted(unrenderable)[:20]) + (" …" if len(unrenderable) > 20 else "")
            doc.errors.append(f"needs_ocr: pages {pages} of {read} have no usable text layer "
                              f"({'; '.join(sorted({bad[i] for i in unrenderable}))}) and fonts the file does not "
                              "embed; not read by OCR")
            bad = {i: why for i, why in bad.items() if i not in unrenderable}
        if bad and ocr is None:
            doc.needs_ocr = True
            reasons = "; ".join(sorted(set(bad.values())))
            if len(bad) == read:
                doc.errors.append(f"needs_ocr: no usable text layer on any of {read} pages ({reasons}); {no_ocr}")
            else:
                pages = ", ".join(str(i + 1) for i in sorted(bad)[:20]) + (" …" if len(bad) > 20 else "")
                doc.errors.append(f"needs_ocr: pages {pages} of {read} have no usable text layer ({reasons}); "
                                  f"{no_ocr}")

    offsets, parts, pos = [], [], 0
    for t in texts:
        offsets.append(pos)
        if t:
            parts.append(t)
            pos += len(t) + 1
    doc.text = "\n".join(parts)
    doc.meta["page_offsets"] = offsets  # where each page starts in `text` (an empty page starts where the next does)
    if bad and ocr is not None:
        from .ocr import record

        record(doc, ocr, {p.page: offsets[p.page - 1] for p in ocr.pages})
        if ocr.pages and not any(p.lines for p in ocr.pages) and not doc.text:
            doc.errors.append(f"empty: OCR found no text on {len(ocr.pages)} scanned page(s)")
    return doc


def _fonts_embedded(page, pdfium_c) -> bool:
    """True when every font of the page's text is embedded, so the page renders the same everywhere."""
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_TEXT], max_depth=2):
        font = pdfium_c.FPDFTextObj_GetFont(obj.raw)
        if not font or not pdfium_c.FPDFFont_GetIsEmbedded(font):
            return False
    return True


def _lost_glyphs(page, nchars: int, pdfium_c) -> bool:
    """Whether pdfium left text objects out of the page's text: it drops glyphs that have no size, which is
    what the glyphs of a font neither embedded in the PDF nor installed on this machine (a CJK font on a
    server without one) have when each is its own text object. Seen as more text objects than characters;
    counting objects costs little, and only on pages with more objects than characters."""
    if pdfium_c.FPDFPage_CountObjects(page.raw) <= nchars:
        return False
    return _count(page, pdfium_c.FPDF_PAGEOBJ_TEXT, nchars + 1) > nchars


def _recover_lost_glyphs(pdf, data: bytes, pages: list[int], texts: list[str], doc: DocumentText) -> None:
    """The text of pages where pdfium lost glyphs, from pdfminer, which places glyphs by the widths the PDF
    itself gives (no system font involved) — kept when it holds more text and reads as text."""
    try:
        plumber = _plumber(pdf, data, pages, len(texts))
    except Exception:
        return
    recovered = []
    try:
        for i, ppage in zip(pages, plumber.pages):
            try:
                text = _clean_page(ppage.extract_text() or "")
            except Exception:  # pdfminer failing on a page leaves pdfium's text
                continue
            if len(_WS_RE.sub("", text)) > len(_WS_RE.sub("", texts[i])) and not _unusable(text):
                texts[i] = text
                recovered.append(i + 1)
    finally:
        plumber.close()
    if recovered:
        doc.meta["glyphs_recovered_pages"] = recovered


def _plumber(pdf, data: bytes, pages: list[int], total: int):
    """pdfplumber on `pages` only: it walks the whole page tree before its first page (0.3 s on 200 pages,
    even with its `pages` argument), so it gets a copy holding just those pages."""
    import pdfplumber

    if len(pages) < total:
        import pypdfium2 as pdfium

        sub = pdfium.PdfDocument.new()
        sub.import_pages(pdf, pages)
        buf = io.BytesIO()
        sub.save(buf)
        sub.close()
        data = buf.getvalue()
    return pdfplumber.open(io.BytesIO(data), password="")


def _tables(pdf, data: bytes, pages: list[int], texts: list[str], char_counts: list[int], doc: DocumentText) -> None:
    """Ruled tables from pdfplumber; the table region of the page text is replaced by its rows."""
    try:
        plumber = _plumber(pdf, data, pages, len(texts))
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
    _, height = page.get_size()
    chars = _PageChars(tp, tp.get_text_range())
    lines, top = [], 0.0
    for (x0, t_top, x1, t_bottom), grid in sorted(grids, key=lambda g: g[0][1]):
        if t_top > top:
            lines.append(_clean_page(chars.between(height - t_top, height - top)))
        lines.extend("\t".join(r) for r in grid)
        top = max(top, t_bottom)
        doc.tables.append(grid)
    lines.append(_clean_page(chars.between(float("-inf"), height - top)))
    texts[i] = "\n".join(ln for ln in lines if ln)
    tp.close()
    page.close()
    ppage.close()
