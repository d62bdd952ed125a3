"""OCR of scans and photos (issue 11): the engines side by side, the renditions' field agreement, and a crawl
with scanned attachments.

    .venv/bin/python bench/bench_ocr.py [--pages 8] [--gold 10 --compute 4] [--crawl-scans 8] [--json]

1. Engines — page 1 of `--pages` real notices (../shared bidagent-gold texts and compute-case pages) rendered
   as 200-dpi scans (grey paper, specks, blur, skew ≤ 1°; bench/renditions.py → tools/scan_render.py), read
   by RapidOCR (the engine tenderwatch uses) and by Debian's tesseract chi_sim through the same interface and
   layout (extract/documents/ocr.py), one thread each, engines loaded before timing. Character accuracy =
   1 − edit distance / length of the text drawn on the page, whitespace removed and full-width forms folded
   (NFKC) on both sides. Beside it: pdfplumber's `extract_text` on a text-layer PDF of the same page text.
2. Renditions — `--gold` + `--compute` sources as a scanned PDF (every page) and as a JPG photo of page 1,
   read and extracted as `tenderwatch extract` does, answers compared with the source text's
   (bench/renditions.py: title, buyer, vendors, amounts, dates; remote_compute, hardware_purchase,
   providers, chips). A photo holds page 1 only, so fields printed on later pages count against it.
3. Crawl — the bundled ccgp replica with `--crawl-scans` tender notices given one more attachment, a 1-page
   scanned PDF of its requirements, against the same crawl with that attachment as a text-layer PDF; full
   pipeline (STORE_WORKERS=1: OCR runs in the storing worker). Ratio of the two crawl times (goal ≤ 3).

Needs a CJK font to render (fonts-wqy-microhei, or TENDERWATCH_CJK_FONT) and ../shared: skips without them.
Timings vary ±15 % on a shared machine; compare the ratios.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import renditions as R  # noqa: E402


def squash(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def char_accuracy(got: str, want: str) -> float:
    """1 − Levenshtein distance / len(want), on squashed texts."""
    a, b = squash(got), squash(want)
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return max(0.0, 1 - prev[-1] / max(1, len(b)))


# ---------------------------------------------------------------- 1. engines


def engines(sources: list[R.Source]) -> dict:
    from extract.documents.ocr import OcrUnavailable, get_engine, layout
    from tools.scan_render import photographed, scanned

    pages = []
    for i, src in enumerate(sources):
        img, drawn = R.scan_pages(src)[0]
        pages.append((src.id, scanned(img, seed=i * 10, skew=R._skew(i * 10)), photographed(img, seed=i), drawn))
    out: dict = {"pages": len(pages), "chars": sum(len(squash(d)) for *_, d in pages)}
    for name in ("rapidocr", "tesseract"):
        try:
            engine = get_engine(name, 1)
            engine.read(pages[0][1])  # loaded and warm before timing
        except OcrUnavailable as exc:
            out[name] = {"skipped": str(exc)}
            continue
        accs, seconds, photo_accs = [], 0.0, []
        for pid, scan, photo, drawn in pages:
            t = time.perf_counter()
            text = "\n".join(ln.text for ln in layout(engine.read(scan)))
            seconds += time.perf_counter() - t
            accs.append(char_accuracy(text, drawn))
            photo_accs.append(char_accuracy("\n".join(ln.text for ln in layout(engine.read(photo.convert("L")))), drawn))
        out[name] = {
            "seconds_per_page": round(seconds / len(pages), 2),
            "char_accuracy": round(statistics.mean(accs), 4),
            "char_accuracy_min": round(min(accs), 4),
            "photo_char_accuracy": round(statistics.mean(photo_accs), 4),
        }
    out["pdfplumber_seconds_per_page"] = _pdfplumber(pages)
    return out


def _text_pdf(text: str) -> bytes:
    """The page's text as a text-layer PDF (reportlab, STSong-Light), one A4 page."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=1)
    c.setFont("STSong-Light", 9)
    y = 800
    for line in text.splitlines():
        for k in range(0, max(len(line), 1), 50):
            c.drawString(40, y, line[k:k + 50].replace("\t", "  "))
            y -= 12
    c.showPage()
    c.save()
    return buf.getvalue()


def _pdfplumber(pages) -> float:
    import pdfplumber

    pdfs = [_text_pdf(drawn) for *_, drawn in pages]
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        for data in pdfs:
            with pdfplumber.open(io.BytesIO(data)) as pdf:
                pdf.pages[0].extract_text()
        best = min(best, time.perf_counter() - t)
    return round(best / len(pdfs), 4)


# ---------------------------------------------------------------- 3. crawl


def crawl(n_scans: int) -> dict:
    from dataclasses import dataclass as dc

    from bench_crawl import run_child
    from crawler.replica.content import ReplicaAttachment, _key, load_notices
    from crawler.replica.server import serving
    from crawler.replica.site import ReplicaOptions, ReplicaSite
    from tools.scan_render import find_cjk_font, image_pdf, render_pages, scanned

    @dc
    class BlobAttachment(ReplicaAttachment):
        blob: bytes = b""

        def data(self) -> bytes | None:
            return self.blob

    font = find_cjk_font()
    results = {}
    for variant in ("text", "scan"):
        notices = load_notices()
        chosen = [n for n in notices if n.kind == "tender"][:n_scans]
        for n in chosen:
            lines = [f"{row[0]}：{row[1]}，数量{row[2]}。" for row in n.items] + [n.requirements, f"服务期限：{n.term}"]
            title = f"{n.project_name}采购需求"
            if variant == "scan":
                (img, _), *_ = render_pages(lines, font, title=title, max_pages=1)
                blob = image_pdf([scanned(img, seed=n.id % 1000, skew=0.5)])
            else:
                blob = _text_pdf("\n".join([title, *lines]))
            index = len(n.attachments)
            n.attachments = [*n.attachments, BlobAttachment(
                "采购需求.pdf", "bench", "biz", _key(n.id, index, "biz"), f"附件{index + 1}采购需求.pdf", blob)]
        site = ReplicaSite(ReplicaOptions(), notices=notices)
        with tempfile.TemporaryDirectory() as tmp, serving(site) as server:
            os.environ["TENDERWATCH_DATA_DIR"] = tmp
            results[variant] = run_child("full", server.url, f"sqlite:///{tmp}/tenderwatch.db", 1)
    results["attachments_varied"] = n_scans
    results["ratio_scan_to_text"] = round(results["scan"]["seconds"] / results["text"]["seconds"], 2)
    return results


# ---------------------------------------------------------------- main


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pages", type=int, default=8, help="pages for the engine comparison")
    ap.add_argument("--gold", type=int, default=10, help="bidagent-gold sources for the renditions")
    ap.add_argument("--compute", type=int, default=4, help="compute-case sources for the renditions")
    ap.add_argument("--crawl-scans", type=int, default=8, help="replica notices given a scanned attachment")
    ap.add_argument("--skip", nargs="*", default=[], choices=["engines", "renditions", "crawl"])
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if not R.GOLD_TEXTS.is_dir():
        print("skipped: ../shared/benchmarks is not beside this checkout")
        return 0
    if not R.has_cjk_font():
        print("skipped: no CJK font to render scans with (apt-get install fonts-wqy-microhei)")
        return 0
    out: dict = {}
    if "engines" not in args.skip:
        half = max(1, args.pages // 4)
        out["engines"] = engines(R.load_sources(args.pages - half, half))
    if "renditions" not in args.skip:
        res = R.compare(R.load_sources(args.gold, args.compute), ["scan_pdf", "jpg"])
        out["renditions"] = {k: {"read_ok": f"{r.read_ok}/{r.files}", "agreement": round(r.agreement, 4),
                                 "fields": f"{r.fields_agreeing}/{r.fields_answered}",
                                 "compute_identical": f"{r.compute_identical}/{r.files}",
                                 "seconds_per_file": round(r.seconds / max(r.files, 1), 2),
                                 # compute verdicts first: they must be identical
                                 "mismatches": sorted(r.mismatches, key=lambda m: m.split()[1].rstrip(":")
                                                      not in R.COMPUTE)[:12],
                                 "errors": r.errors[:5]} for k, r in res.items()}
        out["renditions_table"] = R.table(res)
    if "crawl" not in args.skip:
        out["crawl"] = crawl(args.crawl_scans)
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return 0
    if "engines" in out:
        e = out["engines"]
        print(f"OCR engines on {e['pages']} rendered 200-dpi scans ({e['chars']:,} characters), one thread:")
        for name in ("rapidocr", "tesseract"):
            r = e[name]
            if "skipped" in r:
                print(f"  {name}: skipped ({r['skipped']})")
                continue
            print(f"  {name:9s} char accuracy {r['char_accuracy']:.2%} (worst page {r['char_accuracy_min']:.2%}), "
                  f"photo {r['photo_char_accuracy']:.2%}; {r['seconds_per_page']:.2f} s/page "
                  f"= {r['seconds_per_page'] / e['pdfplumber_seconds_per_page']:.0f}× pdfplumber")
        print(f"  pdfplumber extract_text on a text-layer PDF of the same pages: {e['pdfplumber_seconds_per_page']:.4f} s/page")
    if "renditions" in out:
        print("\nrenditions read by OCR vs the source text (goal ≥ 95 % agreement, identical compute answers):")
        print(out["renditions_table"])
        for kind, r in out["renditions"].items():
            for m in r["mismatches"][:6]:
                print(f"  {kind}: {m}")
    if "crawl" in out:
        c = out["crawl"]
        print(f"\nreplica crawl, full pipeline, {c['attachments_varied']} tender notices with one more attachment:")
        print(f"  as text-layer PDFs: {c['text']['notices']} notices in {c['text']['seconds']:.1f} s")
        print(f"  as scanned PDFs:    {c['scan']['notices']} notices in {c['scan']['seconds']:.1f} s")
        print(f"  ratio scanned/text: {c['ratio_scan_to_text']} (goal ≤ 3)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
