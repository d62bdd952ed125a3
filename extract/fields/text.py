"""Length-preserving text normalisation, so that offsets found in the normalised text are offsets into
the original (Evidence must point at the document's own characters)."""

from __future__ import annotations

import re

# Full-width ASCII (U+FF01–FF5E) to ASCII, ideographic space to space, ￥ to ¥. One char in, one char out.
_TABLE = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}
_TABLE[0x3000] = 0x20
_TABLE[0xFFE5] = ord("¥")
_TABLE[0x00A0] = 0x20
# the bracket pairs notices mix freely
_TABLE[ord("【")] = ord("[")
_TABLE[ord("】")] = ord("]")


_TO_FOLD = re.compile("[" + "".join(chr(c) for c in _TABLE) + "]+")


def fold(s: str) -> str:
    """Full-width forms folded to ASCII; same length as `s`. Only the runs that need it are translated: they are
    sparse in notice text, and translating whole documents char by char dominated extraction time."""
    return _TO_FOLD.sub(lambda m: m.group().translate(_TABLE), s)
