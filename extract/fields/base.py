"""Shared machinery of field extraction: the label vocabularies, label matching (`label：value` in many
spellings), the document view with its body region, the 公告概要 summary table and tab-separated tables."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable

from extract.types import DocumentText, Evidence

from ._data import load
from .text import fold

L = load("labels")
NOTICE_TYPES = ("tender", "award", "correction", "cancellation", "contract", "intention", "other")


def _f(words: Iterable[str]) -> list[str]:
    return list(_f_cached(tuple(words)))


@lru_cache(maxsize=None)
def _f_cached(words: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(fold(w) for w in words)


@lru_cache(maxsize=None)
def _alt(labels: tuple[str, ...]) -> str:
    """Regex alternation of labels, longest first, each allowing blanks between its characters ("名 称"). English
    labels ("Tender Reference") match in any case, their words separated by any blanks."""
    parts = []
    cjk = []
    for lab in sorted({fold(x) for x in labels}, key=len, reverse=True):
        if _LATIN.search(lab):
            # in the cases notices write them (a case-insensitive group would cost the whole alternation its
            # fast literal scan): as listed, Capitalised, lower and UPPER case
            for form in dict.fromkeys((lab, lab[:1].upper() + lab[1:].lower(), lab.lower(), lab.upper(), lab.title())):
                parts.append(r"[ \t]+".join(re.escape(w) for w in form.split()))
        else:
            cjk.append(lab)
    parts += [r"[ \t]*".join(_LOT if c == "#" else re.escape(c) for c in lab) for lab in cjk]
    return "|".join(parts)


_LATIN = re.compile(r"[A-Za-z]{2}")


@lru_cache(maxsize=None)
def _cjk_only(labels: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(x for x in labels if not _LATIN.search(x))


@lru_cache(maxsize=None)
def _english_labels_re() -> re.Pattern:
    words = {x for key in ("buyer", "agency", "vendors", "codes", "amounts", "dates") for x in _label_lists(L[key])
             if _LATIN.search(x)}
    # lower case, searched in the lowered text: a case-insensitive pattern scans a long text several times slower
    return re.compile("(?:" + "|".join(re.escape(w.lower()) for w in sorted(words, key=len, reverse=True)) + r")[ \t]*[:：\t(]")


@lru_cache(maxsize=None)
def label_key(label: str) -> str:
    """A label as vocabularies compare it: no blanks, lower case ("Tender  Ref." -> "tenderref.")."""
    return _WS.sub("", fold(label)).lower()


# a lot number inside a label ("包1预算", "标项二预算金额")
_LOT = r"[0-9一二三四五六七八九十A-Za-z]{1,3}"
_WS = re.compile(r"\s")


# numbering a label may carry at the start of a line: "一、" "1." "1．" "（1）" "(一)" "## "
_NUMBERING = r"(?:[ \t#*>]*(?:[(]?[0-9一二三四五六七八九十]{1,3}[)]?[ \t]*[.、,]?[ \t]*)?)"


@lru_cache(maxsize=None)
def _label_re(labels: tuple[str, ...], wei: bool = False) -> re.Pattern:
    """`label[(suffix)]：value`; with `wei`, "label为value" too ("预算金额为140万元"). The value runs to the end of the
    line. Where the label may start is checked by `_lead_ok`: a pattern that opens with the labels themselves lets
    the regex engine skip ahead on their first characters (a leading look-behind made it try every position)."""
    sep = r"(?P<sep>[:：\t]|为[:：]?)" if wei else r"(?P<sep>[:：\t])"
    return re.compile(
        rf"(?P<label>{_alt(labels)})[ \t]*(?P<suffix>\([^)\n:：]{{0,16}}\)(?:[ \t]*[\\/][ \t]*\([^)\n]{{0,6}}\))?)?"
        rf"[ \t]*{sep}[ \t]*(?P<value>[^\n]*)"
    )


_NUMBERING_RE = re.compile(_NUMBERING)
_LEAD_CHARS = frozenset(" \t\n\r;；。,，、:：.()[]|")
_LEAD_WORDS = ("本项目", "项目", "本次", "其中")


def _lead_ok(f: str, pos: int, anywhere: bool) -> bool:
    """May a label start at `pos`? At a line start after numbering ("一、", "1.", "（1）", "## "), or with
    `anywhere` also after a separator or 本项目/项目/本次/其中."""
    if pos == 0:
        return True
    if anywhere and (f[pos - 1] in _LEAD_CHARS or f.endswith(_LEAD_WORDS, max(0, pos - 3), pos)):
        return True
    ls = f.rfind("\n", 0, pos) + 1
    m = _NUMBERING_RE.match(f, ls, pos)
    return m is not None and m.end() == pos


_NEXT_VALUE = re.compile(r"\s*\n\s*(?P<v>[^\n]+)")
_LABEL_LIKE = re.compile(r"[^\n:：]{1,12}[:：]")


@lru_cache(maxsize=None)
def _label_order(labels: tuple[str, ...]) -> dict[str, int]:
    """Label -> its rank in the data file's list (earlier = preferred)."""
    return {label_key(x): i for i, x in enumerate(labels)}


def _label_lists(node) -> list[str]:
    if isinstance(node, dict):  # not the buyer's fallback words: they are no labels
        return [x for k, v in node.items() if k != "fallback" for x in _label_lists(v)]
    if isinstance(node, list):
        return [x for x in node if isinstance(x, str)]
    return []


@lru_cache(maxsize=None)
def _all_labels_re() -> re.Pattern:
    """Any label of any field, with an optional unit in brackets: a table cell that holds one is a header."""
    labels = {x for key in ("summary", "buyer", "agency", "vendors", "codes", "amounts", "dates", "region", "block")
              for x in _label_lists(L[key]) if len(x) >= 2}
    return re.compile(rf"(?:{_alt(tuple(sorted(labels)))})[ \t]*(?:\([^)]{{0,16}}\))?[ \t]*[:：]?")


@dataclass
class Hit:
    value: str
    start: int
    end: int
    label: str = ""
    suffix: str = ""
    sep: str = ""  # what joined label and value: ":", "为", a tab


class _Doc:
    """A document's text, its full-width-folded twin (same offsets) and the region that holds the notice body."""

    def __init__(self, doc: DocumentText, name: str = ""):
        self.doc = doc
        self.text = doc.text or ""
        self.f = fold(self.text)
        self.name = name  # Evidence.document: "" for the notice body, else the attachment's name
        self.cache: dict[str, object] = {}  # per-document results several extractors ask for
        self.start, self.end = self._body_region()
        self._english: bool | None = None

    def alt(self, labels) -> str:
        """`_alt` of the labels this document can hold: no English ones in a notice that uses none."""
        labels = tuple(labels)
        return _alt(labels if self.english else _cjk_only(labels))

    @property
    def english(self) -> bool:
        """Does the document use any English label at all? (decides whether English labels are looked for)"""
        if self._english is None:
            self._english = _english_labels_re().search(self.f.lower()) is not None
        return self._english

    def _body_region(self) -> tuple[int, int]:
        f = self.f
        # the body starts at the summary table or the page's own title heading; navigation comes before
        start = 0
        for marker in L["summary"]["start"]:
            i = f.find(marker)
            if i >= 0:
                start = f.rfind("\n", 0, i) + 1
                break
        end = len(f)
        floor = max(start, int(len(f) * 0.3))  # footers come late; the same words early on are not the footer
        for marker in _f(L["body"]["end_markers"]):
            i = f.find(marker, floor)
            while 0 <= i < end:
                ls = f.rfind("\n", 0, i) + 1
                if not f[ls:i].strip(" \t#"):  # the marker opens its line
                    end = ls if f[ls:i].strip() == "" else i
                    break
                i = f.find(marker, i + 1)
        return start, end

    def verbatim(self, h: "Hit") -> str:
        """A value as the document writes it (full-width brackets and all); matching ran on the folded text."""
        return self.text[h.start:h.end] if h.start >= 0 else h.value

    def ev(self, field: str, s: int, e: int) -> Evidence:
        return Evidence(field=field, text=self.text[s:e], start=s, end=e, document=self.name)

    def labelled(self, labels: Iterable[str], start: int | None = None, end: int | None = None,
                 anywhere: bool = False, wei: bool = False, next_line: bool = False) -> list[Hit]:
        """Every `label：value` in the body (or in [start, end)), in text order. With `next_line`, a label that
        ends its line takes the next non-empty line as its value when that line is no `label：` itself."""
        labels = tuple(labels)
        if not self.english:  # a Chinese notice: the English labels only slow the scan down
            labels = _cjk_only(labels)
        rx = _label_re(labels, wei)
        s0 = self.start if start is None else start
        e0 = self.end if end is None else end
        found = []
        pos = s0
        # search on from each value's start: a line may hold several pairs ("总预算：198万元，其中包1预算：156万元")
        while (m := rx.search(self.f, pos, e0)) is not None:
            if _lead_ok(self.f, m.start(), anywhere) and (m.group("sep") != "\t" or self._kv_cell(m)):
                found.append(m)
                pos = max(m.start("value"), m.start() + 1)
            else:
                pos = m.start() + 1
        out = []
        for k, m in enumerate(found):
            vs, ve = m.start("value"), m.end("value")
            if k + 1 < len(found) and found[k + 1].start() < ve:
                ve = found[k + 1].start()
                while ve > vs and self.f[ve - 1] in " \t([,，;；、":  # what opened the next pair
                    ve -= 1
            if m.group("sep") == "\t":  # a key-value table: the value is the next cell
                tab = self.f.find("\t", vs, ve)
                ve = ve if tab < 0 else tab
            v = self.f[vs:ve]
            if next_line and not v.strip():
                nm = _NEXT_VALUE.match(self.f, ve, min(e0, ve + 200))
                if nm and not _LABEL_LIKE.match(nm.group("v")):
                    vs, v = nm.start("v"), nm.group("v")
            lead = len(v) - len(v.lstrip())
            v = v.strip()
            out.append(Hit(v, vs + lead, vs + lead + len(v), label_key(m.group("label")), m.group("suffix") or "",
                           m.group("sep")))
        return out

    def _kv_cell(self, m: re.Match) -> bool:
        """A label cell of a key-value table row ("Procuring Entity⇥X", "機關名稱⇥X⇥標案案號⇥Y"): the label fills a cell
        at an even position and the cell after it is a value, not another header ("供应商名称⇥中标金额")."""
        ls = self.f.rfind("\n", 0, m.start()) + 1
        le = self.f.find("\n", m.start())
        cells = self.f[ls:le if le >= 0 else len(self.f)].split("\t")
        k = self.f.count("\t", ls, m.start())
        if len(cells) % 2 or k % 2 or k + 1 >= len(cells):
            return False
        if cells[k].strip(" :：") != self.f[m.start():m.end("label")].strip() and not m.group("suffix"):
            return False
        value = cells[k + 1].strip()
        return bool(value) and _all_labels_re().fullmatch(value) is None


# --------------------------------------------------------------------------------------------- summary table


@lru_cache(maxsize=None)
def _summary_re() -> re.Pattern:
    return re.compile(rf"(?P<label>{_alt(tuple(L['summary']['labels']))})")


_SUMMARY_END = re.compile(r"(?m)^[ \t#]*(?:一、|项目概况|[一二]\s*[.、]|1[.、])")


def _summary(d: _Doc) -> dict[str, Hit]:
    """The 公告概要 table as label -> value. Plain-text renderings run its cells together on one or a few lines
    ("采购单位铁道党校行政区域北京市…"), so values are cut at the next known label."""
    i = d.f.find("公告概要")
    if i < 0:
        return {}
    # the table ends where the numbered body starts (一、… / 项目概况)
    m = _SUMMARY_END.search(d.f, i, i + 3000)
    end = m.start() if m else min(len(d.f), i + 3000)
    out: dict[str, Hit] = {}
    hits = list(_summary_re().finditer(d.f, i, end))
    for k, h in enumerate(hits):
        vs = h.end()
        ve = hits[k + 1].start() if k + 1 < len(hits) else end
        raw = d.f[vs:ve]
        lead = len(raw) - len(raw.lstrip(" \t\n:："))
        v = raw.strip(" \t\n:：")
        if h.group("label") not in out and v:
            out[h.group("label")] = Hit(v, vs + lead, vs + lead + len(v), h.group("label"))
    return out


def _meta_summary(doc: DocumentText) -> dict[str, str]:
    s = doc.meta.get("summary") if doc.meta else None
    return {fold(k).replace(" ", ""): str(v).strip() for k, v in s.items()} if isinstance(s, dict) else {}


# --------------------------------------------------------------------------------------------- tables

Cell = tuple[str, int, int]  # text, start, end (offsets into the document)


def _tab_tables(d: _Doc) -> list[list[list[Cell]]]:
    """Tables the document reader rendered as tab-separated rows (HTML and PDF tables): runs of consecutive
    lines with tabs, each a list of rows of cells; the first row is the header."""
    tables: list[list[list[Cell]]] = []
    cur: list[list[Cell]] = []
    pos = d.start
    for line in d.f[d.start:d.end].split("\n"):
        if "\t" in line:
            cells, off = [], pos
            for c in line.split("\t"):
                lead = len(c) - len(c.lstrip())
                cells.append((c.strip(), off + lead, off + lead + len(c.strip())))
                off += len(c) + 1
            cur.append(cells)
        elif cur:
            tables.append(cur)
            cur = []
        pos += len(line) + 1
    if cur:
        tables.append(cur)
    return [t for t in tables if len(t) >= 2]


_TOTAL_ROW = ("合计", "总计", "小计", "合计金额")


def _body_rows(table: list[list[Cell]]) -> list[list[Cell]]:
    """Rows under the header with as many cells, total rows left out."""
    width = len(table[0])
    return [r for r in table[1:] if len(r) == width and not any(c[0].replace(" ", "") in _TOTAL_ROW for c in r[:2])]


@lru_cache(maxsize=None)
def changed_re() -> re.Pattern:
    """The words that introduce a corrected value ("更正为：", "变更为", "修改后"); not a before/after table's
    column header ("更正后内容")."""
    return re.compile("(?:" + "|".join(re.escape(fold(x)) for x in L["dates"]["changed_to"]) + ")(?!内容)")
