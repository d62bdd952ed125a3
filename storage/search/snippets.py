"""Snippets with highlighted hits, made in Python (the FTS5 index is contentless and PostgreSQL has no
bigram-aware headline). A term is found in the text with the same rules as the index: per-character fold,
its runs in order with only separators between them, letter and digit runs whole.

A notice with compute evidence shows its evidence sentence (`evidence_snippet`: the one storage.evidence
chooses for every list, or the first of its evidence sentences holding a query hit), not the page header
that opens most notices ("…来源：中国政府采购网 公告概要：…"); other notices show the text around the first hit."""

from __future__ import annotations

import html
import re
from typing import Iterable

from storage.evidence import is_title, ranked_sentences
from storage.normalise import fold_text
from storage.search.model import Snippet, SnippetPart
from storage.search.query import Term
from storage.search.tokens import CJK, char_class, runs

CONTEXT_BEFORE = 40
SNIPPET_CHARS = 160
# Bounds on the work per document, so one huge notice (5,000,000 characters of 算) costs a search a few
# milliseconds, not seconds: a snippet looks for its hit in the first SCAN_CHARS characters of each document
# (the search reads no more of the text than that), and at most MAX_HITS spans are collected per term.
SCAN_CHARS = 50_000
MAX_HITS = 1_000
_SPACES = re.compile(r"\s+")


def term_pattern(term: Term) -> re.Pattern:
    """Regex over folded text for where `term` matches."""
    pieces = [re.escape(run) for _, run, _ in runs(term.text)]
    return re.compile(r"[\W_]*".join(pieces))


def find_hits(folded: str, terms: Iterable[Term], max_hits: int = MAX_HITS) -> list[tuple[int, int]]:
    """Sorted, merged (start, end) spans of the terms in `folded` (text already passed through fold_text):
    the first `max_hits` of each term, so a text made of one repeated term costs no more than a long one."""
    spans = []
    for term in terms:
        term_runs = list(runs(term.text))
        first_cls, last_cls = term_runs[0][0], term_runs[-1][0]
        found = 0
        for m in term_pattern(term).finditer(folded):
            start, end = m.span()
            # Letter and digit runs are whole tokens: A10 is not a hit inside A100, nor 10 inside A100.
            if first_cls != CJK and start > 0 and char_class(folded[start - 1]) == first_cls:
                continue
            if last_cls != CJK and end < len(folded) and char_class(folded[end]) == last_cls:
                continue
            spans.append((start, end))
            found += 1
            if found >= max_hits:
                break
    spans.sort()
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged


def make_snippet(documents: list[tuple[str, str]], terms: list[Term]) -> Snippet | None:
    """The first window, over (document name, text) pairs in order, that contains a hit in the document's
    first SCAN_CHARS characters; without terms (or hits) the start of the first non-empty document."""
    for name, text in documents:
        if not text:
            continue
        scanned = text[:SCAN_CHARS]
        # Only the first hit and those inside its window are shown: a few are enough.
        hits = find_hits(fold_text(scanned), terms, max_hits=SNIPPET_CHARS) if terms else []
        if hits:
            return _window(name, text, hits)
    for name, text in documents:
        if text and text.strip():
            return _window(name, text, [])
    return None


def evidence_snippet(
    evidence: list[dict], title: str, documents: dict[str, str], terms: list[Term]
) -> Snippet | None:
    """The evidence sentence as a snippet, query hits marked: the first of the notice's evidence sentences
    (in storage.evidence's order) that holds a hit, else the sentence every list shows. `documents`: text by
    name ("" = the body, else an attachment's name). None without compute evidence."""
    sentences = ranked_sentences(evidence, title, lambda name: documents.get(name, ""))
    if not sentences:
        return None
    for sentence in sentences if terms else ():
        if is_title(sentence.text, title):  # a hit in the title is marked in the title already
            continue
        if hits := find_hits(fold_text(sentence.text), terms, max_hits=SNIPPET_CHARS):
            return _render(sentence.document, sentence.text, hits, 0, len(sentence.text))
    best = sentences[0]
    return _render(best.document, best.text, [], 0, len(best.text))


def _window(name: str, text: str, hits: list[tuple[int, int]]) -> Snippet:
    first = hits[0][0] if hits else 0
    start = max(0, first - CONTEXT_BEFORE)
    end = min(len(text), start + SNIPPET_CHARS)
    return _render(name, text, hits, start, end)


def _render(name: str, text: str, hits: list[tuple[int, int]], start: int, end: int) -> Snippet:
    """text[start:end] as parts, the hits inside it marked; "…" where the text goes on."""
    parts: list[SnippetPart] = []
    if start > 0:
        parts.append(SnippetPart("…", False))
    pos = start
    for s, e in hits:
        if s >= end:
            break
        s, e = max(s, start), min(e, end)
        if s > pos:
            parts.append(SnippetPart(text[pos:s], False))
        parts.append(SnippetPart(text[s:e], True))
        pos = e
    if pos < end:
        parts.append(SnippetPart(text[pos:end], False))
    if end < len(text):
        parts.append(SnippetPart("…", False))
    parts = [SnippetPart(_SPACES.sub(" ", p.text), p.hit) for p in parts]
    if parts and not parts[0].hit:
        parts[0] = SnippetPart(parts[0].text.lstrip(), False)
    parts = [p for p in parts if p.text]
    rendered = "".join(f"<mark>{html.escape(p.text)}</mark>" if p.hit else html.escape(p.text) for p in parts)
    return Snippet(parts=parts, html=rendered, document=name)
