"""The two implementations of text matching and ranking. Both compile the same `ParsedQuery` over the same
tokens (storage.search.tokens), so they match the same notices; only relevance scores differ in scale.

Each method returns SQL text that adds its bound values to `params`.
"""

from __future__ import annotations

from storage.search.query import ParsedQuery, Term


class SqliteFts:
    """FTS5 over the contentless `notice_fts(title, body)`; one MATCH expression for the whole query."""

    def match_ids(self, parsed: ParsedQuery, params: dict) -> str:
        params["fts"] = self._expression(parsed)
        return "SELECT rowid AS id FROM notice_fts WHERE notice_fts MATCH :fts"

    def ranked(self, parsed: ParsedQuery, filtered_ids: str | None, params: dict) -> str:
        """(id, score) best first; `filtered_ids` (SQL selecting notice ids) restricts the set."""
        params["fts"] = self._expression(parsed)
        # rank = bm25(10.0, 1.0), configured in the migration; lower is better.
        scored = "SELECT rowid AS id, rank AS score FROM notice_fts WHERE notice_fts MATCH :fts"
        if not filtered_ids:
            return f"{scored} ORDER BY rank, rowid DESC"
        # Score in one pass, then filter: `rowid IN (…)` inside the FTS query would re-run the match once
        # per filtered notice.
        return (
            f"WITH scored AS MATERIALIZED ({scored}) SELECT id, score FROM scored"
            f" WHERE id IN ({filtered_ids}) ORDER BY score, id DESC"
        )

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
    """tsvector parts in `notice_search(notice_id, part, tsv)`. A notice matches a term when one of its parts
    does (parts overlap by more than any phrase), so AND and NOT combine per notice, not per part."""

    def match_ids(self, parsed: ParsedQuery, params: dict) -> str:
        selects = []
        for i, group in enumerate(parsed.groups):
            params[f"tsq{i}"] = " | ".join(self._phrase(t) for t in group)
            selects.append(f"SELECT DISTINCT notice_id AS id FROM notice_search WHERE tsv @@ CAST(:tsq{i} AS tsquery)")
        sql = " INTERSECT ".join(selects)
        if parsed.excluded:
            params["tsq_not"] = " | ".join(self._phrase(t) for t in parsed.excluded)
            sql = f"({sql}) EXCEPT SELECT notice_id FROM notice_search WHERE tsv @@ CAST(:tsq_not AS tsquery)"
        return sql

    def ranked(self, parsed: ParsedQuery, filtered_ids: str | None, params: dict) -> str:
        params["tsq_rank"] = " | ".join(self._phrase(t) for t in parsed.positive_terms)
        ids = filtered_ids or self.match_ids(parsed, params)
        # ts_rank's default weights make a title (A) hit count 10× a body (D) hit, as bm25(10, 1) on SQLite.
        return (
            "SELECT s.notice_id AS id, sum(ts_rank(s.tsv, CAST(:tsq_rank AS tsquery))) AS score"
            " FROM notice_search s"
            f" WHERE s.tsv @@ CAST(:tsq_rank AS tsquery) AND s.notice_id IN ({ids})"
            " GROUP BY s.notice_id ORDER BY score DESC, s.notice_id DESC"
        )

    @staticmethod
    def _phrase(term: Term) -> str:
        parts = []
        for tok in term.tokens:
            lexeme = "'" + tok.text.replace("\\", "\\\\").replace("'", "''") + "'"
            parts.append(lexeme + (":*" if tok.prefix else ""))
        return "(" + " <-> ".join(parts) + ")"


def backend_for(dialect: str):
    return SqliteFts() if dialect == "sqlite" else PostgresTsvector()
