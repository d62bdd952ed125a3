"""Review decisions (people confirm or reject cases and possible cases) and the reviewers who sign in.

Decisions are data: one `review` row per decision, never updated, so a notice's history stays readable and
its review state is its newest decision. They are not derived from the raw bytes, so `reextract` leaves
them alone. `truth()` says once what a decision means for the benchmark keys (eval and the gold export).

Writes go through `ReviewWriter`, whose engine is guarded so that only the `review`, `app_user` and
`review_session` tables can change: on SQLite an authorizer refuses any other write inside SQLite itself, on PostgreSQL every
statement is checked before it is sent. The web site uses it only when started with `--review`; its other
pages keep the read-only engine.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import sqlite3
from datetime import timedelta
from functools import lru_cache
from typing import Any, Iterable, Sequence

import sqlalchemy as sa

from models.tables import NOTICE, REVIEW, SESSION, TAG, USER, utcnow
from storage import db


DECISIONS = ("confirmed", "rejected")
# Search and API filter values: a decision, any decision, or none yet.
STATES = ("confirmed", "rejected", "reviewed", "pending")
# org_summary_dirty: a decision's trigger marks the organisations whose case counts it changes (migration 0014).
WRITABLE_TABLES = frozenset({REVIEW.name, USER.name, SESSION.name, "org_summary_dirty"})
MAX_NOTE_CHARS = 4000
MAX_NAME_CHARS = 64
MIN_PASSWORD_CHARS = 8  # NIST SP 800-63B minimum for a chosen password


class ReviewError(ValueError):
    """A decision or user that cannot be recorded; the message says why, for the user."""


# ---------------------------------------------------------------------- the review state, decided here once
def newest_ids() -> sa.Select:
    """The id of each reviewed notice's newest decision — its review state (every reader uses this one)."""
    return sa.select(sa.func.max(REVIEW.c.id)).group_by(REVIEW.c.notice_id)


def _decided(decision: str) -> sa.Select:
    return sa.select(REVIEW.c.notice_id).where(REVIEW.c.id.in_(newest_ids()), REVIEW.c.decision == decision)


def latest_ids_sql(decision: str | None = None) -> str:
    """SELECT of the notice ids whose newest review is `decision` (any decision when None), as SQL text for
    queries written as text (storage/search)."""
    if decision is not None and decision not in DECISIONS:
        raise ReviewError(f"decision must be one of {', '.join(DECISIONS)}")
    stmt = _decided(decision) if decision else sa.select(REVIEW.c.notice_id).where(REVIEW.c.id.in_(newest_ids()))
    return str(stmt.compile(compile_kwargs={"literal_binds": True}))


def case_condition(notice=NOTICE) -> sa.ColumnElement[bool]:
    """SQL: `notice` is a case after review — the extractor's finding unless the newest decision says otherwise:
    a rejected case is none, a confirmed notice is one (the case list, search, digest, exports, stats, org pages)."""
    return sa.or_(
        sa.and_(notice.c.remote_compute.is_(True), notice.c.id.not_in(_decided("rejected"))),
        notice.c.id.in_(_decided("confirmed")),
    )


def is_case(remote_compute: bool, decision: str | None) -> bool:
    """`case_condition` for a notice already loaded with its newest decision (None: not reviewed)."""
    return decision == "confirmed" or (bool(remote_compute) and decision != "rejected")


def decisions(conn: sa.Connection) -> dict[int, str]:
    """notice id → its newest decision, for every reviewed notice (reviews are few beside the notices)."""
    return dict(conn.execute(sa.select(REVIEW.c.notice_id, REVIEW.c.decision).where(REVIEW.c.id.in_(newest_ids()))).all())


def promoted_ids(conn: sa.Connection) -> list[int]:
    """Notices a reviewer confirmed although the extractor does not call them cases (a possible case, or a
    notice it missed): the case list shows them with the cases. Few, so listed."""
    return list(conn.execute(sa.text(
        f"SELECT n.id FROM notice n WHERE n.id IN ({latest_ids_sql('confirmed')}) AND NOT n.remote_compute"
        " ORDER BY n.id"
    )).scalars())


def state_condition(states: Iterable[str], column: str = "n.id") -> str:
    """A WHERE condition on `column` (a notice id) true when the notice is in any of the review `states`."""
    conds = []
    for s in states:
        if s not in STATES:
            raise ReviewError(f"review state must be one of {', '.join(STATES)}, not {s!r}")
        if s in DECISIONS:
            conds.append(f"{column} IN ({latest_ids_sql(s)})")
        elif s == "reviewed":
            conds.append(f"{column} IN (SELECT notice_id FROM review)")
        else:
            conds.append(f"{column} NOT IN (SELECT notice_id FROM review)")
    return "(" + " OR ".join(conds) + ")" if conds else "1=1"


# ---------------------------------------------------------------------- what a decision means
def truth(review: dict[str, Any]) -> dict[str, Any]:
    """The benchmark keys a decision settles: a confirmation makes the notice a case with the corrected (or
    else the seen) kinds, providers and chips; a rejection makes it no case (no kinds), keeping the providers
    and chips it names. hardware_purchase is not reviewed: it stays what the reviewer saw."""
    seen = review.get("seen") or {}
    confirmed = review["decision"] == "confirmed"

    def pick(key: str, seen_key: str) -> list[str]:
        corrected = review.get(key)
        return sorted(corrected if corrected is not None else seen.get(seen_key) or [])

    return {
        "remote_compute": confirmed,
        "compute_kinds": _kind_order(pick("kinds", "compute_kinds")) if confirmed else [],
        "hardware_purchase": bool(seen.get("hardware_purchase")),
        "cloud_providers": pick("providers", "cloud_providers"),
        "gpu_models": pick("chips", "gpu_models"),
    }


def _kinds() -> tuple[str, ...]:
    from extract.compute.vocabulary import KINDS

    return KINDS


def _kind_order(kinds: Iterable[str]) -> list[str]:
    order = _kinds()
    return sorted(set(kinds), key=order.index)


# ---------------------------------------------------------------------- reads (any engine, read-only is fine)
def split_values(values: Iterable[str]) -> list[str]:
    """Corrected providers or chips as a reviewer types them: repeated, or comma lists (half- or full-width)."""
    return [v.strip() for raw in values for v in raw.replace("，", ",").split(",") if v.strip()]


def _row(r) -> dict[str, Any]:
    return dict(r._mapping)


def latest(conn: sa.Connection, notice_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """The newest decision of each of these notices that has one."""
    if not notice_ids:
        return {}
    newest = newest_ids().where(REVIEW.c.notice_id.in_([int(i) for i in notice_ids]))
    return {r.notice_id: _row(r) for r in conn.execute(sa.select(REVIEW).where(REVIEW.c.id.in_(newest)))}


def history(conn: sa.Connection, notice_id: int) -> list[dict[str, Any]]:
    """Every decision on a notice, newest first."""
    rows = conn.execute(sa.select(REVIEW).where(REVIEW.c.notice_id == notice_id).order_by(REVIEW.c.id.desc()))
    return [_row(r) for r in rows]


def reviewed(conn: sa.Connection) -> list[dict[str, Any]]:
    """The newest decision of every reviewed notice, with the notice's title and stored raw reference."""
    rows = conn.execute(
        sa.select(REVIEW, NOTICE.c.title, NOTICE.c.published_at)
        .join(NOTICE, NOTICE.c.id == REVIEW.c.notice_id)
        .where(REVIEW.c.id.in_(newest_ids()))
        .order_by(REVIEW.c.notice_id)
    )
    return [_row(r) for r in rows]


def queue(conn: sa.Connection, *, pending_only: bool = False, candidates_first: bool = False,
          limit: int = 200) -> list[dict[str, Any]]:
    """Cases and possible cases with their review state (reviewed notices that are neither any more are
    listed too, so a decision never disappears from the list), newest first. `candidates_first` puts pending
    candidates before everything else (the site's queue: the extractor is least sure about them)."""
    n = NOTICE
    pending = ~sa.exists().where(REVIEW.c.notice_id == n.c.id)
    # Three small indexed sets (the partial indexes over cases and candidates, the review table) rather than
    # a test of every notice.
    listed = n.c.id.in_(sa.union(
        sa.select(n.c.id).where(n.c.remote_compute == sa.true()),
        sa.select(n.c.id).where(n.c.compute_candidate == sa.true()),
        sa.select(REVIEW.c.notice_id),
    ))
    order: list = []
    if candidates_first:
        order.append(sa.case((sa.and_(pending, n.c.compute_candidate), 0), (pending, 1), else_=2))
    elif not pending_only:
        order.append(sa.case((pending, 0), else_=1))
    order += [n.c.published_at.desc().nulls_last(), n.c.id.desc()]
    stmt = (
        sa.select(n.c.id, n.c.title, n.c.published_at, n.c.remote_compute, n.c.compute_candidate,
                  n.c.candidate_score, n.c.extractor_version)
        .where(sa.and_(listed, pending) if pending_only else listed)
        .order_by(*order)
        .limit(limit)
    )
    rows = [_row(r) for r in conn.execute(stmt)]
    decisions = latest(conn, [r["id"] for r in rows])
    for r in rows:
        r["review"] = decisions.get(r["id"])
    return rows


def seen_findings(conn: sa.Connection, notice_id: int) -> dict[str, Any] | None:
    """The compute findings stored for a notice now: what a reviewer is shown (None: no such notice)."""
    row = conn.execute(
        sa.select(NOTICE.c.remote_compute, NOTICE.c.hardware_purchase, NOTICE.c.compute_candidate,
                  NOTICE.c.extractor_version).where(NOTICE.c.id == notice_id)
    ).first()
    if row is None:
        return None
    tags: dict[str, list[str]] = {"kind": [], "provider": [], "chip": [], "flag": []}
    for facet, value in conn.execute(
        sa.select(TAG.c.facet, TAG.c.value).where(TAG.c.notice_id == notice_id).order_by(TAG.c.value)
    ):
        tags.setdefault(facet, []).append(value)
    return {
        "remote_compute": bool(row.remote_compute),
        "hardware_purchase": bool(row.hardware_purchase),
        "compute_candidate": bool(row.compute_candidate),
        "compute_kinds": _kind_order(tags["kind"]),
        "cloud_providers": tags["provider"],
        "gpu_models": tags["chip"],
        "flags": tags["flag"],
        "extractor_version": row.extractor_version,
    }


def user_exists(conn: sa.Connection, name: str) -> bool:
    return conn.execute(sa.select(USER.c.id).where(USER.c.name == name)).first() is not None


def verify_password(conn: sa.Connection, name: str, password: str) -> bool:
    """True when `name` is a user and `password` is theirs. An unknown name costs the same hash check, so
    the answer time does not tell which names exist."""
    from argon2 import PasswordHasher
    from argon2.exceptions import InvalidHashError, VerificationError

    row = conn.execute(sa.select(USER.c.password_hash).where(USER.c.name == name)).first()
    try:
        ok = PasswordHasher().verify(row.password_hash if row else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return False
    return ok and row is not None


def session_user(conn: sa.Connection, token: str) -> str | None:
    """The user a live session id belongs to (None: unknown, expired, revoked, or the user was removed)."""
    if not token:
        return None
    row = conn.execute(
        sa.select(SESSION.c.user_name)
        .join(USER, USER.c.name == SESSION.c.user_name)
        .where(SESSION.c.token_hash == _token_hash(token), SESSION.c.revoked_at.is_(None),
               SESSION.c.expires_at > utcnow())
    ).first()
    return row.user_name if row else None


def _token_hash(token: str) -> str:
    # The id is 256 random bits, so a plain hash suffices: a leaked table gives no usable cookie.
    return hashlib.sha256(token.encode()).hexdigest()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    from argon2 import PasswordHasher

    return PasswordHasher().hash("no such user: the refusal takes as long as a wrong password")


# ---------------------------------------------------------------------- writes (guarded engine)
# PostgreSQL: every table a statement writes (also inside WITH … or after a comment), and any DDL. Values are
# bound parameters, never in the statement text, so a title containing "update" cannot trip it.
_WRITE = re.compile(r"\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|MERGE\s+INTO|COPY)\s+\"?(\w+)", re.I)
_DDL = re.compile(r"\b(?:CREATE|DROP|ALTER|TRUNCATE|GRANT|REVOKE)\s", re.I)
_SQLITE_WRITES = {sqlite3.SQLITE_INSERT, sqlite3.SQLITE_UPDATE, sqlite3.SQLITE_DELETE}
_SQLITE_DDL = {getattr(sqlite3, a) for a in dir(sqlite3) if re.match(r"SQLITE_(CREATE|DROP|ALTER)_?", a)} | {
    sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH}


def guarded_engine(url: str) -> sa.Engine:
    """A writable engine that can change only the review, user and session tables (it never migrates, and never
    creates a database: decisions are about notices already stored)."""
    engine = db.make_engine(url, create=False)
    if engine.dialect.name == "sqlite":

        @sa.event.listens_for(engine, "connect")
        def _authorize(dbapi_conn, _record):
            def authorizer(action, table, _arg2, _dbname, _source):
                if action in _SQLITE_DDL or (action in _SQLITE_WRITES and table not in WRITABLE_TABLES):
                    return sqlite3.SQLITE_DENY
                return sqlite3.SQLITE_OK

            dbapi_conn.set_authorizer(authorizer)
    else:

        @sa.event.listens_for(engine, "before_cursor_execute")
        def _check(_conn, _cursor, statement, _params, _context, _many):
            written = {t.lower() for t in _WRITE.findall(statement)}
            if _DDL.search(statement) or written - WRITABLE_TABLES:
                raise db.DatabaseError("the review connection may write only the review, user and session tables")

    return engine


class ReviewWriter:
    """Records decisions and users. Open with `ReviewWriter.open(url)`; close() releases the engine."""

    def __init__(self, engine: sa.Engine):
        self.engine = engine

    @classmethod
    def open(cls, url: str | None = None, *, migrate: bool = True) -> "ReviewWriter":
        """`migrate`: bring the schema up first as any writer does (storage.db.open_schema: SQLite is
        upgraded, PostgreSQL only by `tenderwatch db upgrade`); the site only checks it."""
        from storage import config

        url = url or config.database_url()
        if migrate:
            plain = db.make_engine(url, create=False)
            try:
                db.open_schema(plain)
            finally:
                plain.dispose()
        engine = guarded_engine(url)
        db.check_schema(engine)
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> "ReviewWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def record(self, notice_id: int, decision: str, reviewer: str, *, note: str = "",
               kinds: Sequence[str] | None = None, providers: Sequence[str] | None = None,
               chips: Sequence[str] | None = None, via: str = "cli") -> dict[str, Any]:
        """Store one decision with what the reviewer saw; returns the stored row."""
        if decision not in DECISIONS:
            raise ReviewError(f"decision must be one of {', '.join(DECISIONS)}")
        reviewer = (reviewer or "").strip()
        if not reviewer or len(reviewer) > MAX_NAME_CHARS:
            raise ReviewError(f"say who decided (a name of 1–{MAX_NAME_CHARS} characters)")
        note = (note or "").strip()
        if len(note) > MAX_NOTE_CHARS:
            raise ReviewError(f"the note is too long ({len(note)} characters; the limit is {MAX_NOTE_CHARS})")
        corrections = {"kinds": kinds, "providers": providers, "chips": chips}
        if decision == "rejected" and any(v for v in corrections.values()):
            raise ReviewError("a rejection takes no corrected kinds, providers or chips (only a confirmation does)")
        checked = {k: _checked(k, v) for k, v in corrections.items()}
        with db.write_transaction(self.engine) as conn:
            seen = seen_findings(conn, notice_id)
            if seen is None:
                raise ReviewError(f"there is no notice {notice_id}")
            values = dict(
                notice_id=notice_id, decision=decision, reviewer=reviewer, decided_at=utcnow(), note=note,
                extractor_version=seen.pop("extractor_version"), seen=seen, via=via, **checked,
            )
            new_id = conn.execute(sa.insert(REVIEW).values(**values).returning(REVIEW.c.id)).scalar_one()
        return {"id": new_id, **values}

    def open_session(self, name: str, lifetime: timedelta) -> str:
        """A new session for `name`; returns its id (for the cookie; only its hash is stored)."""
        token = secrets.token_urlsafe(32)
        now = utcnow()
        with db.write_transaction(self.engine) as conn:
            conn.execute(sa.insert(SESSION).values(token_hash=_token_hash(token), user_name=name, created_at=now,
                                                   expires_at=now + lifetime))
        return token

    def end_session(self, token: str) -> None:
        """Sign-out: the session id stops working at once, wherever the cookie was copied to."""
        with db.write_transaction(self.engine) as conn:
            conn.execute(sa.update(SESSION).where(SESSION.c.token_hash == _token_hash(token),
                                                  SESSION.c.revoked_at.is_(None)).values(revoked_at=utcnow()))

    def end_sessions_of(self, name: str) -> int:
        """Sign a user out everywhere (a lost laptop, a shared password); returns how many sessions ended."""
        with db.write_transaction(self.engine) as conn:
            if not user_exists(conn, name):
                raise ReviewError(f"there is no user {name!r}")
            return conn.execute(sa.update(SESSION).where(SESSION.c.user_name == name, SESSION.c.revoked_at.is_(None))
                                .values(revoked_at=utcnow())).rowcount

    def add_user(self, name: str, password: str) -> None:
        from argon2 import PasswordHasher

        name = (name or "").strip()
        if not re.fullmatch(rf"[\w.\-@]{{1,{MAX_NAME_CHARS}}}", name):
            raise ReviewError(f"a user name is 1–{MAX_NAME_CHARS} letters, digits, or . - _ @")
        if len(password) < MIN_PASSWORD_CHARS:
            raise ReviewError(f"the password must have at least {MIN_PASSWORD_CHARS} characters")
        hashed = PasswordHasher().hash(password)
        with db.write_transaction(self.engine) as conn:
            if user_exists(conn, name):
                raise ReviewError(f"there is already a user {name!r}")
            conn.execute(sa.insert(USER).values(name=name, password_hash=hashed, created_at=utcnow()))


def _checked(key: str, values: Sequence[str] | None) -> list[str] | None:
    """Corrections must be VOCAB ids the extractor itself uses (extract/compute/data)."""
    if values is None:
        return None
    from extract.compute.lexicon import load_lexicon

    lex = load_lexicon()
    known = {"kinds": _kinds(), "providers": tuple(lex.providers), "chips": tuple(lex.chips)}[key]
    out = []
    for v in values:
        v = v.strip()
        if v and v not in known:
            raise ReviewError(f"{v!r} is not a known {key[:-1]} id (one of: {', '.join(sorted(known))})")
        if v and v not in out:
            out.append(v)
    return _kind_order(out) if key == "kinds" else sorted(out)
