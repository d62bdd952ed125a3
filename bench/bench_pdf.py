"""Document reading speed: PDF pages per second through `read_document` (pypdfium2 text + pdfplumber tables)
beside pdfplumber's own `extract_text` on the same files, and HTML / text documents per second.

    .venv/bin/python bench/bench_pdf.py [--repeat 3]

Inputs: tests/fixtures/documents/long200.pdf (200 pages, one ruled table), the compute-cases PDFs and HTML
pages, and the 598 BidAgent texts in ../shared/benchmarks (skipped when ../shared is missing). Best of
--repeat runs, one process. Timings vary ±15 % on a shared machine: read them as ratios.
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from extract.documents import read_document  # noqa: E402
from timing import best  # noqa: E402

SHARED = ROOT.parent / "shared" / "benchmarks"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    read_document((ROOT / "tests/fixtures/documents/notice.pdf").read_bytes(), "warm.pdf")  # jieba, imports

    pdfs = [ROOT / "tests/fixtures/documents/long200.pdf"]
    if SHARED.is_dir():
        pdfs += sorted((SHARED / "compute-cases/docs").glob("*.pdf"))
    blobs = [(p.name, p.read_bytes()) for p in pdfs]
    pages = sum(read_document(b, n).pages or 0 for n, b in blobs)

    long_name, long_blob = blobs[0]
    t_long = best(lambda: read_document(long_blob, long_name), args.repeat)
    t_ours = best(lambda: [read_document(b, n) for n, b in blobs], args.repeat)
    print(f"pdf  {long_name} (200 pages, 1 table) through read_document: {t_long:.2f} s")

    import pdfplumber

    def plumber():
        for _, b in blobs:
            with pdfplumber.open(io.BytesIO(b)) as pdf:
                for page in pdf.pages:
                    page.extract_text()
                    page.close()

    t_plumber = best(plumber, 1)
    print(f"pdf  read_document (pypdfium2 text + pdfplumber tables): {pages / t_ours:8.0f} pages/s "
          f"({pages} pages in {t_ours:.2f} s)")
    print(f"pdf  pdfplumber extract_text alone, same files:          {pages / t_plumber:8.0f} pages/s "
          f"({t_plumber:.2f} s)")

    if not SHARED.is_dir():
        print("../shared is missing: HTML and text benchmarks skipped")
        return
    html = [(p.name, p.read_bytes()) for p in sorted((SHARED / "compute-cases/docs").glob("*.html"))]
    texts = [(p.name, p.read_bytes()) for p in sorted((SHARED / "bidagent-gold/texts").glob("*.txt"))]
    t_html = best(lambda: [read_document(b, n) for n, b in html], args.repeat)
    t_text = best(lambda: [read_document(b, n) for n, b in texts], args.repeat)
    mb = sum(len(b) for _, b in html) / 1e6
    print(f"html read_document (ccgp pages):                         {len(html) / t_html:8.0f} docs/s "
          f"({len(html)} pages, {mb / t_html:.1f} MB/s)")
    print(f"text read_document (598 BidAgent texts):                 {len(texts) / t_text:8.0f} docs/s "
          f"({t_text:.2f} s)")


if __name__ == "__main__":
    main()
