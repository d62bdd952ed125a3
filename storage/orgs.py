"""Organisations as a reader means them: name resolution, what the directory counts, one organisation's totals.

Name resolution. The Store keys an organisation by `normalise_name` (NFKC, no spaces), so full-width and
half-width spellings are one row from the start. Other variants are separate rows: 有限责任公司/有限公司, a
branch (分公司) written with its parent, a telephone number or address glued to the end. `resolution_key`
reduces a name by the rules of storage/orgs.toml (each step recorded); rows with the same key are one
organisation, shown under one of them (its *canonical* row; the others are its aliases). The rows
themselves are never changed — the `organisation_resolution` table says which row stands for which, by
what rule and why — so a merge is explainable, undone by `unmerge`, and decided again when names arrive.
Decisions taken by hand (`merge`, `unmerge`) are pinned: automatic resolution never overrides them.

Money. A procurement's tender, correction, award and contract notices often restate one amount, so
totals count each procurement (`procurement_key`; a notice without one is its own procurement) once per
kind: budget and award each from the newest notice of the procurement stating one (a correction
supersedes the tender, the contract the award). Its *value* is the award if stated, else the budget.

Cases are the site's cases: notices the extractor calls remote compute, minus those whose newest review
rejects them, plus those a reviewer confirmed (storage/review.py).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

import sqlalchemy as sa

from models.tables import AMOUNT, NOTICE, ORG, PARTY, RES, utcnow
from storage.db import is_row_id
from storage.normalise import normalise_name
from storage.pgcopy import one_of
from storage.review import case_condition as review_case_condition


ROLES = ("buyer", "vendor", "agency")
SORTS = ("cases", "money", "notices", "name")
MAX_PAGE_SIZE = 200
AUTO = "auto"


class OrgError(ValueError):
    """A merge or unmerge that cannot be done; the message says why, for the user."""


# ---------------------------------------------------------------------- the rules
@dataclass(frozen=True)
class Rules:
    legal_forms: dict[str, str]  # variant ending → kept ending
    branch_words: tuple[str, ...]
    parent_endings: tuple[str, ...]
    name_endings: tuple[str, ...]
    address_starts: tuple[str, ...]
    labels: dict[str, str]


@lru_cache(maxsize=1)
def rules() -> Rules:
    data = tomllib.loads((Path(__file__).with_name("orgs.toml")).read_text(encoding="utf-8"))
    forms = {variant: group[0] for group in data["legal_forms"] for variant in group[1:]}
    return Rules(forms, tuple(data["branch_words"]), tuple(data["parent_endings"]), tuple(data["name_endings"]),
                 tuple(data["address_starts"]), dict(data["rules"]))


def rule_label(rule: str) -> str:
    return rules().labels.get(rule, rule)


_PHONE = re.compile(  # a whole number: never the tail of a longer run of digits
    r"(?:(?:联系)?(?:电话|手机|联系方式|tel|TEL|Tel)[:：]?)?"
    r"(?<!\d)(?:(?:\+?86-?)?1[3-9]\d{9}|(?:\+?86-?)?(?:\(?0\d{2,3}\)?-?)?\d{7,8}(?:(?:-|转)\d{1,6})?)$"
)
_SEPARATORS = re.compile(r"[,，;；:：、/\\\-—_|.。]+$")
_HOUSE_NUMBER = re.compile(r"\d+(?:号|弄|栋|幢|楼|层|室|座)")
_PLACE = re.compile(r"^[\u4e00-\u9fff]{2,4}?(?:省|市|区|县)")
MIN_NAME = 4  # a rule never leaves less than this many characters


@dataclass(frozen=True)
class Resolution:
    key: str
    steps: tuple[tuple[str, str], ...] = ()  # (rule, the text it removed or rewrote)

    @property
    def rules(self) -> list[str]:
        return [r for r, _ in self.steps]


def resolution_key(name: str | None) -> Resolution:
    """The name an organisation is known by once trailing phone numbers and addresses are cut off, a branch
    is read as its parent and 有限责任公司 as 有限公司; with the steps that got there."""
    r = rules()
    key = normalise_name(name)
    steps: list[tuple[str, str]] = []
    changed = True
    while changed and key:
        changed = False
        trimmed = _SEPARATORS.sub("", key)
        m = _PHONE.search(trimmed)
        if m and len(trimmed) - len(m.group(0)) >= MIN_NAME:
            steps.append(("phone", key[m.start():]))
            key, changed = _SEPARATORS.sub("", trimmed[: m.start()]), True
            continue
        cut = _address_cut(trimmed, r)
        if cut is not None:
            steps.append(("address", key[cut:]))
            key, changed = trimmed[:cut], True
    branch = _branch_parent(key, r)
    if branch is not None:
        steps.append(("branch", key[len(branch):]))
        key = branch
    for variant, kept in r.legal_forms.items():
        if key.endswith(variant):
            steps.append(("legal_form", f"{variant} → {kept}"))
            key = key[: -len(variant)] + kept
            break
    return Resolution(key, tuple(steps))


def _address_cut(name: str, r: Rules) -> int | None:
    """Where a glued-on address starts: after the rightmost name ending whose remainder begins like an
    address (地址, a province, or a place ending in 省/市/区/县) and carries a house number."""
    if not _HOUSE_NUMBER.search(name):  # nor has any tail (most names: no need to look for their endings)
        return None
    cuts = sorted({i + len(e) for e in r.name_endings for i in _find_all(name, e)}, reverse=True)
    for cut in cuts:
        tail = name[cut:]
        if cut < MIN_NAME or not tail or len(tail) > 60:
            continue
        starts = tail.startswith("地址") or tail.startswith(r.address_starts) or _PLACE.match(tail)
        if starts and _HOUSE_NUMBER.search(tail):
            return cut
    return None


def _find_all(text: str, word: str) -> Iterable[int]:
    i = text.find(word)
    while i >= 0:
        yield i
        i = text.find(word, i + 1)


def _branch_parent(name: str, r: Rules) -> str | None:
    """"中国电信股份有限公司北京分公司" → "中国电信股份有限公司": the longest prefix ending in a company word,
    when what follows it is a short place or name ending in a branch word."""
    word = next((w for w in r.branch_words if name.endswith(w)), None)
    if word is None:
        return None
    body = name[: -len(word)]
    end = max((body.rfind(e) + len(e) for e in r.parent_endings if body.rfind(e) >= 0), default=-1)
    if end < MIN_NAME or not 0 < len(body) - end <= 20:
        return None
    return body[:end]


def explain(name: str, canonical: str, own: Resolution, theirs: Resolution) -> str:
    """Why `name` is shown as `canonical`: both names reduce to one key, by these rules."""

    def how(n: str, res: Resolution) -> str:
        parts = [f"{rule_label(rule)} ({text})" for rule, text in res.steps]
        return f"{n} → {res.key}" + (": " + "; ".join(parts) if parts else "")

    if not theirs.steps:
        return how(name, own)
    return f"{how(name, own)}; {how(canonical, theirs)}"


# ---------------------------------------------------------------------- resolving (writes)
def _rows(conn: sa.Connection, where=None) -> list[sa.Row]:
    stmt = (
        sa.select(ORG.c.id, ORG.c.name, RES.c.key, RES.c.into_id, RES.c.pinned)
        .select_from(ORG.outerjoin(RES, RES.c.organisation_id == ORG.c.id))
    )
    if where is not None:
        stmt = stmt.where(where)
    return list(conn.execute(stmt))


def resolve_all(conn: sa.Connection) -> dict[str, int]:
    """(Re)decide every automatic merge; idempotent. Returns counts: organisations, aliases, changed."""
    rows = _rows(conn)
    keys = {r.id: resolution_key(r.name) for r in rows}
    groups: dict[str, list[sa.Row]] = {}
    for r in rows:
        groups.setdefault(keys[r.id].key, []).append(r)
    changed = sum(_assign(conn, members, keys) for members in groups.values())
    changed += _flatten(conn)
    aliases = conn.execute(sa.select(sa.func.count()).select_from(RES).where(RES.c.into_id.is_not(None))).scalar_one()
    return {"organisations": len(rows), "aliases": aliases, "changed": changed}


def resolve_organisation(conn: sa.Connection, org_id: int) -> None:
    """Decide one (new) organisation: it joins the organisations whose names reduce to the same key. Called
    when an organisation is created or let go from a hand decision, so the site never waits for a batch."""
    resolve_organisations(conn, [org_id])


def resolve_organisations(conn: sa.Connection, org_ids: list[int]) -> None:
    """Decide these organisations (the Store's writers create them a batch at a time): each joins the
    organisations whose stored key is the key its name reduces to now; two queries for the lot."""
    ids = list(dict.fromkeys(org_ids))
    if not ids:
        return
    new = [r for i in range(0, len(ids), 500) for r in _rows(conn, one_of(conn, ORG.c.id, ids[i:i + 500]))]
    keys = {r.id: resolution_key(r.name) for r in new}
    wanted = sorted({k.key for k in keys.values()})
    members = {r.id: r for r in new}
    for i in range(0, len(wanted), 500):
        members.update((r.id, r) for r in _rows(conn, one_of(conn, RES.c.key, wanted[i:i + 500])) if r.id not in keys)
    groups: dict[str, list[sa.Row]] = {}
    for m in sorted(members.values(), key=lambda m: m.id):
        # Those decided now by the key their name reduces to; the others by the key they are stored under.
        group = keys[m.id].key if m.id in keys else m.key
        if m.id not in keys:
            keys[m.id] = resolution_key(m.name)
        groups.setdefault(group, []).append(m)
    inserts: list[dict] = []  # the new organisations' rows, written in one statement
    changed = max((_assign(conn, group, keys, inserts) for group in groups.values()), default=0)
    if inserts:
        conn.execute(RES.insert(), inserts)
    if changed > 1:
        _flatten(conn)  # an organisation changed its canonical row: hand merges follow it


def _assign(conn: sa.Connection, members: list[sa.Row], keys: dict[int, Resolution],
            inserts: list[dict] | None = None) -> int:
    """Write the resolution rows of one key's organisations; pinned (hand-decided) rows keep their decision.
    Returns how many rows changed. Rows of organisations without one yet go to `inserts` when given, for the
    caller to insert (after every `_assign` of the lot, before reading them back)."""
    free = [m for m in members if not m.pinned]
    names = {m.id: m.name for m in members}
    changed = 0
    if free:
        # Shown under the name needing the fewest rules (a name as registered, not one with a phone number
        # glued on), then the oldest row.
        canonical = min(free, key=lambda m: (len(keys[m.id].steps), m.id))
        for m in free:
            into = None if m.id == canonical.id else canonical.id
            rule = "" if into is None else "+".join(dict.fromkeys(keys[m.id].rules + keys[canonical.id].rules))
            detail = "" if into is None else explain(m.name, names[canonical.id], keys[m.id], keys[canonical.id])
            changed += _write(conn, m, key=keys[m.id].key, into_id=into, rule=rule, detail=detail, by=AUTO,
                              pinned=False, inserts=inserts)
    for m in members:
        if m.pinned and m.key != keys[m.id].key:
            conn.execute(RES.update().where(RES.c.organisation_id == m.id).values(key=keys[m.id].key))
    return changed


def _write(conn, row: sa.Row, *, key: str, into_id: int | None, rule: str, detail: str, by: str, pinned: bool,
           inserts: list[dict] | None = None) -> int:
    values = dict(key=key, into_id=into_id, rule=rule, detail=detail, decided_by=by, decided_at=utcnow(), pinned=pinned)
    if row.key is None:
        if inserts is None:
            conn.execute(RES.insert().values(organisation_id=row.id, **values))
        else:
            inserts.append(dict(organisation_id=row.id, **values))
        return 1
    current = conn.execute(sa.select(RES.c.into_id, RES.c.rule, RES.c.detail, RES.c.key, RES.c.pinned)
                           .where(RES.c.organisation_id == row.id)).first()
    if tuple(current) == (into_id, rule, detail, key, pinned):
        return 0
    conn.execute(RES.update().where(RES.c.organisation_id == row.id).values(**values))
    return 1


def _flatten(conn: sa.Connection) -> int:
    """An alias of an alias points at the end of the chain (a hand merge into a row that later became an
    alias); a row never points at itself."""
    changed = 0
    for _ in range(10):
        inner = RES.alias("inner")
        chained = list(conn.execute(
            sa.select(RES.c.organisation_id, inner.c.into_id)
            .join(inner, inner.c.organisation_id == RES.c.into_id)
            .where(inner.c.into_id.is_not(None))
        ))
        if not chained:
            break
        for oid, into in chained:
            conn.execute(RES.update().where(RES.c.organisation_id == oid)
                         .values(into_id=None if into == oid else into))
            changed += 1
    return changed


def merge(conn: sa.Connection, org_id: int, into_id: int, *, by: str, note: str = "") -> dict[str, Any]:
    """Show organisation `org_id` (and its aliases) under `into_id`'s canonical organisation, by hand."""
    target = canonical_id(conn, into_id)
    source = _existing(conn, org_id)
    if target is None:
        raise OrgError(f"there is no organisation {into_id}")
    if target == canonical_id(conn, org_id):
        raise OrgError(f"organisation {org_id} is already shown as organisation {target}")
    _ensure_rows(conn, [org_id, target])
    detail = f"{note.strip() or rule_label('manual')} (by {by})"
    moved = [org_id] + list(conn.execute(sa.select(RES.c.organisation_id).where(RES.c.into_id == org_id)).scalars())
    for oid in moved:
        row = _rows(conn, ORG.c.id == oid)[0]
        pinned_detail = detail if oid == org_id else f"{detail}, with {source.name}"
        _write(conn, row, key=row.key, into_id=target, rule="manual", detail=pinned_detail, by=by, pinned=True)
    return {"merged": moved, "into": target}


def unmerge(conn: sa.Connection, org_id: int, *, by: str, note: str = "") -> dict[str, Any]:
    """Show organisation `org_id` on its own again, and keep it so. When it is a canonical organisation, each of
    its aliases is set apart instead."""
    _existing(conn, org_id)
    _ensure_rows(conn, [org_id])
    row = _rows(conn, ORG.c.id == org_id)[0]
    aliases = list(conn.execute(sa.select(RES.c.organisation_id).where(RES.c.into_id == org_id)).scalars())
    if row.into_id is None and not aliases:
        raise OrgError(f"organisation {org_id} has no aliases and is not an alias: nothing to unmerge")
    apart = [org_id] if row.into_id is not None else aliases
    detail = f"{note.strip() or rule_label('unmerged')} (by {by})"
    for oid in apart:
        r = _rows(conn, ORG.c.id == oid)[0]
        _write(conn, r, key=r.key, into_id=None, rule="unmerged", detail=detail, by=by, pinned=True)
    return {"apart": apart}


def forget_decision(conn: sa.Connection, org_id: int) -> None:
    """Let automatic resolution decide `org_id` again (undoes a hand merge or unmerge)."""
    _existing(conn, org_id)
    conn.execute(RES.update().where(RES.c.organisation_id == org_id).values(pinned=False))
    resolve_organisation(conn, org_id)
    _flatten(conn)


def _existing(conn, org_id: int) -> sa.Row:
    row = None if not is_row_id(conn.dialect.name, org_id) else conn.execute(
        sa.select(ORG.c.id, ORG.c.name).where(ORG.c.id == org_id)).first()
    if row is None:
        raise OrgError(f"there is no organisation {org_id}")
    return row


def _ensure_rows(conn, ids: list[int]) -> None:
    for oid in ids:
        if conn.execute(sa.select(RES.c.organisation_id).where(RES.c.organisation_id == oid)).first() is None:
            resolve_organisation(conn, oid)


# ---------------------------------------------------------------------- reading
def canonical_id(conn: sa.Connection, org_id: int) -> int | None:
    """The organisation `org_id` is shown as (itself when it is not an alias); None when there is none."""
    if not is_row_id(conn.dialect.name, org_id):  # names no row (and binding it would overflow the driver)
        return None
    row = conn.execute(
        sa.select(ORG.c.id, RES.c.into_id).select_from(ORG.outerjoin(RES, RES.c.organisation_id == ORG.c.id))
        .where(ORG.c.id == org_id)
    ).first()
    if row is None:
        return None
    return row.into_id or row.id


def canonical_ids(conn: sa.Connection, ids: Iterable[int]) -> dict[int, int]:
    """alias id → the organisation it is shown as, for those of `ids` that are aliases."""
    out: dict[int, int] = {}
    for chunk in chunks(sorted(ids), 900):
        out.update(conn.execute(
            sa.select(RES.c.organisation_id, RES.c.into_id).where(RES.c.organisation_id.in_(chunk), RES.c.into_id.is_not(None))
        ).all())
    return out


def entity_column(org_id_column):
    """SQL: the canonical organisation of `org_id_column` (RES must be outer-joined on it)."""
    return sa.func.coalesce(RES.c.into_id, org_id_column)


def case_condition(conn: sa.Connection, notice=NOTICE):
    """SQL condition: `notice` is a case as the site counts them (storage.review.case_condition)."""
    return review_case_condition(notice)


def procurement_column(notice=NOTICE):
    """SQL: the procurement a notice belongs to (a notice without a key is its own)."""
    return sa.func.coalesce(notice.c.procurement_key, sa.literal("#") + sa.cast(notice.c.id, sa.String))


def procurement_money(where=None) -> sa.Subquery:
    """One row per procurement and amount kind (budget, award): the yuan stated by the newest notice of the
    procurement stating that kind, and that notice's publication date. Columns: pk, kind, value, published_at.
    `where`: a condition on NOTICE keeping whole procurements (`procurements_where`), so only those are ranked."""
    ranked = ranked_amounts(where)
    return (
        sa.select(ranked.c.pk, ranked.c.kind, ranked.c.value, ranked.c.published_at)
        .where(ranked.c.rn == 1)
        .subquery("money")
    )


def ranked_amounts(where=None) -> sa.Subquery:
    """`procurement_money` before its choice: every notice's amount of a kind in its procurement, ranked
    newest first (column rn; 1 is the one that counts)."""
    # A notice's amount of a kind: its lots add up (包1 + 包2), but when it also states their total, the largest
    # figure equals the sum of the others, and counting it too would double the money — then the total alone.
    total, largest = sa.func.sum(AMOUNT.c.value_cny), sa.func.max(AMOUNT.c.value_cny)
    stated = sa.case((sa.func.abs(total - 2 * largest) <= 0.005 * largest, largest), else_=total)
    # With what the ranking needs of its notice (grouped by the notice's key, on which they depend): the notice
    # row is read once.
    per_notice = (
        sa.select(NOTICE.c.id.label("notice_id"), AMOUNT.c.kind, stated.label("value"), NOTICE.c.published_at,
                  procurement_column().label("pk"))
        .join(NOTICE, NOTICE.c.id == AMOUNT.c.notice_id)
        .where(AMOUNT.c.kind.in_(("budget", "award")), AMOUNT.c.value_cny.is_not(None),
               *(() if where is None else (where,)))
        .group_by(NOTICE.c.id, AMOUNT.c.kind)
        .subquery("per_notice")
    )
    ranked = (
        sa.select(
            per_notice.c.pk, per_notice.c.kind, per_notice.c.value, per_notice.c.published_at,
            sa.func.row_number().over(
                partition_by=(per_notice.c.pk, per_notice.c.kind),
                order_by=(per_notice.c.published_at.desc().nulls_last(), per_notice.c.notice_id.desc()),
            ).label("rn"),
        )
        .subquery("ranked")
    )
    return ranked


def procurements_where(conn: sa.Connection, pks: Iterable[str]):
    """SQL condition on NOTICE: the notices of these procurements (indexed columns: key, id)."""
    pks = list(pks)
    keys = [p for p in pks if not p.startswith("#")]
    ids = [int(p[1:]) for p in pks if p.startswith("#")]
    return sa.or_(*((one_of(conn, NOTICE.c.procurement_key, keys),) if keys else ()),
                  *((one_of(conn, NOTICE.c.id, ids),) if ids else ()), sa.false())


def money_of(conn: sa.Connection, pks: Iterable[str]) -> dict[str, dict[str, Any]]:
    """procurement → {"budget": yuan, "award": yuan, "budget_at": published_at, "award_at": …} for the kinds
    it states, and "value": its award, else its budget."""
    out: dict[str, dict[str, Any]] = {}
    for chunk in chunks(sorted(set(pks)), 400):
        money = procurement_money(procurements_where(conn, chunk))
        for pk, kind, value, published in conn.execute(
            sa.select(money.c.pk, money.c.kind, money.c.value, money.c.published_at)
        ):
            out.setdefault(pk, {})[kind] = value
            out[pk][f"{kind}_at"] = published
    for v in out.values():
        v["value"] = v.get("award", v.get("budget"))
    return out


def members(conn: sa.Connection, entity: int) -> list[int]:
    """The organisation rows shown as `entity` (itself first)."""
    return [entity] + sorted(conn.execute(sa.select(RES.c.organisation_id).where(RES.c.into_id == entity)).scalars())


NOTICE_LIMIT = 300


def organisation(conn: sa.Connection, org_id: int) -> dict[str, Any] | None:
    """One organisation as the site shows it: `org_id` may be an alias (then `alias_of` says so and the
    rest is the canonical organisation's). Totals: notices, cases, budget/award/value (per procurement),
    by year; roles; aliases with their rule and notices; the newest notices."""
    entity = canonical_id(conn, org_id)
    if entity is None:
        return None
    ids = members(conn, entity)
    head = conn.execute(sa.select(ORG.c.id, ORG.c.name, ORG.c.normalised_name).where(ORG.c.id == entity)).one()
    is_case = case_condition(conn)
    parties = conn.execute(
        sa.select(PARTY.c.organisation_id, PARTY.c.role, NOTICE.c.id, NOTICE.c.title, NOTICE.c.notice_type,
                  NOTICE.c.published_at, is_case.label("is_case"), procurement_column().label("pk"))
        .join(NOTICE, NOTICE.c.id == PARTY.c.notice_id)
        .where(PARTY.c.organisation_id.in_(ids))
    ).all()
    notices: dict[int, dict[str, Any]] = {}
    roles: dict[str, set[int]] = {}
    per_member: dict[int, set[int]] = {}
    for p in parties:
        n = notices.setdefault(p.id, {"id": p.id, "title": p.title, "notice_type": p.notice_type,
                                      "published_at": p.published_at, "case": bool(p.is_case), "roles": set(),
                                      "pk": p.pk})
        n["roles"].add(p.role)
        roles.setdefault(p.role, set()).add(p.id)
        per_member.setdefault(p.organisation_id, set()).add(p.id)
    by_year: dict[str, dict[str, Any]] = {}

    def slot(when: datetime | None) -> dict[str, Any]:
        return by_year.setdefault(str(when.year) if when else "undated",
                                  {"notices": 0, "cases": 0, "budget_cny": 0.0, "award_cny": 0.0})

    for n in notices.values():
        s = slot(n["published_at"])
        s["notices"] += 1
        s["cases"] += n["case"]
    pks = sorted({n["pk"] for n in notices.values()})
    totals = {"budget_cny": 0.0, "award_cny": 0.0, "value_cny": 0.0}
    for stated in money_of(conn, pks).values():
        for kind in ("budget", "award"):
            if kind in stated:
                slot(stated[f"{kind}_at"])[f"{kind}_cny"] += stated[kind]
                totals[f"{kind}_cny"] += stated[kind]
        totals["value_cny"] += stated["value"] or 0.0
    alias_rows = conn.execute(
        sa.select(ORG.c.id, ORG.c.name, RES.c.rule, RES.c.detail, RES.c.decided_by, RES.c.decided_at, RES.c.pinned)
        .join(RES, RES.c.organisation_id == ORG.c.id)
        .where(RES.c.into_id == entity)
        .order_by(ORG.c.name)
    ).all()
    apart = conn.execute(
        sa.select(ORG.c.id, ORG.c.name, RES.c.detail)
        .join(RES, RES.c.organisation_id == ORG.c.id)
        .where(RES.c.key == sa.select(RES.c.key).where(RES.c.organisation_id == entity).scalar_subquery(),
               RES.c.rule == "unmerged", ORG.c.id != entity, RES.c.into_id.is_(None))
    ).all()
    listed = sorted(notices.values(), key=lambda n: (n["published_at"] is not None, n["published_at"] or datetime.min, n["id"]),
                    reverse=True)
    return {
        "id": entity,
        "name": head.name,
        "requested_id": org_id,
        "alias_of": entity if org_id != entity else None,
        "roles": {role: len(ns) for role, ns in sorted(roles.items())},
        "notices_total": len(notices),
        "cases_total": sum(n["case"] for n in notices.values()),
        "procurements": len(pks),
        **totals,
        "by_year": dict(sorted(by_year.items())),
        "aliases": [
            {"id": a.id, "name": a.name, "rule": a.rule, "rules": [rule_label(x) for x in a.rule.split("+") if x],
             "detail": a.detail, "decided_by": a.decided_by, "decided_at": a.decided_at, "by_hand": bool(a.pinned),
             "notices": len(per_member.get(a.id, ()))}
            for a in alias_rows
        ],
        "kept_apart": [{"id": a.id, "name": a.name, "detail": a.detail} for a in apart],
        "own_notices": len(per_member.get(entity, ())),
        "notices": [{**{k: v for k, v in n.items() if k != "pk"}, "roles": sorted(n["roles"])} for n in listed[:NOTICE_LIMIT]],
    }


def chunks(items: list, n: int):
    for i in range(0, len(items), n):
        yield items[i: i + n]


def resolution_status(conn: sa.Connection) -> dict[str, int]:
    """How many organisations have no resolution row yet (written by a path that does not resolve, such as a
    bulk load): `tenderwatch orgs resolve` decides them."""
    unresolved = conn.execute(
        sa.select(sa.func.count()).select_from(ORG.outerjoin(RES, RES.c.organisation_id == ORG.c.id))
        .where(RES.c.organisation_id.is_(None))
    ).scalar_one()
    return {"unresolved": unresolved}
