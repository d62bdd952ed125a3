"""Keeping the full-text index in step with the notice tables (called by Store inside its transactions).

What is indexed for a notice: its title (weighted) and its body text followed by the text of each
attachment, in attachment-id order. On SQLite the FTS5 table is contentless, so removing a notice's
entry needs the exact tokens it was indexed with; they are regenerated from the stored text, which is
why every write goes: `unindex(old state)` → change rows → `index(new state)`, in one transaction.
"""

from __future__ import annotations

from collections import Counter
from typing import Iterable

import numpy as np
import sqlalchemy as sa

from storage import org_directory
from storage.pgcopy import copy_rows
from storage.search import summary
from storage.search.tokens import TOKENIZER_VERSION, index_tokens, joined_index_points, joined_index_tokens

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
# The PostgreSQL index table (migration 0002), as COPY writes it.
_SEARCH = sa.Table("notice_search", sa.MetaData(), sa.Column("notice_id", sa.Integer), sa.Column("part", sa.Integer),
                   sa.Column("tsv", sa.Text))
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
                {"id": notice_id, "title": joined_index_tokens(title), "body": sqlite_body(body)},
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
            [{"id": i, "title": joined_index_tokens(title), "body": sqlite_body(body)} for i, title, body in notices],
        )
    else:  # COPY: the server reads each literal as the tsvector column's input
        copy_rows(conn, _SEARCH, [{"notice_id": i, "part": p, "tsv": tsv} for i, title, body in notices
                                  for p, tsv in enumerate(postgres_parts(title, body))])
    # Every write of a notice passes here: the moment to fold the summaries' deltas now and then.
    summary.maybe_compact(conn)
    org_directory.maybe_fold(conn)


def sqlite_body(body: str) -> str:
    """The body as the FTS5 table indexes it: its tokens, each kept at most MAX_TOKEN_REPEATS times."""
    joined = joined_index_tokens(body)
    if joined.count(" ") < MAX_TOKEN_REPEATS:  # so no token can repeat more often
        return joined
    tokens = joined.split(" ")
    if max(Counter(tokens).values()) <= MAX_TOKEN_REPEATS:  # counted in C
        return joined
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
    points = joined_index_points(body)
    fast = _body_parts_from_points(points)
    if fast is not None:
        return parts + fast
    tokens = points.tobytes().decode("utf-32-le").split(" ") if len(points) else []
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


def _tsvector_literal(tokens: list[str], weight: str) -> str:
    """Each token with its position, in order: `'a':1 'b':2 'a':3`. PostgreSQL merges a lexeme's positions as
    it reads the literal (that is the tsvector `'a':1,3 'b':2`), so it is written by joins in C. Tokens are
    runs of letters, digits or CJK and hold no quote nor backslash to escape."""
    if not tokens:
        return ""
    return "'" + "".join(map(str.__add__, tokens, _position_suffixes(weight, len(tokens))))[:-2]


def _body_parts_from_points(points: np.ndarray) -> list[str] | None:
    """The body's parts (`postgres_parts` after the title) built from the code points of its joined tokens, with
    numpy: what the loop over the token list gives, when no lexeme reaches MAX_LEXEME_POSITIONS + 1 in a
    window of PART_TOKENS (every part is then a full window); None otherwise."""
    spaces = np.flatnonzero(points == 32)
    starts = np.concatenate(([0], spaces + 1))
    lens = np.append(spaces, len(points)) - starts
    n = len(lens) if len(points) else 0
    keys = None
    if n > MAX_LEXEME_POSITIONS:  # a token by its first two characters (a CJK token has at most two) …
        first = points[starts].astype(np.uint64) << np.uint64(21)
        second = np.where(lens > 1, points[np.minimum(starts + 1, len(points) - 1)], 0).astype(np.uint64)
        keys = np.where(lens > 2, np.uint64(1 << 63), first | second)  # … longer ones are compared whole below
        joined = points.tobytes().decode("utf-32-le")
    parts, start = [], 0
    while start < n:
        end = min(n, start + PART_TOKENS)
        if keys is not None and end - start > MAX_LEXEME_POSITIONS:
            window = keys[start:end]
            short = window[window != np.uint64(1 << 63)]
            if len(short) and np.unique(short, return_counts=True)[1].max() > MAX_LEXEME_POSITIONS:
                return None
            long_at = np.flatnonzero(lens[start:end] > 2) + start
            if len(long_at) > MAX_LEXEME_POSITIONS and max(Counter(
                    joined[starts[i]:starts[i] + lens[i]] for i in long_at.tolist()).values()) > MAX_LEXEME_POSITIONS:
                return None
        parts.append(_literal_from_points(points, starts[start:end], lens[start:end]))
        if end >= n:
            break
        start = end - PART_OVERLAP
    return parts


def _position_digits() -> tuple[np.ndarray, np.ndarray]:
    """Positions 0 … PART_TOKENS: their decimal digits' code points (left-aligned) and how many digits."""
    digits = np.zeros((PART_TOKENS + 1, 4), dtype=np.uint32)
    for n in range(1, PART_TOKENS + 1):
        digits[n, :len(str(n))] = [ord(c) for c in str(n)]
    return digits, np.array([len(str(n)) for n in range(PART_TOKENS + 1)], dtype=np.intp)


_DIGITS, _DIGIT_COUNT = _position_digits()


def _literal_from_points(points: np.ndarray, starts: np.ndarray, lens: np.ndarray) -> str:
    """`_tsvector_literal(tokens, "")` of the tokens at `starts` (of lengths `lens`) in `points`: each token
    written as 'token':position followed by a space, the last space cut."""
    count = len(lens)
    digits, digit_count = _DIGITS[1:count + 1], _DIGIT_COUNT[1:count + 1]
    pieces = lens + 4 + digit_count
    at = np.cumsum(pieces) - pieces
    out = np.empty(int(at[-1] + pieces[-1]), dtype=np.uint32)
    out[at] = 39  # '
    token_of = np.repeat(np.arange(count), lens)
    offset = np.arange(len(token_of)) - np.repeat(np.cumsum(lens) - lens, lens)
    out[at[token_of] + 1 + offset] = points[starts[token_of] + offset]
    after = at + 1 + lens
    out[after] = 39
    out[after + 1] = 58  # :
    for i in range(4):
        has = digit_count > i
        out[after[has] + 2 + i] = digits[has, i]
    out[after + 2 + digit_count] = 32
    return out[:-1].tobytes().decode("utf-32-le")


_SUFFIXES: dict[str, list[str]] = {}  # weight → the text after the token at position 1, 2, …


def _position_suffixes(weight: str, count: int) -> list[str]:
    suffixes = _SUFFIXES.get(weight, [])
    if len(suffixes) < count:
        suffixes = _SUFFIXES[weight] = [f"':{n}{weight} '" for n in range(1, max(count, PART_TOKENS) + 1)]
    return suffixes


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
