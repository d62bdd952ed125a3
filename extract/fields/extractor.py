"""Notice fields from a notice's text: type, title, project codes, buyer, agency, winners, amounts, dates, region.

Works from the text alone (plain-text renderings of ccgp pages, PDF text), and uses what the HTML reader put in
`meta` (the 公告概要 summary table, ArticleTitle, PubDate, breadcrumb) when it is there. Every value carries
Evidence with offsets into the text it came from. Label vocabularies live in data/labels.toml.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterable, Optional

from extract.types import Amount, DocumentText, Evidence, NoticeFields

from ._data import load
from .amounts import find_money, unit_factor
from .dates import DateHit, find_dates
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
    """Regex alternation of labels, longest first, each allowing blanks between its characters ("名 称")."""
    parts = []
    for lab in sorted({fold(x) for x in labels}, key=len, reverse=True):
        parts.append(r"[ \t]*".join(_LOT if c == "#" else re.escape(c) for c in lab))
    return "|".join(parts)


# a lot number inside a label ("包1预算", "标项二预算金额")
_LOT = r"[0-9一二三四五六七八九十A-Za-z]{1,3}"


# numbering a label may carry at the start of a line: "一、" "1." "1．" "（1）" "(一)" "## "
_NUMBERING = r"(?:[ \t#*>]*(?:[(]?[0-9一二三四五六七八九十]{1,3}[)]?[ \t]*[.、,]?[ \t]*)?)"


@lru_cache(maxsize=None)
def _label_re(labels: tuple[str, ...], wei: bool = False) -> re.Pattern:
    """`label[(suffix)]：value`; with `wei`, "label为value" too ("预算金额为140万元"). The value runs to the end of the
    line. Where the label may start is checked by `_lead_ok`: a pattern that opens with the labels themselves lets
    the regex engine skip ahead on their first characters (a leading look-behind made it try every position)."""
    sep = r"(?:[:：]|为[:：]?)" if wei else r"[:：]"
    return re.compile(
        rf"(?P<label>{_alt(labels)})[ \t]*(?P<suffix>\([^)\n:：]{{0,16}}\)(?:[ \t]*[\\/][ \t]*\([^)\n]{{0,6}}\))?)?"
        rf"[ \t]*{sep}[ \t]*(?P<value>[^\n]*)"
    )


_NUMBERING_RE = re.compile(_NUMBERING)
_LEAD_CHARS = frozenset(" \t\n\r;；。,，、:：.()[]")
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


@lru_cache(maxsize=None)
def _label_order(labels: tuple[str, ...]) -> dict[str, int]:
    """Label -> its rank in the data file's list (earlier = preferred)."""
    return {re.sub(r"\s", "", fold(x)): i for i, x in enumerate(labels)}


@dataclass
class Hit:
    value: str
    start: int
    end: int
    label: str = ""
    suffix: str = ""


class _Doc:
    """A document's text, its full-width-folded twin (same offsets) and the region that holds the notice body."""

    def __init__(self, doc: DocumentText):
        self.doc = doc
        self.text = doc.text or ""
        self.f = fold(self.text)
        self.name = doc.name if doc.kind != "text" or doc.name else ""
        self.start, self.end = self._body_region()

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
                 anywhere: bool = False, wei: bool = False) -> list[Hit]:
        """Every `label：value` in the body (or in [start, end)), in text order."""
        rx = _label_re(tuple(labels), wei)
        s0 = self.start if start is None else start
        e0 = self.end if end is None else end
        found = []
        pos = s0
        # search on from each value's start: a line may hold several pairs ("总预算：198万元，其中包1预算：156万元")
        while (m := rx.search(self.f, pos, e0)) is not None:
            if _lead_ok(self.f, m.start(), anywhere):
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
            v = self.f[vs:ve]
            lead = len(v) - len(v.lstrip())
            v = v.strip()
            out.append(Hit(v, vs + lead, vs + lead + len(v), re.sub(r"\s", "", m.group("label")), m.group("suffix") or ""))
        return out


# --------------------------------------------------------------------------------------------- summary table

@lru_cache(maxsize=None)
def _summary_re() -> re.Pattern:
    return re.compile(rf"(?P<label>{_alt(tuple(L['summary']['labels']))})")


def _summary(d: _Doc) -> dict[str, Hit]:
    """The 公告概要 table as label -> value. Plain-text renderings run its cells together on one or a few lines
    ("采购单位铁道党校行政区域北京市…"), so values are cut at the next known label."""
    i = d.f.find("公告概要")
    if i < 0:
        return {}
    # the table ends where the numbered body starts (一、… / 项目概况)
    m = re.compile(r"(?m)^[ \t#]*(?:一、|项目概况|[一二]\s*[.、]|1[.、])").search(d.f, i)
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


# --------------------------------------------------------------------------------------------- names

_ORG_TAIL = re.compile(
    r"(?:[ \t]{2,}|\t|[（(]盖章[)）]|(?:地\s*址|联系方式|联系人|电\s*话|地址)[:：]|(?:评审|综合)?总?得分[:：]?\s*\d|报价[:：]).*$"
)


def _clean_name(v: str) -> str:
    v = _ORG_TAIL.sub("", v).strip()
    v = v.strip(" \t:：;；,，。.、")
    return v


def _is_name(v: str) -> bool:
    if not v or len(v) < 2 or len(v) > 80:
        return False
    if v in L["vendors"]["not_a_name"] or v.startswith(tuple(L["vendors"]["not_name_start"] + L["vendors"]["not_a_name"][:2])):
        return False
    if not re.search(r"[\u4e00-\u9fff]", v) and not re.search(r"[A-Za-z]{3,}", v):
        return False
    return True


@lru_cache(maxsize=None)
def _block_re(block_labels: tuple[str, ...]) -> re.Pattern:
    return re.compile(rf"(?m)^{_NUMBERING}(?:{_alt(block_labels)})[ \t]*[:：]?")


_NEXT_BLOCK = re.compile(rf"(?m)^{_NUMBERING}[^\n:：]{{0,12}}信息")


def _block_name(d: _Doc, block_labels: list[str]) -> Optional[Hit]:
    """The 名称 of a contact block such as "1.采购人信息 / 名 称：X" (the name may also follow the heading)."""
    for m in _block_re(tuple(block_labels)).finditer(d.f, 0, d.end):
        if m.start() < d.start:
            continue
        line_end = d.f.find("\n", m.end())
        line_end = len(d.f) if line_end < 0 else line_end
        # the lines of the block
        stop = m.end()
        for _ in range(L["block"]["max_lines"]):
            nxt = d.f.find("\n", stop + 1)
            stop = len(d.f) if nxt < 0 else nxt
        region_end = min(stop, d.end)
        # a following numbered block ends this one
        nb = _NEXT_BLOCK.search(d.f, line_end, region_end)
        if nb:
            region_end = nb.start()
        hits = d.labelled(L["block"]["name_labels"], m.end(), region_end, anywhere=True)
        for h in hits:
            name = _clean_name(h.value)
            if _is_name(name):
                return Hit(name, h.start, h.start + len(name), h.label)
        # "采购人信息：X" with the name on the heading line itself
        rest = d.f[m.end():line_end]
        name = _clean_name(rest)
        if _is_name(name) and "名称" not in name:
            s = m.end() + (len(rest) - len(rest.lstrip(" \t:：")))
            return Hit(name, s, s + len(name))
    return None


def _org(d: _Doc, summary: dict[str, Hit], meta_summary: dict[str, str], key: str) -> Optional[Hit]:
    spec = L[key]
    for phrase in spec.get("actual", []):
        m = re.compile(rf"{re.escape(phrase)}[ \t]*[\"“']?(?P<n>[^\"”'，。,;；\n]{{2,60}})").search(d.f, d.start, d.end)
        if m and _is_name(_clean_name(m.group("n"))):
            name = _clean_name(m.group("n"))
            return Hit(name, m.start("n"), m.start("n") + len(name), phrase)
    hit = _block_name(d, spec["block"])
    if hit:
        return hit
    for h in d.labelled(spec["labels"], anywhere=True):
        name = _clean_name(h.value)
        if _is_name(name):
            return Hit(name, h.start, h.start + len(name), h.label)
    for lab in spec["summary"]:
        if lab in summary:
            h = summary[lab]
            name = _clean_name(h.value)
            if _is_name(name):
                return Hit(name, h.start, h.start + len(name), lab)
        if lab in meta_summary and _is_name(_clean_name(meta_summary[lab])):
            return Hit(_clean_name(meta_summary[lab]), -1, -1, lab)
    return None


# --------------------------------------------------------------------------------------------- vendors

_LOT_PREFIX = re.compile(r"^(?:第?[0-9一二三四五六七八九十A-Za-z]{1,3}(?:包|标段|标项|分标|包组)|(?:包|标段|标项|包组|分包)[0-9一二三四五六七八九十A-Za-z]{1,3})[:：、.\s]*")
_LOT_SUFFIX = re.compile(r"[(（\[](?:第?[0-9一二三四五六七八九十A-Za-z]{1,3}(?:包|标段|标项)|(?:包|标段|标项|包组)[0-9一二三四五六七八九十A-Za-z]{1,3})[)）\]]$")
_ROLE = re.compile(r"[(（](?:联合体)?(?:牵头人|成员|成员单位|牵头单位|主体)[)）]|^(?:联合体)?(?:牵头人|成员|成员单位|牵头单位)[:：]")


def _split_vendors(v: str) -> list[tuple[str, int]]:
    """A winner value -> names with their offsets in `v`. Consortium values are split into their members, lead
    first: "联合体：A（牵头人）、B（成员）", "A(联合体：B,C)", "牵头人：A 成员：B"; a single name is kept whole."""
    cons = L["vendors"]["consortium"]
    v2 = _LOT_PREFIX.sub("", v)
    off = len(v) - len(v2)
    if any(mk in v2 for mk in cons["markers"]) or _ROLE.search(v2) or ("、" in v2 and v2.count("公司") > 1):
        # blank out the consortium wording, keeping offsets: "(联合体:", "联合体成员:", "（牵头人）" …
        body = re.sub(r"[(（]?(?:投标)?联合体(?:成员|牵头人)?[)）]?[:：]?|[(（](?:联合体)?(?:牵头人|成员|成员单位|牵头单位|主体)[)）]"
                      r"|(?:牵头人|成员)[:：]", lambda m: "、" * len(m.group()), v2)
        seps = "|".join(re.escape(s) for s in cons["separators"] if len(s) == 1) + r"|[()（）]"
        out = []
        for part in re.finditer(rf"[^{''.join(re.escape(s) for s in cons['separators'] if len(s) == 1)}()（）]+", body):
            name = part.group().strip()
            if _is_name(name) and len(name) >= 4:
                out.append((name, off + part.start() + part.group().find(name)))
        if out:
            return out
    name = _LOT_SUFFIX.sub("", v2).strip()
    return [(name, off)] if _is_name(name) else []


@lru_cache(maxsize=None)
def _winner_section_res() -> tuple[re.Pattern, re.Pattern]:
    spec = L["vendors"]
    sec = re.compile(rf"(?m)^{_NUMBERING}(?:{_alt(tuple(spec['sections']))})")
    ends = re.compile(rf"(?m)^{_NUMBERING}[^\n]{{0,6}}(?:{_alt(tuple(spec['section_ends']))})|^[ \t#]*[一二三四五六七八九十]{{1,2}}、")
    return sec, ends


def _winner_regions(d: _Doc) -> list[tuple[int, int]]:
    """The sections that report winners: from a 中标（成交）信息 heading to the next section that is not about them."""
    sec, ends = _winner_section_res()
    out = []
    for m in sec.finditer(d.f, d.start, d.end):
        e = ends.search(d.f, m.end(), d.end)
        out.append((m.start(), e.start() if e else d.end))
    return out


@lru_cache(maxsize=None)
def _org_re() -> re.Pattern:
    spec = L["org"]
    suf = "|".join(re.escape(x) for x in sorted(spec["suffixes"], key=len, reverse=True))
    branch = "|".join(re.escape(x) for x in sorted(spec["branch_suffixes"], key=len, reverse=True))
    legal = "|".join(re.escape(x) for x in sorted(spec["legal_forms"], key=len, reverse=True))
    # no digits in a name: addresses, scores and amounts around it have them
    return re.compile(
        rf"[\u4e00-\u9fffA-Za-z][\u4e00-\u9fffA-Za-z()·]{{1,40}}?(?:{suf})(?:{legal})?(?:[\u4e00-\u9fff]{{2,10}}?(?:{branch}))?"
    )


def _org_names(s: str) -> list[tuple[str, int]]:
    """Organisation names in a table row rendered without separators, with their offsets in `s`."""
    out = []
    for m in _org_re().finditer(s):
        name, off = m.group(), m.start()
        # a closing bracket without its opening one belongs to the cell before ("（元）东阳市…")
        while True:
            depth, cut = 0, -1
            for i, c in enumerate(name):
                depth += c == "("
                if c == ")":
                    if depth == 0:
                        cut = i
                        break
                    depth -= 1
            if cut < 0:
                break
            name, off = name[cut + 1:], off + cut + 1
        for w in L["org"]["role_words"]:
            i = name.rfind(w)
            if i >= 0:
                name, off = name[i + len(w):], off + i + len(w)
        # an opening bracket never closed belongs to a cell label before the name ("货物类(X公司")
        if name.count("(") > name.count(")"):
            i = name.rfind("(")
            name, off = name[i + 1:], off + i + 1
        if _is_name(name) and len(name) >= 4:
            out.append((name, off))
    return out


def _vendors_in_tables(d: _Doc, regions: list[tuple[int, int]], blank: list[str]) -> list[Hit]:
    """Winners in tables whose cells ran together. After a vendor column header, an organisation name that
    starts a cell (after a row number, a price, a bracket, a colon or a blank) is a winner; one glued to the name
    before it is that winner's address. A 联合体 row names every member. `blank`: texts such as the project name
    that fill columns before the winner and are masked first."""
    spec = L["vendors"]
    head = re.compile(rf"(?:{_alt(tuple(spec['labels']))})(?![ \t]*[:：])")
    markers = _f(spec["consortium"]["markers"])
    out = []
    for a, b in regions:
        in_table = False
        for line_m in re.finditer(r"[^\n]+", d.f[a:b]):
            line, base = line_m.group(), a + line_m.start()
            hs = list(head.finditer(line))
            if hs:
                in_table = True
                line, base = line[hs[-1].end():], base + hs[-1].end()
            if not in_table or any(w in line for w in ("候选人", "未中标", "未成交")):
                continue
            for t in blank:
                if len(t) >= 4:
                    line = line.replace(t, " " * len(t))
            cons = next((line.find(mk) for mk in markers if mk in line), -1)
            last_end = -1
            for name, off in _org_names(line):
                prev = line[off - 1] if off > 0 else " "
                gap = line[last_end:off] if last_end >= 0 else None
                starts_cell = not re.match(r"[\u4e00-\u9fffA-Za-z]", prev)
                glued_to_name = gap is not None and gap.strip() == ""
                if (0 <= cons < off) or (starts_cell and not glued_to_name):
                    out.append(Hit(name, base + off, base + off + len(name)))
                    last_end = off + len(name)
    return out


def _vendors_in_tab_tables(d: _Doc, regions: list[tuple[int, int]]) -> list[Hit]:
    """Winners from a tab-separated result table whose header names a supplier column ("供应商名称")."""
    spec = L["vendors"]
    head = re.compile(rf"(?:{_alt(tuple(spec['labels']))})")
    out = []
    for table in _tab_tables(d):
        start = table[0][0][1]
        if regions and not any(a <= start < b for a, b in regions):
            continue
        ls = d.f.rfind("\n", 0, max(0, d.f.rfind("\n", 0, start))) + 1
        if any(w in d.f[ls:start] + "".join(c[0] for c in table[0]) for w in ("候选", "未中标", "未成交")):
            continue
        cols = [i for i, c in enumerate(table[0]) if head.search(c[0]) and "地址" not in c[0] and "联系" not in c[0]]
        for row in _body_rows(table):
            for i in cols[:1]:
                text, cs, _ = row[i]
                for name, off in _split_vendors(_clean_name(text)):
                    out.append(Hit(name, cs + off, cs + off + len(name)))
    return out


def _successors(d: _Doc, out: list[Hit], seen: set[str]) -> None:
    """A corrected result names the new winner in a sentence: "现顺延至原第二名中标候选人X", "中标供应商：A，更正为：B".
    The superseded winner (on a "原…" line, before the marker) is dropped."""
    spec = L["vendors"]
    sec = re.compile(r"更正信息|更正内容").search(d.f, d.start, d.end)
    if not sec:
        return
    end_m = re.compile(r"更正日期|其他补充事宜|其它补充事宜|凡对本次").search(d.f, sec.end(), d.end)
    sec_end = end_m.start() if end_m else min(d.end, sec.end() + 3000)
    words = re.compile("|".join(re.escape(fold(w)) for w in spec["succession"]))
    vendor_words = tuple(L["org"]["role_words"])
    for m in words.finditer(d.f, sec.end(), sec_end):
        ls = d.f.rfind("\n", 0, m.start()) + 1
        before = d.f[max(ls, m.start() - 60):m.start()]
        if not before.strip():  # "更正：X" opening its line: the line above says what is corrected
            before = d.f[max(sec.end(), ls - 80):ls]
        after = d.f[m.end():min(sec_end, m.end() + 80)].split("\n", 1)[0]
        if not any(w in before + after[:20] for w in vendor_words):
            continue
        names = _org_names(after)
        if names:
            name, off = names[0]
            key = re.sub(r"\s", "", name)
            # the winner it replaces, if it was read from the line before the marker
            out[:] = [h for h in out if not (ls <= h.start < m.start())]
            if key not in seen:
                seen.add(key)
                out.append(Hit(name, m.end() + off, m.end() + off + len(name)))


def _vendors(d: _Doc, notice_type: str | None) -> list[Hit]:
    spec = L["vendors"]
    if notice_type not in ("award", "contract", "correction", None, "other"):
        return []
    regions = _winner_regions(d)
    if notice_type == "correction":
        # a corrected result names the winner in the 更正信息 section
        regions += [(m.start(), m.end() + 2000) for m in re.finditer(r"更正信息|更正内容", d.f[: d.end])]
        regions = [(a, min(b, d.end)) for a, b in regions]
    if not regions:
        if notice_type not in ("award", "contract"):
            return []
        regions = [(d.start, d.end)]
    not_winner = _f(spec["not_winner"])
    out: list[Hit] = []
    seen = set()
    for a, b in regions:
        for h in d.labelled(spec["labels"], a, b, anywhere=True):
            ls = d.f.rfind("\n", 0, h.start) + 1
            prefix = d.f[ls:h.start]
            if any(w in prefix for w in not_winner):
                continue
            for name, off in _split_vendors(_clean_name(h.value)):
                key = re.sub(r"\s", "", name)
                if key not in seen:
                    seen.add(key)
                    s = h.start + off
                    out.append(Hit(name, s, s + len(name), h.label))
    if notice_type == "correction":
        _successors(d, out, seen)
    if not out and notice_type in ("award", "contract"):
        for h in _vendors_in_tab_tables(d, regions):
            key = re.sub(r"\s", "", h.value)
            if key not in seen:
                seen.add(key)
                out.append(h)
    if not out and notice_type in ("award", "contract"):
        blank = [h.value for h in d.labelled(("项目名称", "采购项目名称", "标项名称"), anywhere=True)]
        for h in _vendors_in_tables(d, regions, blank):
            key = re.sub(r"\s", "", h.value)
            if key not in seen:
                seen.add(key)
                out.append(h)
    return out


# --------------------------------------------------------------------------------------------- codes

_CODE_OK = re.compile(r"[A-Za-z0-9]")


_CODE_CUT = re.compile(
    r"\((?=[^()]{0,12}编号)"  # "(招标文件编号：…)" restates the number
    r"|[ \t]+(?:\d{1,2}|[一二三四五六七八九十]{1,2})[、.]"  # the next numbered item on the same line
    r"|[ \t]*[\u4e00-\u9fff]{2,10}[:：]"  # the next label glued on ("…-GXZJ信息来源：…")
    r"|[ \t]{2,}|\t"
)
_CODE_SPLIT = re.compile(r"[、;；，,]")


def _clean_codes(v: str) -> list[tuple[str, int]]:
    """A code value -> the codes it holds, with offsets: "X（Y）" stays whole (Y is the same project's second
    number), "X、Y" / "X;Y" are two codes, trailing restatements and glued labels are cut."""
    m = _CODE_CUT.search(v)
    if m:
        v = v[: m.start()]
    # a closing bracket never opened ends the value: "（项目编号：WXD-ZFCG-004）竞争性磋商…"
    depth = 0
    for i, c in enumerate(v):
        if c in "([":
            depth += 1
        elif c in ")]":
            if depth == 0:
                v = v[:i]
                break
            depth -= 1
    parts = _CODE_SPLIT.split(v)
    if any(len(p.strip()) < 6 for p in parts):  # "BJJQ-2026-670-01、02、03": lot suffixes of one number
        parts = [v]
    out = []
    pos = 0
    for part in parts:
        code = part.strip().strip("。.")
        if code and _CODE_OK.search(code) and len(code) <= 80:
            out.append((code, pos + part.find(code)))
        pos += len(part) + 1
    return out


def _codes(d: _Doc) -> list[Hit]:
    spec = L["codes"]
    out: list[Hit] = []
    seen = set()
    excluded = _f(spec["excluded"])
    for group in (spec["primary"], spec["secondary"]):
        hits = d.labelled(group, anywhere=True)
        # "一、项目编号" as a heading with the number on the next line
        head = re.compile(rf"(?m)^{_NUMBERING}(?P<label>{_alt(tuple(group))})[ \t]*$")
        for m in head.finditer(d.f, d.start, d.end):
            nm = re.compile(r"[^\n]*\S[^\n]*").search(d.f, m.end())
            if nm and nm.start() - m.end() < 20 and not re.search(r"[:：]", nm.group()):
                v = nm.group()
                lead = len(v) - len(v.lstrip())
                hits.append(Hit(v.strip(), nm.start() + lead, nm.start() + lead + len(v.strip()), re.sub(r"\s", "", m.group("label"))))
        # label order in the data file is the priority order within a group; the body before the title
        order = _label_order(tuple(group))
        hits.sort(key=lambda h: (order.get(h.label, 99), h.start))
        for h in hits:
            ls = d.f.rfind("\n", 0, h.start) + 1
            if any(x in d.f[max(ls, h.start - 20):h.start] for x in excluded):
                continue
            for code, off in _clean_codes(h.value):
                if code in ("无", "/"):
                    continue
                key = re.sub(r"\s", "", code).upper()
                if key not in seen:
                    seen.add(key)
                    out.append(Hit(code, h.start + off, h.start + off + len(code), h.label))
    return out


# --------------------------------------------------------------------------------------------- amounts

@dataclass
class _Am:
    kind: str
    value: float | None
    percent: float | None
    start: int
    end: int


def _kind_of(label: str) -> str | None:
    label = re.sub(rf"(?<=包|项){_LOT}(?=预算)", "#", label)
    best = None
    for kind, lab in _amount_labels():
        if lab in label and (best is None or len(lab) > len(best[1])):
            best = (kind, lab)
    return best[0] if best else None


@lru_cache(maxsize=None)
def _amount_labels() -> tuple[tuple[str, str], ...]:
    spec = L["amounts"]
    return tuple((k, fold(lab)) for k in ("budget", "max_price", "award", "unit_price", "rate") for lab in spec[k])


def _ambiguous_rate(d: _Doc, suffix: str, value: str) -> bool:
    """`中标（成交）金额（元）\（%）：66.50` names both units: it is a rate when the notice says it was won on a
    rate (中标类型：折扣率中标 / 费率 / 下浮率), else money."""
    spec = L["amounts"]
    head = d.f[d.start:d.end]
    return any(fold(w) + "中标" in head or "中标类型:" + fold(w) in head for w in spec["rate"])


@lru_cache(maxsize=None)
def _glued_re(labels: tuple[str, ...]) -> re.Pattern:
    """`label：value` anywhere, the value running up to the next label (cells that ran together)."""
    alt = _alt(labels)
    return re.compile(
        rf"(?P<label>{alt})[ \t]*(?P<suffix>\([^)\n:：]{{0,16}}\))?[ \t]*[:：][ \t]*(?P<value>(?:(?!{alt})[^\n]){{0,60}})"
    )


@lru_cache(maxsize=None)
def _label_money_re(labels: tuple[str, ...]) -> re.Pattern:
    """A label with its amount right after it and no colon: "预算金额28,560.00元", "中标折扣  77.98%"."""
    return re.compile(
        rf"(?P<label>{_alt(labels)})[ \t]*(?P<suffix>\([^)\n:：]{{0,16}}\))?[ \t]*(?P<value>(?:¥|人民币)?[ \t]*\d[^\n]{{0,30}})"
    )


def _labelled_amounts(d: _Doc, start: int | None = None, end: int | None = None, glued: bool = False,
                      correction: bool = False) -> list[_Am]:
    spec = L["amounts"]
    labels = [x for k in ("budget", "max_price", "award", "unit_price", "rate") for x in spec[k]]
    not_amount = _f(spec["not_amount"])
    out: list[_Am] = []
    hits = d.labelled(labels, start, end, anywhere=True, wei=True)
    if glued:  # table rows whose cells ran together: "…得分1磋商报价：667113（元）…"
        rx = _glued_re(tuple(labels))
        seen = {h.start for h in hits}
        for m in rx.finditer(d.f, start if start is not None else d.start, end if end is not None else d.end):
            if m.start("value") not in seen:
                v = m.group("value")
                hits.append(Hit(v, m.start("value"), m.end("value"), re.sub(r"\s", "", m.group("label")), m.group("suffix") or ""))
    seen = {h.start for h in hits}
    # corrections restate amounts in before/after tables without colons ("预算金额28,560.00元")
    loose = _label_money_re(tuple(labels)).finditer(d.f, start if start is not None else d.start,
                                                    end if end is not None else d.end) if correction else ()
    for m in loose:
        if m.start("value") in seen:
            continue
        monies = find_money(m.group("value"), default_factor=None)
        lab_kind = _kind_of(re.sub(r"\s", "", m.group("label")))
        # "合同总价30%": a share of the contract (payment terms), not a rate, unless the label names a rate
        if monies and monies[0].start <= 2 and monies[0].explicit_unit and (
                monies[0].percent is None or lab_kind == "rate"):
            hits.append(Hit(m.group("value"), m.start("value"), m.end("value"), re.sub(r"\s", "", m.group("label")),
                            m.group("suffix") or ""))
    changed = _changed_re()
    near = _f(spec["not_amount_near"])
    for h in hits:
        kind = _kind_of(h.label)
        if kind is None:
            continue
        ls = d.f.rfind("\n", 0, h.start) + 1
        # the sentence the label sits in: fee scales ("代理费收费标准：（中标金额：100万元及以下部分，费率：1.5%…") are no
        # award amounts
        context = d.f[max(ls, h.start - 100):h.start].rsplit("。", 1)[-1]
        if any(w in context for w in not_amount) or any(w in context[-12:] for w in near):
            continue
        if _is_original(d.f[ls:h.start], changed):  # "原公告：中标金额…" was replaced by the correction
            continue
        suffix = h.suffix
        if "%" in suffix and re.search(r"元", suffix):  # both units named: decide from the notice
            suffix = "(%)" if _ambiguous_rate(d, suffix, h.value) else "(元)"
        factor = unit_factor(h.label + suffix) or unit_factor(d.f[max(ls, h.start - 40):h.start]) or 1
        is_rate = kind == "rate" or "%" in suffix
        value = h.value.split("。", 1)[0]
        monies = find_money(value, default_factor=factor, default_percent=is_rate)
        if not monies:
            continue
        # a list "2097600,400000,1350000" gives several lots; unit prices may be listed ("1068元/台；48000元/批");
        # otherwise the first amount is the value
        if re.fullmatch(r"[\d.,，\s元万]+", value):
            take = monies
        elif kind == "unit_price":
            take = monies[:1] + [m for m in monies[1:] if m.explicit_unit]
        else:
            take = monies[:1]
        for m in take:
            if m.foreign:
                continue
            k = kind
            if m.percent is not None and kind != "max_price":  # a capped rate stays a max_price, in percent
                k = "rate"
            elif m.per_unit and kind in ("award", "budget"):
                k = "unit_price"
            out.append(_Am(k, m.value_cny, m.percent, h.start + m.start, h.start + m.end))
    return out


@lru_cache(maxsize=None)
def _changed_re() -> re.Pattern:
    return re.compile("|".join(re.escape(fold(x)) for x in L["dates"]["changed_to"]))


def _is_original(line_before: str, changed: re.Pattern) -> bool:
    """Text before a value on its line says it is the superseded one ("原公告的…金额：X，更正为：Y" -> X)."""
    if changed.search(line_before):
        return False
    return bool(re.match(r"[ \t#]*(?:[(]?[0-9一二三四五六七八九十]{1,3}[)]?[ \t]*[.、]?[ \t]*)?原", line_before)) or any(
        w in line_before for w in L["amounts"]["original_markers"])


def _changed_amounts(d: _Doc) -> list[_Am]:
    """Corrections: "…中标金额(第1候选人)：2,308,220.00元,更正为：2,250,000.00元" -> the new amount, of the kind the
    label before the marker names."""
    spec = L["amounts"]
    labels = [x for k in ("budget", "max_price", "award", "unit_price", "rate") for x in spec[k]]
    lab_rx = re.compile(_alt(tuple(labels)))
    out = []
    for m in _changed_re().finditer(d.f, d.start, d.end):
        ls = d.f.rfind("\n", 0, m.start()) + 1
        labs = list(lab_rx.finditer(d.f, max(ls, m.start() - 80), m.start()))
        if not labs:
            continue
        kind = _kind_of(re.sub(r"\s", "", labs[-1].group()))
        after = d.f[m.end():m.end() + 40]
        lead = len(after) - len(after.lstrip(" \t:：\"“"))
        monies = find_money(after[lead:], default_factor=None)
        if kind and monies and monies[0].start == 0 and monies[0].explicit_unit and (
                monies[0].percent is None or kind == "rate"):
            mo = monies[0]
            k = "rate" if mo.percent is not None else kind
            s = m.end() + lead
            out.append(_Am(k, mo.value_cny, mo.percent, s + mo.start, s + mo.end))
    return out


def _row_amounts(d: _Doc, regions: list[tuple[int, int]]) -> list[_Am]:
    """Amounts in winner tables without `label：` pairs ("… 哈尔滨迅泽生物科技有限公司 哈尔滨市… 332,200.00元 91.5"):
    money with an explicit unit after a vendor / amount column header. Bare numbers there are scores."""
    spec = L["vendors"]
    head = re.compile(rf"(?:{_alt(tuple(spec['labels']))})(?![ \t]*[:：])")
    not_amount = _f(L["amounts"]["not_amount"] + L["amounts"]["not_amount_near"])
    out = []
    for a, b in regions:
        in_table = False
        for line_m in re.finditer(r"[^\n]+", d.f[a:b]):
            line, base = line_m.group(), a + line_m.start()
            hs = list(head.finditer(line))
            if hs:
                in_table = True
                line, base = line[hs[-1].end():], base + hs[-1].end()
            if not in_table or any(w in line for w in ("候选人", "未中标", "未成交")):
                continue
            # one amount per winner: the first money after each name (a row may go on with unit prices)
            names = [off for _, off in _org_names(line)] or [0]
            taken = set()
            for m in find_money(line, default_factor=None):
                if not m.explicit_unit or m.capital:
                    continue
                owner = max([o for o in names if o <= m.start], default=-1)
                if owner in taken:
                    continue
                # the cell's own label: the text just before the money, back to the previous blank
                before = re.split(r"\s", line[:m.start].rstrip() or " ")[-1][-8:]
                if any(w in before for w in not_amount):
                    continue
                taken.add(owner)
                if m.percent is not None:
                    kind = "rate"
                elif m.per_unit or any(fold(w) in before for w in L["amounts"]["unit_price"]):
                    kind = "unit_price"
                else:
                    kind = "award"
                out.append(_Am(kind, m.value_cny, m.percent, base + m.start, base + m.end))
    return out


@lru_cache(maxsize=None)
def _column_head_re() -> re.Pattern:
    spec = L["amounts"]
    return re.compile(rf"(?m)^[ \t]*(?P<label>{_alt(tuple(spec['budget'] + spec['max_price']))})[ \t]*(?P<unit>\([^)\n]{{0,10}}\))?[ \t]*$")


_LONE_MONEY = re.compile(r"(?m)^[ \t]*(?:¥|人民币)?[ \t]*\d[\d,]*(?:\.\d+)?[ \t]*(?:万元|元)[ \t]*$")


def _column_amounts(d: _Doc) -> list[_Am]:
    """A table rendered one cell per line: header cells ("采购预算", "（人民币）", "最高限价" …) and, further down, cells
    that hold nothing but money ("85万元"). With several money columns the values are theirs in turn. Read until
    the next numbered section."""
    out = []
    heads = list(_column_head_re().finditer(d.f, d.start, d.end))
    used = set()
    for i, m in enumerate(heads):
        if m.start() in used:
            continue
        stop = re.compile(r"(?m)^[ \t#]*(?:[一二三四五六七八九十]{1,2}、|合同履行期限|合同履约期限|本项目)").search(d.f, m.end(), d.end)
        seg_end = min(stop.start() if stop else d.end, m.end() + 6000)
        cells = list(_LONE_MONEY.finditer(d.f, m.end(), seg_end))
        if not cells:
            continue
        # the money columns of this header row: header cells before the first value
        kinds = [_kind_of(re.sub(r"\s", "", m.group("label"))) or "budget"]
        for h in heads[i + 1:]:
            if h.start() >= cells[0].start():
                break
            used.add(h.start())
            kinds.append(_kind_of(re.sub(r"\s", "", h.group("label"))) or "budget")
        for k, lm in enumerate(cells):
            for money in find_money(lm.group())[:1]:
                out.append(_Am(kinds[k % len(kinds)], money.value_cny, None, lm.start() + money.start, lm.start() + money.end))
    return out


@lru_cache(maxsize=None)
def _space_head_re() -> re.Pattern:
    spec = L["amounts"]
    return re.compile(rf"(?:{_alt(tuple(spec['budget'] + spec['max_price']))})[ \t]*\([^)\n]{{0,10}}\)")


@dataclass
class _Span:
    s: int
    e: int

    def end(self) -> int:
        return self.e


def _space_table_amounts(d: _Doc) -> list[_Am]:
    """A table rendered with single spaces between cells ("序号 采购项目名称 采购需求概况 预算金额（万元） 预计采购时间 备注"
    then "1 … 320 2026年10月 —"). Free-text cells may hold spaces, so cells are aligned from the right."""
    out = []
    for am in _space_head_re().finditer(d.f, d.start, d.end):
        ls = d.f.rfind("\n", 0, am.start()) + 1
        le = d.f.find("\n", am.end())
        le = d.end if le < 0 else min(le, d.end)
        line = d.f[ls:le]
        if "\t" in line or line.count(" ") < 3:
            continue
        hm = _Span(ls, le)
        heads = line.split()
        idx = next((i for i, t in enumerate(heads) if _space_head_re().search(t)), None)
        if idx is None:
            continue
        from_right = len(heads) - idx
        kind = _kind_of(re.sub(r"\s", "", heads[idx])) or "budget"
        factor = unit_factor(heads[idx]) or 1
        pos = hm.end() + 1
        for row in d.f[pos:d.end].split("\n"):
            toks = row.split()
            if not toks or not toks[0].isdigit() or len(toks) < len(heads):
                break
            tok = toks[-from_right]
            tok_start = pos + row.rfind(tok)
            for m in find_money(tok, default_factor=factor)[:1]:
                if m.start == 0 and m.end == len(tok):
                    out.append(_Am(kind, m.value_cny, None, tok_start + m.start, tok_start + m.end))
            pos += len(row) + 1
    return out


def _table_amounts(d: _Doc) -> list[_Am]:
    """Money columns of tab-separated tables: "预算金额（万元）" 6.5 -> budget 65000; "单价（元）" 3.20元/万tokens ->
    unit_price 3.2; "中标（成交）金额" 总价形式报价:47800.00(元) -> award. Total rows are skipped."""
    not_amount = _f(L["amounts"]["not_amount"])
    not_winner = _f(L["amounts"]["not_winner_tables"])
    regions = _winner_regions(d)
    out = []
    for table in _tab_tables(d):
        start = table[0][0][1]
        above = d.f[max(d.start, d.f.rfind("\n", 0, max(0, d.f.rfind("\n", 0, start)))):start]
        header = "".join(c[0] for c in table[0])
        bidders = any(w in above or w in header for w in not_winner)
        for i, (head, _, _) in enumerate(table[0]):
            h = re.sub(r"\s", "", head)
            kind = _kind_of(h)
            if kind is None or any(w in h for w in not_amount):
                continue
            if kind in ("award", "rate") and (bidders or (regions and not any(a <= start < b for a, b in regions))):
                continue  # every bidder's price, or a price outside the result section
            factor = unit_factor(h) or 1
            is_rate = kind == "rate" or "%" in h
            for row in _body_rows(table):
                text, cs, _ = row[i]
                for m in find_money(text, default_factor=factor, default_percent=is_rate)[:1]:
                    if m.foreign:
                        continue
                    k = "rate" if m.percent is not None and kind != "max_price" else kind
                    if m.per_unit and k in ("award", "budget"):
                        k = "unit_price"
                    out.append(_Am(k, m.value_cny, m.percent, cs + m.start, cs + m.end))
    return out


def _amounts(d: _Doc, notice_type: str | None, summary: dict[str, Hit]) -> list[_Am]:
    out = _labelled_amounts(d, correction=notice_type == "correction")
    if notice_type == "correction":
        got = {(a.start, a.end) for a in out}
        out += [a for a in _changed_amounts(d) if (a.start, a.end) not in got]
    if notice_type in ("award", "contract", "correction", "other", None):
        regions = _winner_regions(d)
        got = {(a.start, a.end) for a in out}
        extra: list[_Am] = []
        for r in regions:
            extra += [a for a in _labelled_amounts(d, r[0], r[1], glued=True) if (a.start, a.end) not in got]
        if not any(a.kind in ("award", "rate", "unit_price") for a in out + extra):
            extra += _row_amounts(d, regions)
        out += extra
    got = {(a.kind, a.value) for a in out}
    out += [a for a in _column_amounts(d) + _table_amounts(d) + _space_table_amounts(d) if (a.kind, a.value) not in got]
    # the summary table's budget / total award, when the body states none of that kind
    body_kinds = {a.kind for a in out}
    for lab, kind in (("预算金额", "budget"), ("总中标金额", "award"), ("总成交金额", "award")):
        if lab in summary and kind not in body_kinds and not (kind == "award" and body_kinds & {"rate", "unit_price"}):
            h = summary[lab]
            # the summary always writes a unit (￥550.000000万元); a bare number there is a misread cell
            for m in [x for x in find_money(h.value.split("\n", 1)[0], default_factor=None) if x.explicit_unit][:1]:
                out.append(_Am(kind, m.value_cny, m.percent, h.start + m.start, h.start + m.end))
    out.sort(key=lambda a: a.start)
    # dedupe on (kind, value)
    seen, uniq = set(), []
    for a in out:
        key = (a.kind, round(a.value, 2) if a.value is not None else None, a.percent)
        if key not in seen:
            seen.add(key)
            uniq.append(a)
    return uniq


# --------------------------------------------------------------------------------------------- dates

# the line under a ccgp page title: "2026年07月29日 09:07 来源：…" (a bare date line may be any date)
_TIME_LINE = re.compile(
    r"(?m)^[ \t]*(?P<d>(?:19|20)\d{2}[-年./]\d{1,2}[-月./]\d{1,2}日?(?:[ \t]+\d{1,2}[:：]\d{2}(?::\d{2})?[ \t]*(?:来源|$)|[ \t]*来源))"
)


def _published(d: _Doc, summary: dict[str, Hit], meta: dict) -> Optional[tuple[DateHit, int]]:
    for lab in ("公告时间",):
        if lab in summary:
            h = summary[lab]
            hits = find_dates(h.value)
            if hits:
                return hits[0], h.start
    # "2026年07月29日 09:07 来源：" under the page title
    m = _TIME_LINE.search(d.f, 0, min(d.end, len(d.f)))
    if m:
        hits = find_dates(m.group("d"))
        if hits:
            return hits[0], m.start("d")
    for h in d.labelled(L["dates"]["published"], anywhere=True):
        hits = find_dates(h.value)
        if hits:
            return hits[0], h.start
    for h in d.labelled(L["dates"]["signed"], anywhere=True):
        hits = find_dates(h.value)
        if hits:
            return hits[0], h.start
    # portal pages list the notice itself with its date: "- 宣汉县…结果公告2026-08-05"
    title = (d.doc.title or "").rstrip(".… ")
    if len(title) >= 6:
        for m in re.finditer(re.escape(fold(title)), d.f):
            hits = find_dates(d.f[m.end():m.end() + 40].split("\n", 1)[0])
            if hits and hits[0].start <= 3:
                return hits[0], m.end()
    # a document signed off with a date on its own line (an attachment's issue date): the last such line
    last = None
    for m in re.finditer(r"(?m)^[ \t]*(?P<d>(?:19|20)\d{2}[ \t]*年[ \t]*\d{1,2}[ \t]*月[ \t]*\d{1,2}[ \t]*日)[ \t]*$", d.f):
        prev = d.f[max(0, m.start() - 12):m.start()]
        if not re.search(r"[:：][ \t]*\n?[ \t]*$", prev):  # not the value of a label on the line above
            last = m
    if last:
        hits = find_dates(last.group("d"))
        if hits:
            return hits[0], last.start("d")
    return None


def _deadline(d: _Doc, notice_type: str | None, year: int | None, summary: dict[str, Hit]) -> Optional[tuple[DateHit, int]]:
    spec = L["dates"]
    if notice_type in ("award", "contract", "cancellation", "intention"):
        return None
    if notice_type == "correction":
        return _changed_deadline(d, year)
    hits = d.labelled(spec["deadline"], anywhere=True, wei=True)
    order = _label_order(tuple(spec["deadline"]))
    hits.sort(key=lambda h: (order.get(h.label, 99), h.start))
    for h in hits:
        found = [x for x in find_dates(h.value, year) if x.time is not None] or find_dates(h.value, year)
        if found:
            return found[0], h.start
    # "四、提交投标文件截止时间、开标时间和地点" heading with the date on the next line
    head = re.compile(rf"(?m)^{_NUMBERING}(?:{_alt(tuple(spec['deadline']))})[^\n:：]*$")
    for m in head.finditer(d.f, d.start, d.end):
        nxt = d.f[m.end():m.end() + 200].lstrip("\n").split("\n", 1)[0]
        found = [x for x in find_dates(nxt, year) if x.time is not None]
        if found:
            base = d.f.find(nxt, m.end())
            return found[0], base
    # "并于2026年08月26日 09点30分（北京时间）前递交投标文件"
    for phrase in spec["deadline_phrase_after"]:
        for m in re.compile(re.escape(phrase)).finditer(d.f, d.start, d.end):
            s = m.start()
            window = d.f[max(d.start, s - 60):s]
            found = find_dates(window, year)
            if found:
                return found[-1], max(d.start, s - 60)
    if "开标时间" in summary:
        h = summary["开标时间"]
        found = find_dates(h.value, year)
        if found:
            return found[0], h.start
    return None


def _changed_deadline(d: _Doc, year: int | None) -> Optional[tuple[DateHit, int]]:
    """In a correction: the new deadline ("截止时间…更正为：2026年8月21日 14：00", or "现更改为：" followed by
    `提交投标文件截止时间：…` lines). Deadlines for obtaining documents, comments or site visits do not count."""
    spec = L["dates"]
    topics = _f(spec["deadline_topics"])
    excluded = _f(spec["not_deadline"])
    changed = re.compile("|".join(re.escape(fold(x)) for x in spec["changed_to"]))
    changes: list[tuple[DateHit, int]] = []

    def about_deadline(s: str) -> bool:
        # a topic word counts unless what it is the deadline of is named just before it ("获取招标文件截止时间")
        for t in topics:
            for m in re.finditer(re.escape(t), s):
                if not any(x in s[max(0, m.start() - 8):m.start()] for x in excluded):
                    return True
        return False

    for m in changed.finditer(d.f, d.start, d.end):
        ls = d.f.rfind("\n", 0, m.start()) + 1
        before = d.f[ls:m.start()]
        if len(before.strip(" \t现:：#")) < 2:  # the marker opens its line: what changes is on the line(s) above
            above = d.f[max(d.start, ls - 300):ls].rstrip().split("\n")
            # "2、提交投标文件截止时间：⏎原内容：…⏎更正为：…": the topic is above the original
            before = above[-1] if not re.match(r"[ \t]*原", above[-1]) or len(above) < 2 else above[-2] + above[-1]
        before = before[-40:]
        window_end = m.end()
        for _ in range(4):
            nxt = d.f.find("\n", window_end + 1)
            window_end = d.end if nxt < 0 else min(nxt, d.end)
        # the window stops where the next original ("原…") item or the next change starts
        stop = re.compile(r"(?m)^[ \t#]*(?:\d+[.、])?[ \t]*原|" + changed.pattern).search(d.f, m.end(), window_end)
        if stop:
            window_end = stop.start()
        # deadline labels after the marker: "更正为：\n投标截止时间：2026年8月13日14点00分"
        hit = None
        for lh in d.labelled(spec["deadline"], m.end(), window_end, anywhere=True):
            if any(x in lh.label for x in excluded):
                continue
            found = find_dates(lh.value, year)
            if found:
                hit = (found[0], lh.start)
                break
        if hit is None and about_deadline(before):
            line_end = d.f.find("\n", m.end())
            line_end = d.end if line_end < 0 else line_end
            found = find_dates(d.f[m.end():line_end], year)
            if found:
                hit = (found[0], m.end())
        if hit:
            changes.append(hit)
    if changes:  # several changes: the last one stands
        return changes[-1]
    # no "更正为": the section restates the deadline ("报价截止时间延期：…"), or a before/after table row
    # ("提交投标文件截止时间、开标时间 2026年8月10日9时30分 2026年8月24日9时30分") — the last date is the new one
    sec = re.compile(r"更正信息|更正内容|变更内容|更正事项").search(d.f, d.start, d.end)
    if not sec:
        return None
    end_m = re.compile(r"更正日期|其他补充事宜|其它补充事宜|凡对本次").search(d.f, sec.end(), d.end)
    sec_end = end_m.start() if end_m else min(d.end, sec.end() + 4000)
    best = None
    for line_m in re.compile(r"[^\n]+").finditer(d.f, sec.start(), sec_end):
        line = line_m.group()
        if not about_deadline(line) or re.match(r"[ \t#]*原", line):
            continue
        found = [h for h in find_dates(line, year) if h.time is not None]
        if found:
            # a line naming the 截止 (deadline) outranks one naming only the opening
            rank = 1 if "截止" in line or "截至" in line else 0
            if best is None or rank >= best[0]:
                best = (rank, found[-1], line_m.start())
    return best[1:] if best else None


# --------------------------------------------------------------------------------------------- type, title

def _title(d: _Doc, meta: dict, hints: dict) -> Optional[Hit]:
    t = meta.get("ArticleTitle") or d.doc.title
    m = re.compile(r"(?m)^##[ \t]+(?!公告概要|项目概况|[一二三四五六七八九十]、)(?P<t>[^\n]{4,})$").search(d.f)
    if m and (not t or (t.rstrip(".…").rstrip() and m.group("t").strip().startswith(t.rstrip(".…").rstrip()))):
        v = m.group("t").strip()
        return Hit(d.text[m.start("t"):m.start("t") + len(v)], m.start("t"), m.start("t") + len(v))
    if t:
        i = d.text.find(t)
        return Hit(t, i, i + len(t)) if i >= 0 else Hit(t, -1, -1)
    if hints.get("title"):
        return Hit(hints["title"], -1, -1)
    for line in d.text.splitlines():
        if line.strip():
            i = d.text.find(line.strip())
            return Hit(line.strip(), i, i + len(line.strip()))
    return None


def _breadcrumb(d: _Doc, meta: dict) -> str:
    if meta.get("breadcrumb"):
        b = meta["breadcrumb"]
        return " » ".join(b) if isinstance(b, list) else str(b)
    m = re.search(r"当前位置[:：][^\n]*(?:\n[^\n]*»[^\n]*)?", d.f)
    return m.group() if m else ""


def _notice_type(title: str, crumb: str, hints: dict, meta: dict, d: _Doc) -> Optional[str]:
    """Breadcrumb, then a complete title, then the body's own sections, then what the list page said, then a
    truncated title ("…公开招标-2026-HCGK…" cut before 中标公告 would read as a tender)."""
    spec = L["notice_type"]
    order = ("correction", "cancellation", "contract", "intention", "award", "other", "tender")

    def by_words(src: str) -> Optional[str]:
        f = fold(src or "")
        if "候选人" in f and not any(w in f for w in spec["correction"] + spec["cancellation"]):
            return "award"
        for kind in order:
            if any(w in f for w in spec[kind]):
                return kind
        return None

    truncated = bool(re.search(r"(?:\.\.\.|…)\s*$", title or ""))
    leaf = (crumb.split("»")[-1] if crumb else "").strip()
    found = None if leaf in spec["generic_crumbs"] else by_words(leaf)
    if found is None and not truncated:
        found = by_words(title)
    if found is None:
        for kind, words in spec["body_cues"].items():
            if re.compile(rf"(?m)^{_NUMBERING}(?:{_alt(tuple(words))})").search(d.f, d.start, d.end):
                found = kind
                break
    if found is None:
        for v in (hints.get("notice_type"), meta.get("type"), meta.get("Type")):
            if v and str(v).lower() in spec["hint"]["map"]:
                return spec["hint"]["map"][str(v).lower()]
    return found or by_words(title) or (by_words(leaf) if leaf else None)


def _is_candidate_notice(title: str, notice_type: str | None) -> bool:
    """A 中标候选人公示: its names are candidates, not winners (a correction that promotes one is not)."""
    return (notice_type == "award" and "候选人" in fold(title or "")
            and not any(w in title for w in ("结果", "中标公告", "成交公告")))


# --------------------------------------------------------------------------------------------- entry point

def extract_fields(body: DocumentText, attachments: list[DocumentText], hints: dict[str, Any]) -> NoticeFields:
    """Fields of one notice. The body decides; an attachment fills a field only where the body is silent."""
    hints = hints or {}
    out = _from_document(body, hints)
    for att in attachments or []:
        if not att.text or att.needs_ocr:
            continue
        more = _from_document(att, {**hints, "notice_type": out.notice_type})
        _fill(out, more)
    # what a list page said, only where the documents are silent
    for key in ("buyer", "region", "published_at", "title"):
        if getattr(out, key) is None and hints.get(key):
            setattr(out, key, hints[key])
    return out


def _fill(out: NoticeFields, more: NoticeFields) -> None:
    used = set()
    for key in ("title", "buyer", "agency", "published_at", "bid_deadline", "region"):
        if getattr(out, key) is None and getattr(more, key) is not None:
            setattr(out, key, getattr(more, key))
            used.add(key)
    for key, ev_field in (("project_codes", "project_codes"), ("vendors", "vendors"), ("amounts", "amounts")):
        if not getattr(out, key) and getattr(more, key):
            setattr(out, key, getattr(more, key))
            used.add(ev_field)
    out.evidence += [e for e in more.evidence if e.field in used]


def _from_document(doc: DocumentText, hints: dict) -> NoticeFields:
    d = _Doc(doc)
    meta = doc.meta or {}
    summary = _summary(d)
    msum = _meta_summary(doc)
    out = NoticeFields()
    ev = out.evidence

    t = _title(d, meta, hints)
    if t:
        out.title = t.value
        if t.start >= 0:
            ev.append(d.ev("title", t.start, t.end))
    out.notice_type = _notice_type(out.title or "", _breadcrumb(d, meta), hints, meta, d)

    codes = _codes(d)
    if not codes and t and t.start >= 0:
        # a number only in the title: "…试点技术服务项目（第二次）(QJQ26C00050)公开招标公告"
        for m in re.finditer(r"\((?=[A-Za-z0-9_-]*\d)([A-Za-z0-9][A-Za-z0-9_-]{5,40})\)", d.f[t.start:t.end]):
            codes.append(Hit(m.group(1), t.start + m.start(1), t.start + m.end(1)))
    for h in codes:
        out.project_codes.append(d.verbatim(h))
        ev.append(d.ev("project_codes", h.start, h.end))

    for key in ("buyer", "agency"):
        h = _org(d, summary, msum, key)
        if h:
            setattr(out, key, d.verbatim(h))
            if h.start >= 0:
                ev.append(d.ev(key, h.start, h.end))

    if not _is_candidate_notice(out.title or "", out.notice_type):
        for h in _vendors(d, out.notice_type):
            out.vendors.append(d.verbatim(h))
            ev.append(d.ev("vendors", h.start, h.end))

    for a in _amounts(d, out.notice_type, summary):
        raw = d.text[a.start:a.end]
        out.amounts.append(Amount(kind=a.kind, value_cny=a.value, raw=raw, percent=a.percent))
        ev.append(d.ev("amounts", a.start, a.end))

    pub = _published(d, summary, meta)
    if pub:
        hit, _ = pub
        out.published_at = hit.iso()
        ev.append(d.ev("published_at", hit.start + _offset_of(d, hit, pub[1]), hit.end + _offset_of(d, hit, pub[1])))
    elif meta.get("PubDate"):
        hits = find_dates(str(meta["PubDate"]))
        if hits:
            out.published_at = hits[0].iso()
    year = int(out.published_at[:4]) if out.published_at else None

    dl = _deadline(d, out.notice_type, year, summary)
    if dl:
        hit, base = dl
        # a deadline stated without a time keeps its day (YYYY-MM-DD) rather than inventing 00:00
        out.bid_deadline = hit.iso()
        o = _offset_of(d, hit, base)
        ev.append(d.ev("bid_deadline", hit.start + o, hit.end + o))

    region = summary.get("行政区域")
    if region:
        out.region = d.verbatim(region)
        ev.append(d.ev("region", region.start, region.end))
    elif msum.get("行政区域"):
        out.region = msum["行政区域"]
    return out


def _offset_of(d: _Doc, hit: DateHit, base: int) -> int:
    """Date hits carry offsets into the string they were found in, which starts at `base` in the document."""
    return base
