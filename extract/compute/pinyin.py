"""Inline pinyin annotations removed before matching, with a map back to the original offsets.

Teaching material, some Taiwan pages and accessibility versions of notices annotate characters with their reading:
顯(xiǎn)卡(kǎ), 云（yún）服务器, 租 zū 用 yòng. Between the characters the annotation breaks every Chinese term (显卡,
云服务器), so compute detection reads the text without it. Only readings that are certainly pinyin are removed: a
syllable with a tone mark (xiǎn), or a bracketed syllable with a tone number ((xian3)), right after a Chinese
character. English words, model numbers and bracketed abbreviations stay.
"""

from __future__ import annotations

import re
from bisect import bisect_right

_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ"
_SYL = f"[a-zü{_TONED}]{{1,6}}"
_CJK = "\u3400-\u9fff\uf900-\ufaff"
# a bracketed reading (one or more syllables) or a bare toned syllable, after a Chinese character
_ANNOTATION = re.compile(
    f"(?<=[{_CJK}])(?:[ \\t]?[(（][ \\t]*({_SYL}[1-5]?(?:[ \\t]+{_SYL}[1-5]?)*)[ \\t]*[)）]"
    f"|[ \\t]?({_SYL})(?![a-z0-9])[ \\t]?)"
)
_HAS_TONE = re.compile(f"[{_TONED}]")
_TONE_NUMBER = re.compile(r"[a-zü][1-5]")
_QUICK = re.compile(f"[{_TONED}]|[(（][a-zü]{{1,6}}[1-5][)）]")


def _is_reading(m: re.Match) -> bool:
    if m.group(1) is not None:
        return bool(_HAS_TONE.search(m.group(1)) or _TONE_NUMBER.search(m.group(1)))
    return bool(_HAS_TONE.search(m.group(2)))


class OffsetMap:
    """Offsets in the cleaned text → offsets in the original text."""

    def __init__(self, removed: list[tuple[int, int]]):
        # for each removed span: its position in the cleaned text and the total removed up to and including it
        self._at: list[int] = []
        self._shift: list[int] = []
        total = 0
        for s, e in removed:
            self._at.append(s - total)
            total += e - s
            self._shift.append(total)

    def __call__(self, pos: int, end: bool = False) -> int:
        # an end offset sitting exactly where an annotation was removed stays before it (顯(xiǎn)卡 → 顯…卡 ends at 卡)
        i = (bisect_right(self._at, pos - 1) if end else bisect_right(self._at, pos)) - 1
        return pos + (self._shift[i] if i >= 0 else 0)


def strip_pinyin(text: str) -> tuple[str, OffsetMap | None]:
    """The text without inline pinyin readings, and the map of its offsets to `text` (None if nothing was removed)."""
    if not text or not _QUICK.search(text):
        return text, None
    removed = [(m.start(), m.end()) for m in _ANNOTATION.finditer(text) if _is_reading(m)]
    if not removed:
        return text, None
    parts, pos = [], 0
    for s, e in removed:
        parts.append(text[pos:s])
        pos = e
    parts.append(text[pos:])
    return "".join(parts), OffsetMap(removed)
