"""Offline OCR: page images (scanned PDF pages, photos, images in DOCX) → text lines that keep their page
number, reading order and the engine's confidence; rows of a table become tab-separated lines.

The engine is RapidOCR 3 (PP-OCRv6 detection and recognition, PP-OCR direction classifier: ONNX models
inside the `rapidocr` wheel, run by onnxruntime on one thread; the direction classifier is not used). It was chosen over Debian's tesseract
chi_sim by `bench/bench_ocr.py` (character accuracy on rendered 200-dpi scans, seconds per page; figures in
docs/architecture.md). Nothing is downloaded: the models are files of the installed package, and the engine
is refused if they are missing rather than letting RapidOCR fetch them. `TENDERWATCH_OCR=0` switches OCR
off (scans then stay `needs_ocr`); `TENDERWATCH_OCR_ENGINE=tesseract` selects the other engine behind the
same interface (it needs `tesseract-ocr-chi-sim`).

Each OCR'd document records a summary in `DocumentText.ocr` and, in `meta["ocr_lines"]`, one
`[start, end, page, confidence]` per line of its text, so evidence found in that text can say it was read
by OCR (`evidence_source`).
"""

from __future__ import annotations

import functools
import io
import math
import os
import re
import statistics
import subprocess
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Optional

from extract.types import DocumentText

from .limits import Limits

_OFF = ("0", "false", "no", "off")
_CJK_RE = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
CELL_GAP = 1.0  # a horizontal gap wider than this many box heights (≈1.5 characters) separates table cells
IMAGE_FORMATS = {"JPEG": "jpg", "PNG": "png", "TIFF": "tif", "BMP": "bmp", "GIF": "gif", "WEBP": "webp"}


def enabled() -> bool:
    return os.environ.get("TENDERWATCH_OCR", "1").strip().lower() not in _OFF


class OcrUnavailable(Exception):
    """The engine cannot run here (package or models missing); the scan stays `needs_ocr`."""


# --------------------------------------------------------------------------- engines


@dataclass
class Segment:
    """A run of text the engine found: its text, confidence (0–1), box, and where each non-space
    character sits horizontally (x0, x1), when the engine says."""

    text: str
    confidence: float
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 (after deskewing)
    chars: Optional[list[tuple[float, float]]] = None
    rules: list[float] = field(default_factory=list)  # x of vertical table rules crossing it (cell borders)


def _vertical_rules(dark, quad, angle: float) -> list[float]:
    """x positions (deskewed) of vertical ruling lines in or just beside a text box: columns dark nearly all
    the way down. Detection often runs one box across the rules of a tight table, or leaves two cells'
    boxes closer than a cell gap."""
    import numpy as np

    h, w = dark.shape
    y0, y1 = max(0, int(quad[:, 1].min())), min(h, int(quad[:, 1].max()) + 1)
    margin = (y1 - y0) // 2  # a rule just beside the box separates it from its neighbour
    x0, x1 = max(0, int(quad[:, 0].min()) - margin), min(w, int(quad[:, 0].max()) + 1 + margin)
    if x1 - x0 < 3 or y1 - y0 < 8:
        return []
    strip = dark[y0:y1, x0:x1]
    cover = np.maximum(strip[:, :-1], strip[:, 1:]).mean(axis=0)  # 2 px wide: a skewed rule drifts a pixel
    cols = np.flatnonzero(cover > 0.85)
    rules, last = [], -10
    for c in cols:
        if c - last > 3:
            rules.append(c)
        last = c
    yc = (y0 + y1) / 2
    return [_rotate(x0 + c + 0.5, yc, angle)[0] for c in rules]


@dataclass
class Rule:
    """A ruling line of a table (deskewed pixels): `at` is its y (horizontal) or x (vertical), `lo`–`hi`
    the extent along it."""

    at: float
    lo: float
    hi: float


@dataclass
class Rules:
    """The page's table rules, found in the image once: what says which text lines share a table cell."""

    horizontal: list[Rule] = field(default_factory=list)
    vertical: list[Rule] = field(default_factory=list)


def _runs(dark, length: int, axis: int):
    """Start pixels of runs of at least `length` dark pixels along `axis`."""
    import numpy as np

    c = np.cumsum(dark, axis=axis, dtype=np.uint16)  # a page side is under 65536 px (ocr_max_side)
    if axis == 0:
        c = np.vstack([np.zeros((1, c.shape[1]), np.uint16), c])
        return (c[length:] - c[:-length]) == length
    c = np.hstack([np.zeros((c.shape[0], 1), np.uint16), c])
    return (c[:, length:] - c[:, :-length]) == length


def _cluster(at, lo, length: int, gap: float) -> list[Rule]:
    """Run starts → rules: run starts within 3 px across (`at`) are one rule, split where its extent (`lo`
    to `lo + length`) breaks by more than `gap`."""
    import numpy as np

    out: list[Rule] = []
    if not len(at):
        return out
    order = np.argsort(at, kind="stable")
    at, lo = at[order], lo[order]
    cuts = np.flatnonzero(np.diff(at) > 3) + 1
    for a, b in zip(np.r_[0, cuts], np.r_[cuts, len(at)]):
        pos, starts = float(np.median(at[a:b])), np.sort(lo[a:b])
        breaks = np.flatnonzero(np.diff(starts) > gap) + 1
        for s, e in zip(np.r_[0, breaks], np.r_[breaks, len(starts)]):
            out.append(Rule(pos, float(starts[s]), float(starts[e - 1] + length)))
    return out


def find_rules(dark, angle: float, height: float) -> Rules:
    """Horizontal and vertical ruling lines: dark runs far longer than any stroke of a character (three and
    two text heights), a pixel of drift allowed for the skew; in deskewed coordinates."""
    import numpy as np

    h_len, v_len = max(20, int(3 * height)), max(20, int(2 * height))
    out = Rules()
    thick = dark.copy()  # a 1° skew moves a rule one pixel every 57: let runs step a pixel aside
    thick[1:] |= dark[:-1]
    ys, xs = np.nonzero(_runs(thick, h_len, 1))
    c, s = math.cos(-angle), math.sin(-angle)
    if len(ys):
        y2, x2 = xs * s + ys * c, xs * c - ys * s
        out.horizontal = _cluster(y2, x2, h_len, height)
    thick = dark.copy()
    thick[:, 1:] |= dark[:, :-1]
    ys, xs = np.nonzero(_runs(thick, v_len, 0))
    if len(ys):
        y2, x2 = xs * s + ys * c, xs * c - ys * s
        out.vertical = _cluster(x2, y2, v_len, height)
    return out


class Segments(list):
    """The segments of one image, with the table rules found in it (`rules`, None when the engine gives no
    image analysis)."""

    rules: Optional[Rules] = None


class RapidOcrEngine:
    name = "rapidocr"

    def __init__(self, threads: int = 1):
        try:
            import rapidocr
            from rapidocr import RapidOCR
        except ImportError as exc:
            raise OcrUnavailable(f"rapidocr is not installed ({exc})") from exc
        models = os.path.join(os.path.dirname(rapidocr.__file__), "models")
        if not any(f.endswith(".onnx") for f in os.listdir(models)) if os.path.isdir(models) else True:
            raise OcrUnavailable(f"the rapidocr package has no models in {models}; they are not downloaded")
        self.version = getattr(rapidocr, "__version__", "")
        self._ocr = RapidOCR(params={
            "Global.log_level": "critical",
            # The 0°/180° direction classifier flips short upright crops of scans ("GPU卡时" read as "GP"):
            # pages of tenders are upright, so it costs accuracy and time.
            "Global.use_cls": False,
            # Detection at ≤ 1280 px on the long side (an A4 page at ~110 dpi) finds body-size text as well as
            # full resolution and takes a third of the time; recognition still reads crops at full resolution.
            "Det.limit_type": "max",
            "Det.limit_side_len": 1280,
            "EngineConfig.onnxruntime.intra_op_num_threads": threads,
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
        })

    def read(self, image) -> list[Segment]:
        import numpy as np

        result = self._ocr(np.asarray(image), return_word_box=True)
        if result.boxes is None or result.txts is None:
            return []
        quads = [np.asarray(q, dtype=float) for q in result.boxes]
        angle = _skew(quads)
        words = result.word_results or [None] * len(quads)
        gray = np.asarray(image.convert("L") if hasattr(image, "convert") else image)
        dark = gray < 110
        out = Segments()
        out.rules = find_rules(dark, angle, statistics.median(float(q[:, 1].max() - q[:, 1].min()) for q in quads))
        for text, score, quad, word in zip(result.txts, result.scores, quads, words):
            if not text.strip():
                continue
            pts = [_rotate(x, y, angle) for x, y in quad]
            xs, ys = [p[0] for p in pts], [p[1] for p in pts]
            chars = None
            if word and len(word) == len(text.replace(" ", "")):
                chars = []
                for _, _, wbox in word:
                    wpts = [_rotate(x, y, angle) for x, y in wbox]
                    chars.append((min(p[0] for p in wpts), max(p[0] for p in wpts)))
                text = _latin_spaces(text, chars, max(ys) - min(ys))
            rules = _vertical_rules(dark, quad, angle) if chars else []
            out.append(Segment(text, float(score), (min(xs), min(ys), max(xs), max(ys)), chars, rules))
        for seg in out:  # a table rule the box runs across, found on the whole page (the local look may miss it)
            x0, y0, x1, y1 = seg.box
            seg.rules += [r.at for r in out.rules.vertical if r.lo <= (y0 + y1) / 2 <= r.hi
                          and x0 - (y1 - y0) / 2 <= r.at <= x1 + (y1 - y0) / 2
                          and all(abs(r.at - x) > 3 for x in seg.rules)]
            n = len(seg.text.replace(" ", ""))
            if seg.chars is None and seg.rules and n:  # no character boxes: CJK glyphs are about equally wide
                step = (x1 - x0) / n
                seg.chars = [(x0 + k * step, x0 + (k + 1) * step) for k in range(n)]
        return out


_HAN_RE = re.compile(r"[\u3400-\u9fff]")


def _latin_spaces(text: str, chars: list[tuple[float, float]], height: float) -> str:
    """Put back the spaces recognition drops around Latin words and numbers ("NVIDIA A800 80GB" read as
    "NVIDIA A80080GB", "12日 11:54 来源" as "12日11:54来源"): the characters of a word touch, a space leaves a
    gap. Character positions come in coarse steps, so the gap asked for is larger where a false space costs
    more (inside numbers) or where glyphs carry their own margin (Han characters); punctuation is left alone."""
    out, k = "", 0
    for ch in text:
        if ch == " ":
            out += ch
            continue
        prev = out[-1] if out else " "
        if k and prev != " ":
            gap = (chars[k][0] - chars[k - 1][1]) / max(height, 1.0)
            a, b = prev.isascii() and prev.isalnum(), ch.isascii() and ch.isalnum()
            if a and b and prev.islower() and ch.islower():
                need = None  # narrow crops stretch lower-case words apart ("tok ens"): trust the engine there
            elif a and b:
                # digit boxes step by ~0.1 height inside one number; a false space splits an amount (16 80000元)
                need = 0.2 if prev.isdigit() and ch.isdigit() else 0.07
            elif (a and _HAN_RE.match(ch)) or (b and _HAN_RE.match(prev)):
                need = 0.2
            else:
                need = None
            if need is not None and gap > need:
                out += " "
        out += ch
        k += 1
    return out


class TesseractEngine:
    """Debian's tesseract with chi_sim, through its TSV output (one word box each); for the benchmark."""

    name = "tesseract"

    def __init__(self, threads: int = 1):
        import shutil

        if not shutil.which("tesseract"):
            raise OcrUnavailable("tesseract is not installed")
        self.env = {**os.environ, "OMP_THREAD_LIMIT": str(threads)}
        self.version = ""

    def read(self, image) -> list[Segment]:
        buf = io.BytesIO()
        image.save(buf, "PNG")
        proc = subprocess.run(["tesseract", "stdin", "stdout", "-l", "chi_sim", "--psm", "3", "tsv"],
                              input=buf.getvalue(), capture_output=True, timeout=300, env=self.env)
        lines: dict[tuple, list] = {}
        for row in proc.stdout.decode("utf-8", "replace").splitlines()[1:]:
            cols = row.split("\t")
            if len(cols) < 12 or not cols[11].strip() or float(cols[10]) < 0:
                continue
            x, y, w, h = (float(c) for c in cols[6:10])
            lines.setdefault(tuple(cols[1:5]), []).append((cols[11].strip(), float(cols[10]) / 100, x, y, x + w, y + h))
        out = []
        for words in lines.values():
            text, chars = "", []
            for i, (t, _, x0, _, x1, _) in enumerate(words):
                if i and not (_CJK_RE.match(text[-1]) and _CJK_RE.match(t[0])):
                    text += " "
                text += t
                step = (x1 - x0) / len(t)  # tesseract boxes words; spread the word evenly over its letters
                chars += [(x0 + k * step, x0 + (k + 1) * step) for k in range(len(t))]
            conf = sum(w[1] * len(w[0]) for w in words) / sum(len(w[0]) for w in words)
            box = (min(w[2] for w in words), min(w[3] for w in words), max(w[4] for w in words), max(w[5] for w in words))
            out.append(Segment(text, conf, box, chars))
        return out


ENGINES: dict[str, Callable[..., Any]] = {"rapidocr": RapidOcrEngine, "tesseract": TesseractEngine}


@functools.lru_cache(maxsize=4)
def get_engine(name: str = "rapidocr", threads: Optional[int] = None):
    """The engine, loaded once per process (RapidOCR takes a few seconds to load its models). One core by
    default: the crawl's storing worker has one (TENDERWATCH_OCR_THREADS gives it more)."""
    threads = threads or int(os.environ.get("TENDERWATCH_OCR_THREADS", "1"))
    return ENGINES[name](threads=threads)


def _skew(quads) -> float:
    """The page's skew in radians: the median slope of the top edges of wide boxes (0 when none)."""
    slopes = []
    for q in quads:
        (x0, y0), (x1, y1) = q[0], q[1]
        height = abs(q[3][1] - q[0][1]) or 1
        if x1 - x0 > 3 * height:
            slopes.append(math.atan2(y1 - y0, x1 - x0))
    return statistics.median(slopes) if slopes else 0.0


def _rotate(x: float, y: float, angle: float) -> tuple[float, float]:
    c, s = math.cos(-angle), math.sin(-angle)
    return x * c - y * s, x * s + y * c


# --------------------------------------------------------------------------- layout


@dataclass
class Line:
    text: str  # cells joined by tabs
    confidence: float
    cells: list[str] = field(default_factory=list)
    xs: list[float] = field(default_factory=list)  # where each cell starts (pixels)
    height: float = 0.0
    right: float = 0.0  # where the line ends (pixels)
    top: float = 0.0
    bottom: float = 0.0
    ruled: bool = False  # a whole row of a ruled table: the rules closed it, nothing below continues it


def layout(segments: list[Segment]) -> list[Line]:
    """Segments → lines in reading order: segments whose vertical extents overlap by half are one row
    (left to right), and a wide gap inside a row — between segments or between characters of one — is a
    cell boundary. The wrapped lines of a row of a ruled table are one row again, by the image's rules
    (`_ruled_rows`); elsewhere a table cell wrapped over several lines is put back together (`_merge_wrapped`)."""
    rows: list[list[Segment]] = []
    for seg in sorted(segments, key=lambda s: (s.box[1] + s.box[3]) / 2):
        h = seg.box[3] - seg.box[1]
        for row in reversed(rows[-3:]):
            top, bottom = min(s.box[1] for s in row), max(s.box[3] for s in row)
            if min(bottom, seg.box[3]) - max(top, seg.box[1]) >= 0.5 * min(h, bottom - top):
                row.append(seg)
                break
        else:
            rows.append([seg])
    lines = []
    for row in rows:
        row.sort(key=lambda s: s.box[0])
        height = statistics.median(s.box[3] - s.box[1] for s in row)
        cells: list[list] = []  # [text, x0]
        prev_x1, prev_rules = None, []
        for seg in row:
            pieces = _split_cells(seg, height * CELL_GAP)
            slack = max(2.0, 0.3 * height)  # padded boxes reach over the rule between them
            ruled = any(prev_x1 - slack <= x <= seg.box[0] + slack for x in seg.rules + prev_rules) if cells else True
            if prev_x1 is not None and seg.box[0] - prev_x1 <= height * CELL_GAP and not ruled:
                cells[-1][0] = _join(cells[-1][0], pieces[0][0])
                pieces = pieces[1:]
            cells += [list(p) for p in pieces]
            prev_x1, prev_rules = seg.box[2], seg.rules
        cells = [[t.strip(), x] for t, x in cells if t.strip()]
        if cells:  # recognition drops the space after a Markdown heading's marks ("##公告概要")
            cells[0][0] = _HEADING_RE.sub(r"\1 ", cells[0][0])
            conf = sum(s.confidence * len(s.text) for s in row) / max(1, sum(len(s.text) for s in row))
            texts = [t for t, _ in cells]
            lines.append(Line("\t".join(texts), round(conf, 4), texts, [x for _, x in cells], height,
                              max(s.box[2] for s in row), min(s.box[1] for s in row), max(s.box[3] for s in row)))
    rules = getattr(segments, "rules", None)
    return _join_paragraphs(_merge_wrapped(_ruled_rows(lines, rules) if rules else lines))


def _columns(ln: Line, rules: Rules) -> list[float]:
    """x of the vertical rules crossing the middle of a line, left to right: the borders of its table's cells."""
    mid = (ln.top + ln.bottom) / 2
    return sorted(r.at for r in rules.vertical if r.lo - 2 <= mid <= r.hi + 2)


def _ruled_rows(lines: list[Line], rules: Rules) -> list[Line]:
    """Lines inside one row of a ruled table — between the same two horizontal rules, under the same vertical
    ones — are the wrapped lines of that row's cells (a header whose cells wrap over many lines, a long name in
    a narrow column): one line again, each text in the column whose borders hold it, empty cells kept so that
    every row of the table has its columns in the same places."""
    out: list[Line] = []
    group: list[Line] = []
    cols: list[float] = []

    def flush() -> None:
        if group:
            out.append(_row_by_columns(group, cols) if len(cols) >= 3 else group[0])
            out.extend(group[1:] if len(cols) < 3 else [])

    for ln in lines:
        here = _columns(ln, rules)
        if group and len(here) == len(cols) >= 3 and all(abs(a - b) <= ln.height for a, b in zip(here, cols)) \
                and not _rule_between(group[-1], ln, cols, rules):
            group.append(ln)
            continue
        flush()
        group, cols = [ln], here
    flush()
    return out


def _rule_between(a: Line, b: Line, cols: list[float], rules: Rules) -> bool:
    """A horizontal rule across the table between line `a` and line `b` below it: they are different rows."""
    top, bottom = (a.top + a.bottom) / 2, (b.top + b.bottom) / 2
    return any(top < r.at < bottom and min(r.hi, cols[-1]) - max(r.lo, cols[0]) > 2 * a.height
               for r in rules.horizontal)


def _row_by_columns(group: list[Line], cols: list[float]) -> Line:
    """One table row from its wrapped lines: each piece goes to the column between whose rules it starts."""
    cells = [""] * (len(cols) - 1)
    for ln in group:
        for text, x in zip(ln.cells, ln.xs):
            j = max(0, min(len(cells) - 1, sum(1 for c in cols[1:-1] if c <= x + ln.height * 0.3)))
            a = cells[j]
            # a Latin word moves down whole when a cell wraps ("ECOSYS" / "P4135dn"); a number wraps anywhere
            space = (a[-1:].isascii() and a[-1:].isalnum() and text[:1].isascii() and text[:1].isalnum()
                     and not (a[-1:].isdigit() and text[:1].isdigit()))
            cells[j] = a + (" " if space else "") + text
    n = sum(len(ln.text) for ln in group)
    conf = round(sum(ln.confidence * len(ln.text) for ln in group) / max(1, n), 4)
    return Line("\t".join(cells), conf, cells, list(cols[:-1]), group[0].height, max(ln.right for ln in group),
                group[0].top, group[-1].bottom, ruled=True)


_HEADING_RE = re.compile(r"^(#{1,6})(?=[^#\s])")
_NEW_ITEM_RE = re.compile(r"^\s*([一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]+[）)]|\d+[、.．)）]|第[一二三四五六七八九十\d]+[章节条]|[•·\-*#])")
_LINE_END_RE = re.compile(r"[。；;：:！？!?]$")
# "label：value" lines in a row are a list of fields, however far the first one runs ("…肖逸秋" / "总中标金额：…")
_LABEL_RE = re.compile(r"^\s*[^\s，。,；;：:、（）()]{2,10}[：:]")
_DATE_START_RE = re.compile(r"^\s*\d{4}\s*年\s*\d{1,2}\s*月")  # a date opening a line stands alone (dateline, signature)


def _join_paragraphs(lines: list[Line]) -> list[Line]:
    """A line that runs to the right edge of the text and is followed by one starting at the same left edge
    is a wrapped paragraph (a long title, a sentence): one line again, as the document's text has it. Not
    across table rows, after a full stop or colon, or before a numbered item."""
    if not lines:
        return lines
    right = max(ln.right for ln in lines)
    out: list[Line] = []
    for ln in lines:
        prev = out[-1] if out else None
        if (prev is not None and len(prev.cells) == 1 and len(ln.cells) == 1
                and prev.right >= right - 1.5 * prev.height and abs(ln.xs[0] - prev.xs[0]) <= prev.height
                and not _LINE_END_RE.search(prev.text) and not _NEW_ITEM_RE.match(ln.text)
                and not _DATE_START_RE.match(ln.text)
                and not (_LABEL_RE.match(prev.text) and _LABEL_RE.match(ln.text))):
            text = _join(prev.text, ln.text)
            n = len(prev.text) + len(ln.text)
            conf = round((prev.confidence * len(prev.text) + ln.confidence * len(ln.text)) / max(1, n), 4)
            out[-1] = Line(text, conf, [text], prev.xs, prev.height, ln.right)
            continue
        out.append(ln)
    return out


def _merge_wrapped(lines: list[Line]) -> list[Line]:
    """A table row whose cells wrapped onto more lines: the continuation lines have nothing in the first
    column and every cell under a cell of the row above; their text joins that cell's."""
    out: list[Line] = []
    for ln in lines:
        prev = out[-1] if out else None
        if (prev is not None and not prev.ruled and len(prev.cells) >= 2 and ln.xs
                and ln.xs[0] > prev.xs[0] + prev.height):
            tol = prev.height
            cols = [min(range(len(prev.xs)), key=lambda j: abs(prev.xs[j] - x)) for x in ln.xs]
            if all(abs(prev.xs[j] - x) <= tol for j, x in zip(cols, ln.xs)) and len(set(cols)) == len(cols) \
                    and cols[0] > 0:
                cells = list(prev.cells)
                for j, text in zip(cols, ln.cells):  # wrapped at a space only between Latin words
                    a = cells[j]
                    cells[j] = a + (" " if a[-1:].isascii() and a[-1:].isalpha() and text[:1].isascii()
                                    and text[:1].isalpha() else "") + text
                n = len(prev.text) + len(ln.text)
                conf = round((prev.confidence * len(prev.text) + ln.confidence * len(ln.text)) / max(1, n), 4)
                out[-1] = Line("\t".join(cells), conf, cells, prev.xs, prev.height, max(prev.right, ln.right))
                continue
        out.append(ln)
    return out


def _split_cells(seg: Segment, gap: float) -> list[tuple[str, float]]:
    """(text, left x) of the cells inside one segment: split at wide gaps and at vertical rules."""
    if not seg.chars:
        return [(seg.text, seg.box[0])]
    out, cur, x0, k = [], "", seg.box[0], 0
    for ch in seg.text:
        if ch == " ":
            cur += ch
            continue
        if k and (seg.chars[k][0] - seg.chars[k - 1][1] > gap or any(
                (seg.chars[k - 1][0] + seg.chars[k - 1][1]) / 2 < x < (seg.chars[k][0] + seg.chars[k][1]) / 2
                for x in seg.rules)):
            out.append((cur, x0))
            cur, x0 = "", seg.chars[k][0]
        cur += ch
        k += 1
    return out + [(cur, x0)]


def _join(a: str, b: str) -> str:
    if a and b and not (_CJK_RE.match(a[-1]) or _CJK_RE.match(b[0])):
        return a + " " + b
    return a + b


# --------------------------------------------------------------------------- pages of a document


@dataclass
class PageText:
    page: int  # 1-based
    lines: list[Line]


class Reader:
    """OCR of the pages of one document within `limits.ocr_max_pages` and `limits.ocr_seconds` (checked
    between pages: a document takes at most the budget plus one page)."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.engine_name = os.environ.get("TENDERWATCH_OCR_ENGINE", "rapidocr")
        if self.engine_name not in ENGINES:
            raise OcrUnavailable(f"unknown OCR engine {self.engine_name!r} (known: {', '.join(ENGINES)})")
        self.started = time.monotonic()
        self.pages: list[PageText] = []
        self.capped: Optional[str] = None
        self.skipped: list[int] = []
        self.unavailable = ""  # why the engine could not load

    def read(self, pages: Iterable[tuple[int, Callable[[], Any]]], total: int) -> None:
        """`pages`: (1-based page number, a function returning its image) in order."""
        for number, render in pages:
            if self.capped:
                self.skipped.append(number)
                continue
            if len(self.pages) >= self.limits.ocr_max_pages:
                self.capped = (f"too_large: OCR read {len(self.pages)} of {total} scanned pages "
                               f"(limit ocr_max_pages {self.limits.ocr_max_pages})")
            elif self.pages and time.monotonic() - self.started > self.limits.ocr_seconds:
                self.capped = (f"ocr_timeout: OCR time budget of {self.limits.ocr_seconds:g} s spent after "
                               f"{len(self.pages)} of {total} scanned pages")
            if self.capped:
                self.skipped.append(number)
                continue
            image = render()
            if image is not None:  # else it could not be decoded: render recorded why
                try:  # the engine loads with the first page that needs it (a refused image never loads it)
                    engine = get_engine(self.engine_name)
                except OcrUnavailable as exc:
                    self.unavailable = f"OCR unavailable: {exc}"
                    return
                self.pages.append(PageText(number, layout(engine.read(image))))
            del image

    def summary(self) -> dict[str, Any]:
        confs = [ln.confidence for p in self.pages for ln in p.lines]
        return {
            "engine": self.engine_name,
            "pages": [p.page for p in self.pages],
            "confidence": round(sum(confs) / len(confs), 4) if confs else None,
            "capped": self.capped.split(":", 1)[1].strip() if self.capped else None,
            "seconds": round(time.monotonic() - self.started, 2),
        }


def tables(page: PageText) -> list[list[list[str]]]:
    """Runs of at least two consecutive lines with two or more cells: the page's tables."""
    found, run = [], []
    for ln in page.lines + [Line("", 0.0, [])]:
        if len(ln.cells) >= 2:
            run.append(ln.cells)
            continue
        if len(run) >= 2:
            found.append(run)
        run = []
    return found


def evidence_source(doc: DocumentText, start: int, end: int) -> Optional[tuple[int, float]]:
    """(page, confidence) when characters start–end of `doc.text` were read by OCR, else None. For an
    archive, the member the span falls in answers."""
    spans = (doc.meta or {}).get("ocr_lines")
    if spans:  # the page where the quote starts; the lowest confidence of the lines it spans
        hits = [(page, conf) for s, e, page, conf in spans if s < max(end, start + 1) and start <= e]
        return (hits[0][0], min(c for _, c in hits)) if hits else None
    for part in doc.parts:
        if part.text and ((part.meta or {}).get("ocr_lines") or part.parts):
            at = doc.text.find(part.text)
            if at >= 0 and at <= start < at + len(part.text):
                return evidence_source(part, start - at, end - at)
    return None


# --------------------------------------------------------------------------- images


def open_image(data: bytes, limits: Limits, frame: int = 0):
    """(PIL image in mode L, None) or (None, "reason: detail"). Images over `image_max_pixels` are decoded
    at a reduced scale when the format allows it (JPEG), else refused: memory stays bounded."""
    from PIL import Image, UnidentifiedImageError

    try:
        img = Image.open(io.BytesIO(data))
        fmt = IMAGE_FORMATS.get(img.format or "", (img.format or "image").lower())
        if frame:
            img.seek(frame)
        w, h = img.size
        if img.format == "JPEG" and max(w, h) > limits.ocr_max_side:
            # the JPEG decoder can skip detail (1/2 … 1/8 scale): a large photo never exists at full size
            k = limits.ocr_max_side / max(w, h)
            img.draft("L", (math.ceil(w * k), math.ceil(h * k)))
        if img.size[0] * img.size[1] > limits.image_max_pixels:
            return None, (f"too_large: {fmt} image of {w * h / 1e6:.0f} megapixels ({w}×{h}) exceeds the "
                          f"{limits.image_max_pixels / 1e6:.0f}-megapixel limit; not read")
        img = img.convert("L")
        return _fit(img, limits), None
    except UnidentifiedImageError:
        return None, "corrupt: the bytes are not an image any reader recognises"
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError) as exc:
        return None, f"corrupt: image could not be decoded ({type(exc).__name__}: {str(exc)[:120]})"


def _fit(img, limits: Limits):
    """Shrink to `ocr_max_side` on the long side: more pixels cost time, not accuracy, past ~250 dpi on A4."""
    from PIL import Image

    long_side = max(img.size)
    if long_side > limits.ocr_max_side:
        k = limits.ocr_max_side / long_side
        img = img.resize((max(1, int(img.size[0] * k)), max(1, int(img.size[1] * k))), Image.LANCZOS)
    return img


def _frames(data: bytes) -> tuple[Optional[str], int]:
    """(format, pages) from the image header — a multi-page TIFF is a scanned document — or (None, 0)."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as img:
            return IMAGE_FORMATS.get(img.format or "", (img.format or "image").lower()), getattr(img, "n_frames", 1)
    except Exception:
        return None, 0


def read_image(data: bytes, name: str, limits: Limits) -> DocumentText:
    """A photo or scan of a page (JPEG, PNG, TIFF — every page of a multi-page TIFF —, BMP, GIF), read by OCR."""
    fmt, frames = _frames(data)
    doc = DocumentText(text="", kind="image", name=name, meta={"format": fmt or "image"}, pages=frames or None)
    if fmt is None:
        _, why = open_image(data, limits)
        doc.errors.append(why or "corrupt: the bytes are not an image any reader recognises")
        return doc
    read_images([(f"page {k + 1}", data, k) for k in range(frames)], doc, limits)
    return doc


def read_images(images: list[tuple[str, bytes, int]], doc: DocumentText, limits: Limits) -> None:
    """OCR images — (label, bytes, frame) — as the pages of `doc` (a photo: one page; a DOCX of scans: one
    page per picture): its text, tables, `ocr` summary and `meta["ocr_lines"]`; an image that cannot be
    read adds its reason to `errors`."""
    reader, why = start(limits)
    if reader is None:
        doc.needs_ocr = True
        doc.errors.append(f"needs_ocr: {len(images)} image(s) without a text layer; {why}")
        return
    several = len(images) > 1

    def render(label: str, data: bytes, frame: int):
        def go():
            img, why = open_image(data, limits, frame)
            if img is None:
                doc.errors.append(why + (f" ({label})" if several else ""))
            return img
        return go

    reader.read(((i + 1, render(*image)) for i, image in enumerate(images)), len(images))
    if reader.unavailable:
        doc.needs_ocr = True
        doc.errors.append(f"needs_ocr: {len(images)} image(s) without a text layer; {reader.unavailable}")
        return
    texts = [page_lines(p) for p in reader.pages]
    starts, pos = {}, 0
    for p, t in zip(reader.pages, texts):
        starts[p.page] = pos
        pos += len(t) + 1 if t else 0
    doc.text = "\n".join(t for t in texts if t)
    record(doc, reader, starts)


def ocr_pdf_pages(pdf, numbers: list[int], limits: Limits) -> tuple[Optional[Reader], str]:
    """OCR the pages `numbers` (0-based) of an open pypdfium2 document, rendered at `limits.ocr_dpi`; (None,
    why) when OCR is off or unavailable."""
    reader, why = start(limits)
    if reader is None:
        return None, why

    def render(i: int):
        def go():
            page = pdf[i]
            try:
                w, h = page.get_size()
                scale = limits.ocr_dpi / 72
                scale = min(scale, math.sqrt(limits.image_max_pixels / max(1.0, w * h * scale * scale)) * scale)
                return _fit(page.render(scale=scale, grayscale=True).to_pil(), limits)
            finally:
                page.close()
        return go

    reader.read(((i + 1, render(i)) for i in numbers), len(numbers))
    return (None, reader.unavailable) if reader.unavailable else (reader, "")


def start(limits: Limits) -> tuple[Optional[Reader], str]:
    """A reader for one document, or None and why OCR cannot run here."""
    if not enabled():
        return None, "OCR is switched off (TENDERWATCH_OCR=0)"
    try:
        return Reader(limits), ""
    except OcrUnavailable as exc:
        return None, f"OCR unavailable: {exc}"


def page_lines(page: PageText) -> str:
    return "\n".join(ln.text for ln in page.lines)


def record(doc: DocumentText, reader: Reader, starts: dict[int, int]) -> None:
    """The OCR'd pages' provenance: a span per line (`starts`: where each page begins in `doc.text`), their
    tables, the summary and the reason OCR stopped early, if it did."""
    spans = []
    for p in reader.pages:
        pos = starts[p.page]
        for ln in p.lines:
            spans.append([pos, pos + len(ln.text), p.page, ln.confidence])
            pos += len(ln.text) + 1
        doc.tables.extend(tables(p))
    doc.meta["ocr_lines"] = spans
    if reader.pages or reader.capped:
        doc.ocr = reader.summary()
    if reader.capped:
        doc.errors.append(reader.capped)


_EMBED_RE = re.compile(rb'r:(?:embed|id)="([^"]+)"')
_REL_RE = re.compile(rb'<Relationship\b[^>]*?Id="([^"]+)"[^>]*?Target="([^"]+)"|<Relationship\b[^>]*?Target="([^"]+)"[^>]*?Id="([^"]+)"')


def read_docx_images(data: bytes, doc: DocumentText, limits: Limits) -> None:
    """A DOCX with no text of its own is a wrapper around scanned pages: its pictures, in the order the
    document shows them, are OCR'd as its pages."""
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            rels = {}
            for m in _REL_RE.finditer(z.read("word/_rels/document.xml.rels")):
                rid, target = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
                rels[rid.decode()] = "word/" + target.decode().lstrip("/").removeprefix("word/")
            order = [rels.get(r.decode()) for r in _EMBED_RE.findall(z.read("word/document.xml"))]
            names = [n for n in dict.fromkeys(order) if n and n.startswith("word/media/")]
            images = []
            for n in names[: limits.ocr_max_pages + 1]:
                info = z.getinfo(n)
                if info.file_size <= limits.zip_max_member_bytes and _frames(blob := z.read(n))[0]:
                    images.append((n.rsplit("/", 1)[-1], blob, 0))
    except (KeyError, zipfile.BadZipFile, OSError, ValueError):
        return  # no pictures to read: the DOCX stays as read
    if images:
        read_images(images, doc, limits)
        doc.pages = len(images)
