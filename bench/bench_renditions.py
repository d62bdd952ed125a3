"""Issue 11: the same answers whatever the format. Real notices (30 BidAgent texts + 10 compute cases by
default) rendered as .docx, legacy .doc, .wps (the Word binary under a .wps name), .docx inside 7z, RAR 4,
RAR 5 and a GBK-named ZIP; each read and extracted as `tenderwatch extract` does, and compared field by field
(title, buyer, vendors, amounts, dates; remote_compute, hardware_purchase, providers, chips) with the answers
on the source text, and with those on the .docx the other renditions were made from. Then .doc reading
speed in pages per second beside pdfplumber on the text-layer PDF of the same notices (one core).

    .venv/bin/python bench/bench_renditions.py [--gold 30] [--compute 10] [--speed 10]

Needs ../shared/benchmarks (skipped without it) and LibreOffice (`soffice`) for the .doc renditions.
"""

from __future__ import annotations

import argparse
import io
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import renditions as r  # noqa: E402

KINDS = ["docx", "doc", "wps", "7z", "rar4", "rar5", "gbk_zip"]


def speed(sources: list[r.Source], workdir: Path) -> None:
    """.doc through read_document vs pdfplumber's extract_text on the PDF LibreOffice prints from the
    same .docx; pages counted on that PDF."""
    import pdfplumber
    import pypdfium2

    from extract.documents import read_document

    docx = [r.docx_bytes(s.text) for s in sources]
    docs = r.soffice_convert(docx, "docx", "doc", workdir / "speed")
    pdfs = r.soffice_convert(docx, "docx", "pdf", workdir / "speed")
    pages = sum(len(pypdfium2.PdfDocument(p)) for p in pdfs)

    t = time.perf_counter()
    for i, data in enumerate(docs):
        read_document(data, f"{i}.doc")
    doc_s = time.perf_counter() - t

    t = time.perf_counter()
    for data in pdfs:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            for page in pdf.pages:
                page.extract_text()
    plumber_s = time.perf_counter() - t

    t = time.perf_counter()
    for i, data in enumerate(pdfs):
        read_document(data, f"{i}.pdf")
    ours_pdf_s = time.perf_counter() - t
    print(f"\nspeed, {len(sources)} notices = {pages} pages (as printed to PDF by LibreOffice):")
    print(f"  .doc via read_document (LibreOffice → .docx → reader): {pages / doc_s:7.1f} pages/s "
          f"({doc_s / len(sources):.2f} s per file)")
    print(f"  pdfplumber extract_text on the text-layer PDF:          {pages / plumber_s:7.1f} pages/s")
    print(f"  read_document on the same PDF (pypdfium2 + tables):      {pages / ours_pdf_s:7.1f} pages/s")
    print(f"  ratio .doc / pdfplumber: {plumber_s / doc_s:.2f}×  (a .doc costs one LibreOffice start, ~1 s)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--gold", type=int, default=30, help="BidAgent texts")
    ap.add_argument("--compute", type=int, default=10, help="compute-case pages")
    ap.add_argument("--speed", type=int, default=10, help="notices for the pages/s figure (0: skip)")
    ap.add_argument("--kinds", default=",".join(KINDS))
    args = ap.parse_args()
    if not r.GOLD_TEXTS.is_dir():
        print(f"skipped: {r.GOLD_TEXTS} is missing")
        return 0
    if shutil.which("soffice") is None:
        print("skipped: LibreOffice (soffice) is not installed")
        return 0
    sources = r.load_sources(args.gold, args.compute)
    kinds = args.kinds.split(",")
    workdir = Path(tempfile.mkdtemp(prefix="tw-bench-renditions-"))
    try:
        print(f"{len(sources)} notices ({args.gold} BidAgent texts, {args.compute} compute cases)\n")
        print("against the source text:")
        vs_text = r.compare(sources, kinds, workdir / "text")
        print(r.table(vs_text))
        for res in vs_text.values():
            for line in (res.errors + res.mismatches)[:3]:
                print(f"  {res.kind}: {line}"[:240])
        others = [k for k in kinds if k != "docx"]
        print("\nagainst the .docx they were made from (the reader's own loss):")
        vs_docx = r.compare(sources, others, workdir / "docx", baseline="docx")
        print(r.table(vs_docx))
        for res in vs_docx.values():
            for line in (res.errors + res.mismatches)[:3]:
                print(f"  {res.kind}: {line}"[:240])
        if args.speed:
            speed(sources[: args.speed], workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
