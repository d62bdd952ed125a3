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
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

from models.tables import AMOUNT, NOTICE, ORG, PARTY, RES
from storage.normalise import normalise_name
from storage.pgcopy import copy_rows, int_array, one_of
from storage.orgs import (
    MAX_PAGE_SIZE, ROLES, SORTS, OrgError, case_condition, chunks, entity_column, procurement_column,
    ranked_amounts,
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


# ---------------------------------------------------------------------- counting (the one definition)
# What the directory shows of an organisation is decided here once, in SQL (`_statement`). A full count
# (`counted`, `refresh`) runs it over every party row; a recount of a few organisations (`recount`: writers'
# folds, readers' marked organisations) runs the same statement narrowed to their party rows and procurements.
def counted(conn: sa.Connection, role: str | None = None) -> dict[int, dict[str, Any]]:
    """Every organisation's directory numbers (in `role`), counted from the notice tables: the party rows read
    twice (counts, procurements) and every amount ranked."""
    rows = conn.execute(_statement(conn.dialect.name, (role or None,), narrowed=False)).mappings()
    return {r["entity"]: {c: r[c] for c in COLUMNS} for r in rows}


# A narrowed statement ranks at most about this many notices (organisations are counted together until the
# notices of their procurements reach it; a bigger one alone): the planner then reads them through the indexes
# (notice, noticeamount by notice id) rather than every amount, so a recount costs what its organisations have.
SLICE_NOTICES = 5_000


def recount(conn: sa.Connection, entities: list[int], roles: tuple[str | None, ...] = (None,)
            ) -> dict[str | None, dict[int, dict[str, Any]]]:
    """`counted` for a few organisations (canonical rows; others, and those without notices, have no numbers),
    in each of `roles`: the same statement narrowed, run per slice of organisations (SLICE_NOTICES).

    Read committed (writers): the notices of their procurements and the count are two snapshots, so a notice
    another writer commits in between may be left out of its procurement's money. That writer's marks are
    committed after this fold took its own, so the organisation is recounted again (`fold`, `rows`): keep the
    marks even where a recount looks complete."""
    roles = tuple(dict.fromkeys(role or None for role in roles))  # "" is every role, as None
    out: dict[str | None, dict[int, dict[str, Any]]] = {role: {} for role in roles}
    dialect = conn.dialect.name
    stmt = _statement(dialect, roles, narrowed=True)
    with _planned_for_few(conn):
        for chunk in chunks(sorted(set(entities)), 500):
            theirs: dict[int, set[int]] = {}
            for entity, notice in conn.execute(_their_procurements(dialect), {"entities": _listed(dialect, chunk)}):
                theirs.setdefault(entity, set()).add(notice)
            for group, notices in _slices(theirs):
                given = {"entities": _listed(dialect, group), "notices": _listed(dialect, sorted(notices))}
                for r in conn.execute(stmt, given).mappings():
                    out[r["counted_in"] or None][r["entity"]] = {c: r[c] for c in COLUMNS}
    return out


def _slices(theirs: dict[int, set[int]]):
    """(organisations, the notices of their procurements), the organisations packed in id order until their
    notices would pass SLICE_NOTICES."""
    group: list[int] = []
    notices: set[int] = set()
    for entity in sorted(theirs):
        if group and len(notices) + len(theirs[entity]) > SLICE_NOTICES and len(notices | theirs[entity]) > SLICE_NOTICES:
            yield group, notices
            group, notices = [], set()
        group.append(entity)
        notices |= theirs[entity]
    if group:
        yield group, notices


@contextmanager
def _planned_for_few(conn: sa.Connection):
    """PostgreSQL: no JIT and no parallel workers for the recount's statements, in this transaction only, then
    the settings as they were. Its statements read a few hundred rows, but the cost of a big organisation
    passes jit_above_cost (compiling took a third of its time at a million notices), and starting workers
    cost more than the rows they read."""
    if conn.dialect.name != "postgresql":
        yield
        return
    before = conn.execute(sa.text(
        "SELECT current_setting('jit'), current_setting('max_parallel_workers_per_gather'),"
        " set_config('jit', 'off', true), set_config('max_parallel_workers_per_gather', '0', true)")).one()
    yield
    # Not on an error: the transaction is then rolled back, and its local settings with it.
    conn.execute(sa.text("SELECT set_config('jit', :jit, true), set_config('max_parallel_workers_per_gather', :w, true)"),
                 {"jit": before[0], "w": before[1]})


@lru_cache(maxsize=32)
def _statement(dialect: str, roles: tuple[str | None, ...], narrowed: bool) -> sa.Select:
    """Per organisation and each of `roles` (column `counted_in`: the role, ALL for every role): its notices,
    its cases (storage.review's), whether it has each role, and the money of its procurements (storage.orgs'
    rule: each procurement once; value is the award, else the budget). Columns: COLUMNS and counted_in.
    Narrowed: for the organisations of the parameter `entities` (`_one_of`), their notices read once (a
    materialised CTE), and the amounts of the notices of the parameter `notices` (`_their_procurements`) ranked.
    Built once per shape: building it costs more than running it narrowed does."""
    ep = _parties(dialect, roles[0] if len(roles) == 1 else None, narrowed)
    facts = (  # a party row with what the numbers need of its notice
        sa.select(ep.c.entity, ep.c.notice_id, ep.c.role, sa.case((case_condition(None), 1), else_=0).label("is_case"),
                  procurement_column().label("pk"))
        .join(NOTICE, NOTICE.c.id == ep.c.notice_id)
    )
    # Read once where several roles read it (a narrowed recount, a refresh); a full count of one role reads it
    # where it is used.
    facts = facts.cte("facts").prefix_with("MATERIALIZED") if narrowed or len(roles) > 1 else facts.subquery("facts")
    per_role = [sa.select(facts, sa.literal(role or ALL, sa.String).label("counted_in"))
                .where(*((facts.c.role == role,) if role else ())) for role in roles]
    of = (per_role[0] if len(per_role) == 1 else sa.union_all(*per_role)).subquery("per_role")
    counts = (
        sa.select(
            of.c.counted_in, of.c.entity,
            sa.func.count(sa.distinct(of.c.notice_id)).label("notices"),
            sa.func.count(sa.distinct(sa.case((of.c.is_case == 1, of.c.notice_id)))).label("cases"),
            *(sa.func.max(sa.case((of.c.role == r, 1), else_=0)).label(f"is_{r}") for r in ROLES),
        )
        .group_by(of.c.counted_in, of.c.entity)
        .subquery("counts")
    )
    # storage.orgs.procurement_money's choice (rank 1), made in the aggregate rather than by a filter before it:
    # PostgreSQL then expects a row per procurement, not one in all, and joins them by hash, not in a loop.
    # Narrowed, the notices' amounts are found by their own column too: PostgreSQL does not carry `= ANY` across
    # the join, and without it hash-joined a scan of every amount to the few notices.
    ranked = ranked_amounts(sa.and_(_one_of(dialect, NOTICE.c.id, "notices"), _one_of(dialect, AMOUNT.c.notice_id, "notices"))
                            if narrowed else None)
    per_pk = (
        sa.select(
            ranked.c.pk,
            *(sa.func.max(sa.case((sa.and_(ranked.c.rn == 1, ranked.c.kind == kind), ranked.c.value))).label(kind)
              for kind in ("budget", "award")),
        )
        .group_by(ranked.c.pk)
        .subquery("per_pk")
    )
    ent_pk = sa.select(of.c.counted_in, of.c.entity, of.c.pk).distinct().subquery("ent_pk")
    ent_money = (
        sa.select(
            ent_pk.c.counted_in, ent_pk.c.entity,
            sa.func.sum(per_pk.c.budget).label("budget"),
            sa.func.sum(per_pk.c.award).label("award"),
            sa.func.sum(sa.func.coalesce(per_pk.c.award, per_pk.c.budget)).label("value"),
        )
        .join(per_pk, per_pk.c.pk == ent_pk.c.pk)
        .group_by(ent_pk.c.counted_in, ent_pk.c.entity)
        .subquery("ent_money")
    )
    return (
        sa.select(counts, ent_money.c.budget, ent_money.c.award, ent_money.c.value)
        .outerjoin(ent_money, sa.and_(ent_money.c.counted_in == counts.c.counted_in,
                                      ent_money.c.entity == counts.c.entity))
    )


def _parties(dialect: str, role: str | None, narrowed: bool) -> sa.Subquery:
    """(entity, notice_id, role) for every party row (in `role`), organisations resolved: `entity` is the row an
    organisation is shown as. Narrowed, the rows shown as one of `entities`: their own (when they are shown as
    themselves) and their aliases' — two indexed reads, where resolving every row and filtering would read all."""
    def parties(entity, joined):
        stmt = sa.select(entity.label("entity"), PARTY.c.notice_id, PARTY.c.role).select_from(joined)
        return stmt.where(PARTY.c.role == role) if role else stmt

    if not narrowed:
        resolved = PARTY.outerjoin(RES, RES.c.organisation_id == PARTY.c.organisation_id)
        return parties(entity_column(PARTY.c.organisation_id), resolved).subquery("ep")
    shown_as_another = sa.select(RES.c.organisation_id).where(
        _one_of(dialect, RES.c.organisation_id, "entities"), RES.c.into_id.is_not(None))
    own = parties(PARTY.c.organisation_id, PARTY).where(
        _one_of(dialect, PARTY.c.organisation_id, "entities"), PARTY.c.organisation_id.not_in(shown_as_another))
    aliases = parties(RES.c.into_id, PARTY.join(RES, RES.c.organisation_id == PARTY.c.organisation_id)).where(
        _one_of(dialect, RES.c.into_id, "entities"))
    return sa.union_all(own, aliases).subquery("ep")


def _one_of(dialect: str, column, name: str) -> sa.ColumnElement[bool]:
    """`column` is one of the ids in parameter `name`, a list given at execution (`_listed`): one array
    (PostgreSQL, sent as text: storage.pgcopy.int_array) or JSON (SQLite) parameter, so the statement's text is
    the same for every list (as storage.pgcopy.one_of's) and the database prepares it once."""
    if dialect == "postgresql":
        return column == sa.any_(sa.cast(sa.bindparam(name, type_=sa.String), ARRAY(sa.Integer)))
    return column.in_(sa.text(f"SELECT value FROM json_each(:{name})"))


def _listed(dialect: str, ids) -> str:
    return int_array(ids) if dialect == "postgresql" else json.dumps(list(ids))


@lru_cache(maxsize=4)
def _their_procurements(dialect: str) -> sa.Select:
    """(entity, notice) for every notice of every procurement a notice of the organisations of parameter
    `entities` belongs to (whole procurements, so each is ranked as in a full count); a notice without a
    procurement key is its own."""
    ep = _parties(dialect, None, True)
    mine, same = NOTICE.alias("mine"), NOTICE.alias("same_procurement")
    return (
        sa.select(ep.c.entity, sa.func.coalesce(same.c.id, ep.c.notice_id).label("notice_id"))
        .select_from(ep.join(mine, mine.c.id == ep.c.notice_id)
                     .outerjoin(same, same.c.procurement_key == mine.c.procurement_key))
        .distinct()
    )


# ---------------------------------------------------------------------- keeping it (writers)
def refresh(conn: sa.Connection) -> None:
    """Recount every organisation (after a bulk load, or to repair)."""
    if conn.dialect.name == "postgresql":  # as facet summary's refresh: no writer's marks between the two
        conn.execute(sa.text("LOCK TABLE org_summary_dirty IN EXCLUSIVE MODE"))
    conn.execute(DIRTY.delete())
    conn.execute(SUMMARY.delete())
    roles = (None, *ROLES)
    counts: dict[str | None, list[dict[str, Any]]] = {role: [] for role in roles}
    for r in conn.execute(_statement(conn.dialect.name, roles, narrowed=False)).mappings():  # every role at once
        counts[r["counted_in"] or None].append({c: r[c] for c in COLUMNS})
    for role, numbers in counts.items():
        _insert(conn, role, numbers)


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
