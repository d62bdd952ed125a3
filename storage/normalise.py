"""Normal forms used as keys: organisation names, project codes, the body-text content hash, and the
per-character fold that search indexing, querying and highlighting share."""

from __future__ import annotations

import hashlib
import re
import unicodedata

import numpy as np

_SPACE = re.compile(r"\s+")

# Blocks whose characters never compose with a neighbour under NFKC (Latin letters without combining marks,
# punctuation and symbols, CJK, kana, Hangul syllables, full-width forms) — a character of these blocks
# whose decomposition holds no combining mark is normalised alone, so a text made only of such characters
# is NFKC'd character by character through a cached table (CPython's normalize costs ~0.5 µs a CJK character).
_SAFE_BLOCKS = ((0x0000, 0x024F), (0x2000, 0x2BFF), (0x2E80, 0x9FFF), (0xAC00, 0xD7A3), (0xF900, 0xFAFF),
                (0xFE30, 0xFE4F), (0xFF00, 0xFFEF))


def fold_char(ch: str) -> str:
    """One character folded for matching: NFKC (full-width Ａ１００ → A100) then lower-cased. A character
    whose fold is not exactly one character is kept as it is, so offsets into folded text equal offsets
    into the original (snippets and highlights rely on that)."""
    folded = unicodedata.normalize("NFKC", ch).lower()
    return folded if len(folded) == 1 else ch


class _FoldTable(dict):
    """str.translate table filled on first sight of each character."""

    def __missing__(self, codepoint: int) -> str:
        folded = self[codepoint] = fold_char(chr(codepoint))
        return folded


_FOLD_TABLE = _FoldTable()


def fold_text(text: str) -> str:
    """`text` folded character by character; same length as `text`."""
    if text.isascii():
        return text.lower()
    return text.translate(_FOLD_TABLE)


class _NfkcTable(dict):
    """str.translate table: a character → its NFKC form, or None (absent) when it may compose with a
    neighbour (then the whole text goes through unicodedata.normalize)."""

    def __missing__(self, codepoint: int) -> str:
        folded = unicodedata.normalize("NFKC", chr(codepoint))
        safe = any(lo <= codepoint <= hi for lo, hi in _SAFE_BLOCKS) and not any(
            unicodedata.combining(c) for c in unicodedata.normalize("NFKD", chr(codepoint)))
        self[codepoint] = folded if safe else _UNSAFE
        return self[codepoint]


_UNSAFE = "\x00\x00"  # a marker no safe character maps to (their forms hold no NUL pair)
_NFKC_TABLE = _NfkcTable()


def nfkc(text: str) -> str:
    """unicodedata.normalize("NFKC", text), character by character where that gives the same result."""
    global _last_nfkc
    if text.isascii():
        return text
    last = _last_nfkc  # one read: another thread may replace it
    if last[0] is text:
        return last[1]
    out = _nfkc_by_points(text)
    if out is None:
        out = text.translate(_NFKC_TABLE)
        if _UNSAFE in out:
            out = unicodedata.normalize("NFKC", text)
    _last_nfkc = (text, out)
    return out


# _NFKC_TABLE as an array over the Basic Multilingual Plane, for texts whose every character becomes one
# character: the text's code points mapped at once (~10 ns a character, a fifth of str.translate's time).
_NOT_SEEN, _NOT_ONE = np.uint32(0xFFFFFFFF), np.uint32(0xFFFFFFFE)  # not looked up yet; several chars or unsafe
_NFKC_POINTS = np.full(0x10000, _NOT_SEEN, dtype=np.uint32)


def _nfkc_by_points(text: str) -> str | None:
    """NFKC of `text` by _NFKC_POINTS, or None when a character is outside the BMP, becomes several characters
    (㎡ → m2) or may compose with a neighbour (then the caller's slower ways decide)."""
    points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    if points.max() > 0xFFFF:
        return None
    mapped = _NFKC_POINTS[points]
    if (mapped == _NOT_SEEN).any():
        for cp in np.unique(points[mapped == _NOT_SEEN]).tolist():
            form = _NFKC_TABLE[cp]
            _NFKC_POINTS[cp] = ord(form) if len(form) == 1 else _NOT_ONE
        mapped = _NFKC_POINTS[points]
    if (mapped == _NOT_ONE).any():
        return None
    return mapped.tobytes().decode("utf-32-le")


# The last text normalised and its form: a stored notice's body is normalised twice in a row, for its content
# hash and for its SimHash (~45 ns a character each time).
_last_nfkc = ("", "")


def normalise_name(name: str | None) -> str:
    """Organisation key: NFKC (full-width brackets and letters folded), all whitespace removed.
    Case is kept, since Chinese names have none and Latin initials are meaningful."""
    if not name:
        return ""
    return _SPACE.sub("", unicodedata.normalize("NFKC", name)).strip()


def normalise_code(code: str | None) -> str:
    """Project-code key: NFKC, whitespace removed, upper-cased (ZB-2024-001 ≡ zb－2024－001)."""
    if not code:
        return ""
    return _SPACE.sub("", unicodedata.normalize("NFKC", code)).upper()


def normalise_body(text: str) -> str:
    """Body text as compared between crawls: NFKC and whitespace runs collapsed, so re-wrapped or
    re-indented markup of the same notice is not a change."""
    return " ".join(nfkc(text or "").split())  # what _SPACE.sub(" ", …).strip() gives (one whitespace set), in a third


def content_hash(text: str) -> str:
    return hashlib.sha256(normalise_body(text).encode("utf-8")).hexdigest()
