"""Length-preserving text normalisation, so that offsets found in the normalised text are offsets into
the original (Evidence must point at the document's own characters)."""

from __future__ import annotations

# Full-width ASCII (U+FF01–FF5E) to ASCII, ideographic space to space, ￥ to ¥. One char in, one char out.
_TABLE = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}
_TABLE[0x3000] = 0x20
_TABLE[0xFFE5] = ord("¥")
_TABLE[0x00A0] = 0x20
# the bracket pairs notices mix freely
_TABLE[ord("【")] = ord("[")
_TABLE[ord("】")] = ord("]")
_PAIRS = [(chr(k), chr(v)) for k, v in _TABLE.items()]


def fold(s: str) -> str:
    """Full-width forms folded to ASCII; same length as `s`. For a document, one str.replace per character that
    occurs: notices use a handful of them, and that is several times faster than str.translate over the whole."""
    if len(s) < 256:
        return s.translate(_TABLE)
    for c, r in _PAIRS:
        if c in s:
            s = s.replace(c, r)
    return s
