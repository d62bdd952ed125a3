"""The search tokenizer, shared by indexing and querying on both backends.

Text is folded per character (NFKC + lower case) and cut into runs of one class: CJK (Han, kana,
Hangul), other letters, digits; everything else separates runs. So `A100` is `a 100`, `p4d.24xlarge` is
`p 4 d 24 xlarge`, `华为云A100` is a CJK run then `a 100`.

A CJK run c1…cn is indexed as one token per character position: the bigrams c1c2 … c(n-1)cn, then the
unigram cn at the run's last position. Every character is therefore the first character of exactly one
token, which makes matching exact substring matching:

* a CJK query run of 2+ characters is the phrase of its bigrams (阿里云 → "阿里 里云"): it matches
  exactly where the characters occur in that order inside one run;
* a 1-character CJK query run at the end of a term is a prefix token (云 → 云*: a bigram starting with 云,
  or the unigram 云 ending a run), so one-character searches are exact and index-assisted;
* a CJK query run followed by more of the same term (云A100) also ends the run in the text, so its final
  unigram is required there.

Letter and digit runs are whole tokens: A10 (`a 10`) does not match A100 (`a 100`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator

import numpy as np

from storage.normalise import fold_char, fold_text

# Bump when tokenisation changes: stored indexes built with another version are rebuilt.
TOKENIZER_VERSION = "1"

CJK, ALPHA, DIGIT = "c", "a", "d"

# Han (unified, extension A, compatibility, extensions B…), kana, Hangul syllables, 〇.
_CJK_CHARS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af\u3007\U00020000-\U0003ffff"
# One regex finds every run; letters are word characters that are neither digits, '_' nor CJK.
_RUN = re.compile(f"([{_CJK_CHARS}]+)|(\\d+)|([^\\W\\d_{_CJK_CHARS}]+)")
_CLASSES = (CJK, DIGIT, ALPHA)


def char_class(ch: str) -> str | None:
    """CJK, DIGIT, ALPHA, or None for a separator (the folded character)."""
    m = _RUN.match(ch)
    return _CLASSES[m.lastindex - 1] if m else None


def runs(text: str) -> Iterator[tuple[str, str, int]]:
    """(class, folded run, start offset) for each run of one class in `text`."""
    for m in _RUN.finditer(fold_text(text)):
        yield _CLASSES[m.lastindex - 1], m.group(), m.start()


def index_tokens(text: str) -> list[str]:
    """The tokens of `text` in position order, as stored in the index."""
    if len(text) < _VECTOR_MIN_CHARS:
        return _regex_tokens(text)
    joined = joined_index_tokens(text)
    return joined.split(" ") if joined else []


def joined_index_tokens(text: str) -> str:
    """`" ".join(index_tokens(text))`, built without the list (the SQLite index stores this string)."""
    if len(text) >= _VECTOR_MIN_CHARS:
        points = _vector_points(text)
        if points is not None:
            return points.tobytes().decode("utf-32-le")
    return " ".join(_regex_tokens(text))


def joined_index_points(text: str) -> np.ndarray:
    """The code points (uint32) of `joined_index_tokens(text)`, for builders working on arrays."""
    if len(text) >= _VECTOR_MIN_CHARS:
        points = _vector_points(text)
        if points is not None:
            return points
    return np.frombuffer(" ".join(_regex_tokens(text)).encode("utf-32-le"), dtype=np.uint32)


def _regex_tokens(text: str) -> list[str]:
    out: list[str] = []
    for m in _RUN.finditer(fold_text(text)):
        run = m.group()
        if m.lastindex == 1:  # CJK: bigrams, then the last character alone
            out += map(str.__add__, run, run[1:])  # the bigrams, built in C
            out.append(run[-1])
        else:
            out.append(run)
    return out


# Long texts (notice bodies: every write indexes one) are tokenised over their code points with numpy, about
# six times faster than the regex loop; short ones (titles, queries) by the regex, cheaper below numpy's fixed
# cost per call. The same tokens either way: tests/storage/test_search_query_tokens.py compares both with the
# definition on generated notices and random text.
_VECTOR_MIN_CHARS = 64
_BMP = 0x10000  # the tables cover the Basic Multilingual Plane; a text with other characters takes the regex
_tables: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None


def _vector_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(class by folded code point: 0 separator, 1 CJK, 2 digit, 3 letter — the regex's own groups; fold by
    code point, filled on first sight; which folds are filled)."""
    global _tables
    if _tables is None:
        classes = np.zeros(_BMP, dtype=np.uint8)
        for m in _RUN.finditer("".join(map(chr, range(_BMP)))):
            classes[m.start():m.end()] = m.lastindex
        _tables = classes, np.arange(_BMP, dtype=np.uint32), np.zeros(_BMP, dtype=bool)
    return _tables


def _vector_points(text: str) -> np.ndarray | None:
    """The code points of the joined tokens of `text`, or None for a text outside the tables. Every folded character emits
    what the regex loop would: a CJK character followed by one → itself, the next, a space (its bigram); the
    last of a CJK run → itself, a space; a digit or letter → itself, plus a space at its run's end."""
    classes, fold, known = _vector_tables()
    points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    if points.max() >= _BMP:
        return None
    unseen = points[~known[points]]
    if unseen.size:
        for cp in np.unique(unseen).tolist():
            fold[cp] = ord(fold_char(chr(cp)))
            known[cp] = True
    folded = fold[points]
    if folded.max() >= _BMP:  # a few compatibility ideographs fold outside the BMP
        return None
    cls = classes[folded]
    token = cls != 0
    same = np.zeros(len(cls), dtype=bool)
    np.equal(cls[1:], cls[:-1], out=same[:-1])  # the next character continues the run
    pair = same & (cls == 1)
    counts = token.astype(np.intp) + (token & ~same) + 2 * pair
    ends = np.cumsum(counts)
    if not len(ends) or ends[-1] == 0:
        return np.empty(0, dtype=np.uint32)
    starts = ends - counts
    out = np.full(int(ends[-1]), 32, dtype=np.uint32)  # spaces, overwritten by the tokens' characters
    at = np.flatnonzero(token)
    out[starts[at]] = folded[at]
    at = np.flatnonzero(pair)
    out[starts[at] + 1] = folded[at + 1]
    return out[:-1]


@dataclass(frozen=True)
class QueryToken:
    text: str
    prefix: bool = False  # matches any indexed token starting with `text`


def query_tokens(term: str) -> list[QueryToken]:
    """The phrase (adjacent tokens, in order) a query term or quoted phrase must match. Empty when the term
    has nothing searchable (only punctuation)."""
    all_runs = list(runs(term))
    out: list[QueryToken] = []
    for i, (cls, run, _) in enumerate(all_runs):
        last = i == len(all_runs) - 1
        if cls != CJK:
            out.append(QueryToken(run))
            continue
        out.extend(QueryToken(run[j : j + 2]) for j in range(len(run) - 1))
        if not last:
            out.append(QueryToken(run[-1]))
        elif len(run) == 1:
            out.append(QueryToken(run, prefix=True))
    return out
