"""Generate the replica's attachment files from content/files.toml, deterministically (same bytes every run).

    .venv/bin/python -m crawler.replica.make_files [--check]

PDFs get a real Chinese text layer (reportlab's built-in STSong-Light CID font, so nothing is embedded or
downloaded); DOCX and XLSX come from python-docx and openpyxl; legacy .doc from a DOCX entry through
LibreOffice (`soffice`); ZIP, RAR and 7z archives bundle other entries (crawler/replica/archive_writers.py).
Office files are ZIPs with timestamps inside, so they are re-packed with a fixed date. reportlab is a dev
dependency: the generated files are committed and the replica itself only reads them.
"""

from __future__ import annotations

import io
import re
import sys
import tomllib
import zipfile
from datetime import datetime

from crawler.replica.content import CONTENT_DIR, FILES_DIR

FIXED_DATE = (2026, 9, 1, 0, 0, 0)
FIXED_DATETIME = datetime(*FIXED_DATE)


def _repack(data: bytes) -> bytes:
    """Rewrite a ZIP-based file with fixed member timestamps so it is byte-for-byte reproducible."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=FIXED_DATE)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o644 << 16
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the save time into the document
                data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>2026-09-01T00:00:00Z", data)
            dst.writestr(member, data)
    return out.getvalue()


def _wrap(line: str, width: int) -> list[str]:
    return [line[i:i + width] for i in range(0, len(line), width)] or [""]


def make_pdf(title: str, lines: list[str]) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=A4, invariant=1)  # invariant: no creation date or random id
    pdf.setTitle(title)
    pdf.setFont("STSong-Light", 16)
    pdf.drawCentredString(A4[0] / 2, 780, title)
    pdf.setFont("STSong-Light", 11)
    y = 740
    for line in lines:
        for part in _wrap(line, 40):
            pdf.drawString(72, y, part)
            y -= 20
    pdf.showPage()
    pdf.save()
    return buf.getvalue()


def make_docx(title: str, lines: list[str]) -> bytes:
    import docx

    document = docx.Document()
    props = document.core_properties
    props.created = props.modified = FIXED_DATETIME
    props.author = props.last_modified_by = "replica"
    props.revision = 1
    document.add_heading(title, level=1)
    for line in lines:
        document.add_paragraph(line)
    buf = io.BytesIO()
    document.save(buf)
    return _repack(buf.getvalue())


def make_xlsx(title: str, rows: list[list[str]]) -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.properties.created = workbook.properties.modified = FIXED_DATETIME
    workbook.properties.creator = workbook.properties.lastModifiedBy = "replica"
    sheet = workbook.active
    sheet.title = "报价表"
    sheet.append([title])
    for row in rows:
        sheet.append(row)
    buf = io.BytesIO()
    workbook.save(buf)
    return _repack(buf.getvalue())


def make_zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=FIXED_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return out.getvalue()


def make_corrupt_pdf() -> bytes:
    """A PDF header followed by garbage and no xref/trailer: what a truncated upload looks like."""
    return b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n" + bytes(
        (i * 37 + 11) % 256 for i in range(2048)
    )


def make_doc(docx: bytes) -> bytes:
    """Word 97-2003 from a .docx, saved by LibreOffice (deterministic for the same input)."""
    import subprocess
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in.docx"
        src.write_bytes(docx)
        subprocess.run(["soffice", f"-env:UserInstallation={(Path(tmp) / 'profile').as_uri()}", "--headless",
                        "--convert-to", "doc", "--outdir", tmp, str(src)],
                       check=True, capture_output=True, timeout=300)
        return (Path(tmp) / "in.doc").read_bytes()


def make_archive(name: str, members: dict[str, bytes], gbk_names: bool = False) -> bytes:
    """By the archive's extension: ZIP (UTF-8 names, or GB18030 names without the UTF-8 flag), RAR 5 in the
    store method (written byte by byte: `rar` is non-free), 7z (py7zr)."""
    from crawler.replica import archive_writers

    if name.endswith(".rar"):
        return archive_writers.rar5_stored(members)
    if name.endswith(".7z"):
        return archive_writers.seven_zip(members)
    return archive_writers.zip_with_gbk_names(members) if gbk_names else make_zip(members)


def make_scan(name: str, kind: str, title: str, lines: list[str]) -> bytes:
    """A scanned PDF (200 dpi, no text layer) or a phone photo (JPEG) of the page, by tools/scan_render.py.
    Rendering needs a CJK font (fonts-wqy-microhei, or TENDERWATCH_CJK_FONT); without one the committed file
    is kept as it is (and said so), since a machine without the font cannot check it."""
    from tools.scan_render import find_cjk_font, image_pdf, jpeg, photographed, render_pages, scanned

    font = find_cjk_font()
    if font is None:
        if (FILES_DIR / name).exists():
            print(f"{name}: no CJK font to render it with; the committed file is kept unchecked", file=sys.stderr)
            return (FILES_DIR / name).read_bytes()
        raise SystemExit("rendering the scanned attachments needs a CJK font: apt-get install fonts-wqy-microhei")
    (page, _), *_ = render_pages(lines, font, title=title, max_pages=1)
    if kind == "pdf":
        return image_pdf([scanned(page, seed=11, skew=0.6)])
    return jpeg(photographed(page, seed=12, skew=-0.7), quality=65)


def build_all() -> dict[str, bytes]:
    with (CONTENT_DIR / "files.toml").open("rb") as f:
        entries = tomllib.load(f)["file"]
    built: dict[str, bytes] = {}
    # archives and converted files last: they are made from other entries
    for entry in sorted(entries, key=lambda e: "members" in e or "doc_of" in e):
        name = entry["name"]
        if entry.get("corrupt"):
            built[name] = make_corrupt_pdf()
        elif "doc_of" in entry:
            try:
                built[name] = make_doc(built[entry["doc_of"]])
            except FileNotFoundError:  # no LibreOffice here: the committed file stands
                built[name] = (FILES_DIR / name).read_bytes()
        elif "members" in entry:
            # member_names: the names inside the archive, when they differ from the entries' file names
            inside = entry.get("member_names", entry["members"])
            built[name] = make_archive(name, {n: built[m] for n, m in zip(inside, entry["members"])},
                                       entry.get("gbk_names", False))
        elif "scan" in entry:
            built[name] = make_scan(name, entry["scan"], entry["title"], entry["lines"])
        elif name.endswith(".pdf"):
            built[name] = make_pdf(entry["title"], entry["lines"])
        elif name.endswith(".docx"):
            built[name] = make_docx(entry["title"], entry["lines"])
        elif name.endswith(".xlsx"):
            built[name] = make_xlsx(entry["title"], entry["rows"])
        else:
            raise ValueError(f"files.toml: do not know how to make {name}")
    return built


def _up_to_date(name: str, data: bytes) -> bool:
    path = FILES_DIR / name
    if not path.exists():
        return False
    committed = path.read_bytes()
    if committed == data:
        return True
    if name.endswith(".doc"):  # LibreOffice writes random revision ids: compare what the file reads as
        from extract.documents import read_document

        old, new = read_document(committed, name), read_document(data, name)
        return not old.errors and (old.text, old.tables) == (new.text, new.tables)
    return False


def main(argv: list[str]) -> int:
    built = build_all()
    if "--check" in argv:
        stale = [n for n, data in built.items() if not _up_to_date(n, data)]
        print("stale: " + ", ".join(stale) if stale else "all files up to date")
        return 1 if stale else 0
    FILES_DIR.mkdir(parents=True, exist_ok=True)
    for name, data in built.items():
        if name.endswith(".doc") and _up_to_date(name, data):
            continue  # the same document: no new bytes to commit
        (FILES_DIR / name).write_bytes(data)
        print(f"{name}: {len(data)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
