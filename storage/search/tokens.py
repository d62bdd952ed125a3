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

from storage.normalise import fold_text

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
    out: list[str] = []
    for m in _RUN.finditer(fold_text(text)):
        run = m.group()
        if m.lastindex == 1:  # CJK: bigrams, then the last character alone
            out += map(str.__add__, run, run[1:])  # the bigrams, built in C
            out.append(run[-1])
        else:
            out.append(run)
    return out


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
