"""Length-preserving text normalisation, so that offsets found in the normalised text are offsets into
the original (Evidence must point at the document's own characters).

`fold` also maps Traditional characters (Taiwan, Hong Kong and Macau variants included) to Simplified ones,
character for character, so every label, unit and notice-type word written once in Simplified in data/*.toml
also matches 採購單位, 決標金額, 澳門元. Values are still returned as the document writes them (by offset)."""

from __future__ import annotations

import re
from functools import lru_cache

from extract.chinese import t2s_table as _t2s

from ._data import DATA

# Full-width ASCII (U+FF01–FF5E) to ASCII, ideographic space to space, ￥ to ¥. One char in, one char out.
_TABLE = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}
_TABLE[0x3000] = 0x20
_TABLE[0xFFE5] = ord("¥")
_TABLE[0x00A0] = 0x20
# the bracket pairs notices mix freely
_TABLE[ord("【")] = ord("[")
_TABLE[ord("】")] = ord("]")
_PAIRS = [(chr(k), chr(v)) for k, v in _TABLE.items()]


@lru_cache(maxsize=None)
def _traditional_re() -> re.Pattern:
    return re.compile("[" + "".join(re.escape(chr(c)) for c in sorted(_t2s())) + "]")


@lru_cache(maxsize=None)
def _traditional_hint_re() -> re.Pattern:
    """The Traditional forms of the characters the vocabularies (data/*.toml) are written with: a notice that has
    none of them has nothing a Traditional -> Simplified fold could make match. (A class of a few hundred characters
    scans a notice some twenty times faster than one of all 3,000.)"""
    vocab = set()
    for path in sorted(DATA.glob("*.toml")):
        vocab.update(c for c in path.read_text(encoding="utf-8") if "\u4e00" <= c <= "\u9fff")
    hints = sorted(chr(t) for t, simp in _t2s().items() if chr(simp) in vocab)
    return re.compile("[" + "".join(re.escape(c) for c in hints) + "]")


@lru_cache(maxsize=None)
def _small_table() -> dict[int, int]:
    return {**_t2s(), **_TABLE}


def traditional_chars(s: str) -> list[str]:
    """The Traditional characters in `s` (those `fold` changes to Simplified)."""
    return _traditional_re().findall(s)


def fold(s: str) -> str:
    """Full-width forms folded to ASCII, Traditional characters to Simplified; same length as `s`. For a document,
    one str.replace per full-width character that occurs (notices use a handful of them: several times faster than
    str.translate over the whole), and the Traditional table only when a Traditional character is there at all."""
    if len(s) < 256:
        return s.translate(_small_table())
    for c, r in _PAIRS:
        if c in s:
            s = s.replace(c, r)
    if _traditional_hint_re().search(s):
        s = s.translate(_t2s())
    return s
