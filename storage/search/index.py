"""Keeping the full-text index in step with the notice tables (called by Store inside its transactions).

What is indexed for a notice: its title (weighted) and its body text followed by the text of each
attachment, in attachment-id order. On SQLite the FTS5 table is contentless, so removing a notice's
entry needs the exact tokens it was indexed with; they are regenerated from the stored text, which is
why every write goes: `unindex(old state)` → change rows → `index(new state)`, in one transaction.
"""

from __future__ import annotations

from collections import Counter
from typing import Iterable

import sqlalchemy as sa

from storage.search import summary
from storage.search.tokens import TOKENIZER_VERSION, index_tokens

# PostgreSQL parts: positions in a tsvector stop at 16,383 and a lexeme keeps at most 256 positions, so
# body tokens are cut into parts of at most PART_TOKENS, ended early before any lexeme's 256th
# occurrence. Consecutive parts overlap by PART_OVERLAP tokens, more than the longest query phrase
# (storage.search.query.MAX_QUERY_CHARS), so every phrase lies whole inside some part.
PART_TOKENS = 2000
PART_OVERLAP = 256
MAX_LEXEME_POSITIONS = 255
# SQLite: a notice's body indexes each token at most MAX_TOKEN_REPEATS times (later repeats are left out).
# BM25 ranking reads every position of a matched token, so one notice of 5,000,000 × 算 cost every search
# for 算 a quarter of a second; real notices repeat even their commonest bigram (服务, 采购) a few thousand
# times. Such a notice still matches; a phrase is missed only past the cap of one of its tokens.
MAX_TOKEN_REPEATS = 10_000
# What an index was built with; another value (an older index) is rebuilt by the next writable open.
INDEX_VERSION = f"{TOKENIZER_VERSION}/repeats={MAX_TOKEN_REPEATS}"


def indexed_text(conn: sa.Connection, notice_id: int) -> tuple[str, str] | None:
    """(title, body) as the index sees the notice now, or None if there is no such notice."""
    row = conn.execute(sa.text("SELECT title, text FROM notice WHERE id = :id"), {"id": notice_id}).first()
    if row is None:
        return None
    attachments = conn.execute(
        sa.text("SELECT text FROM attachment WHERE notice_id = :id AND text <> '' ORDER BY id"), {"id": notice_id}
    ).scalars()
    return row.title or "", indexed_body(row.text, attachments)


def indexed_body(text: str | None, attachment_texts: Iterable[str]) -> str:
    """The body the index sees: the notice's text, then each attachment's (in attachment-id order)."""
    return "\n".join([text or "", *(t for t in attachment_texts if t)])


def unindex(conn: sa.Connection, notice_id: int) -> None:
    """Remove the notice's current entry (call before changing its title, text or attachments)."""
    if conn.dialect.name == "sqlite":
        current = indexed_text(conn, notice_id)
        if current is not None and _sqlite_is_indexed(conn, notice_id):
            title, body = current
            conn.execute(
                sa.text("INSERT INTO notice_fts(notice_fts, rowid, title, body) VALUES('delete', :id, :title, :body)"),
                {"id": notice_id, "title": " ".join(index_tokens(title)), "body": sqlite_body(body)},
            )
    else:
        conn.execute(sa.text("DELETE FROM notice_search WHERE notice_id = :id"), {"id": notice_id})


def index(conn: sa.Connection, notice_id: int) -> None:
    """Add the notice's current state to the index (after unindex, or for a new notice)."""
    current = indexed_text(conn, notice_id)
    if current is None:
        return
    index_many(conn, [(notice_id, *current)])


def index_many(conn: sa.Connection, notices: list[tuple[int, str, str]]) -> None:
    """Add notices not yet indexed, given as (id, title, body as `indexed_text` gives them): what `index`
    does for one notice, for a batch at once (storage.bulk)."""
    if not notices:
        return
    if conn.dialect.name == "sqlite":
        conn.execute(
            sa.text("INSERT INTO notice_fts(rowid, title, body) VALUES(:id, :title, :body)"),
            [{"id": i, "title": " ".join(index_tokens(title)), "body": sqlite_body(body)} for i, title, body in notices],
        )
    else:
        conn.execute(
            sa.text("INSERT INTO notice_search(notice_id, part, tsv) VALUES (:id, :part, CAST(:tsv AS tsvector))"),
            [{"id": i, "part": p, "tsv": tsv} for i, title, body in notices
             for p, tsv in enumerate(postgres_parts(title, body))],
        )
    # Every write of a notice passes here: the moment to fold the facet summary's deltas now and then.
    summary.maybe_compact(conn)


def sqlite_body(body: str) -> str:
    """The body as the FTS5 table indexes it: its tokens, each kept at most MAX_TOKEN_REPEATS times."""
    tokens = index_tokens(body)
    if len(tokens) <= MAX_TOKEN_REPEATS:
        return " ".join(tokens)
    seen: dict[str, int] = {}
    kept = []
    for tok in tokens:
        n = seen.get(tok, 0)
        if n < MAX_TOKEN_REPEATS:
            seen[tok] = n + 1
            kept.append(tok)
    return " ".join(kept)


def _sqlite_is_indexed(conn: sa.Connection, notice_id: int) -> bool:
    # A contentless table still records each row's token counts, by rowid, in its docsize shadow table.
    return (
        conn.execute(sa.text("SELECT 1 FROM notice_fts_docsize WHERE id = :id"), {"id": notice_id}).first() is not None
    )


def postgres_parts(title: str, body: str) -> list[str]:
    """tsvector literals: part 0 the title (weight A), then the body in overlapping parts (weight D)."""
    parts = [_tsvector_literal(index_tokens(title), weight="A")]
    tokens = index_tokens(body)
    start = 0
    while start < len(tokens):
        end = _part_end(tokens, start)
        parts.append(_tsvector_literal(tokens[start:end], weight=""))
        if end >= len(tokens):
            break
        start = end - PART_OVERLAP if end - PART_OVERLAP > start else end
    return parts


def _part_end(tokens: list[str], start: int) -> int:
    limit = min(len(tokens), start + PART_TOKENS)
    if max(Counter(tokens[start:limit]).values(), default=0) <= MAX_LEXEME_POSITIONS:
        return limit  # the common case, counted in C
    counts: dict[str, int] = {}
    for i in range(start, limit):
        n = counts.get(tokens[i], 0) + 1
        if n > MAX_LEXEME_POSITIONS:
            return i
        counts[tokens[i]] = n
    return limit


def _tsvector_literal(tokens: Iterable[str], weight: str) -> str:
    positions: dict[str, list[int]] = {}
    for pos, tok in enumerate(tokens, start=1):
        found = positions.get(tok)
        if found is None:
            positions[tok] = [pos]
        else:
            found.append(pos)
    if weight:
        return " ".join(f"{_quote_lexeme(tok)}:{','.join(f'{n}{weight}' for n in p)}" for tok, p in positions.items())
    return " ".join(f"{_quote_lexeme(tok)}:{','.join(map(str, p))}" for tok, p in positions.items())


def _quote_lexeme(token: str) -> str:
    if "'" in token or "\\" in token:
        token = token.replace("\\", "\\\\").replace("'", "''")
    return f"'{token}'"


def is_current(conn: sa.Connection) -> bool:
    """Whether the index was built by this tokenizer and repeat cap (INDEX_VERSION)."""
    return conn.execute(sa.text("SELECT value FROM search_meta WHERE key = 'tokenizer'")).scalar() == INDEX_VERSION


def rebuild(conn: sa.Connection) -> int:
    """Drop and rebuild the whole index; returns how many notices were indexed."""
    if conn.dialect.name == "sqlite":
        conn.execute(sa.text("INSERT INTO notice_fts(notice_fts) VALUES('delete-all')"))
    else:
        conn.execute(sa.text("DELETE FROM notice_search"))
    ids = list(conn.execute(sa.text("SELECT id FROM notice ORDER BY id")).scalars())
    for notice_id in ids:
        index(conn, notice_id)
    summary.refresh(conn)
    conn.execute(sa.text("DELETE FROM search_meta WHERE key = 'tokenizer'"))
    conn.execute(sa.text("INSERT INTO search_meta(key, value) VALUES('tokenizer', :v)"), {"v": INDEX_VERSION})
    return len(ids)
