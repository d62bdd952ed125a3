"""DOCX (paragraphs and tables in document order) and XLSX (each sheet's rows as tab-separated lines)."""

from __future__ import annotations

import datetime
import io
import zipfile

from extract.types import DocumentText

from .limits import Limits
from .textutil import clean_inline, join_cell_lines, tidy_lines

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _corrupt(kind: str, name: str, exc: Exception) -> DocumentText:
    reason = "corrupt"
    if isinstance(exc, (zipfile.BadZipFile, EOFError)):
        detail = f"damaged or truncated {kind} archive ({exc})"
    elif isinstance(exc, KeyError):
        detail = f"{kind} package is missing a part ({exc})"
    else:
        detail = f"{type(exc).__name__}: {exc}"
    return DocumentText(text="", kind=kind, name=name, errors=[f"{reason}: {detail}"[:300]])


def _cell_text(tc) -> str:
    """Every paragraph of a table cell, those of tables nested in it included (python-docx's cell.text
    skips them). Wrapped paragraphs join as a wrapped cell does; nested cells are kept apart by a space."""
    text, prev_tc = "", None
    for p in tc.iter(_W + "p"):
        para = clean_inline("".join(t.text or "" for t in p.iter(_W + "t")))
        if not para:
            continue
        owner = next(p.iterancestors(_W + "tc"))
        if not text:
            text = para
        elif owner is not tc and owner is not prev_tc:
            text += " " + para
        else:
            text = join_cell_lines(text + "\n" + para)
        prev_tc = owner
    return text


def read_docx(data: bytes, name: str, limits: Limits, *, core_title: bool = True) -> DocumentText:
    """`core_title`: take the title from the document properties first (not for converted legacy files,
    whose properties are the converter's defaults or stale template titles)."""
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        d = docx.Document(io.BytesIO(data))
    except Exception as exc:
        return _corrupt("docx", name, exc)
    doc = DocumentText(text="", kind="docx", name=name)
    lines: list[str] = []

    def table_rows(tbl: Table) -> list[list[str]]:
        grid = []
        for row in tbl.rows:
            cells, seen = [], set()
            for cell in row.cells:
                if id(cell._tc) in seen:  # a merged cell is returned once per grid column it spans
                    continue
                seen.add(id(cell._tc))
                cells.append(_cell_text(cell._tc))
            if any(cells):
                grid.append(cells)
        return grid

    body = d.element.body
    for child in body.iterchildren():
        if child.tag == _W + "p":
            lines.append(Paragraph(child, d).text)
        elif child.tag == _W + "tbl":
            grid = table_rows(Table(child, d))
            if grid:
                doc.tables.append(grid)
                lines.extend("\t".join(r) if len(r) > 1 else r[0] for r in grid)
    doc.text = tidy_lines(lines)
    if not doc.text.strip():  # a DOCX wrapping scanned pages: OCR its pictures
        from .ocr import read_docx_images
        read_docx_images(data, doc, limits)
    try:
        title = clean_inline(d.core_properties.title or "") if core_title else ""
    except Exception:
        title = ""
    if not title:  # else the first Title / Heading paragraph
        for p in d.paragraphs[:50]:
            style = (p.style.name if p.style is not None else "") or ""
            if style.startswith(("Title", "Heading")) and p.text.strip():
                title = clean_inline(p.text)
                break
    doc.title = title or None
    return doc


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.10g}" if v != int(v) else str(int(v))  # 1176000.0 → 1176000
    if isinstance(v, datetime.datetime):
        return v.strftime("%Y-%m-%d %H:%M") if (v.hour, v.minute) != (0, 0) else v.strftime("%Y-%m-%d")
    if isinstance(v, datetime.date):
        return v.isoformat()
    return clean_inline(join_cell_lines(str(v)))


def _read_sheets(doc: DocumentText, sheets, limits: Limits) -> None:
    """`sheets`: (name, rows) pairs, rows yielding lists of already formatted cells. A sheet's rows are
    tab-separated lines under a `name：` line, and one of `doc.tables`."""
    lines: list[str] = []
    cells_read = 0
    try:
        for title, rows in sheets:
            grid: list[list[str]] = []
            for cells in rows:
                cells_read += len(cells)
                if cells_read > limits.xlsx_max_cells:
                    doc.errors.append(f"too_large: stopped after {limits.xlsx_max_cells:,} cells (limit xlsx_max_cells)")
                    break
                while cells and not cells[-1]:
                    cells.pop()
                if cells:
                    grid.append(cells)
            if grid:
                lines.append(f"{title}：")
                lines.extend("\t".join(r) if len(r) > 1 else r[0] for r in grid)
                doc.tables.append(grid)
            if doc.errors:
                break
    except Exception as exc:  # a damaged sheet: keep the sheets already read
        doc.errors.append(f"corrupt: {type(exc).__name__}: {exc}"[:300])
    doc.text = tidy_lines(lines, merge_labels=False)


def read_xlsx(data: bytes, name: str, limits: Limits) -> DocumentText:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:
        return _corrupt("xlsx", name, exc)
    doc = DocumentText(text="", kind="xlsx", name=name, meta={"sheets": wb.sheetnames})
    try:
        sheets = ((ws.title, ([_cell(v) for v in row] for row in ws.iter_rows(values_only=True)))
                  for ws in wb.worksheets)
        _read_sheets(doc, sheets, limits)
    finally:
        wb.close()
    return doc


def read_xls(data: bytes, name: str, limits: Limits) -> DocumentText:
    """Excel 97-2003 (BIFF) through xlrd. Its kind stays "doc", the legacy-Office kind; meta["format"] is "xls"."""
    import xlrd

    doc = DocumentText(text="", kind="doc", name=name, meta={"format": "xls"})
    try:
        book = xlrd.open_workbook(file_contents=data, on_demand=True)
    except Exception as exc:
        if "encrypt" in str(exc).lower():
            doc.errors.append("encrypted: password-protected Excel 97-2003 workbook")
        else:
            doc.errors.append(f"corrupt: {type(exc).__name__}: {exc}"[:300])
        return doc

    def rows(sheet):
        for r in range(sheet.nrows):
            out = []
            for c in sheet.row(r):
                if c.ctype == xlrd.XL_CELL_DATE:
                    try:
                        out.append(_cell(xlrd.xldate_as_datetime(c.value, book.datemode)))
                        continue
                    except Exception:
                        pass
                if c.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
                    out.append("")
                elif c.ctype == xlrd.XL_CELL_BOOLEAN:
                    out.append("TRUE" if c.value else "FALSE")
                else:
                    out.append(_cell(c.value))
            yield out

    try:
        doc.meta["sheets"] = book.sheet_names()
        _read_sheets(doc, ((book.sheet_by_index(i).name, rows(book.sheet_by_index(i))) for i in range(book.nsheets)),
                     limits)
    finally:
        book.release_resources()
    return doc
