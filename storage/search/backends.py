"""The two implementations of text matching and ranking. Both compile the same `ParsedQuery` over the same
tokens (storage.search.tokens), so they match the same notices; only relevance scores differ in scale.

Each method returns SQL text that adds its bound values to `params`.
"""

from __future__ import annotations

import time
from typing import MutableMapping, Sequence

import sqlalchemy as sa

from storage.pgcopy import int_array, one_of_ids
from storage.search import partitions
from storage.search.query import ParsedQuery, Term


class SqliteFts:
    """FTS5 over the contentless `notice_fts(title, body)`; one MATCH expression for the whole query."""

    def match_ids(self, parsed: ParsedQuery, params: dict) -> str:
        params["fts"] = self._expression(parsed)
        return "SELECT rowid AS id FROM notice_fts WHERE notice_fts MATCH :fts"

    def ranked(self, parsed: ParsedQuery, filtered: str | Sequence[int] | None, params: dict) -> str:
        """(id, score) best first; `filtered` (SQL selecting notice ids, or the ids) restricts the set."""
        params["fts"] = self._expression(parsed)
        # rank = bm25(10.0, 1.0), configured in the migration; lower is better.
        scored = "SELECT rowid AS id, rank AS score FROM notice_fts WHERE notice_fts MATCH :fts"
        if filtered is None:
            return f"{scored} ORDER BY rank, rowid DESC"
        if isinstance(filtered, str):
            among = f"id IN ({filtered})"
        else:
            among = one_of_ids("sqlite", "id", filtered, params, "ids")
        # Score in one pass, then filter: `rowid IN (…)` inside the FTS query would re-run the match once
        # per filtered notice.
        return f"WITH scored AS MATERIALIZED ({scored}) SELECT id, score FROM scored WHERE {among}" \
            " ORDER BY score, id DESC"

    def probe(self, parsed: ParsedQuery, params: dict, alias: str = "n") -> str:
        """Whether notice `alias` matches: one FTS5 lookup of that rowid (cheap with the prefix index)."""
        params["fts"] = self._expression(parsed)
        return f"EXISTS (SELECT 1 FROM notice_fts WHERE notice_fts MATCH :fts AND notice_fts.rowid = {alias}.id)"

    def estimate(self, conn, parsed: ParsedQuery, known: MutableMapping[str, int] | None = None) -> int | None:
        """How many notices match, counted (FTS5 counts a broad term in milliseconds; a term in every notice of a
        100,000 in ~20). `known`: counts already made while the database was unchanged, by text match, read and
        added to."""
        params: dict = {}
        listing = self.match_ids(parsed, params)
        if known is not None and (count := known.get(params["fts"])) is not None:
            return count
        count = conn.execute(sa.text(f"SELECT count(*) FROM ({listing}) AS t"), params).scalar_one()
        if known is not None:
            known[params["fts"]] = count
        return count

    def _expression(self, parsed: ParsedQuery) -> str:
        groups = ["(" + " OR ".join(self._phrase(t) for t in g) + ")" for g in parsed.groups]
        expr = " AND ".join(groups)
        if parsed.excluded:
            expr = f"({expr}) NOT (" + " OR ".join(self._phrase(t) for t in parsed.excluded) + ")"
        return expr

    @staticmethod
    def _phrase(term: Term) -> str:
        # Tokens are letters, digits or CJK only (no quotes), so they are safe inside a quoted FTS5 string.
        text = '"' + " ".join(tok.text for tok in term.tokens) + '"'
        return text + "*" if term.tokens[-1].prefix else text


class PostgresTsvector:
    """tsvector parts in `notice_search(notice_id, part, bucket, published_at, tsv)`, partitioned by the year
    of publication (`bucket`, migration 0016). A notice matches a term when one of its parts does (parts overlap
    by more than any phrase), so AND and NOT combine per notice, not per part."""

    def match_ids(self, parsed: ParsedQuery, params: dict, years: tuple[int, int] | None = None,
                  dated: bool = False, loose: bool = False) -> str:
        """The ids of the matching notices; `years` (first, last bucket) reads only those partitions; `dated`:
        with each notice's publication date (`published_at`), read from the index rows themselves; `loose`: a
        superset, each phrase's tokens anywhere in one part (`probe` then decides each notice)."""
        within = ""
        if years is not None:
            params["bucket_from"], params["bucket_to"] = years
            within = " AND bucket BETWEEN :bucket_from AND :bucket_to"
        columns = "notice_id AS id, published_at" if dated else "notice_id AS id"
        selects = []
        for i, group in enumerate(parsed.groups):
            params[f"tsq_loose{i}" if loose else f"tsq{i}"] = " | ".join(self._phrase(t, loose) for t in group)
            selects.append(f"SELECT DISTINCT {columns} FROM notice_search"
                           f" WHERE tsv @@ CAST(:{'tsq_loose' if loose else 'tsq'}{i} AS tsquery){within}")
        sql = " INTERSECT ".join(selects)
        if parsed.excluded:
            params["tsq_not"] = " | ".join(self._phrase(t) for t in parsed.excluded)
            sql = (f"({sql}) EXCEPT SELECT {columns} FROM notice_search WHERE tsv @@ CAST(:tsq_not AS tsquery)"
                   f"{within}")
        return sql

    def probe(self, parsed: ParsedQuery, params: dict, alias: str = "n") -> str:
        """Whether notice `alias` matches, decided from its own parts (primary-key lookups), never from the
        GIN index: for a term in most notices, reading its posting list costs more than checking the few
        notices a page needs. Scalar subqueries with LIMIT 1 keep the planner from turning the check into a
        join over every match."""
        conds = []
        for i, group in enumerate(parsed.groups):
            params[f"tsq{i}"] = " | ".join(self._phrase(t) for t in group)
            conds.append(f"{self._part_hit(alias, f'tsq{i}')} IS NOT NULL")
        if parsed.excluded:
            params["tsq_not"] = " | ".join(self._phrase(t) for t in parsed.excluded)
            conds.append(f"{self._part_hit(alias, 'tsq_not')} IS NULL")
        return "(" + " AND ".join(conds) + ")"

    @staticmethod
    def _part_hit(alias: str, param: str) -> str:
        # The parts are found by the primary key (notice_id, part), in the one partition of the notice's year.
        return (f"(SELECT 1 FROM notice_search s WHERE s.notice_id = {alias}.id AND {_same_year(alias)}"
                f" AND {_part_matches(alias, param)} LIMIT 1)")

    def title_score(self, parsed: ParsedQuery, params: dict, alias: str = "n", buckets=None) -> str:
        """The relevance of notice `alias`'s title (part 0, small and stored inline: nothing to decompress);
        NULL when the title does not match. `buckets`: the years the notices are known to be in (`_same_year`)."""
        params["tsq_rank"] = " | ".join(self._phrase(t) for t in parsed.positive_terms)
        return (f"(SELECT ts_rank(s.tsv, CAST(:tsq_rank AS tsquery)) FROM notice_search s"
                f" WHERE s.notice_id = {alias}.id AND {_same_year(alias, buckets, params)} AND s.part = 0"
                f" AND {_part_matches(alias, 'tsq_rank')})")

    def ranked_titles(self, parsed: ParsedQuery, ids, params: dict, buckets=None) -> str:
        """(id, score) of the notices among `ids` (`_among`) whose title matches, by `title_score`."""
        return (f"SELECT id, score FROM (SELECT n.id, {self.title_score(parsed, params, buckets=buckets)} AS score"
                f" FROM notice n WHERE {_among(ids, params)}) AS t WHERE score IS NOT NULL")

    def ranked_among(self, parsed: ParsedQuery, ids, params: dict, buckets=None) -> str:
        """(id, score) best first among the notices `ids` (`_among`, a few thousand at most). Each
        notice's parts are read by its key in its year's partition: a scan of the partitions checking the text
        first (the planner's order for a long id list) would decompress every part."""
        params["tsq_rank"] = " | ".join(self._phrase(t) for t in parsed.positive_terms)
        score = ("(SELECT sum(ts_rank(s.tsv, CAST(:tsq_rank AS tsquery))) FROM notice_search s"
                 f" WHERE s.notice_id = n.id AND {_same_year('n', buckets, params)}"
                 f" AND {_part_matches('n', 'tsq_rank')})")
        return (f"SELECT id, score FROM (SELECT n.id, {score} AS score FROM notice n WHERE {_among(ids, params)}) AS t"
                " WHERE score IS NOT NULL ORDER BY score DESC, id DESC")

    def estimate(self, conn, parsed: ParsedQuery, *, at_most: bool = False) -> int | None:
        """About how many notices match, from the planner's statistics of the index (most common lexemes and
        their frequencies; no index read): None when the table was never analysed. Used only to choose a
        plan; a term outside the most common lexemes counts as rare, or with `at_most` as common as the rarest
        listed one (an upper bound: how many notices a search may have to read to find some)."""
        stats = _lexeme_stats(conn)
        if stats is None:
            return None
        partitions, parts_per_notice, notices, prefix_sums = stats

        def prefixed(text: str) -> list[float]:
            # Each partition's share of the lexemes starting with `text`: a pass over every listed lexeme of every
            # year, kept with the statistics (a one-character term asks it at each search).
            sums = prefix_sums.get(text)
            if sums is None:
                if len(prefix_sums) >= _PREFIX_MEMO:
                    prefix_sums.clear()
                sums = prefix_sums[text] = [sum(f for lex, f in freqs.items() if lex.startswith(text))
                                            for _, freqs, _ in partitions]
            return sums

        # A lexeme outside a partition's list is rarer there than the rarest listed one (often far rarer: a
        # phrase of two unlisted bigrams such as 阿里云's is in a few hundred notices), so it counts as absent:
        # the exact plan is right for it, while counting it at the list's floor sends rare phrases on a walk.
        def token_freq(tok) -> float:
            total = 0.0
            sums = prefixed(tok.text) if tok.prefix else [0.0] * len(partitions)
            for (weight, freqs, floor), prefix_sum in zip(partitions, sums):
                unlisted = floor if at_most else 0.0
                if tok.prefix:
                    total += weight * min(1.0, prefix_sum or unlisted)
                else:
                    total += weight * freqs.get(tok.text, unlisted)
            return total

        def term_freq(term: Term) -> float:
            return min(token_freq(t) for t in term.tokens)

        # A part frequency times parts per notice approximates the share of notices (capped at all of them).
        share = min(min(1.0, sum(term_freq(t) for t in g)) for g in parsed.groups)
        return int(min(1.0, share * parts_per_notice) * notices)

    @staticmethod
    def _phrase(term: Term, loose: bool = False) -> str:
        """The term as a tsquery: its tokens in a row (`<->`), or with `loose` anywhere in one part (`&`): the GIN
        index answers that alone, while a phrase makes the server decompress every candidate part to check
        positions."""
        parts = []
        for tok in term.tokens:
            lexeme = "'" + tok.text.replace("\\", "\\\\").replace("'", "''") + "'"
            parts.append(lexeme + (":*" if tok.prefix else ""))
        return "(" + (" & " if loose else " <-> ").join(parts) + ")"


def _part_matches(alias: str, param: str) -> str:
    """Whether part `s` of notice `alias` matches the tsquery `param`, for lookups of one notice's parts: not
    indexable by GIN (the parts are found by their key), and the notice is checked before the text, which a
    scan of a small partition (this year's, early in the year) would otherwise test, decompressing every part
    it passes (the planner puts the text test first)."""
    return f"CASE WHEN s.notice_id = {alias}.id THEN s.tsv @@ CAST(:{param} AS tsquery) ELSE false END"


def _among(ids: Sequence[int], params: dict) -> str:
    """`n.id` is one of `ids`, bound as one array parameter (storage.pgcopy.one_of_ids: the statement's text then
    repeats, and its plan is reused)."""
    return one_of_ids("postgresql", "n.id", ids, params, "rank_ids")


def _same_year(alias: str, buckets=None, params: dict | None = None) -> str:
    """The notice_search rows `s` in the partition of notice `alias`'s year (pruned per notice as the query runs).
    With `buckets`, the years the notices are known to be in, which lets a custom plan plan only their partitions
    (a plan of a lookup in each of 16 years' partitions costs more than running it); a generic plan cannot prune
    by an array parameter and keeps them all, still opening only each notice's own."""
    same = f"s.bucket = {partitions.BUCKET_SQL.format(column=alias + '.published_at')}"
    if buckets is None:
        return same
    params["rank_buckets"] = int_array(sorted(set(buckets)))
    return f"{same} AND s.bucket = ANY(CAST(:rank_buckets AS smallint[]))"


_STATS_TTL = 600.0  # seconds a database's lexeme statistics are reused
_PREFIX_MEMO = 10_000  # prefixes whose sums are kept with them
_stats_cache: dict[str, tuple[float, tuple | None]] = {}


def _lexeme_stats(conn):
    """([(the partition's share of the parts, {lexeme: share of its parts}, the share below which a lexeme is
    left out of its list)], parts per notice, notices, {prefix: its sums, filled by `estimate`}) from pg_stats,
    cached per database for _STATS_TTL; None before the first ANALYZE."""
    key = str(conn.engine.url)
    now = time.monotonic()
    hit = _stats_cache.get(key)
    if hit and now - hit[0] < _STATS_TTL:
        return hit[1]
    # The statistics of each year's partition (autovacuum analyses partitions, never their parent), weighted
    # by its parts.
    rows = conn.execute(sa.text(
        "SELECT c.reltuples, s.most_common_elems::text::text[] AS elems, s.most_common_elem_freqs AS freqs"
        " FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
        " LEFT JOIN pg_stats s ON s.tablename = c.relname AND s.attname = 'tsv' AND NOT s.inherited"
        " WHERE i.inhparent = 'notice_search'::regclass"
    )).all()
    notices = conn.execute(sa.text("SELECT reltuples FROM pg_class WHERE relname = 'notice'")).scalar() or 0
    parts = sum(max(r.reltuples, 0) for r in rows if r.elems)
    stats = None
    if parts > 0 and notices > 0:
        # most_common_elem_freqs ends with the minimum and the maximum of the listed frequencies.
        listed = [(r.reltuples / parts, dict(zip(r.elems, r.freqs[: len(r.elems)])), r.freqs[len(r.elems)])
                  for r in rows if r.elems and r.reltuples > 0]
        stats = (listed, sum(max(r.reltuples, 0) for r in rows) / notices, int(notices), {})
    _stats_cache[key] = (now, stats)
    return stats


def backend_for(dialect: str):
    return SqliteFts() if dialect == "sqlite" else PostgresTsvector()
