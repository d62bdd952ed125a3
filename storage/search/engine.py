"""Running a `SearchQuery`: filters, the total, facet counts over the whole result set, one page of hits
with snippets. Dialect-specific text matching lives in storage.search.backends; everything else is the
same SQL on both databases.

Cost model (what keeps a 100k-notice SQLite database fast): the text match is one FTS5 lookup; the total
is counted on it directly when there are no filters; facets are ONE statement over a materialised CTE of
the matched ids (tags, vendors and notice columns grouped in a single pass each); only the page's
notices are read in full.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import datetime, time, timedelta
from typing import Any, Sequence

import sqlalchemy as sa

from storage.review import latest as latest_reviews
from storage.review import latest_ids_sql, promoted_ids
from storage.review import state_condition as review_state_condition
from storage.search.backends import backend_for
from storage.search.model import FACETS, FacetCount, SearchHit, SearchQuery, SearchResult
from storage.search.query import ParsedQuery, parse_query
from storage.search.snippets import SCAN_CHARS, make_snippet

AMOUNT_KINDS = ("budget", "award", "max_price")
TAG_FILTERS = ("provider", "chip", "kind", "flag")

# Limits that keep a search fast on 100k+ notices (docs/search.md, "Limits"):
RANK_LIMIT = 5_000  # bm25 scores every text match: above this many, results come in date order
FACET_LIMIT = 25_000  # facet counts take a pass over every match: above this many, they are not counted
PROBE_FROM = 5_000  # SQLite: above this many text matches, selective filters drive and probe the text index
SORT_MAX = 5_000  # SQLite: above this many matches, date order walks the date index instead of sorting
ID_LIST_MAX = 5_000  # result sets up to this size are listed once and reused by the facet and page queries
# Filters selective enough to drive a search (few notices each): cases, compute tags, organisations.
SELECTIVE = ("cases_only", "candidates_only", "provider", "chip", "kind", "flag", "buyer", "vendor")


def run_search(conn: sa.Connection, q: SearchQuery) -> SearchResult:
    sqlite = conn.dialect.name == "sqlite"
    parsed = parse_query(q.text)
    backend = backend_for(conn.dialect.name)
    params: dict[str, Any] = {}
    promoted = promoted_ids(conn) if q.cases_only else []
    filters = _filters(q, params, sqlite=sqlite, promoted=promoted)
    match = backend.match_ids(parsed, params) if not parsed.empty else None
    text_total = conn.execute(sa.text(f"SELECT count(*) FROM ({match}) AS t"), params).scalar_one() if match else None
    # An FTS5 lookup of one notice (cheap with the prefix index), for plans that visit notices and ask
    # "does this one match the text?" instead of listing every text match.
    probe = "EXISTS (SELECT 1 FROM notice_fts WHERE notice_fts MATCH :fts AND notice_fts.rowid = n.id)"

    selective = any(getattr(q, f) for f in SELECTIVE)
    if match and not filters:
        source = match
    else:
        if sqlite and match and text_total > PROBE_FROM and selective:
            if q.cases_only:  # the partial index cannot serve confirmed non-cases (promoted): no hint then
                hint = "" if promoted else " INDEXED BY ix_notice_cases_published"
            else:
                hint = " INDEXED BY ix_notice_candidates_published" if q.candidates_only else ""
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
    # A result set of at most ID_LIST_MAX notices is fetched once and reused as a literal id list by the
    # facet and page queries, instead of running the match (and its probes) three times.
    ids = None
    if not (source is match and text_total > ID_LIST_MAX):
        ids = conn.execute(sa.text(f"{source} LIMIT {ID_LIST_MAX + 1}"), params).scalars().all()
        if len(ids) > ID_LIST_MAX:
            ids = None
    if ids is not None:
        total, matched = len(ids), ", ".join(str(int(i)) for i in ids) or "NULL"
    else:
        matched = source
        total = (
            text_total
            if source is match
            else conn.execute(sa.text(f"SELECT count(*) FROM ({source}) AS m"), params).scalar_one()
        )
    facets_complete = not q.facets or total <= FACET_LIMIT
    facets = _facets(conn, matched, params, q) if q.facets and 0 < total <= FACET_LIMIT else {}
    candidates = _count_candidates(conn, q, parsed, text_total) if q.facets else None

    sort = q.sort if match else "date"
    if sort == "relevance" and text_total > RANK_LIMIT:
        # Ranking scores every text match (FTS5 cannot score only what the filters leave without
        # re-running the match per notice), so the limit applies to the text matches.
        sort = "date"
    limit, offset = q.per_page, (q.page - 1) * q.per_page
    if sort == "relevance":
        page_sql = backend.ranked(parsed, matched if filters else None, params)
    elif sqlite and total > SORT_MAX:
        # Walk the date index newest first, keeping notices that pass the filters and match the text,
        # and stop after one page: no sort of every match.
        conds = filters + ([probe] if match else [])
        page_sql = (
            "SELECT n.id AS id, NULL AS score FROM notice n INDEXED BY ix_notice_published_at"
            f" WHERE {' AND '.join(conds) or '1=1'} ORDER BY n.published_at DESC, n.id DESC"
        )
    else:
        nulls_last = "" if sqlite else " NULLS LAST"  # SQLite sorts NULL first, so last in DESC order
        # The covering index holds published_at: the sort never reads the wide notice rows.
        covering = " INDEXED BY ix_notice_search_columns" if sqlite else ""
        page_sql = (
            f"SELECT n.id AS id, NULL AS score FROM notice n{covering} WHERE n.id IN ({matched})"
            f" ORDER BY n.published_at DESC{nulls_last}, n.id DESC"
        )
    rows = conn.execute(sa.text(f"{page_sql} LIMIT {int(limit)} OFFSET {int(offset)}"), params).all()
    hits = _hits(conn, [(r.id, r.score) for r in rows], parsed, q.snippets)
    return SearchResult(query=q, total=total, hits=hits, facets=facets, sort=sort, facets_complete=facets_complete,
                        candidates=candidates)


def _count_candidates(conn: sa.Connection, q: SearchQuery, parsed: ParsedQuery, text_total: int | None) -> int | None:
    """Possible cases matching the text and the filters, whatever the cases switch: the count the "possible
    cases" switch shows. Candidates are few (the partial index lists them); None when the text matches too
    many notices to count cheaply, as for the facets."""
    if text_total is not None and text_total > FACET_LIMIT:
        return None
    params: dict[str, Any] = {}
    filters = _filters(replace(q, cases_only=False, candidates_only=True), params, sqlite=conn.dialect.name == "sqlite")
    if not parsed.empty:
        filters.append(f"n.id IN ({backend_for(conn.dialect.name).match_ids(parsed, params)})")
    return conn.execute(sa.text(f"SELECT count(*) FROM notice n WHERE {' AND '.join(filters)}"), params).scalar_one()


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
        out.append("n.region LIKE :region ESCAPE '\\'")
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
        conds = ["a.notice_id = n.id", "a.kind IN ('" + "', '".join(AMOUNT_KINDS) + "')"]
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


def _facets(conn: sa.Connection, matched: str, params: dict, q: SearchQuery) -> dict[str, list[FacetCount]]:
    sqlite = conn.dialect.name == "sqlite"
    year = "substr(m.published_at, 1, 4)" if sqlite else "to_char(m.published_at, 'YYYY')"
    # CROSS JOIN keeps SQLite from scanning a whole tag/party table to avoid a sort; the covering index
    # reads the facet columns without touching the wide notice rows.
    covering = " INDEXED BY ix_notice_search_columns" if sqlite else ""
    # Only values that can be among a facet's top `facet_limit` come back: RANK() (1 + the number of values
    # counted more often) ≤ the limit keeps every value that could make it under any tie-break, so the final
    # order — count, then value, in Python — is the same as over all values, on both databases.
    sql = f"""
        WITH m AS MATERIALIZED (
            SELECT n.id, n.buyer_id, n.region, n.notice_type, n.published_at
            FROM notice n{covering} WHERE n.id IN ({matched})
        ), c AS (
            SELECT t.facet AS facet, t.value AS value, count(*) AS n
                FROM m CROSS JOIN noticetag t WHERE t.notice_id = m.id GROUP BY t.facet, t.value
            UNION ALL SELECT 'vendor', CAST(p.organisation_id AS TEXT), count(*)
                FROM m CROSS JOIN noticeparty p WHERE p.notice_id = m.id AND p.role = 'vendor' GROUP BY p.organisation_id
            UNION ALL SELECT 'buyer', CAST(m.buyer_id AS TEXT), count(*) FROM m WHERE m.buyer_id IS NOT NULL
                GROUP BY m.buyer_id
            UNION ALL SELECT 'region', m.region, count(*) FROM m WHERE m.region IS NOT NULL GROUP BY m.region
            UNION ALL SELECT 'notice_type', m.notice_type, count(*) FROM m WHERE m.notice_type IS NOT NULL
                GROUP BY m.notice_type
            UNION ALL SELECT 'year', {year}, count(*) FROM m WHERE m.published_at IS NOT NULL GROUP BY {year}
        )
        SELECT facet, value, n FROM (
            SELECT facet, value, n, RANK() OVER (PARTITION BY facet ORDER BY n DESC) AS r FROM c
        ) AS ranked WHERE r <= {int(q.facet_limit)}
    """
    counts: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for facet, value, n in conn.execute(sa.text(sql), params).all():
        counts[facet].append((value, n))
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
        names = dict(
            conn.execute(
                sa.text(
                    f"SELECT id, name FROM organisation WHERE id IN ({', '.join(str(i) for i in sorted(org_ids))})"
                )
            ).all()
        )
        for facet in ("buyer", "vendor"):
            for c in out[facet]:
                c.label = names.get(int(c.value), c.value)
    return out


def _hits(
    conn: sa.Connection, scored: list[tuple[int, Any]], parsed: ParsedQuery, with_snippets: bool
) -> list[SearchHit]:
    if not scored:
        return []
    ids = ", ".join(str(int(i)) for i, _ in scored)
    notices = {
        r.id: r
        for r in conn.execute(
            sa.text(
                "SELECT n.id, n.title, n.url, n.source, n.published_at, n.notice_type, n.region, n.buyer_id,"
                " o.name AS buyer, n.remote_compute, n.hardware_purchase, n.procurement_key,"
                " n.compute_candidate, n.candidate_score, n.candidate_reasons"
                + (f", substr(n.text, 1, {SCAN_CHARS}) AS text" if with_snippets else "")
                + f" FROM notice n LEFT JOIN organisation o ON o.id = n.buyer_id WHERE n.id IN ({ids})"
            ).columns(published_at=sa.DateTime, remote_compute=sa.Boolean, hardware_purchase=sa.Boolean,
                      compute_candidate=sa.Boolean, candidate_reasons=sa.JSON)
        )
    }
    tags: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for r in conn.execute(
        sa.text(f"SELECT notice_id, facet, value FROM noticetag WHERE notice_id IN ({ids}) ORDER BY value")
    ):
        tags[r.notice_id][r.facet].append(r.value)
    vendors: dict[int, list[str]] = defaultdict(list)
    vendor_ids: dict[int, list[int]] = defaultdict(list)
    for r in conn.execute(
        sa.text(
            "SELECT p.notice_id, o.id, o.name FROM noticeparty p JOIN organisation o ON o.id = p.organisation_id"
            f" WHERE p.role = 'vendor' AND p.notice_id IN ({ids}) ORDER BY o.name"
        )
    ):
        vendors[r.notice_id].append(r.name)
        vendor_ids[r.notice_id].append(r.id)
    attachments: dict[int, list[tuple[str, str]]] = defaultdict(list)
    if with_snippets:
        for r in conn.execute(
            sa.text(
                f"SELECT notice_id, name, substr(text, 1, {SCAN_CHARS}) AS text FROM attachment"
                f" WHERE notice_id IN ({ids}) AND text <> '' ORDER BY id"
            )
        ):
            attachments[r.notice_id].append((r.name or "attachment", r.text))
    decisions = latest_reviews(conn, [i for i, _ in scored])
    terms = parsed.positive_terms
    hits = []
    for notice_id, score in scored:
        n = notices[notice_id]
        t = tags[notice_id]
        snippet = None
        if with_snippets:
            snippet = make_snippet([("", n.text), *attachments[notice_id], ("title", n.title)], terms)
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
            )
        )
    return hits
