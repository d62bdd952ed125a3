"""Generate the replica's attachment files from content/files.toml, deterministically (same bytes every run).

    .venv/bin/python -m crawler.replica.make_files [--check]

PDFs get a real Chinese text layer (reportlab's built-in STSong-Light CID font, so nothing is embedded or
downloaded); DOCX and XLSX come from python-docx and openpyxl; ZIPs bundle other entries. Office files are
ZIPs with timestamps inside, so they are re-packed with a fixed date. reportlab is a dev dependency: the
generated files are committed and the replica itself only reads them.
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


def build_all() -> dict[str, bytes]:
    with (CONTENT_DIR / "files.toml").open("rb") as f:
        entries = tomllib.load(f)["file"]
    built: dict[str, bytes] = {}
    for entry in sorted(entries, key=lambda e: "members" in e):  # archives last: they bundle other entries
        name = entry["name"]
        if entry.get("corrupt"):
            built[name] = make_corrupt_pdf()
        elif "members" in entry:
            built[name] = make_zip({m: built[m] for m in entry["members"]})
        elif name.endswith(".pdf"):
            built[name] = make_pdf(entry["title"], entry["lines"])
        elif name.endswith(".docx"):
            built[name] = make_docx(entry["title"], entry["lines"])
        elif name.endswith(".xlsx"):
            built[name] = make_xlsx(entry["title"], entry["rows"])
        else:
            raise ValueError(f"files.toml: do not know how to make {name}")
    return built


def main(argv: list[str]) -> int:
    built = build_all()
    if "--check" in argv:
        stale = [n for n, data in built.items() if not (FILES_DIR / n).exists() or (FILES_DIR / n).read_bytes() != data]
        print("stale: " + ", ".join(stale) if stale else "all files up to date")
        return 1 if stale else 0
    FILES_DIR.mkdir(parents=True, exist_ok=True)
    for name, data in built.items():
        (FILES_DIR / name).write_bytes(data)
        print(f"{name}: {len(data)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
