"""Notices of one procurement (tender → correction → award → contract) share a `procurement_key`: the primary
project code plus the normalised buyer. A case's flags are the union over its procurement: each notice gets,
as inherited tags, the flags found on the others.

The rule is decided once (`assign`) and applied by the one-notice writer (`key_for`, which reads the other
notices of the code from the database) and by the bulk loader (which reads them for a whole batch and
applies the rule notice after notice, in the order a crawl would have stored them).
"""

from __future__ import annotations

from typing import Iterable, NamedTuple

import sqlalchemy as sa

from models.tables import NOTICE, TAG

_CHUNK = 500  # ids or keys per IN (…) list


class Other(NamedTuple):
    """Another stored notice of the same project code."""

    id: int
    key: str | None
    has_buyer: bool


def assign(code: str, buyer: str, others: Iterable[Other]) -> tuple[str | None, list[int]]:
    """(the notice's key, ids of other notices that adopt it). A notice with code and buyer has the key
    `code|buyer` and adopts earlier buyer-less, key-less notices of its code; a notice without a buyer (a
    correction, say) joins the procurement its code already belongs to if exactly one does."""
    if not code:
        return None, []
    if buyer:
        key = f"{code}|{buyer}"
        return key, [o.id for o in others if o.key is None and not o.has_buyer]
    keys = {o.key for o in others if o.key is not None}
    return (keys.pop() if len(keys) == 1 else None), []


def others_by_code(conn: sa.Connection, codes: Iterable[str]) -> dict[str, list[Other]]:
    """The stored notices of each project code."""
    out: dict[str, list[Other]] = {}
    codes = sorted(set(codes) - {""})
    for i in range(0, len(codes), _CHUNK):
        rows = conn.execute(
            sa.select(NOTICE.c.id, NOTICE.c.project_code, NOTICE.c.procurement_key, NOTICE.c.buyer_id)
            .where(NOTICE.c.project_code.in_(codes[i:i + _CHUNK])).order_by(NOTICE.c.id)
        )
        for r in rows:
            out.setdefault(r.project_code, []).append(Other(r.id, r.procurement_key, r.buyer_id is not None))
    return out


def key_for(conn: sa.Connection, notice_id: int, code: str, buyer: str) -> str | None:
    """The procurement key of a stored notice about to take `code` and `buyer`; earlier notices that adopt
    it are updated."""
    if not code:
        return None
    others = [o for o in others_by_code(conn, [code]).get(code, []) if o.id != notice_id]
    key, adopted = assign(code, buyer, others)
    adopt(conn, key, adopted)
    return key


def adopt(conn: sa.Connection, key: str | None, ids: list[int]) -> None:
    for i in range(0, len(ids), _CHUNK):
        conn.execute(NOTICE.update().where(NOTICE.c.id.in_(ids[i:i + _CHUNK])).values(procurement_key=key))


def refresh_flags(conn: sa.Connection, keys: Iterable[str | None]) -> None:
    """Make each procurement's inherited flags the union of its notices' own flags."""
    keys = sorted(set(keys) - {None})
    for i in range(0, len(keys), _CHUNK):
        members = conn.execute(
            sa.select(NOTICE.c.id, NOTICE.c.procurement_key).where(NOTICE.c.procurement_key.in_(keys[i:i + _CHUNK]))
        ).all()
        key_of = dict(members)
        ids = sorted(key_of)
        own: set[tuple[int, str]] = set()
        for j in range(0, len(ids), _CHUNK):
            part = ids[j:j + _CHUNK]
            conn.execute(TAG.delete().where(TAG.c.notice_id.in_(part), TAG.c.inherited.is_(True)))
            own.update(conn.execute(
                sa.select(TAG.c.notice_id, TAG.c.value).where(TAG.c.notice_id.in_(part), TAG.c.facet == "flag")
            ).all())
        union: dict[str, set[str]] = {}
        for n, v in own:
            union.setdefault(key_of[n], set()).add(v)
        rows = [
            {"notice_id": n, "facet": "flag", "value": v, "inherited": True}
            for n in ids
            for v in sorted(union.get(key_of[n], ()))
            if (n, v) not in own
        ]
        if rows:
            conn.execute(TAG.insert(), rows)
