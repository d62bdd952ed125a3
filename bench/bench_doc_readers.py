"""Which reader for legacy Word .doc (issue 11)? The candidates side by side on .doc files made by LibreOffice
from real notices (BidAgent texts with their tab-separated rows as Word tables), each judged against the
.docx reader's text of the same notice:

  - text fidelity: share of the .docx text's lines (whitespace ignored) found in the candidate's output —
    lost, garbled or mis-encoded Chinese lowers it; wrapped lines do not;
  - tables: share of the .docx tables' rows found as one line with the cells in order (tab- or
    pipe-separated) — a reader that loses row structure scores low;
  - seconds per file, and install weight (Debian Installed-Size, or the wheel's size).

Candidates: LibreOffice headless → .docx → our .docx reader (the chosen one, extract/documents/legacy.py),
antiword, catdoc, wvText, and a pure-Python OLE reader (olefile + the Word piece table, written here for
the comparison: text as stored, cell marks as tabs). Then the archive readers: libarchive (libarchive-c,
chosen) beside rarfile (+ unar backend) and py7zr on the same RAR and 7z files.

    .venv/bin/python bench/bench_doc_readers.py [--n 20]
"""

from __future__ import annotations

import argparse
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import renditions as r  # noqa: E402


def run(cmd: list[str], path: Path) -> str:
    return subprocess.run(cmd + [str(path)], capture_output=True, timeout=120).stdout.decode("utf-8", "replace")


def wvtext(path: Path) -> str:
    out = path.with_suffix(".wv.txt")
    subprocess.run(["wvText", str(path), str(out)], capture_output=True, timeout=120)
    return out.read_text("utf-8", "replace") if out.exists() else ""


def ole_piece_table(path: Path) -> str:
    """Word 97-2003 text from the piece table (MS-DOC 2.4.1), with nothing but olefile."""
    import olefile

    ole = olefile.OleFileIO(str(path))
    wd = ole.openstream("WordDocument").read()
    flags = struct.unpack_from("<H", wd, 0x0A)[0]
    table = ole.openstream("1Table" if flags & 0x0200 else "0Table").read()
    fc_clx, lcb_clx = struct.unpack_from("<II", wd, 0x01A2)
    clx = table[fc_clx:fc_clx + lcb_clx]
    i = 0
    while clx[i] == 0x01:  # Prc: property modifiers, skipped
        i += 3 + struct.unpack_from("<H", clx, i + 1)[0]
    lcb = struct.unpack_from("<I", clx, i + 1)[0]
    plc = clx[i + 5:i + 5 + lcb]
    n = (lcb - 4) // 12
    cps = struct.unpack_from(f"<{n + 1}I", plc, 0)
    parts = []
    for k in range(n):
        fc = struct.unpack_from("<I", plc, 4 * (n + 1) + 8 * k + 2)[0]
        length = cps[k + 1] - cps[k]
        if fc & 0x40000000:
            start = (fc & ~0x40000000) // 2
            parts.append(wd[start:start + length].decode("cp1252", "replace"))
        else:
            parts.append(wd[fc:fc + 2 * length].decode("utf-16-le", "replace"))
    text = "".join(parts)
    text = re.sub("\x13[^\x14\x15]*\x14?([^\x15]*)\x15", r"\1", text)  # field codes → their results
    text = text.replace("\x07\r", "\n").replace("\x07\x07", "\n").replace("\x07", "\t")
    return text.replace("\r", "\n").replace("\x0b", "\n").replace("\x0c", "\n")


def libreoffice(path: Path) -> str:
    from extract.documents import read_document

    return read_document(path.read_bytes(), path.name).text


CANDIDATES = {
    "LibreOffice → .docx reader": (libreoffice, "libreoffice-writer-nogui"),
    "antiword": (lambda p: run(["antiword", "-w", "0", "-m", "UTF-8.txt"], p), "antiword"),
    "catdoc": (lambda p: run(["catdoc", "-w", "-d", "utf-8"], p), "catdoc"),
    "wvText": (wvtext, "wv"),
    "pure Python (olefile piece table)": (ole_piece_table, None),
}


def sparse_tables(text: str) -> str:
    """Every tab-separated row with every fourth cell blanked and its first filled cell on two lines."""
    out = []
    for i, line in enumerate(text.split("\n")):
        if "\t" in line.strip():
            cells = [("" if (i + j) % 4 == 1 else c) for j, c in enumerate(line.strip().split("\t"))]
            cells[0] = cells[0] + "\v（续）" if cells[0] else cells[0]
            line = "\t".join(cells)
        out.append(line)
    return "\n".join(out)


def squash(s: str) -> str:
    return re.sub(r"\s+", "", s)


def table_row_found(row: list[str], out_lines: list[str]) -> bool:
    cells = [squash(c) for c in row if c.strip()]
    for line in out_lines:
        parts = [squash(p) for p in re.split(r"\t|\|", line) if p.strip()]
        if parts == cells:
            return True
    return False


def installed_kb(package: str | None) -> str:
    if package is None:
        import importlib.metadata as md

        files = md.files("olefile") or []
        return f"{sum(f.size or 0 for f in files) / 1024:,.0f} KB (olefile wheel)"
    if package == "libreoffice-writer-nogui":
        pkgs = subprocess.run(["dpkg-query", "-W", "-f", "${Package} ${Installed-Size}\n", "libreoffice*", "ure*",
                               "uno-libs*", "libuno*", "fonts-opensymbol"], capture_output=True, text=True).stdout
    else:
        pkgs = subprocess.run(["dpkg-query", "-W", "-f", "${Package} ${Installed-Size}\n", package],
                              capture_output=True, text=True).stdout
    total = sum(int(p.split()[1]) for p in pkgs.splitlines() if len(p.split()) == 2 and p.split()[1].isdigit())
    return f"{total / 1024:,.0f} MB (Debian, without shared deps)" if total > 10240 else f"{total:,} KB (Debian)"


def archives(sources: list[r.Source], workdir: Path) -> None:
    import io

    import py7zr
    import rarfile

    from crawler.replica import archive_writers as w
    from extract.documents import read_document

    files = {s.id: r.docx_bytes(s.text) for s in sources}
    rar, sz = w.rar5_stored(files), w.seven_zip(files)

    def timed(fn) -> tuple[float, int]:
        t = time.perf_counter()
        n = fn()
        return time.perf_counter() - t, n

    def rar_rarfile() -> int:
        with rarfile.RarFile(io.BytesIO(rar)) as z:
            return sum(len(z.read(i)) > 0 for i in z.infolist())

    def sz_py7zr() -> int:
        from py7zr.io import BytesIOFactory

        factory = BytesIOFactory(limit=1 << 30)
        with py7zr.SevenZipFile(io.BytesIO(sz)) as z:
            z.extractall(factory=factory)
        return len(factory.products)

    def libarchive_bytes(data: bytes, fmt: str):
        import libarchive

        def fn() -> int:
            # the format named: with "all", stored .docx members (ZIPs) inside a RAR can outbid the RAR
            with libarchive.memory_reader(data, format_name=fmt) as a:
                return sum(len(b"".join(e.get_blocks())) > 0 for e in a)

        return fn

    def read_all(data: bytes, name: str):
        return lambda: len(read_document(data, name).parts)

    print(f"\narchive readers, {len(files)} .docx members (member bytes out; last row: every member read too):")
    for label, fn in [("RAR 5 libarchive", libarchive_bytes(rar, "rar5")), ("RAR 5 rarfile", rar_rarfile),
                      ("7z libarchive", libarchive_bytes(sz, "7zip")), ("7z py7zr", sz_py7zr),
                      ("7z read_document (+ .docx reading)", read_all(sz, "a.7z"))]:
        try:
            s, n = timed(fn)
            print(f"  {label:<36} {n:>3} members  {s:6.2f} s")
        except Exception as exc:  # a candidate that cannot read the file is a result, not a crash
            print(f"  {label:<36} failed: {type(exc).__name__}: {str(exc)[:100]}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=20, help="notices")
    args = ap.parse_args()
    if not r.GOLD_TEXTS.is_dir() or shutil.which("soffice") is None:
        print("skipped: needs ../shared/benchmarks and LibreOffice (soffice)")
        return 0
    from extract.documents import read_document

    # notices with tables first: the table figure needs some; and as many again with the same tables the
    # way buyers fill them in — blank cells, a cell of two lines (where row structure is easy to lose)
    sources = sorted(r.load_sources(200, 0), key=lambda s: -s.text.count("\t"))[: args.n]
    sources += [r.Source(s.id + "-sparse", sparse_tables(s.text)) for s in sources]
    workdir = Path(tempfile.mkdtemp(prefix="tw-bench-doc-"))
    try:
        docx = [r.docx_bytes(s.text) for s in sources]
        docs = r.soffice_convert(docx, "docx", "doc", workdir)
        truth = [read_document(d, "a.docx") for d in docx]
        paths = []
        for i, data in enumerate(docs):
            p = workdir / f"n{i:03d}.doc"
            p.write_bytes(data)
            paths.append(p)
        print(f"{len(sources)} .doc files, {sum(len(t) for d in truth for t in d.tables)} table rows\n")
        print("| reader | text fidelity | table rows kept | s/file | install weight |")
        print("|---|---|---|---|---|")
        for name, (fn, package) in CANDIDATES.items():
            lines_ok = lines_all = rows_ok = rows_all = 0
            t = time.perf_counter()
            outs = []
            for p in paths:
                try:
                    outs.append(fn(p))
                except Exception as exc:
                    outs.append(f"<failed: {type(exc).__name__}>")
            secs = (time.perf_counter() - t) / len(paths)
            for doc, out in zip(truth, outs):
                flat = squash(out)
                lines = [squash(ln) for ln in doc.text.splitlines() if ln.strip() and "\t" not in ln]
                lines_all += len(lines)
                lines_ok += sum(ln in flat for ln in lines)
                out_lines = out.splitlines()
                for t_ in doc.tables:
                    for row in t_:
                        rows_all += 1
                        rows_ok += table_row_found(row, out_lines)
            print(f"| {name} | {lines_ok / max(lines_all, 1):.1%} | {rows_ok / max(rows_all, 1):.1%} "
                  f"| {secs:.3f} | {installed_kb(package)} |")
        archives(sources, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
