"""The organisations directory, read from a summary kept per organisation instead of counted per request.

`org_summary` holds, per organisation as shown (its canonical row, `storage.orgs`) and role ("" for every
role), what the directory shows and sorts by: notices, cases, the roles it has, budget, award and value.
Counting these per request is a pass over every party row and every amount: too slow at a million notices.

Kept exact through every kind of write: triggers (migration 0014) on the tables the numbers derive from —
noticeparty, notice (its case flag, procurement, date), noticeamount, review and organisation_resolution —
append the organisations a write touches to `org_summary_dirty` (insert-only, so writers never wait on a hot
row; an amount or a date marks every organisation of its procurement, whose money it may change; a merge
marks both sides). Writers recount the marked organisations as they index notices (`maybe_fold`; the CLI's
merges at once); a reader takes the summary rows of the unmarked and recounts the marked ones, so
the directory is exact whenever it is read. `refresh` recounts everything (after a bulk copy, or to repair).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from models.tables import NOTICE, ORG, PARTY, RES
from storage.normalise import normalise_name
from storage.pgcopy import copy_rows, one_of
from storage.orgs import (
    MAX_PAGE_SIZE, ROLES, SORTS, OrgError, case_condition, chunks, entity_column, entity_parties, money_of,
    money_per_entity, procurement_column,
)

_META = sa.MetaData()
SUMMARY = sa.Table(
    "org_summary", _META,
    sa.Column("entity", sa.Integer, primary_key=True),
    sa.Column("role", sa.String, primary_key=True),  # ALL, or one of ROLES: the numbers of its notices in it
    sa.Column("notices", sa.Integer, nullable=False),
    sa.Column("cases", sa.Integer, nullable=False),
    *(sa.Column(f"is_{r}", sa.Integer, nullable=False) for r in ROLES),
    sa.Column("budget", sa.Float), sa.Column("award", sa.Float), sa.Column("value", sa.Float),
)
DIRTY = sa.Table(
    "org_summary_dirty", _META,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("entity", sa.Integer, nullable=False),
)
ALL = ""  # the role of the rows counting every role
COLUMNS = ("entity", "notices", "cases", *(f"is_{r}" for r in ROLES), "budget", "award", "value")
# Writers recount once more than this many marks have accumulated: at every write, since a read recounts the
# organisations still marked itself (~1.5 ms each at 10k notices) and a save marks only a handful.
FOLD_AT = 0
_PG_FOLD_LOCK = 0x6F726773  # "orgs": one fold at a time on PostgreSQL


# ---------------------------------------------------------------------- counting (the truth)
def counted(conn: sa.Connection, role: str | None = None) -> dict[int, dict[str, Any]]:
    """Every organisation's directory numbers (in `role`), counted from the notice tables: one pass over all."""
    ep = entity_parties(role)
    money = money_per_entity(ep)
    stmt = _counts(ep).subquery("counts")
    rows = conn.execute(
        sa.select(stmt, money.c.budget, money.c.award, money.c.value)
        .outerjoin(money, money.c.entity == stmt.c.entity)
    ).mappings()
    return {r["entity"]: {c: r[c] for c in COLUMNS} for r in rows}


def _counts(ep: sa.Subquery) -> sa.Select:
    is_case = case_condition(None)
    return (
        sa.select(
            ep.c.entity,
            sa.func.count(sa.distinct(ep.c.notice_id)).label("notices"),
            sa.func.count(sa.distinct(sa.case((is_case, ep.c.notice_id)))).label("cases"),
            *(sa.func.max(sa.case((ep.c.role == r, 1), else_=0)).label(f"is_{r}") for r in ROLES),
        )
        .join(NOTICE, NOTICE.c.id == ep.c.notice_id)
        .group_by(ep.c.entity)
    )


def recount(conn: sa.Connection, entities: list[int], roles: tuple[str | None, ...] = (None,)
            ) -> dict[str | None, dict[int, dict[str, Any]]]:
    """`counted` for a few organisations (canonical rows; others have no numbers), in each of `roles`, read
    through the indexes: their party rows read once for every role, counted here as `counted` counts them."""
    out: dict[str | None, dict[int, dict[str, Any]]] = {role: {} for role in roles}
    is_case = sa.case((case_condition(None), 1), else_=0)
    for chunk in chunks(sorted(set(entities)), 200):
        wanted = set(chunk)
        ids = chunk + list(conn.execute(sa.select(RES.c.organisation_id).where(one_of(conn, RES.c.into_id, chunk)))
                           .scalars())
        parties = conn.execute(
            sa.select(entity_column(PARTY.c.organisation_id), PARTY.c.notice_id, PARTY.c.role, is_case,
                      procurement_column())
            .select_from(PARTY.outerjoin(RES, RES.c.organisation_id == PARTY.c.organisation_id)
                         .join(NOTICE, NOTICE.c.id == PARTY.c.notice_id))
            .where(one_of(conn, PARTY.c.organisation_id, ids))
        ).all()
        # (role, entity) → its notices, cases, roles and procurements
        seen: dict[tuple[str | None, int], tuple[set, set, set, set]] = {}
        for entity, notice_id, role, case, pk in parties:
            if entity not in wanted:
                continue
            for counted_in in (None, role):
                if counted_in in out:
                    notices, cases, has, pks = seen.setdefault((counted_in, entity), (set(), set(), set(), set()))
                    notices.add(notice_id)
                    if case:
                        cases.add(notice_id)
                    has.add(role)
                    pks.add(pk)
        stated = money_of(conn, {pk for *_, pks in seen.values() for pk in pks})
        for (role, entity), (notices, cases, has, pks) in seen.items():
            amounts = [stated[pk] for pk in pks if pk in stated]
            out[role][entity] = {"entity": entity, "notices": len(notices), "cases": len(cases),
                                 **{f"is_{r}": int(r in has) for r in ROLES}}
            for k in ("budget", "award", "value"):  # None when no procurement states it
                known = [a[k] for a in amounts if a.get(k) is not None]
                out[role][entity][k] = sum(known) if known else None
    return out


# ---------------------------------------------------------------------- keeping it (writers)
def refresh(conn: sa.Connection) -> None:
    """Recount every organisation (after a bulk load, or to repair)."""
    if conn.dialect.name == "postgresql":  # as facet summary's refresh: no writer's marks between the two
        conn.execute(sa.text("LOCK TABLE org_summary_dirty IN EXCLUSIVE MODE"))
    conn.execute(DIRTY.delete())
    conn.execute(SUMMARY.delete())
    for role in (None, *ROLES):
        _insert(conn, role, counted(conn, role).values())


def unfilled(conn: sa.Connection) -> bool:
    """Marks and no summary row: the summary a migration created (0014 marks every organisation; a migration
    must not run live code) waits for its first `refresh` — the writable Store does it at open."""
    return bool(conn.execute(sa.select(DIRTY.c.entity).limit(1)).first()
                and not conn.execute(sa.select(SUMMARY.c.entity).limit(1)).first())


def _insert(conn: sa.Connection, role: str | None, rows) -> None:
    batch = [{**r, "role": role or ALL} for r in rows]
    if conn.dialect.name == "postgresql":
        copy_rows(conn, SUMMARY, batch)
        return
    for part in chunks(batch, 5_000):
        conn.execute(SUMMARY.insert(), part)


def fold(conn: sa.Connection) -> int:
    """Recount the marked organisations (inside the caller's write transaction); returns how many."""
    if conn.dialect.name == "postgresql":
        # One fold at a time, and nobody waits: a writer finding one running leaves its marks to the next.
        if not conn.execute(sa.text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": _PG_FOLD_LOCK}).scalar():
            return 0
        # DELETE … RETURNING takes exactly the marks it removes; the recount below sees every write they mark.
        entities = set(conn.execute(sa.text("DELETE FROM org_summary_dirty RETURNING entity")).scalars())
    else:  # one writer at a time
        entities = set(conn.execute(sa.select(DIRTY.c.entity).distinct()).scalars())
        conn.execute(DIRTY.delete())
    for chunk in chunks(sorted(entities), 500):
        conn.execute(SUMMARY.delete().where(one_of(conn, SUMMARY.c.entity, chunk)))
        for role, numbers in recount(conn, chunk, (None, *ROLES)).items():
            _insert(conn, role, numbers.values())
    return len(entities)


def maybe_fold(conn: sa.Connection) -> None:
    """Fold when more than FOLD_AT marks have accumulated (cheap to ask: reads at most that many index rows)."""
    if conn.execute(sa.text(f"SELECT 1 FROM org_summary_dirty LIMIT 1 OFFSET {FOLD_AT}")).first():
        fold(conn)


# ---------------------------------------------------------------------- reading
def rows(conn: sa.Connection, role: str | None = None) -> sa.Subquery:
    """Every organisation's directory numbers in `role`, exact now: the summary's rows of unmarked
    organisations and the marked ones recounted. Columns: COLUMNS."""
    role = role or None  # "" is every role, as None
    stored = sa.select(*(SUMMARY.c[c] for c in COLUMNS)).where(
        SUMMARY.c.role == (role or ALL), SUMMARY.c.entity.not_in(sa.select(DIRTY.c.entity)))
    marked = list(conn.execute(sa.select(DIRTY.c.entity).distinct()).scalars())
    live = list(recount(conn, marked, (role,))[role].values()) if marked else []
    if not live:
        return stored.subquery("org_rows")
    return sa.union_all(stored, _as_rows(conn, live)).subquery("org_rows")


def _as_rows(conn: sa.Connection, rows: list[dict[str, Any]]) -> sa.Select:
    """Rows computed here as a SELECT (one JSON parameter, however many rows)."""
    types = {"budget": sa.Float, "award": sa.Float, "value": sa.Float}
    cols = [sa.column(c, types.get(c, sa.Integer)) for c in COLUMNS]
    data = json.dumps([[r[c] for c in COLUMNS] for r in rows])
    if conn.dialect.name == "sqlite":
        picks = ", ".join(f"json_extract(value, '$[{i}]') AS {c}" for i, c in enumerate(COLUMNS))
        text = sa.text(f"SELECT {picks} FROM json_each(:live_rows)")
    else:
        picks = ", ".join(f"CAST(value ->> {i} AS {'float8' if c in types else 'bigint'}) AS {c}"
                          for i, c in enumerate(COLUMNS))
        text = sa.text(f"SELECT {picks} FROM json_array_elements(CAST(:live_rows AS json))")
    sub = text.bindparams(live_rows=data).columns(*cols).subquery("live")
    return sa.select(*(sub.c[c] for c in COLUMNS))


@dataclass
class DirectoryQuery:
    q: str = ""
    role: str | None = None
    sort: str = "cases"
    page: int = 1
    size: int = 50
    cases_only: bool = False

    def check(self) -> "DirectoryQuery":
        if self.role and self.role not in ROLES:
            raise OrgError(f"role must be one of {', '.join(ROLES)}, not {self.role!r}")
        if self.sort not in SORTS:
            raise OrgError(f"sort must be one of {', '.join(SORTS)}, not {self.sort!r}")
        if not 1 <= self.size <= MAX_PAGE_SIZE:
            raise OrgError(f"size must be between 1 and {MAX_PAGE_SIZE}")
        if self.page < 1:
            raise OrgError("page must be 1 or more")
        if len(self.q) > 200:
            raise OrgError("the name searched for is longer than 200 characters")
        return self


def directory(conn: sa.Connection, query: DirectoryQuery) -> dict[str, Any]:
    """Organisations (resolved) with their notices, cases, money and roles; filtered, sorted, one page.
    With a role, the counts are of the notices on which it has that role."""
    query.check()
    counts = rows(conn, query.role)
    stmt = sa.select(counts, ORG.c.name).join(ORG, ORG.c.id == counts.c.entity)
    if query.cases_only:
        stmt = stmt.where(counts.c.cases > 0)
    needle = normalise_name(query.q)
    if needle:
        pattern = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        named = ORG.alias("named")
        matching = (
            sa.select(sa.func.coalesce(RES.c.into_id, named.c.id))
            .select_from(named.outerjoin(RES, RES.c.organisation_id == named.c.id))
            .where(named.c.normalised_name.like(pattern, escape="\\"))
        )
        stmt = stmt.where(counts.c.entity.in_(matching))
    counted_page = stmt.add_columns(sa.func.count().over().label("total"))  # the total with the page, in one pass
    order = {
        "cases": (counts.c.cases.desc(), counts.c.notices.desc()),
        "money": (sa.func.coalesce(counts.c.value, 0).desc(), counts.c.cases.desc()),
        "notices": (counts.c.notices.desc(), counts.c.cases.desc()),
        "name": (),
    }[query.sort]
    page = conn.execute(
        counted_page.order_by(*order, ORG.c.name, counts.c.entity).limit(query.size).offset((query.page - 1) * query.size)
    ).all()
    total = page[0].total if page else conn.execute(sa.select(sa.func.count()).select_from(stmt.subquery())).scalar_one()
    aliases = _alias_counts(conn, [r.entity for r in page])
    return {
        "total": total,
        "page": query.page,
        "size": query.size,
        "items": [
            {
                "id": r.entity, "name": r.name, "notices": r.notices, "cases": r.cases,
                "roles": [role for role in ROLES if getattr(r, f"is_{role}")],
                "budget_cny": r.budget, "award_cny": r.award, "value_cny": r.value,
                "aliases": aliases.get(r.entity, 0),
            }
            for r in page
        ],
    }


def _alias_counts(conn, ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    return dict(conn.execute(
        sa.select(RES.c.into_id, sa.func.count()).where(RES.c.into_id.in_(ids)).group_by(RES.c.into_id)
    ).all())
