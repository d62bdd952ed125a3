"""Running a `SearchQuery`: filters, the total, facet counts over the whole result set, one page of hits
with snippets. Dialect-specific text matching lives in storage.search.backends; everything else is the
same SQL on both databases.

Cost model (what keeps a 100k-notice SQLite database fast): the text match is one FTS5 lookup; the total
is counted on it directly when there are no filters; facets are ONE statement over a materialised CTE of
the matched ids (tags, vendors and notice columns grouped in a single pass each); only the page's
notices are read in full.
"""

from __future__ import annotations

import bisect
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from typing import Any, MutableMapping, Sequence

import sqlalchemy as sa

from extract.compute.vocabulary import TOTAL_AMOUNT_KINDS  # what the amount filter compares
from storage.evidence import stored_evidence
from storage.review import latest as latest_reviews
from storage.review import latest_ids_sql, promoted_ids
from storage.review import state_condition as review_state_condition
from storage.search.backends import backend_for
from storage.search import partitions, summary
from storage.search.model import FACETS, FacetCount, SearchHit, SearchQuery, SearchResult, make_after, parse_after
from storage.search.query import ParsedQuery, parse_query
from storage.normalise import fold_text
from storage.pgcopy import one_of_ids
from storage.screening import SCREENED_NOTICE_IDS_SQL
from storage.search.snippets import SCAN_CHARS, evidence_snippet, find_hits, make_snippet

TAG_FILTERS = ("provider", "chip", "kind", "flag")

# Bounds that keep a search's cost independent of the archive's size (docs/search.md, "At scale"); the
# result says when one applied (SearchResult.ranked_of, facets_source, total_exact):
CANDIDATES = 500  # relevance (and, for larger results, facets) over at most the newest this many matches
# A text is "broad" when it matches more than BROAD_SHARE of the notices: then it is walked in date order,
# never listed whole. The walk reads about CANDIDATES / share notices whatever the archive's size (服务, in
# every notice: 500), while listing the matches costs their number; under this share listing is cheaper.
BROAD_SHARE = 0.1
FACET_LIMIT = 5_000  # facets count every match up to this many, else the newest CANDIDATES
# PostgreSQL lists a text's matches from its index, about 40 µs each for a phrase at a million notices (each part
# decompressed to check positions): a text without filters is listed whole, and every match faceted, when the
# newest years project at most this many matches (~80 ms); else its newest CANDIDATES.
LISTED_WHOLE = 2_000
PROBE_FROM = 5_000  # SQLite: above this many text matches, selective filters drive and probe the text index …
# … if they pass fewer notices than the text matches / PROBE_COST: probing one notice costs about as much as
# reading PROBE_COST of the text's matches and checking them in the covering index (25 µs and 3 µs at 1M).
PROBE_COST = 8
SORT_MAX = 5_000  # SQLite: above this many matches, date order walks the date index instead of sorting
SQLITE_SCORE_ALL = 5_000  # SQLite: up to this many text matches, bm25 scores them all and the filters apply after
ID_LIST_MAX = 5_000  # result sets up to this size are listed once and reused by the facet and page queries
# Filters selective enough to drive a search (few notices each): cases, compute tags, organisations.
SELECTIVE = ("cases_only", "candidates_only", "provider", "chip", "kind", "flag", "buyer", "vendor", "screened")


def _date_order(sqlite: bool) -> str:
    # NULL sorts first in SQLite, so last in DESC order; PostgreSQL needs it said (and has the index for it).
    return "n.published_at DESC, n.id DESC" if sqlite else "n.published_at DESC NULLS LAST, n.id DESC"


def _date_index(sqlite: bool) -> str:
    return " INDEXED BY ix_notice_published_at" if sqlite else ""


def _moment(value: datetime, sqlite: bool) -> Any:
    # SQLite stores DateTime as text 'YYYY-MM-DD HH:MM:SS.ffffff'; compare with the same text.
    return value.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else value


def _after_condition(after: str, params: dict, sqlite: bool) -> str:
    """Notices after the keyset cursor in date order (newest first, undated last, then id descending)."""
    moment, ident = parse_after(after)
    params["after_id"] = ident
    if moment is None:
        return "(n.published_at IS NULL AND n.id < :after_id)"
    params["after_at"] = _moment(moment, sqlite)
    return ("(n.published_at < :after_at OR (n.published_at = :after_at AND n.id < :after_id)"
            " OR n.published_at IS NULL)")


class _Archive:
    """What a search asks of the whole archive — how many notices, how many each year — read once, when first
    needed (`summary.notice_counts`): the walk, the broad test and the estimates all use it."""

    def __init__(self, conn: sa.Connection):
        self._conn = conn
        self._counts: tuple[int, dict[int, int]] | None = None

    def _read(self) -> tuple[int, dict[int, int]]:
        if self._counts is None:
            self._counts = summary.notice_counts(self._conn)
        return self._counts

    @property
    def total(self) -> int:
        return self._read()[0]

    @property
    def years(self) -> dict[int, int]:
        return self._read()[1]


def run_search(conn: sa.Connection, q: SearchQuery, counts: MutableMapping[str, int] | None = None) -> SearchResult:
    """`counts`: SQLite, the texts' match counts made by earlier searches while the database was unchanged (the
    caller keeps them per data version, web/cache.py), read and added to; a broad text's count costs tens of
    milliseconds at 100,000 notices."""
    sqlite = conn.dialect.name == "sqlite"
    parsed = parse_query(q.text)
    backend = backend_for(conn.dialect.name)
    if not sqlite:
        # The plans are index lookups of a few thousand rows at most; at a million notices their estimated cost
        # passes jit_above_cost and compiling them would cost more than running them.
        # plan_cache_mode stays auto: at 1M text listings stay custom anyway; forcing it cost 3.5 ms CPU/search.
        conn.execute(sa.text("SET LOCAL jit = off"))
    params: dict[str, Any] = {}
    archive = _Archive(conn)
    promoted = promoted_ids(conn) if q.cases_only else []
    filters = _filters(q, params, sqlite=sqlite, promoted=promoted)
    if parsed.empty and not filters:
        return _browse_all(conn, q, sqlite, archive)
    text_total = None  # SQLite: the text's matches, counted once here and used by every later step
    if not parsed.empty:
        # SQLite counts the matches (FTS5 counts a broad term in milliseconds); PostgreSQL estimates them from
        # the planner's statistics, since listing a term found in most notices costs a pass over its postings.
        estimate = backend.estimate(conn, parsed, counts) if sqlite else backend.estimate(conn, parsed)
        text_total = estimate if sqlite else None
        if estimate is not None and estimate > CANDIDATES and estimate > BROAD_SHARE * archive.total:
            return _broad(conn, q, parsed, backend, params, filters, text_total, promoted, archive)
        if not sqlite:
            # Listed a few years at a time, newest first, until the result has what it shows: bounded even when
            # the estimate misses (no statistics yet, a word outside the planner's most common ones).
            return _listed(conn, q, parsed, backend, params, filters, archive)
    elif not sqlite:  # filters alone: listed when few enough, else walked in date order by `_exact`
        listed = _listed(conn, q, parsed, backend, params, filters, archive, most=ID_LIST_MAX)
        if listed is not None:
            return listed
    return _exact(conn, q, parsed, backend, params, filters, promoted, text_total)


def _scored(rows) -> list[tuple[int, Any]]:
    return [(r.id, r.score) for r in rows]


def _page_bounds(q: SearchQuery) -> tuple[int, int]:
    return q.per_page, (0 if q.after else (q.page - 1) * q.per_page)


def _next_after(conn: sa.Connection, rows: list, q: SearchQuery) -> str | None:
    if len(rows) < q.per_page:
        return None
    last = rows[-1].id
    moment = conn.execute(sa.text("SELECT published_at FROM notice WHERE id = :i").columns(published_at=sa.DateTime),
                          {"i": last}).scalar()
    return make_after(moment, last)


def _browse_all(conn: sa.Connection, q: SearchQuery, sqlite: bool, archive: _Archive) -> SearchResult:
    """Every notice, newest first: the total and facets from the summary tables, the page from the date index."""
    params: dict[str, Any] = {}
    where = _after_condition(q.after, params, sqlite) if q.after else "1=1"
    limit, offset = _page_bounds(q)
    rows = conn.execute(sa.text(
        f"SELECT n.id AS id, NULL AS score FROM notice n{_date_index(sqlite)} WHERE {where}"
        f" ORDER BY {_date_order(sqlite)} LIMIT {int(limit)} OFFSET {int(offset)}"
    ), params).all()
    facets = _summary_facets(conn, q) if q.facets else {}
    candidates = _count_candidates(conn, q, parse_query(""), None) if q.facets else None
    return SearchResult(query=q, total=archive.total, hits=_hits(conn, _scored(rows), parse_query(""), q.snippets),
                        facets=facets, sort="date", facets_complete=True, candidates=candidates,
                        facets_source="summary" if q.facets else "none", next_after=_next_after(conn, rows, q))


def _summary_facets(conn: sa.Connection, q: SearchQuery) -> dict[str, list[FacetCount]]:
    counts = summary.top(conn, FACETS, q.facet_limit)
    screened = conn.execute(sa.text(f"SELECT count(*) FROM ({SCREENED_NOTICE_IDS_SQL}) AS s")).scalar_one()
    counts["screened"] = [("screened", screened)] if screened else []
    return _facet_counts(conn, counts, q)


def _broad(conn, q, parsed, backend, params, filters, text_total, promoted, archive) -> SearchResult:
    """A text in more than BROAD_SHARE of the notices: walk the notices passing the filters newest first, checking each
    against the text, and stop at the newest CANDIDATES matches. Relevance and facets are computed over
    those (the result says so); the total is counted on SQLite and estimated on PostgreSQL (the share of
    matches among the notices walked, times the notices passing the filters). A page in date order is read
    by the same walk, so deep pages cost what the first does (with the keyset cursor)."""
    sqlite = conn.dialect.name == "sqlite"
    probe = backend.probe(parsed, params)
    conds = " AND ".join(filters + [probe])
    where = " AND ".join(filters) or "1=1"
    selective = any(getattr(q, f) for f in SELECTIVE)
    if sqlite:
        # Selective filters drive (the cases' partial index is in date order too); else the date index.
        hint = _date_index(True)
        if selective:
            hint = " INDEXED BY ix_notice_cases_published" if q.cases_only and not promoted else ""
        walk = conn.execute(sa.text(
            f"SELECT n.id, 0 AS rn FROM notice n{hint} WHERE {conds} ORDER BY {_date_order(True)}"
            f" LIMIT {CANDIDATES}"
        ), params).all()
    else:
        # The score of a relevance search is read in the same pass: only the notices that match are scored,
        # by their titles (a capped set is ranked by title, as on SQLite; see `_listed`).
        score = backend.title_score(parsed, params) if q.sort == "relevance" else "NULL"
        walk = conn.execute(sa.text(
            f"SELECT n.id, n.rn, {score} AS score FROM (SELECT n.id, n.published_at, row_number() OVER (ORDER BY"
            f" {_date_order(False)}) AS rn FROM notice n WHERE {where}) AS n WHERE {probe} LIMIT {CANDIDATES}"
        ), params).all()
    ids = [r.id for r in walk]
    exhaustive = len(ids) < CANDIDATES  # the walk saw every notice passing the filters
    total_exact = True
    if exhaustive:
        total = len(ids)
    elif sqlite and not filters:
        total = text_total
    elif sqlite:
        # Counted as the exact plan would: selective filters drive and probe the text; otherwise the text
        # drives and the filters are read from the covering index.
        count_sql = (f"SELECT count(*) FROM notice n WHERE {conds}" if selective else
                     "SELECT count(*) FROM notice_fts CROSS JOIN notice n INDEXED BY ix_notice_search_columns"
                     f" WHERE notice_fts MATCH :fts AND n.id = notice_fts.rowid AND {where}")
        total = conn.execute(sa.text(count_sql), params).scalar_one()
    else:
        passing = archive.total if not filters else _planned_rows(
            conn, f"SELECT n.id FROM notice n WHERE {where}", params)
        total, total_exact = max(len(ids), round(len(ids) / walk[-1].rn * passing)), False
    ranked_of = None if exhaustive else len(ids)
    facets = _facets(conn, ids, params, q) if q.facets and ids else {}
    sort = q.sort
    limit, offset = _page_bounds(q)
    if sort == "relevance" and not sqlite:  # the walk is newest first: ties stay so
        rows = sorted(walk, key=lambda r: -(r.score or 0))[offset : offset + limit]
    elif sort == "relevance":
        rows = _title_ranked(conn, ids, parsed)[offset : offset + limit]
    else:
        extra = [_after_condition(q.after, params, sqlite)] if q.after else []
        page_sql = (f"SELECT n.id AS id, NULL AS score FROM notice n{_date_index(sqlite)}"
                    f" WHERE {' AND '.join(filters + extra + [probe])} ORDER BY {_date_order(sqlite)}")
    if sort != "relevance" and not q.after and (exhaustive or offset + limit <= len(ids)):
        rows = [_Ranked(i, None) for i in ids[offset : offset + limit]]  # the walk was this page's walk
    elif sort != "relevance":
        rows = conn.execute(sa.text(f"{page_sql} LIMIT {int(limit)} OFFSET {int(offset)}"), params).all()
    return SearchResult(
        query=q, total=total, hits=_hits(conn, _scored(rows), parsed, q.snippets), facets=facets, sort=sort,
        facets_complete=exhaustive, candidates=None, total_exact=total_exact, ranked_of=ranked_of,
        facets_source=("matches" if exhaustive else "newest") if q.facets else "none",
        next_after=_next_after(conn, rows, q) if sort == "date" else None,
    )


@dataclass
class _Ranked:
    id: int
    score: float | None


def _title_ranked(conn: sa.Connection, ids: list[int], parsed: ParsedQuery) -> list[_Ranked]:
    """SQLite's order for a capped candidate set: more query hits in the title first (score -hits × 10, or -1
    with none; lower is better, as bm25), then newest first. Not bm25: FTS5 recomputes bm25's corpus
    statistics (a pass over each term's whole doclist) for every rowid it is asked to score, which for a term
    in most notices costs seconds; the candidates' titles are short and read in one query."""
    if not ids:
        return []
    params: dict = {}
    listed = one_of_ids(conn.dialect.name, "n.id", ids, params, "ids")
    rows = conn.execute(sa.text(f"SELECT n.id, n.title, n.published_at FROM notice n WHERE {listed}"), params).all()
    # One pass over the titles joined (a phrase may in theory span two adjacent titles: the order of the
    # candidates is then a little off, never the set).
    folded = [fold_text(r.title or "") for r in rows]
    starts, pos = [], 0
    for f in folded:
        starts.append(pos)
        pos += len(f) + 1
    hits = [0] * len(rows)
    for start, _ in find_hits("\n".join(folded), parsed.positive_terms, max_hits=10 * len(rows)):
        hits[bisect.bisect_right(starts, start) - 1] += 1
    ranked = sorted(zip(rows, hits), key=lambda rh: (rh[0].published_at is not None, rh[0].published_at or "",
                                                     rh[0].id), reverse=True)  # newest first, undated last
    ranked.sort(key=lambda rh: -rh[1])  # stable: more title hits first
    return [_Ranked(r.id, -10.0 * h or -1.0) for r, h in ranked]


def _planned_rows(conn: sa.Connection, sql: str, params: dict) -> int:
    """The planner's estimate of how many rows `sql` returns (PostgreSQL; no rows are read)."""
    plan = conn.execute(sa.text(f"EXPLAIN (FORMAT JSON) {sql}"), params).scalar_one()
    plan = plan if isinstance(plan, list) else json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def _listed(conn, q, parsed, backend, params, filters, archive, most: int | None = None) -> SearchResult | None:
    """PostgreSQL, a text under the broad share (or filters alone passing at most `most` notices): the notices
    matching and passing the filters are listed ONCE, newest first with their dates, and that list is the
    total, the newest CANDIDATES, the facets' set, the possible cases' set and the page. Each of those used to
    run the text match again, and the match is what a search costs at a million notices: the matched index
    parts are read from the heap (and a phrase's parts decompressed to check its positions).

    A text is listed year by year, newest first (the index is partitioned by year, migration 0016), and the
    listing stops once it holds what the result needs (`_walk_years`): the newest CANDIDATES matches, or every
    match when there are no filters and the years listed first project at most LISTED_WHOLE in all (then every
    match is faceted).
    A listing that stopped early estimates the total from the share of notices it covered (the result says
    "about"), and its facets and ranking are over the newest CANDIDATES, as for a result over FACET_LIMIT.

    A result over CANDIDATES is ranked over its newest CANDIDATES by the relevance of their titles (newest
    first among equals), as on SQLite: ranking by the body would decompress every candidate's body parts.

    Without text (filters alone), in date order; None when more than `most` notices pass the filters."""
    limit, offset = _page_bounds(q)
    total_exact = True
    if parsed.empty:
        rows = conn.execute(sa.text(
            f"SELECT {_LISTED_COLUMNS} FROM notice n WHERE {' AND '.join(filters)} ORDER BY {_date_order(False)}"
            + (f" LIMIT {int(most) + 1}" if most is not None else "")
        ).columns(published_at=sa.DateTime), params).all()
        if most is not None and len(rows) > most:
            return None
        complete = True
    else:
        # Every match is listed (and faceted) when there are few; with filters, the matches the filters leave
        # can be few while the text's are many, each of which the listing reads: then the newest CANDIDATES.
        rows, complete, covered = _walk_years(conn, q, parsed, backend, params, filters, archive, CANDIDATES,
                                              exact_up_to=0 if filters else LISTED_WHOLE)
        if not complete:
            total_exact = False
    sort = q.sort if not parsed.empty else "date"
    ids = [r.id for r in rows]
    newest = ids[:CANDIDATES]
    total = len(rows) if complete else max(len(rows), round(len(rows) / covered))
    facets_capped = q.facets and (total > FACET_LIMIT or not complete)
    faceted = _with_columns(conn, rows[:CANDIDATES] if facets_capped else rows) if q.facets else []
    facets = _listed_facets(conn, faceted, q) if faceted else {}
    candidates = None
    if q.facets and not (q.cases_only or q.candidates_only):  # the possible cases are among the listed notices
        candidates = _count_candidates(conn, q, parsed, None, among=ids) if not facets_capped else None
    elif q.facets and complete and len(rows) <= FACET_LIMIT:  # among the text's matches, not listed
        candidates = _count_candidates(conn, q, parsed, None)

    ranked_capped = sort == "relevance" and total > CANDIDATES
    page = None
    if sort == "relevance" and ranked_capped:
        scores = dict(conn.execute(sa.text(backend.ranked_titles(
            parsed, newest, params, buckets=_buckets(rows[:CANDIDATES]))), params).all())
        order = sorted(newest, key=lambda i: -scores.get(i, 0.0))  # stable: newest first among equals
        scored = [(i, scores.get(i, 0.0)) for i in order[offset : offset + limit]]
    elif sort == "relevance":
        ranked = conn.execute(sa.text(backend.ranked_among(parsed, ids, params, buckets=_buckets(rows))),
                              params).all()
        scored = [(r.id, r.score) for r in ranked[offset : offset + limit]]
    else:
        after = [r for r in rows if _is_after(r, q.after)] if q.after else rows
        page = after[offset : offset + limit]
        if len(page) < limit and not complete:  # the page lies past the listing: list on from the cursor's year
            deeper, _, _ = _walk_years(conn, q, parsed, backend, params, filters, archive, offset + limit,
                                       after=q.after)
            page = deeper[offset : offset + limit]
        scored = [(r.id, None) for r in page]
    next_after = None
    if sort == "date" and len(scored) == q.per_page:
        next_after = make_after(page[-1].published_at, page[-1].id)
    return SearchResult(query=q, total=total, hits=_hits(conn, scored, parsed, q.snippets), facets=facets,
                        sort=sort, facets_complete=not facets_capped, candidates=candidates,
                        ranked_of=CANDIDATES if facets_capped or ranked_capped or not complete else None,
                        total_exact=total_exact,
                        facets_source=("newest" if facets_capped else "matches") if q.facets else "none",
                        next_after=next_after)


# What a listing reads of each notice: the date order, and the columns the facets count.
_LISTED_COLUMNS = "n.id, n.published_at, n.buyer_id, n.region, n.notice_type"


def _buckets(rows: Sequence) -> set[int]:
    """The years (index partitions) listed rows are in."""
    return {partitions.bucket_of(r.published_at) for r in rows}


def _with_columns(conn: sa.Connection, rows: Sequence) -> Sequence:
    """`rows` with the columns the facets count (_LISTED_COLUMNS), read for those listed by id and date alone."""
    if not rows or hasattr(rows[0], "buyer_id"):
        return rows
    params: dict = {}
    listed = one_of_ids(conn.dialect.name, "n.id", [r.id for r in rows], params, "listed")
    return conn.execute(sa.text(f"SELECT {_LISTED_COLUMNS} FROM notice n WHERE {listed}")
                        .columns(published_at=sa.DateTime), params).all()


WALK_MARGIN = 1.25  # a year's chunk covers this many times the notices the rows still needed should take


def _years(archive: _Archive, q: SearchQuery) -> list[tuple[int, int]]:
    """(bucket, notices) newest first and undated last, from the facet summary: the years a walk lists, those
    the date filters leave."""
    counts = list(archive.years.items())
    undated = archive.total - sum(n for _, n in counts)
    years = sorted(counts, reverse=True)
    if q.since:
        years = [(y, n) for y, n in years if y >= q.since.year]
    if q.until:
        years = [(y, n) for y, n in years if y <= q.until.year]
    if undated > 0 and not (q.since or q.until):
        years.append((partitions.UNDATED, undated))
    return years


def _walk_years(conn, q, parsed, backend, params, filters, archive, need: int, *, exact_up_to: int = 0,
                after: str | None = None):
    """The notices matching the text and passing the filters, newest first, listed a few years at a time until
    there are `need` of them — or all of them when the years listed so far project at most `exact_up_to` in
    all — or, with the keyset cursor `after`, from the cursor's year and only those after it: (rows, whether
    every year was listed, the share of the notices the listed years hold). Each chunk of years covers about
    the notices the missing rows should take at the share of matches seen so far; the first, at the largest
    share the statistics allow the text (the newest year alone without statistics)."""
    total = archive.total or 1
    years = _years(archive, q)
    everyone = sum(n for _, n in years) or 1
    if after is not None:
        moment, _ = parse_after(after)
        cursor_year = partitions.bucket_of(moment)
        years = [(y, n) for y, n in years if y == partitions.UNDATED or moment is not None and y <= cursor_year]
    rows: list = []
    covered, i = 0, 0
    while i < len(years):
        if covered:
            share = len(rows) / covered  # none seen in the years listed: the rest at once
            if exact_up_to and _at_most(len(rows), covered, everyone) <= exact_up_to:
                share = 0.0  # few in all: the rest at once, every match faceted
        else:
            most = backend.estimate(conn, parsed, at_most=True)
            share = most / total if most is not None else float("inf")
        want = (need - len(rows)) / share * WALK_MARGIN if share else float("inf")
        j, cover = i, 0
        while j < len(years) and (j == i or (cover < want and years[j][0] != partitions.UNDATED)):
            cover += years[j][1]
            j += 1
        chunk = [y for y, _ in years[i:j]]
        if filters:
            loose = any(getattr(q, f) for f in SELECTIVE)
            listing = (f"{_matching(backend, parsed, params, filters, _LISTED_COLUMNS, (min(chunk), max(chunk)), loose)}"
                       f" ORDER BY {_date_order(False)}")
        else:  # ids and dates from the index rows alone: no notice row is read (`_with_columns` reads the few needed)
            match = backend.match_ids(parsed, params, years=(min(chunk), max(chunk)), dated=True)
            listing = f"SELECT n.id, n.published_at FROM ({match}) AS n ORDER BY {_date_order(False)}"
        chunk_rows = conn.execute(sa.text(listing).columns(published_at=sa.DateTime), params).all()
        if after is not None:
            chunk_rows = [r for r in chunk_rows if _is_after(r, after)]
        rows.extend(chunk_rows)
        covered += cover
        i = j
        if len(rows) >= need and not (exact_up_to and _at_most(len(rows), covered, everyone) <= exact_up_to):
            break
    return rows, i >= len(years), covered / everyone


def _at_most(seen: int, covered: int, everyone: int) -> float:
    """How many matches `everyone` notices may hold, at most (about 95 % sure), when `covered` of them held
    `seen`: the newest years are a sample, and 19 matches seen in 12,700 notices stand for 1,500 ± 350."""
    return (seen + 2 * seen ** 0.5 + 1) / covered * everyone


def _matching(backend, parsed: ParsedQuery, params: dict, filters: list[str], columns: str,
              years: tuple[int, int] | None, loose: bool) -> str:
    """PostgreSQL: SELECT `columns` of the notices (`n`) matching the text in `years` and passing the filters. With
    `loose` (selective filters) and a text of several tokens, the text's phrases are checked only on the notices
    that pass the filters (`probe`): the index lists the notices holding the phrases' words anywhere in a part,
    the filters keep a few, and only their parts are read — not the parts of every match of the text."""
    loose = loose and any(len(t.tokens) > 1 for t in parsed.positive_terms)
    where = " AND ".join([f"n.id IN ({backend.match_ids(parsed, params, years=years, loose=loose)})", *filters])
    if not loose:
        return f"SELECT {columns} FROM notice n WHERE {where}"
    # OFFSET 0: the filters first (the planner would probe before joining an organisation filter); the probe reads
    # each notice's id and date.
    inner = ", ".join(dict.fromkeys([*columns.split(", "), "n.id", "n.published_at"]))
    return (f"SELECT {columns} FROM (SELECT {inner} FROM notice n WHERE {where} OFFSET 0) AS n"
            f" WHERE {backend.probe(parsed, params)}")


def _is_after(row, cursor: str) -> bool:
    """Whether (row.published_at, row.id) comes after the keyset cursor in date order (`_after_condition`)."""
    moment, ident = parse_after(cursor)
    if moment is None:
        return row.published_at is None and row.id < ident
    return (row.published_at is None or row.published_at < moment
            or (row.published_at == moment and row.id < ident))


def _exact(conn, q, parsed, backend, params, filters, promoted, text_total: int | None = None) -> SearchResult:
    """`text_total`: the text's matches, when already counted (SQLite's `estimate`)."""
    sqlite = conn.dialect.name == "sqlite"
    match = backend.match_ids(parsed, params) if not parsed.empty else None
    if match and text_total is None:
        text_total = conn.execute(sa.text(f"SELECT count(*) FROM ({match}) AS t"), params).scalar_one()
    # An FTS5 lookup of one notice (cheap with the prefix index), for plans that visit notices and ask
    # "does this one match the text?" instead of listing every text match.
    probe = "EXISTS (SELECT 1 FROM notice_fts WHERE notice_fts MATCH :fts AND notice_fts.rowid = n.id)"

    selective = any(getattr(q, f) for f in SELECTIVE)
    if match and not filters:
        source = match
    else:
        if q.cases_only:  # the partial index cannot serve confirmed non-cases (promoted): no hint then
            hint = "" if promoted else " INDEXED BY ix_notice_cases_published"
        else:
            hint = " INDEXED BY ix_notice_candidates_published" if q.candidates_only else ""
        if sqlite and match and text_total > PROBE_FROM and selective and _passing_fewer(
                conn, filters, params, text_total // PROBE_COST, hint):
            source = f"SELECT n.id FROM notice n{hint} WHERE {' AND '.join(filters)} AND {probe}"
        elif sqlite and match:
            # The text drives: walk its matches in rowid order and check the filters in the covering index
            # (cheaper than `n.id IN (…)`, which first copies every match into a temporary index).
            source = (
                "SELECT n.id FROM notice_fts CROSS JOIN notice n INDEXED BY ix_notice_search_columns"
                f" WHERE notice_fts MATCH :fts AND n.id = notice_fts.rowid AND {' AND '.join(filters)}"
            )
        else:
            where = " AND ".join(([f"n.id IN ({match})"] if match else []) + filters) or "1=1"
            source = f"SELECT n.id FROM notice n WHERE {where}"
    # A result set of at most ID_LIST_MAX notices is fetched once and its ids reused by the facet and page
    # queries, instead of running the match (and its probes) three times.
    ids = None
    if not (source is match and text_total > ID_LIST_MAX):
        ids = conn.execute(sa.text(f"{source} LIMIT {ID_LIST_MAX + 1}"), params).scalars().all()
        if len(ids) > ID_LIST_MAX:
            ids = None
    matched: str | list[int]  # the matches: their ids, or the SELECT listing them
    if ids is not None:
        total, matched = len(ids), ids
        among = one_of_ids(conn.dialect.name, "n.id", ids, params, "matched")
    else:
        matched = source
        total = (
            text_total
            if source is match
            else conn.execute(sa.text(f"SELECT count(*) FROM ({source}) AS m"), params).scalar_one()
        )
        among = f"n.id IN ({source})"
    # PostgreSQL, filters alone and too many notices to list: the filters select the result themselves, so the
    # date index is walked with them (`n.id IN (the filters' SELECT)` would first list every notice passing).
    within = filters if not sqlite and ids is None and not match else [among]
    # Larger results are ranked and faceted over their newest CANDIDATES (one walk of the date order).
    newest = None
    if (q.facets and total > FACET_LIMIT) or (match and q.sort == "relevance" and total > CANDIDATES):
        # A listed result is sorted, its dates read from the covering index (the notice rows are wide); a larger
        # one is walked in date order (SQLite: the date index, named).
        hint = _date_index(True) if ids is None else " INDEXED BY ix_notice_search_columns"
        newest = conn.execute(sa.text(
            f"SELECT n.id FROM notice n{hint if sqlite else ''} WHERE {' AND '.join(within)}"
            f" ORDER BY {_date_order(sqlite)} LIMIT {CANDIDATES}"), params).scalars().all()
    facets_capped = q.facets and total > FACET_LIMIT
    facets = {}
    if q.facets and total:
        facets = _facets(conn, newest if facets_capped else matched, params, q)
    candidates = None
    if q.facets:
        # Without the cases switch the listed result is the set the possible cases are counted among.
        among = ids if ids is not None and not (q.cases_only or q.candidates_only) else None
        candidates = _count_candidates(conn, q, parsed, text_total, among=among)

    sort = q.sort if match else "date"
    ranked_capped = sort == "relevance" and total > CANDIDATES
    limit, offset = _page_bounds(q)
    after = [_after_condition(q.after, params, sqlite)] if q.after and sort == "date" else []
    if sort == "relevance":  # SQLite only: PostgreSQL sends a search with text to `_broad` or `_listed`
        if ranked_capped:
            page_sql = None
            rows = _title_ranked(conn, newest, parsed)[offset : offset + limit]
        elif text_total <= SQLITE_SCORE_ALL:
            # FTS5 scores a few thousand matches in one pass faster than it looks up a list of rowids.
            page_sql = backend.ranked(parsed, matched if filters else None, params)
        else:  # at most CANDIDATES matches, so `matched` is their ids
            page_sql = None
            rows = _title_ranked(conn, matched, parsed)[offset : offset + limit]
    elif sqlite and total > SORT_MAX:
        # Walk the date index newest first, keeping notices that pass the filters and match the text,
        # and stop after one page: no sort of every match.
        conds = filters + after + ([probe] if match else [])
        page_sql = (
            f"SELECT n.id AS id, NULL AS score FROM notice n{_date_index(True)}"
            f" WHERE {' AND '.join(conds) or '1=1'} ORDER BY {_date_order(True)}"
        )
    else:
        # The covering index holds published_at: the sort never reads the wide notice rows.
        covering = " INDEXED BY ix_notice_search_columns" if sqlite else ""
        page_sql = (
            f"SELECT n.id AS id, NULL AS score FROM notice n{covering} WHERE {' AND '.join(within + after)}"
            f" ORDER BY {_date_order(sqlite)}"
        )
    if not total:
        rows = []  # nothing to page through (a ranking over an empty list would still score every text match)
    elif page_sql is not None:
        rows = conn.execute(sa.text(f"{page_sql} LIMIT {int(limit)} OFFSET {int(offset)}"), params).all()
    hits = _hits(conn, _scored(rows), parsed, q.snippets)
    capped = facets_capped or ranked_capped
    return SearchResult(query=q, total=total, hits=hits, facets=facets, sort=sort,
                        facets_complete=not (q.facets and facets_capped), candidates=candidates,
                        ranked_of=CANDIDATES if capped else None,
                        facets_source=("newest" if facets_capped else "matches") if q.facets else "none",
                        next_after=_next_after(conn, rows, q) if sort == "date" else None)


def _passing_fewer(conn: sa.Connection, filters: list[str], params: dict, most: int, hint: str = "") -> bool:
    """SQLite: whether fewer than `most` notices pass the filters (counted up to `most`, so bounded); `hint`: the
    index that lists them (the planner may otherwise walk a broad filter's index instead of a partial one)."""
    passing = conn.execute(sa.text(f"SELECT count(*) FROM (SELECT 1 FROM notice n{hint}"
                                   f" WHERE {' AND '.join(filters)} LIMIT {int(most)})"), params).scalar_one()
    return passing < most


def _count_candidates(conn: sa.Connection, q: SearchQuery, parsed: ParsedQuery, text_total: int | None,
                      among: Sequence[int] | None = None) -> int | None:
    """Possible cases matching the text and the filters, whatever the cases switch: the count the "possible
    cases" switch shows. Candidates are few (the partial index lists them); None when the text matches too
    many notices to count cheaply, as for the facets. `among`: the notices matching the text and the filters
    of a search without the cases switch, already listed."""
    if text_total is not None and text_total > FACET_LIMIT:
        return None
    params: dict[str, Any] = {}
    sqlite = conn.dialect.name == "sqlite"
    filters = _filters(replace(q, cases_only=False, candidates_only=True), params, sqlite=sqlite)
    # SQLite: the few possible cases drive (the planner would rather walk a listed result's ids or a broad filter's
    # index, each a lookup in the wide notice rows).
    hint = " INDEXED BY ix_notice_candidates_published" if sqlite else ""
    if among is not None:
        filters.append(one_of_ids(conn.dialect.name, "n.id", among, params, "among"))
    elif not parsed.empty and conn.dialect.name == "postgresql":  # the possible cases are few: checked one by one
        matching = _matching(backend_for("postgresql"), parsed, params, filters, "n.id", None, loose=True)
        return conn.execute(sa.text(f"SELECT count(*) FROM ({matching}) AS m"), params).scalar_one()
    elif not parsed.empty:
        backend = backend_for("sqlite")
        if text_total is not None and _passing_fewer(conn, filters, params, text_total // PROBE_COST, hint):
            # Fewer possible cases pass the filters than the text has matches (÷ PROBE_COST): each is probed in
            # the text index (`n.id IN (the matches)` would first list every match of the text).
            probe = backend.probe(parsed, params)
            return conn.execute(sa.text(f"SELECT count(*) FROM notice n{hint} WHERE {' AND '.join(filters)}"
                                        f" AND {probe}"), params).scalar_one()
        filters.append(f"n.id IN ({backend.match_ids(parsed, params)})")
    return conn.execute(sa.text(f"SELECT count(*) FROM notice n{hint} WHERE {' AND '.join(filters)}"),
                        params).scalar_one()


def _like(value: str) -> str:
    return "%" + value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _org_condition(alias: str, values: tuple[str, ...], params: dict, prefix: str, dialect: str) -> str:
    """Organisation matches any value: an id (digits) or part of its normalised name."""
    from storage.db import is_row_id
    from storage.normalise import normalise_name

    conds = []
    for i, value in enumerate(values):
        key = f"{prefix}{i}"
        if value.strip().isdigit():
            if not is_row_id(dialect, int(value)):  # names no organisation (and would overflow the driver)
                conds.append("1 = 0")
                continue
            params[key] = int(value)
            conds.append(f"{alias}.id = :{key}")
        else:
            params[key] = _like(normalise_name(value))
            conds.append(f"{alias}.normalised_name LIKE :{key} ESCAPE '\\'")
    return "(" + " OR ".join(conds) + ")"


def _filters(q: SearchQuery, params: dict, *, sqlite: bool, promoted: Sequence[int] = ()) -> list[str]:
    """`promoted`: notices reviewers confirmed as cases although the extractor does not call them so."""
    def moment(day) -> Any:
        value = datetime.combine(day, time.min)
        # SQLite stores DateTime as text 'YYYY-MM-DD HH:MM:SS.ffffff'; compare with the same text.
        return value.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else value

    dialect = "sqlite" if sqlite else "postgresql"
    out = []
    if q.since:
        params["since"] = moment(q.since)
        out.append("n.published_at >= :since")
    if q.until:
        params["until"] = moment(q.until + timedelta(days=1))
        out.append("n.published_at < :until")
    if buyers := q.values("buyer"):
        out.append(
            f"n.buyer_id IN (SELECT o.id FROM organisation o WHERE {_org_condition('o', buyers, params, 'buyer', dialect)})"
        )
    # Vendors and compute tags as `n.id IN (…)`: the (facet, value) and organisation indexes list the few
    # notices concerned, instead of a per-row check of every notice.
    if vendors := q.values("vendor"):
        out.append(
            "n.id IN (SELECT p.notice_id FROM noticeparty p JOIN organisation o ON o.id = p.organisation_id"
            f" WHERE p.role = 'vendor' AND {_org_condition('o', vendors, params, 'vendor', dialect)})"
        )
    if types := q.values("notice_type"):
        names = []
        for i, t in enumerate(types):
            params[f"type{i}"] = t
            names.append(f":type{i}")
        out.append(f"n.notice_type IN ({', '.join(names)})")
    if q.region:
        params["region"] = _like(q.region.strip())
        # The region names that contain the text, from the facet summary (every region a notice has is in
        # its totals or its unfolded deltas), so the region index finds the notices instead of a scan.
        out.append(
            "n.region IN (SELECT value FROM facet_total WHERE facet = 'region' AND value LIKE :region ESCAPE '\\'"
            " UNION SELECT value FROM facet_delta WHERE facet = 'region' AND value LIKE :region ESCAPE '\\')"
        )
    if q.source:
        params["source"] = q.source
        out.append("n.source = :source")
    for facet in TAG_FILTERS:
        for i, value in enumerate(q.values(facet)):
            params[f"{facet}{i}"] = value
            out.append(
                f"n.id IN (SELECT t.notice_id FROM noticetag t WHERE t.facet = '{facet}' AND t.value = :{facet}{i})"
            )
    if q.amount_min is not None or q.amount_max is not None:
        conds = ["a.notice_id = n.id", "a.kind IN ('" + "', '".join(TOTAL_AMOUNT_KINDS) + "')"]
        if q.amount_min is not None:
            params["amount_min"] = float(q.amount_min)
            conds.append("a.value_cny >= :amount_min")
        if q.amount_max is not None:
            params["amount_max"] = float(q.amount_max)
            conds.append("a.value_cny <= :amount_max")
        out.append(f"EXISTS (SELECT 1 FROM noticeamount a WHERE {' AND '.join(conds)})")
    if q.cases_only:
        # A literal, not a parameter, so SQLite can use the partial index over cases.
        case = "n.remote_compute = 1" if sqlite else "n.remote_compute"
        if promoted:
            case = f"({case} OR n.id IN ({', '.join(str(int(i)) for i in promoted)}))"
        out.append(case)
    if q.screened:
        out.append(f"n.id IN ({SCREENED_NOTICE_IDS_SQL})")
    if q.candidates_only:  # likewise, the partial index over possible cases
        out.append("n.compute_candidate = 1" if sqlite else "n.compute_candidate")
    if states := q.values("review"):
        out.append(review_state_condition(states))
    elif q.cases_only:
        # A case a reviewer rejected leaves the case list; review=rejected (or cases=0) still finds it.
        out.append(f"n.id NOT IN ({latest_ids_sql('rejected')})")
    elif q.candidates_only:
        # A reviewed possible case is settled: confirmed, it is listed with the cases; rejected, with neither.
        out.append(review_state_condition(["pending"]))
    return out


def _facets(conn: sa.Connection, matched: str | Sequence[int], params: dict,
            q: SearchQuery) -> dict[str, list[FacetCount]]:
    """The facets of the notices `matched`: SQL selecting their ids, or the ids themselves."""
    sqlite = conn.dialect.name == "sqlite"

    def among(column: str) -> str:
        if isinstance(matched, str):
            return f"{column} IN ({matched})"
        return one_of_ids(conn.dialect.name, column, matched, params, "faceted")

    year = "substr(m.published_at, 1, 4)" if sqlite else "to_char(m.published_at, 'YYYY')"
    # CROSS JOIN keeps SQLite from scanning a whole tag/party table to avoid a sort; the covering index
    # reads the facet columns without touching the wide notice rows.
    covering = " INDEXED BY ix_notice_search_columns" if sqlite else ""

    def joined(table: str, alias: str) -> str:
        # PostgreSQL looks the tags and vendors up by notice id; joined to `m` it may hash the whole table
        # (a pass over every vendor row: 60 ms at 100,000 notices, ten times that at a million).
        if sqlite:
            return f"m CROSS JOIN {table} WHERE {alias}.notice_id = m.id"
        return f"{table} WHERE {among(alias + '.notice_id')}"

    # Only values that can be among a facet's top `facet_limit` come back: RANK() (1 + the number of values
    # counted more often) ≤ the limit keeps every value that could make it under any tie-break, so the final
    # order — count, then value, in Python — is the same as over all values, on both databases.
    sql = f"""
        WITH m AS MATERIALIZED (
            SELECT n.id, n.buyer_id, n.region, n.notice_type, n.published_at
            FROM notice n{covering} WHERE {among('n.id')}
        ), c AS (
            SELECT t.facet AS facet, t.value AS value, count(*) AS n
                FROM {joined('noticetag t', 't')} GROUP BY t.facet, t.value
            UNION ALL SELECT 'vendor', CAST(p.organisation_id AS TEXT), count(*)
                FROM {joined('noticeparty p', 'p')} AND p.role = 'vendor' GROUP BY p.organisation_id
            UNION ALL SELECT 'buyer', CAST(m.buyer_id AS TEXT), count(*) FROM m WHERE m.buyer_id IS NOT NULL
                GROUP BY m.buyer_id
            UNION ALL SELECT 'region', m.region, count(*) FROM m WHERE m.region IS NOT NULL GROUP BY m.region
            UNION ALL SELECT 'notice_type', m.notice_type, count(*) FROM m WHERE m.notice_type IS NOT NULL
                GROUP BY m.notice_type
            UNION ALL SELECT 'year', {year}, count(*) FROM m WHERE m.published_at IS NOT NULL GROUP BY {year}
            UNION ALL SELECT 'screened', 'screened', count(*) FROM m WHERE m.id IN ({SCREENED_NOTICE_IDS_SQL})
                GROUP BY 1
        )
        SELECT facet, value, n FROM (
            SELECT facet, value, n, RANK() OVER (PARTITION BY facet ORDER BY n DESC) AS r FROM c
        ) AS ranked WHERE r <= {int(q.facet_limit)}
    """
    counts: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for facet, value, n in conn.execute(sa.text(sql), params).all():
        counts[facet].append((value, n))
    return _facet_counts(conn, counts, q)


def _listed_facets(conn: sa.Connection, rows: Sequence, q: SearchQuery) -> dict[str, list[FacetCount]]:
    """`_facets` of listed notices (rows with id, published_at, buyer_id, region, notice_type): the notices' own
    columns counted from the rows, tags, vendors and screening looked up by notice id. Reading the notice rows
    again (`_facets`' `m`) is a visit of the wide row of each, the largest cost of a search of a few thousand
    matches."""
    # Counted a column at a time (Counter counts in C; a few thousand rows a search).
    column = dict(zip(rows[0]._fields, zip(*rows))) if rows else {}
    counts: dict[str, list[tuple[str, int]]] = {}
    for facet, name in (("buyer", "buyer_id"), ("region", "region"), ("notice_type", "notice_type")):
        counts[facet] = [(str(v), n) for v, n in Counter(column.get(name, ())).items() if v is not None]
    years = Counter(d.year for d in column.get("published_at", ()) if d is not None)
    counts["year"] = [(f"{y:04d}", n) for y, n in years.items()]  # as to_char(published_at, 'YYYY')
    params: dict = {}
    ids = list(column.get("id", ()))

    def among(column: str) -> str:
        return one_of_ids(conn.dialect.name, column, ids, params, "ids")

    for facet, value, n in conn.execute(sa.text(
        f"SELECT t.facet, t.value, count(*) FROM noticetag t WHERE {among('t.notice_id')} GROUP BY t.facet, t.value"
        " UNION ALL SELECT 'vendor', CAST(p.organisation_id AS TEXT), count(*) FROM noticeparty p"
        f" WHERE {among('p.notice_id')} AND p.role = 'vendor' GROUP BY p.organisation_id"
        f" UNION ALL SELECT 'screened', 'screened', count(*) FROM ({SCREENED_NOTICE_IDS_SQL}) AS s"
        f" WHERE {among('s.notice_id')} HAVING count(*) > 0"
    ), params):
        counts.setdefault(facet, []).append((value, n))
    return _facet_counts(conn, counts, q)


def _facet_counts(conn: sa.Connection, counts: dict[str, list[tuple[str, int]]], q: SearchQuery) -> dict[str, list[FacetCount]]:
    """Counted values → each facet's top `facet_limit` (count, then value), years newest first, org names."""
    out: dict[str, list[FacetCount]] = {}
    org_ids: set[int] = set()
    for facet in FACETS:
        top = sorted(counts.get(facet, []), key=lambda vc: (-vc[1], vc[0]))[: q.facet_limit]
        if facet == "year":
            top = sorted(top, reverse=True)
        out[facet] = [FacetCount(value=str(v), label=str(v), count=n) for v, n in top]
        if facet in ("buyer", "vendor"):
            org_ids.update(int(v) for v, _ in top)
    if org_ids:
        params: dict = {}
        named = one_of_ids(conn.dialect.name, "id", sorted(org_ids), params, "orgs")
        names = dict(conn.execute(sa.text(f"SELECT id, name FROM organisation WHERE {named}"), params).all())
        for facet in ("buyer", "vendor"):
            for c in out[facet]:
                c.label = names.get(int(c.value), c.value)
    return out


def _hits(
    conn: sa.Connection, scored: list[tuple[int, Any]], parsed: ParsedQuery, with_snippets: bool
) -> list[SearchHit]:
    if not scored:
        return []
    params: dict = {}
    listed = [i for i, _ in scored]

    def among(column: str) -> str:
        return one_of_ids(conn.dialect.name, column, listed, params, "ids")

    notices = {
        r.id: r
        for r in conn.execute(
            sa.text(
                "SELECT n.id, n.title, n.url, n.source, n.published_at, n.notice_type, n.region, n.buyer_id,"
                " o.name AS buyer, n.remote_compute, n.hardware_purchase, n.procurement_key,"
                " n.compute_candidate, n.candidate_score, n.candidate_reasons"
                + (f", substr(n.text, 1, {SCAN_CHARS}) AS text" if with_snippets else "")
                + f" FROM notice n LEFT JOIN organisation o ON o.id = n.buyer_id WHERE {among('n.id')}"
            ).columns(published_at=sa.DateTime, remote_compute=sa.Boolean, hardware_purchase=sa.Boolean,
                      compute_candidate=sa.Boolean, candidate_reasons=sa.JSON), params
        )
    }
    # Tags, vendors and the screening mark in one statement (each a round trip and a plan of its own before).
    tags: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    vendors: dict[int, list[str]] = defaultdict(list)
    vendor_ids: dict[int, list[int]] = defaultdict(list)
    screened: set[int] = set()
    for r in conn.execute(sa.text(
        f"SELECT 'tag' AS what, facet, value, notice_id, NULL AS org_id FROM noticetag WHERE {among('notice_id')}"
        " UNION ALL SELECT 'vendor', NULL, o.name, p.notice_id, o.id FROM noticeparty p JOIN organisation o"
        f" ON o.id = p.organisation_id WHERE p.role = 'vendor' AND {among('p.notice_id')}"
        f" UNION ALL SELECT 'screened', NULL, NULL, id, NULL FROM notice WHERE {among('id')}"
        f" AND id IN ({SCREENED_NOTICE_IDS_SQL})"
        " ORDER BY 1, 3"  # tags and vendors each by value, as listed
    ), params):
        if r.what == "tag":
            tags[r.notice_id][r.facet].append(r.value)
        elif r.what == "vendor":
            vendors[r.notice_id].append(r.value)
            vendor_ids[r.notice_id].append(r.org_id)
        else:
            screened.add(r.notice_id)
    attachments: dict[int, list[tuple[str, str]]] = defaultdict(list)
    evidence: dict[int, list[dict]] = {}
    if with_snippets:
        evidence = stored_evidence(conn, listed)
        for r in conn.execute(
            sa.text(
                f"SELECT notice_id, name, substr(text, 1, {SCAN_CHARS}) AS text FROM attachment"
                f" WHERE {among('notice_id')} AND text <> '' ORDER BY id"
            ), params
        ):
            attachments[r.notice_id].append((r.name or "attachment", r.text))
    decisions = latest_reviews(conn, listed)
    terms = parsed.positive_terms
    hits = []
    for notice_id, score in scored:
        n = notices[notice_id]
        t = tags[notice_id]
        snippet = None
        if with_snippets:
            documents = [("", n.text), *attachments[notice_id]]
            # The sentence that makes the notice a case, where it has one; else the text around the first hit.
            snippet = evidence_snippet(evidence.get(notice_id, []), n.title, dict(reversed(documents)), terms) \
                or make_snippet([*documents, ("title", n.title)], terms)
        hits.append(
            SearchHit(
                id=n.id,
                title=n.title,
                url=n.url,
                source=n.source,
                published_at=n.published_at.isoformat(timespec="minutes") if n.published_at else None,
                notice_type=n.notice_type,
                buyer=n.buyer,
                buyer_id=n.buyer_id,
                vendors=vendors[notice_id],
                region=n.region,
                remote_compute=bool(n.remote_compute),
                hardware_purchase=bool(n.hardware_purchase),
                compute_kinds=t["kind"],
                cloud_providers=t["provider"],
                gpu_models=t["chip"],
                flags=t["flag"],
                procurement_key=n.procurement_key,
                score=float(score) if score is not None else None,
                snippet=snippet,
                vendor_ids=vendor_ids[notice_id],
                compute_candidate=bool(n.compute_candidate),
                candidate_score=n.candidate_score,
                candidate_reasons=list(n.candidate_reasons or []),
                review=decisions[notice_id]["decision"] if notice_id in decisions else None,
                screened=notice_id in screened,
            )
        )
    return hits
