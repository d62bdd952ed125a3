"""Normal forms used as keys: organisation names, project codes, the body-text content hash, and the
per-character fold that search indexing, querying and highlighting share."""

from __future__ import annotations

import hashlib
import re
import unicodedata

_SPACE = re.compile(r"\s+")


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
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text or "")).strip()


def content_hash(text: str) -> str:
    return hashlib.sha256(normalise_body(text).encode("utf-8")).hexdigest()
