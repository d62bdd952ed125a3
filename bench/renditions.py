"""Renditions of real notices and the agreement of their answers with the source text's (issue 11).

A *source* is a real notice as text (../shared/benchmarks/bidagent-gold/texts, and the compute-cases pages
read to text). A *rendition* is the same notice in another format an attachment arrives in: .docx, legacy
.doc (LibreOffice from the .docx), .docx inside .7z, inside RAR 4 / RAR 5, inside a GBK-named .zip …
Each rendition is read by `read_document` and extracted by `extract_notice`, exactly as `tenderwatch extract`
does with a file, and its answers are compared field by field with the answers on the source text.

Adding a rendition: decorate a function `(sources, workdir) -> list[bytes]` (one file per source, in
order) with `@rendition("kind", "ext")`. Building and comparing are separate so a test can build a few and
the benchmark many:

    sources = load_sources(n_gold=20, n_compute=10)
    rows = compare(sources, ["docx", "doc", "7z"])      # {kind: RenditionResult}

Used by bench/bench_renditions.py (`make bench`) and tests/extract/test_renditions_shared.py.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SHARED = ROOT.parent / "shared" / "benchmarks"
GOLD_TEXTS = SHARED / "bidagent-gold" / "texts"
COMPUTE_DOCS = SHARED / "compute-cases" / "docs"

# The fields compared. A field counts only where the source text answers it (non-empty); the compute
# verdicts always count: the same notice must be a case, or not, whatever its format.
FIELDS = ("title", "buyer", "vendors", "amounts", "published_at", "bid_deadline")
COMPUTE = ("remote_compute", "hardware_purchase", "cloud_providers", "gpu_models")


@dataclass
class Source:
    id: str
    text: str


@dataclass
class RenditionResult:
    kind: str
    files: int = 0
    read_ok: int = 0  # read without an error entry and with text
    fields_answered: int = 0  # fields the source answers, over all files
    fields_agreeing: int = 0
    compute_identical: int = 0  # files whose four compute answers equal the source's
    seconds: float = 0.0  # reading + extraction, all files
    mismatches: list[str] = field(default_factory=list)  # "id field: source → rendition"
    errors: list[str] = field(default_factory=list)  # "id: reason"

    @property
    def agreement(self) -> float:
        return self.fields_agreeing / self.fields_answered if self.fields_answered else 1.0


# ---------------------------------------------------------------- sources


def load_sources(n_gold: int = 30, n_compute: int = 10, *, shared: Path = SHARED) -> list[Source]:
    """The first `n_gold` BidAgent texts and `n_compute` compute-case pages (as text), in name order."""
    from extract.documents import read_document

    gold = shared / "bidagent-gold" / "texts"
    out = [Source(p.stem, p.read_text(encoding="utf-8")) for p in sorted(gold.glob("*.txt"))[:n_gold]]
    for p in sorted((shared / "compute-cases" / "docs").glob("*.htm*"))[:n_compute]:
        out.append(Source(p.stem, read_document(p.read_bytes(), p.name).text))
    return out


# ---------------------------------------------------------------- renditions

Renderer = Callable[[list[Source], Path], list[bytes]]
RENDITIONS: dict[str, tuple[str, Renderer]] = {}  # kind → (file extension, renderer)


def rendition(kind: str, ext: str) -> Callable[[Renderer], Renderer]:
    def register(fn: Renderer) -> Renderer:
        RENDITIONS[kind] = (ext, fn)
        return fn

    return register


def member_name(src: Source, ext: str = "docx") -> str:
    """The name a portal gives the one document inside a bundle: 【附件1-<project>.docx】-style banners."""
    return f"附件1-{src.id}采购文件.{ext}"


def docx_bytes(text: str) -> bytes:
    """A .docx as a buyer types it: one paragraph per line; tab-separated lines become table rows (a "\v"
    in a cell is a line break inside it)."""
    import docx

    d = docx.Document()
    rows: list[list[str]] = []

    def flush() -> None:
        if not rows:
            return
        width = max(len(r) for r in rows)
        table = d.add_table(rows=len(rows), cols=width)
        for i, r in enumerate(rows):
            for j, cell in enumerate(r):
                table.cell(i, j).text = cell.replace("\v", "\n")
        rows.clear()

    for line in text.replace("\r\n", "\n").split("\n"):
        if "\t" in line.strip():
            rows.append(line.strip().split("\t"))
            continue
        flush()
        d.add_paragraph(line)
    flush()
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


@rendition("text", "txt")
def _text(sources: list[Source], workdir: Path) -> list[bytes]:
    return [s.text.encode("utf-8") for s in sources]


@rendition("docx", "docx")
def _docx(sources: list[Source], workdir: Path) -> list[bytes]:
    return [docx_bytes(s.text) for s in sources]


def soffice_convert(files: list[bytes], ext_in: str, ext_out: str, workdir: Path, timeout: float = 600) -> list[bytes]:
    """Convert many files with one LibreOffice start (its own profile in `workdir`): the benchmark's
    writer of legacy formats, not the reader under test."""
    src = workdir / f"in-{ext_out}"
    dst = workdir / f"out-{ext_out}"
    src.mkdir(parents=True, exist_ok=True)
    dst.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, data in enumerate(files):
        p = src / f"r{i:04d}.{ext_in}"
        p.write_bytes(data)
        paths.append(p)
    profile = (workdir / "lo-profile").as_uri()
    subprocess.run(["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", ext_out,
                    "--outdir", str(dst), *map(str, paths)], check=True, capture_output=True, timeout=timeout)
    return [(dst / f"{p.stem}.{ext_out}").read_bytes() for p in paths]


@rendition("doc", "doc")
def _doc(sources: list[Source], workdir: Path) -> list[bytes]:
    return soffice_convert([docx_bytes(s.text) for s in sources], "docx", "doc", workdir)


@rendition("wps", "wps")
def _wps(sources: list[Source], workdir: Path) -> list[bytes]:
    """Kingsoft Writer's .wps is a Word 97 binary (an OLE file with a WordDocument stream); no free tool
    writes Kingsoft's own variant, so this is the .doc under a .wps name — what the reader must accept."""
    return _doc(sources, workdir)


def _bundled(pack: Callable[[dict[str, bytes]], bytes]) -> Renderer:
    def render(sources: list[Source], workdir: Path) -> list[bytes]:
        return [pack({member_name(s): docx_bytes(s.text)}) for s in sources]

    return render


def _register_archives() -> None:
    from crawler.replica import archive_writers as w

    rendition("7z", "7z")(_bundled(w.seven_zip))
    rendition("rar4", "rar")(_bundled(w.rar4_stored))
    rendition("rar5", "rar")(_bundled(w.rar5_stored))
    rendition("gbk_zip", "zip")(_bundled(w.zip_with_gbk_names))


_register_archives()


# ---------------------------------------------------------------- scans and photos (read by OCR)

SCAN_MAX_PAGES = 10  # pages of a source rendered as a scan (the real texts take 1–4)


def scan_pages(src: Source) -> list[tuple[object, str]]:
    """(clean page image, the text drawn on it) for the first SCAN_MAX_PAGES A4 pages of a source, at 200 dpi
    (tools/scan_render.py). Needs a CJK font: `has_cjk_font()` says whether these renditions can be built."""
    from tools.scan_render import find_cjk_font, render_pages

    font = find_cjk_font()
    if font is None:
        raise RuntimeError("no CJK font to render scans with (apt-get install fonts-wqy-microhei)")
    return render_pages(src.text.splitlines(), font, max_pages=SCAN_MAX_PAGES)


def has_cjk_font() -> bool:
    from tools.scan_render import find_cjk_font

    return find_cjk_font() is not None


def _skew(i: int) -> float:
    import random

    return random.Random(i).uniform(-1.0, 1.0)  # ≤ 1°, either way


@rendition("scan_pdf", "pdf")
def _scan_pdf(sources: list[Source], workdir: Path) -> list[bytes]:
    """A 200-dpi scan without a text layer: grey paper, specks, slight blur, skew ≤ 1°."""
    from tools.scan_render import image_pdf, scanned

    return [image_pdf([scanned(img, seed=i * 10 + k, skew=_skew(i * 10 + k)) for k, (img, _) in enumerate(scan_pages(s))])
            for i, s in enumerate(sources)]


@rendition("jpg", "jpg")
def _jpg(sources: list[Source], workdir: Path) -> list[bytes]:
    """A phone photo of page 1 (uneven light, skew ≤ 1°, JPEG)."""
    from tools.scan_render import jpeg, photographed

    return [jpeg(photographed(scan_pages(s)[0][0], seed=i, skew=_skew(i))) for i, s in enumerate(sources)]


def build(kind: str, sources: list[Source], workdir: Path) -> list[tuple[str, bytes]]:
    """(file name, bytes) per source for one rendition kind."""
    ext, fn = RENDITIONS[kind]
    return [(f"{s.id}.{ext}", data) for s, data in zip(sources, fn(sources, workdir))]


# ---------------------------------------------------------------- answers and agreement


def answers(data: bytes, name: str) -> tuple[dict, list[str], bool]:
    """(answers, errors, has_text) of one file read and extracted as `tenderwatch extract` does."""
    from extract.documents import read_document
    from extract.pipeline import extract_notice

    doc = read_document(data, name)
    ex = extract_notice(doc)
    f, c = ex.fields, ex.compute
    out = {
        "title": f.title, "buyer": f.buyer, "vendors": sorted(f.vendors),
        "amounts": sorted((a.kind, a.value_cny, a.percent) for a in f.amounts),
        "published_at": f.published_at, "bid_deadline": f.bid_deadline,
        "remote_compute": c.remote_compute, "hardware_purchase": c.hardware_purchase,
        "cloud_providers": c.cloud_providers, "gpu_models": c.gpu_models,
    }
    return out, ex.errors, bool(doc.text.strip())


def agree(source: dict, other: dict) -> dict[str, bool]:
    """field → equal, for the fields the source answers plus the compute verdicts."""
    out = {k: source[k] == other[k] for k in FIELDS if source[k] not in (None, "", [])}
    out.update({k: source[k] == other[k] for k in COMPUTE})
    return out


def compare(sources: list[Source], kinds: list[str], workdir: Optional[Path] = None,
            baseline: str = "text") -> dict[str, RenditionResult]:
    """Build each rendition kind of every source and compare its answers with those of the `baseline`
    rendition ("text": the source itself; "docx": what a .doc or an archive was made from)."""
    own = workdir is None
    workdir = Path(tempfile.mkdtemp(prefix="tw-renditions-")) if own else workdir
    try:
        base = {s.id: answers(data, name)[0] for s, (name, data) in zip(sources, build(baseline, sources, workdir))}
        results = {}
        for kind in kinds:
            res = results[kind] = RenditionResult(kind)
            for src, (name, data) in zip(sources, build(kind, sources, workdir / kind)):
                t = time.perf_counter()
                got, errors, has_text = answers(data, name)
                res.seconds += time.perf_counter() - t
                res.files += 1
                if has_text and not errors:
                    res.read_ok += 1
                else:
                    res.errors.append(f"{src.id}: {'; '.join(errors) or 'no text'}"[:300])
                verdict = agree(base[src.id], got)
                res.fields_answered += sum(1 for k in verdict if k in FIELDS)
                res.fields_agreeing += sum(1 for k, ok in verdict.items() if ok and k in FIELDS)
                res.compute_identical += all(verdict[k] for k in COMPUTE)
                res.mismatches.extend(f"{src.id} {k}: {base[src.id][k]!r} → {got[k]!r}"
                                      for k, ok in verdict.items() if not ok)
        return results
    finally:
        if own:
            shutil.rmtree(workdir, ignore_errors=True)


def table(results: dict[str, RenditionResult]) -> str:
    lines = ["| rendition | read without error | field agreement | compute identical | s/file |",
             "|---|---|---|---|---|"]
    for r in results.values():
        lines.append(f"| {r.kind} | {r.read_ok}/{r.files} | {r.agreement:.1%} "
                     f"({r.fields_agreeing}/{r.fields_answered}) | {r.compute_identical}/{r.files} "
                     f"| {r.seconds / max(r.files, 1):.3f} |")
    return "\n".join(lines)


if __name__ == "__main__":  # a quick look: python bench/renditions.py [n_gold n_compute kinds…]
    args = sys.argv[1:]
    n_gold, n_compute = (int(args[0]), int(args[1])) if len(args) >= 2 else (5, 3)
    kinds = args[2:] or list(RENDITIONS)
    res = compare(load_sources(n_gold, n_compute), kinds)
    print(table(res))
    for r in res.values():
        for line in (r.errors + r.mismatches)[:10]:
            print(f"  {r.kind}: {line}")
