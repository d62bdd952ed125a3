"""A notice's layout as the classifier sees it: sentences, each with the section it sits in and a weight.

Where a word stands matters as much as the word: 云服务 in a title is what is bought; in 申请人的资格要求 ("须具有
IDC或云服务业务许可证") it is about the bidder; on the 政采云服务热线 line it is page chrome. Weights:

    title 3 · 品目 (category) 2 · requirement sections (采购需求, 主要标的, 更正内容 …) 2 · other body 1 ·
    administrative sections (资格要求, 联系方式, 开标 …) 0.5 · boiler-plate lines 0 · losing bids (未中标供应商 …) 0

Sentences are cut at line ends, 。；!? , runs of spaces (flattened table cells) and before section numbers (一、 /
第三章), in one linear pass.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Optional

from extract.compute.lexicon import load_lexicon, norm_key, trie_regex

BOILERPLATE_MAX = 150  # characters
WEIGHTS = {"title": 3.0, "category": 2.0, "requirement": 2.0, "body": 1.0, "admin": 0.5, "boilerplate": 0.0,
           "losing": 0.0}  # losing bids: a provider that bid and lost is not what was bought

# A line break ends a sentence unless the line is soft-wrapped: it ends in a comma and text goes on, or an English
# sentence runs on in lower case ("...and block storage,\nsubscription for 36 months"); see `soft_wrap`.
_SOFT_WRAP = r"(?:(?<=[,，、])\n(?=[^\s])|(?<=[a-z,])\n(?=[a-z]))"
_BREAK = re.compile(
    r"[。；;！!？?][\n。；;！!？?]*|(?!" + _SOFT_WRAP + r")\n[\n。；;！!？?]*|\s{2,}|(?=[一二三四五六七八九十]{1,3}、)|(?=第[一二三四五六七八九十百]+[章条节])"
    r"|(?=（[一二三四五六七八九十]{1,2}）)|(?=(?<![\d.])\d{1,2}[、．](?!\d))"
    r"|(?<=[A-Za-z0-9)])\.\s+(?=[A-Z])"  # English sentences
)
_LEAD = re.compile(r"^[\s#*\-–—、.．:：()（）\[\]【】0-9一二三四五六七八九十百第章节条包标项]*")
# a numbered heading ("七、", "3.", "（二）", "第三章", "## ") opens a section; an unnumbered label only marks its line
_NUMBERED = re.compile(
    r"^\s*(?:#+|[一二三四五六七八九十]{1,3}[、.．]|（[一二三四五六七八九十\d]{1,2}）|\(\d{1,2}\)|\d{1,2}[、.．](?!\d)"
    r"|第[一二三四五六七八九十百\d]+[章条节部分])"
)
_CLAUSE = re.compile(r"[，,：:；;。\n]")


@dataclass
class Mention:
    label: str
    kb: str
    start: int  # character offsets into the document text
    end: int
    text: str


@dataclass
class Sentence:
    document: str  # "" = body, else the attachment name
    start: int
    end: int
    text: str  # original text of the sentence
    zone: str
    weight: float
    mentions: list[Mention] = field(default_factory=list)


@lru_cache(maxsize=1)
def _structure_rules():
    st = load_lexicon().patterns_structure
    req = [norm_key(h) for h in st["requirement_headings"]]
    adm = [norm_key(h) for h in st["admin_headings"]]
    losing = [norm_key(h) for h in st.get("losing_headings", [])]
    # a heading opens the line, or (for headings of 4+ characters) sits in its first 12 characters
    return (
        re.compile(trie_regex(req)), re.compile(trie_regex(h for h in req if len(h) >= 4)),
        re.compile(trie_regex(adm)), re.compile(trie_regex(h for h in adm if len(h) >= 4)),
        re.compile(st["boilerplate"]), re.compile(st["category"]), re.compile(st["goods_category"]),
        re.compile(st["goods_marker"]), re.compile(trie_regex(losing)),
    )


def category_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, path) of 品目 values, e.g. 服务/信息技术服务/云计算服务."""
    cat = _structure_rules()[5]
    return [(m.start(1), m.end(1), m.group(1)) for m in cat.finditer(norm_key(text)) if m.group(1)]


def is_goods_category(path: str) -> bool:
    return bool(_structure_rules()[6].search(path))


def has_goods_marker(text: str) -> bool:
    """A goods-only column or clause (是否允许进口产品): the notice buys goods."""
    return bool(_structure_rules()[7].search(norm_key(text)))


def _heading_zone(key: str) -> Optional[str]:
    req_start, req_in, adm_start, adm_in, *_rest, losing = _structure_rules()
    head = _LEAD.sub("", key[:40])[:24]
    for text in (head, key.lstrip()[:24]):  # the raw start too: 第二中标候选人 starts like a section number
        m = losing.search(text)
        if m and m.start() < 12:
            return "losing"
    if adm_start.match(head) or adm_in.search(head, 0, 12):
        return "admin"
    if req_start.match(head) or req_in.search(head, 0, 12):
        return "requirement"
    return None


def split_sentences(text: str, document: str = "", title_span: Optional[tuple[int, int]] = None) -> list[Sentence]:
    """Sentences of `text` with zones and weights. `title_span` (offsets of the title in this text) becomes its own
    sentence, and so do 品目 values."""
    boiler = _structure_rules()[4]
    special: list[tuple[int, int, str]] = [(s, e, "category") for s, e, _ in category_spans(text)]
    if title_span:
        special.append((title_span[0], title_span[1], "title"))
    cuts = {0, len(text)}
    for m in _BREAK.finditer(text):
        cuts.add(m.start())
        cuts.add(m.end())
    for s, e, _ in special:
        cuts.add(s)
        cuts.add(e)
    points = sorted(cuts)
    key = norm_key(text)
    out: list[Sentence] = []
    zone = "body"
    losing_until = -1  # an unnumbered losing-bid label covers the rest of its line
    for s, e in zip(points, points[1:]):
        raw = text[s:e]
        if not raw.strip():
            continue
        # trim surrounding whitespace but keep offsets exact
        ls = len(raw) - len(raw.lstrip())
        rs = len(raw.rstrip())
        s2, e2 = s + ls, s + rs
        k = key[s2:e2]
        sp = next((z for a, b, z in special if a <= s2 and e2 <= b), None)
        if sp:
            this = sp
        else:
            heading = _heading_zone(k)
            if heading is None and s2 < losing_until:
                heading = "losing"
            if zone == "losing" and heading != "losing" and _NUMBERED.match(k):
                zone = "body"  # the next numbered section ends the losing bids
            this = heading or zone
            if heading == "requirement" or (heading in ("admin", "losing") and _NUMBERED.match(k)):
                zone = heading
            elif heading == "losing" and s2 >= losing_until:
                nl = text.find("\n", e2)
                losing_until = len(text) if nl < 0 else nl
            # page chrome and contact lines are short; a long run of text that mentions an address (a flattened page,
            # a summary table) still carries content
            if boiler.search(k) and len(k) <= BOILERPLATE_MAX:
                this = "boilerplate"
        out.append(Sentence(document, s2, e2, text[s2:e2], this, WEIGHTS[this]))
    return out


_SOFT = re.compile(_SOFT_WRAP)


def soft_wrap(text: str, pos: int) -> bool:
    """Is the line break at `pos` a soft wrap inside a sentence (the two lines form one sentence)?"""
    return bool(_SOFT.match(text, pos))


def attach_mentions(sentences: list[Sentence], mentions: list[Mention]) -> None:
    starts = [s.start for s in sentences]
    for m in mentions:
        i = bisect.bisect_right(starts, m.start) - 1
        if i >= 0 and m.start < sentences[i].end:
            sentences[i].mentions.append(m)
        elif i + 1 < len(sentences) and sentences[i + 1].start < m.end:
            sentences[i + 1].mentions.append(m)  # starts in the whitespace between two sentences


def clause_of(text: str, start: int, end: int, base: int) -> tuple[int, int]:
    """The clause (between ，：；。 and line ends) around [start, end) of a sentence whose text starts at `base`."""
    rel_s, rel_e = start - base, end - base
    left = max((m.end() for m in _CLAUSE.finditer(text, 0, max(rel_s, 0))), default=0)
    m = _CLAUSE.search(text, rel_e)
    right = m.start() if m else len(text)
    return base + left, base + right
