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
from storage.search import partitions, summary
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
# The PostgreSQL index table (migrations 0002, 0016), as COPY writes it.
_SEARCH = sa.Table("notice_search", sa.MetaData(), sa.Column("notice_id", sa.Integer), sa.Column("part", sa.Integer),
                   sa.Column("bucket", sa.Integer), sa.Column("published_at", sa.DateTime), sa.Column("tsv", sa.Text))
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
        # Each part carries its notice's year and date (the partition it goes in, the order searches list in).
        # FOR SHARE: a date changed by another writer meanwhile waits for these rows, then its trigger moves them.
        dated = {r.id: r for r in conn.execute(sa.text(
            f"SELECT id, published_at, {partitions.BUCKET_SQL.format(column='published_at')} AS bucket FROM notice"
            " WHERE id = ANY(:ids) FOR SHARE").columns(published_at=sa.DateTime), {"ids": [n[0] for n in notices]})}
        partitions.ensure(conn, {r.bucket for r in dated.values()})
        copy_rows(conn, _SEARCH, [{"notice_id": i, "part": p, "bucket": dated[i].bucket,
                                   "published_at": dated[i].published_at, "tsv": tsv}
                                  for i, title, body in notices for p, tsv in enumerate(postgres_parts(title, body))])
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
    buckets = _token_buckets(points, starts, lens) if n > MAX_LEXEME_POSITIONS else None
    parts, start = [], 0
    while start < n:
        end = min(n, start + PART_TOKENS)
        # Equal tokens share a bucket, so a bucket's count bounds each of its tokens' counts: the exact count
        # only when a bucket passes the limit (rare: a lexeme that common, or a collision with one).
        if (buckets is not None and end - start > MAX_LEXEME_POSITIONS
                and np.bincount(buckets[start:end]).max() > MAX_LEXEME_POSITIONS
                and _repeats_too_often(points, starts[start:end], lens[start:end])):
            return None
        parts.append(_literal_from_points(points, starts[start:end], lens[start:end]))
        if end >= n:
            break
        start = end - PART_OVERLAP
    return parts


_BUCKET_BITS = 14


def _token_buckets(points: np.ndarray, starts: np.ndarray, lens: np.ndarray) -> np.ndarray:
    """A bucket (0 … 2**_BUCKET_BITS - 1) per token, by its first and last characters and its length (so tokens
    of one or two characters, every CJK token, share one only by a collision of the hash)."""
    u64 = np.uint64
    key = (points[starts].astype(u64) << u64(21)) | points[starts + lens - 1] | (lens.astype(u64) << u64(42))
    return ((key * u64(0x9E3779B97F4A7C15)) >> u64(64 - _BUCKET_BITS)).astype(np.intp)  # multiplying wraps around


def _repeats_too_often(points: np.ndarray, starts: np.ndarray, lens: np.ndarray) -> bool:
    """Whether a token occurs more than MAX_LEXEME_POSITIONS times among these: tokens of one or two
    characters (every CJK token) counted by their code points, longer ones compared whole."""
    short = lens <= 2
    at = starts[short]
    keys = (points[at].astype(np.uint64) << np.uint64(21)) | np.where(
        lens[short] > 1, points[np.minimum(at + 1, len(points) - 1)], 0).astype(np.uint64)
    if len(keys) > MAX_LEXEME_POSITIONS and np.unique(keys, return_counts=True)[1].max() > MAX_LEXEME_POSITIONS:
        return True
    long_at = np.flatnonzero(~short)
    if len(long_at) <= MAX_LEXEME_POSITIONS:
        return False
    joined = points.tobytes().decode("utf-32-le")
    longest = Counter(joined[starts[i]:starts[i] + lens[i]] for i in long_at.tolist())
    return max(longest.values()) > MAX_LEXEME_POSITIONS


def _suffix_table() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The text after the token at position 1 … PART_TOKENS of a part, `':<position> '`, all in a row as code
    points; for each of its characters the position's index (0-based) and the offset in its suffix; where the
    suffixes of 1 … k end; each suffix's length (by position)."""
    suffixes = [f"':{k} '" for k in range(1, PART_TOKENS + 1)]
    flat = np.frombuffer("".join(suffixes).encode("utf-32-le"), dtype=np.uint32)
    lengths = np.array([0, *map(len, suffixes)], dtype=np.intp)
    token = np.repeat(np.arange(PART_TOKENS, dtype=np.intp), lengths[1:])
    ends = np.cumsum(lengths)
    offset = np.arange(len(flat), dtype=np.intp) - (ends[:-1])[token]
    return flat, token, offset, ends, lengths


_SUFFIX_POINTS, _SUFFIX_TOKEN, _SUFFIX_OFFSET, _SUFFIX_ENDS, _SUFFIX_LENGTHS = _suffix_table()


def _literal_from_points(points: np.ndarray, starts: np.ndarray, lens: np.ndarray) -> str:
    """`_tsvector_literal(tokens, "")` of consecutive tokens, at `starts` (of lengths `lens`) in `points`: a quote,
    then the tokens' code points with each separating space widened into `':<position> '`, then the last
    token's `':<position>`. The tokens' characters are copied at once, shifted by the widening before them,
    then the suffixes written over the spaces."""
    count = len(lens)
    first, stop = int(starts[0]), int(starts[-1] + lens[-1])
    text = points[first:stop]
    spaces = starts[1:] - 1 - first
    widen = np.zeros(len(text), dtype=np.intp)
    widen[spaces] = _SUFFIX_LENGTHS[1:count] - 1
    at = np.cumsum(widen)
    at -= widen
    at += np.arange(1, len(text) + 1)
    size = 1 + len(text) + int(_SUFFIX_ENDS[count - 1]) - (count - 1) + int(_SUFFIX_LENGTHS[count]) - 2
    out = np.empty(size + 2, dtype=np.uint32)  # the last suffix's closing ` '` is written, then cut
    out[0] = 39  # '
    out[at] = text
    token_ends = np.empty(count, dtype=np.intp)
    token_ends[:-1] = at[spaces]
    token_ends[-1] = at[-1] + 1
    m = int(_SUFFIX_ENDS[count])
    out[token_ends[_SUFFIX_TOKEN[:m]] + _SUFFIX_OFFSET[:m]] = _SUFFIX_POINTS[:m]
    return out[:size].tobytes().decode("utf-32-le")


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
