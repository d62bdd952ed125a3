"""The query language (docs/search.md): terms are exact and ANDed; "quoted phrases"; `a OR b`; `-term`
excludes. Parsed into a `ParsedQuery` both backends compile.

    阿里云 A100              both terms
    "Azure OpenAI"           the words in this order
    阿里云 OR 华为云 A100     (阿里云 or 华为云) and A100
    算力 -服务器             算力 but not 服务器

OR binds tighter than the implicit AND; there are no parentheses. Curly quotes (“ ”) work like ".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from storage.search.model import QuerySyntaxError
from storage.search.tokens import QueryToken, query_tokens

MAX_QUERY_CHARS = 200  # below storage.search.index.PART_OVERLAP: a phrase always fits inside one index part
MAX_TERMS = 16

_QUOTES = {"“": '"', "”": '"', "＂": '"'}
_LEXEME = re.compile(r'-?"[^"]*"|[^\s"]+')


@dataclass(frozen=True)
class Term:
    text: str  # as the user wrote it (without quotes)
    tokens: tuple[QueryToken, ...]
    quoted: bool = False


@dataclass(frozen=True)
class ParsedQuery:
    groups: tuple[tuple[Term, ...], ...]  # AND of groups; each group is an OR of terms
    excluded: tuple[Term, ...]

    @property
    def positive_terms(self) -> list[Term]:
        return [t for g in self.groups for t in g]

    @property
    def empty(self) -> bool:
        return not self.groups


def parse_query(text: str) -> ParsedQuery:
    """Parse the query box. Raises QuerySyntaxError with a message meant for the user."""
    text = (text or "").strip()
    if len(text) > MAX_QUERY_CHARS:
        raise QuerySyntaxError(f"the query is {len(text)} characters long; the limit is {MAX_QUERY_CHARS}")
    for curly, straight in _QUOTES.items():
        text = text.replace(curly, straight)
    if text.count('"') % 2:
        raise QuerySyntaxError('a quote is not closed: phrases are written "like this"')

    groups: list[list[Term]] = []
    excluded: list[Term] = []
    pending_or = False  # the previous lexeme was OR
    last_excluded = False  # the previous term was an exclusion
    for lexeme in _LEXEME.findall(text):
        if lexeme == "OR":
            if (not groups and not excluded) or pending_or:
                raise QuerySyntaxError("OR must stand between two terms, as in: 阿里云 OR 华为云")
            if last_excluded:
                raise QuerySyntaxError("an excluded term cannot be part of OR")
            pending_or = True
            continue
        if lexeme == "-":
            raise QuerySyntaxError("a lone '-': write -word to exclude a word")
        negated = lexeme.startswith("-")
        term = _term(lexeme[1:] if negated else lexeme)
        if negated:
            if pending_or:
                raise QuerySyntaxError("an excluded term cannot be part of OR")
            excluded.append(term)
        elif pending_or:
            groups[-1].append(term)
        else:
            groups.append([term])
        pending_or, last_excluded = False, negated
    if pending_or:
        raise QuerySyntaxError("OR must stand between two terms, as in: 阿里云 OR 华为云")
    if excluded and not groups:
        raise QuerySyntaxError("a query cannot only exclude: add a term to search for")
    positive = [tuple(g) for g in groups]
    if len(excluded) + sum(len(g) for g in positive) > MAX_TERMS:
        raise QuerySyntaxError(f"too many terms; the limit is {MAX_TERMS}")
    return ParsedQuery(groups=tuple(positive), excluded=tuple(excluded))


def _term(lexeme: str) -> Term:
    quoted = lexeme.startswith('"')
    body = lexeme.strip('"').strip() if quoted else lexeme
    if not body:
        raise QuerySyntaxError('an empty phrase ""')
    tokens = tuple(query_tokens(body))
    if not tokens:
        raise QuerySyntaxError(f"{body!r} has no letters, digits or Chinese characters to search for")
    return Term(text=body, tokens=tokens, quoted=quoted)
