"""Facet counts over every notice, read from summary tables instead of counted per request.

`facet_total(facet, value, n)` holds the counts; triggers (migration 0012) append ±1 rows to `facet_delta`
on every insert, delete and change of a notice's buyer, region, type or date, a compute tag or a vendor.
The delta table is insert-only so concurrent writers never wait on one hot counter row; `compact` folds it
into the totals (writers call it through `maybe_compact` as they index notices; `refresh` recounts
everything, e.g. after `db reindex`). `top` reads totals + deltas, so the counts are exact whenever they are read.
"""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa

# Writers fold the deltas once this many have accumulated (a read sums every unfolded delta).
COMPACT_AT = 2_000
_PG_COMPACT_LOCK = 0x66616365  # "face": one compaction at a time on PostgreSQL


def _year(dialect: str) -> str:
    return "substr(n.published_at, 1, 4)" if dialect == "sqlite" else "to_char(n.published_at, 'YYYY')"


def _counts_sql(dialect: str) -> str:
    """Every facet value's count over all notices, as the search engine's facets define them."""
    year = _year(dialect)
    return (
        "SELECT facet, value, count(*) AS n FROM ("
        " SELECT t.facet AS facet, t.value AS value FROM noticetag t"
        " UNION ALL SELECT 'vendor', CAST(p.organisation_id AS TEXT) FROM noticeparty p WHERE p.role = 'vendor'"
        " UNION ALL SELECT 'buyer', CAST(n.buyer_id AS TEXT) FROM notice n WHERE n.buyer_id IS NOT NULL"
        " UNION ALL SELECT 'region', n.region FROM notice n WHERE n.region IS NOT NULL"
        " UNION ALL SELECT 'notice_type', n.notice_type FROM notice n WHERE n.notice_type IS NOT NULL"
        f" UNION ALL SELECT 'year', {year} FROM notice n WHERE n.published_at IS NOT NULL"
        ") AS v GROUP BY facet, value"
    )


def refresh(conn: sa.Connection) -> None:
    """Recount the totals from the notice tables (after a bulk load, or to repair)."""
    if conn.dialect.name == "postgresql":
        # Writers' triggers append deltas: hold them off until the recount commits, else a notice committed
        # between the DELETE and the recount would be counted by both (its delta survives the DELETE).
        conn.execute(sa.text("LOCK TABLE facet_delta IN EXCLUSIVE MODE"))
    conn.execute(sa.text("DELETE FROM facet_delta"))
    conn.execute(sa.text("DELETE FROM facet_total"))
    conn.execute(sa.text(f"INSERT INTO facet_total(facet, value, n) {_counts_sql(conn.dialect.name)}"))


def compact(conn: sa.Connection) -> None:
    """Fold the deltas into the totals (inside the caller's write transaction)."""
    upsert = (
        " ON CONFLICT (facet, value) DO UPDATE SET n = facet_total.n + excluded.n"
    )
    if conn.dialect.name == "postgresql":
        # DELETE … RETURNING takes exactly the deltas it removes: one committed by another writer meanwhile
        # is either folded here or left for the next compaction, never lost.
        # One compaction at a time, and nobody waits for it: a writer that finds one running skips its turn
        # (the lock lasts until the compacting writer commits; waiting would stall workers behind it).
        if not conn.execute(sa.text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": _PG_COMPACT_LOCK}).scalar():
            return
        conn.execute(sa.text(
            "WITH moved AS (DELETE FROM facet_delta RETURNING facet, value, d)"
            " INSERT INTO facet_total(facet, value, n) SELECT facet, value, sum(d) FROM moved"
            f" GROUP BY facet, value{upsert}"
        ))
    else:  # one writer at a time: nothing can be added between the two statements
        conn.execute(sa.text(
            "INSERT INTO facet_total(facet, value, n) SELECT facet, value, sum(d) FROM facet_delta"
            f" WHERE true GROUP BY facet, value{upsert}"
        ))
        conn.execute(sa.text("DELETE FROM facet_delta"))
    conn.execute(sa.text("DELETE FROM facet_total WHERE n = 0"))


def maybe_compact(conn: sa.Connection) -> None:
    """Compact when COMPACT_AT deltas have accumulated (cheap to ask: reads at most that many index rows)."""
    if conn.execute(sa.text(f"SELECT 1 FROM facet_delta LIMIT 1 OFFSET {COMPACT_AT}")).first():
        compact(conn)


def top(conn: sa.Connection, facets: tuple[str, ...], limit: int) -> dict[str, list[tuple[str, int]]]:
    """Each facet's values over all notices, (value, count), counts > 0, most frequent first and then by
    value, at most `limit` each: exactly what counting every notice would give.

    A value's count is its total plus its unfolded deltas. The totals' top `limit + d` values (d = how many
    values of that facet have deltas), ties included, cover the answer: at least `limit` of them have no
    delta and keep their total, and any value outside them has a total (and count) strictly below all of
    them, so it cannot enter the top `limit`."""
    deltas: dict[str, dict[str, int]] = defaultdict(dict)
    for facet, value, d in conn.execute(
        sa.text("SELECT facet, value, sum(d) FROM facet_delta GROUP BY facet, value")
    ):
        deltas[facet][value] = int(d)
    # Every facet's totals at or above its k-th largest in ONE statement (a statement a facet, each a round trip
    # and a plan, made browsing every notice cost 20 statements); k = limit + d, its offset a parameter.
    params: dict = {}
    selects = []
    for i, facet in enumerate(facets):
        params[f"f{i}"], params[f"o{i}"] = facet, limit + len(deltas.get(facet, {})) - 1
        selects.append(
            f"SELECT facet, value, n FROM facet_total WHERE facet = :f{i} AND n >= coalesce((SELECT n FROM facet_total"
            f" WHERE facet = :f{i} ORDER BY n DESC LIMIT 1 OFFSET :o{i}), 0)")
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    if selects:
        for facet, value, n in conn.execute(sa.text(" UNION ALL ".join(selects)), params):
            counts[facet][value] = int(n)
    out: dict[str, list[tuple[str, int]]] = {}
    for facet in facets:
        changed = deltas.get(facet, {})
        found = counts[facet]
        missing = [v for v in changed if v not in found]
        for i in range(0, len(missing), 500):
            chunk = missing[i : i + 500]
            params = {f"v{j}": v for j, v in enumerate(chunk)}
            found.update(
                (value, int(n))
                for value, n in conn.execute(
                    sa.text(
                        f"SELECT value, n FROM facet_total WHERE facet = :f AND value IN ({', '.join(':' + p for p in params)})"
                    ),
                    {"f": facet, **params},
                )
            )
        for value, d in changed.items():
            found[value] = found.get(value, 0) + d
        ranked = sorted(((v, n) for v, n in found.items() if n > 0), key=lambda vc: (-vc[1], vc[0]))
        out[facet] = ranked[:limit]
    return out


def notice_counts(conn: sa.Connection) -> tuple[int, dict[int, int]]:
    """(how many notices there are, how many were published in each year), totals and deltas read in one
    statement: what a search asks before it lists anything. The notice_type facet counts every notice with a
    type, so the rest are counted directly (cheap: few notices lack a type)."""
    rows = conn.execute(sa.text(
        "SELECT facet, value, sum(n) FROM ("
        " SELECT facet, value, n FROM facet_total WHERE facet IN ('notice_type', 'year')"
        " UNION ALL SELECT facet, value, d FROM facet_delta WHERE facet IN ('notice_type', 'year')"
        " UNION ALL SELECT 'untyped', '', count(*) FROM notice WHERE notice_type IS NULL"
        ") AS c GROUP BY facet, value"
    )).all()
    total = sum(int(n) for facet, _, n in rows if facet != "year" and n > 0)
    return total, {int(value): int(n) for facet, value, n in rows if facet == "year" and n > 0}
