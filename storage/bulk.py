"""Many notices at once: the rows a crawl would write, a batch per transaction (issue 15).

    with store.bulk_loader() as loader:
        for raw, body, attachments, extraction in notices:
            loader.add(raw, body, attachments, extraction)
    loader.counts  # {"new": …, "changed": …, "unchanged": …, "linked": …}

The rows come from `storage.rows` and the procurement rule from `storage.procurement`, exactly as in
`storage.write` (one notice at a time). What a batch does in bulk: organisations looked up and created for the
whole batch, procurement keys assigned notice after notice from one read of the batch's project codes,
notices and their rows inserted with one statement per table (on PostgreSQL one COPY: `storage.pgcopy`, the
notice ids drawn from the sequence first), procurement flags refreshed once per batch, the search index written
for the batch at once. Raw bytes go to a pack file of the loader's own (`storage.packs`), flushed — on disk and
in the packs' index — before the batch naming them is committed. A notice the bulk path cannot decide alone —
its URL is stored already (changed / unchanged), or a stored notice of another source might be its
republication — goes through `storage.write.Writer.save_notice` inside the same transaction, in its turn, so the
result is what saving the notices one by one in the same order gives (tests/storage/test_bulk.py compares every
table). A batch that loses a race with another writer on PostgreSQL is written again (`ATTEMPTS`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import psycopg
import sqlalchemy as sa

from extract.types import DocumentText, NoticeExtraction
from models.raw import RawAttachment, RawNotice
from models.tables import AMOUNT, ATTACHMENT, EXTRACTION, LINK, NOTICE, PARTY, TAG, VERSION, utcnow
from storage import db, dedup, procurement, rows
from storage.normalise import content_hash, normalise_name
from storage.pgcopy import copy_rows, one_of
from storage.search import index as search_index
from storage.write import Writer, put_blobs

BATCH = 1000
_CHUNK = 500


@dataclass
class _Item:
    raw: RawNotice
    body: DocumentText
    stored: list[rows.StoredAttachment]
    extraction: NoticeExtraction
    raw_sha: str
    chash: str
    simhash: int | None
    code: str
    title: str  # the notice's title column, as dedup compares it


class BulkLoader:
    """Buffers notices and writes them a batch (`batch_size`) per transaction; `flush` writes what is
    buffered, leaving the context writes the rest (an exception discards the unwritten batch)."""

    def __init__(self, store, *, batch_size: int = BATCH):
        if store.read_only:
            raise db.DatabaseError("this store was opened read-only")
        if store.in_batch:
            raise RuntimeError("commit the store's batch before a bulk load")
        self.store, self.batch_size = store, batch_size
        self.blobs = store.blobs.pack_writer()
        self._items: list[_Item] = []
        self.counts = {"new": 0, "changed": 0, "unchanged": 0, "linked": 0}

    def __enter__(self) -> "BulkLoader":
        return self

    def __exit__(self, exc_type, *exc) -> None:
        if exc_type is None:
            try:
                self.flush()
            finally:
                self.blobs.close()
        else:
            self._items = []
            self.blobs.abort()  # what the failed batch packed is neither fsynced nor indexed: dead bytes

    def add(self, raw: RawNotice, body: DocumentText, attachments: Sequence[tuple[RawAttachment, DocumentText]],
            extraction: NoticeExtraction) -> None:
        raw_sha, stored = put_blobs(self.blobs, raw, attachments)
        self._items.append(_Item(raw, body, stored, extraction, raw_sha, content_hash(body.text),
                                 dedup.simhash(body.text), rows.primary_code(extraction),
                                 rows.notice_title(raw, body, extraction)))
        if len(self._items) >= self.batch_size:
            self.flush()

    def add_all(self, notices: Iterable[tuple[RawNotice, DocumentText, Sequence, NoticeExtraction]]) -> dict:
        for notice in notices:
            self.add(*notice)
        self.flush()
        return self.counts

    def flush(self) -> None:
        items, self._items = self._items, []
        if not items:
            return
        self.blobs.flush()  # the batch's blobs durable and findable before rows naming them are committed
        for attempt in range(1, ATTEMPTS + 1):
            pending: list = []
            counts = dict.fromkeys(self.counts, 0)
            try:
                with db.write_transaction(self.store.engine) as conn:
                    _write_batch(Writer(conn, self.store._known, pending), items, counts)
            except (sa.exc.DBAPIError, psycopg.Error) as exc:  # COPY's errors come from psycopg itself
                if attempt == ATTEMPTS or not lost_a_race(exc):
                    raise
                continue  # nothing of the batch was kept: read the stored URLs again and write it anew
            break
        for status, n in counts.items():
            self.counts[status] += n
        for fn in pending:
            fn()


# PostgreSQL writers run side by side: another one may store a URL of the batch after the batch read the stored
# URLs (unique violation), or two batches may wait on each other's rows (deadlock). The batch is rolled back and
# written again; its second reading of the stored URLs sends such notices through the one-notice path.
ATTEMPTS = 5
_RACES = {"23505", "40P01", "40001"}  # unique_violation, deadlock_detected, serialization_failure


def lost_a_race(exc: Exception) -> bool:
    return getattr(getattr(exc, "orig", exc), "sqlstate", None) in _RACES


def _write_batch(writer: Writer, items: list[_Item], counts: dict[str, int]) -> None:
    """The batch in order: runs of new notices in bulk, the others through `Writer.save_notice` in their turn."""
    conn = writer.conn
    writer.ensure_sources(i.raw.source for i in items)
    stored_urls = _stored_urls(conn, [i.raw.url for i in items])
    candidates = _dedup_candidates(conn, items)
    group: list[_Item] = []
    seen: set[str] = set()
    for item in items:
        if item.raw.url in stored_urls or item.raw.url in seen or _may_duplicate(item, candidates):
            _write_new(writer, group)
            group = []
            result = writer.save_notice(item.raw, item.body, item.stored, item.extraction, item.raw_sha,
                                        chash=item.chash, simhash=lambda item=item: item.simhash)
            counts[result.status] += 1
        else:
            group.append(item)
            counts["new"] += 1
        seen.add(item.raw.url)
        if item.simhash is not None:  # a later notice of the batch may be this one's republication
            _add_candidate(candidates, item.raw.source, item.code, item.title)
    _write_new(writer, group)


def _stored_urls(conn: sa.Connection, urls: list[str]) -> set[str]:
    """Which of `urls` are stored, as notices or as links (republications)."""
    out: set[str] = set()
    for i in range(0, len(urls), _CHUNK):
        part = urls[i:i + _CHUNK]
        out.update(conn.execute(sa.select(NOTICE.c.url).where(one_of(conn, NOTICE.c.url, part))).scalars())
        out.update(conn.execute(sa.select(LINK.c.url).where(one_of(conn, LINK.c.url, part))).scalars())
    return out


Candidates = dict[tuple[str, str], set[str]]  # ("code" | "title", value) → sources with such a notice


def _dedup_candidates(conn: sa.Connection, items: list[_Item]) -> Candidates:
    """The stored notices `dedup.find_duplicate` could compare the batch's notices with: those with a SimHash
    whose code — or, for a notice without one, whose title — is the same."""
    codes = sorted({i.code for i in items if i.code})
    titles = sorted({i.title for i in items if not i.code and i.title})
    out: Candidates = {}
    for column, values in ((NOTICE.c.project_code, codes), (NOTICE.c.title, titles)):
        for j in range(0, len(values), _CHUNK):
            for source, code, title in conn.execute(
                sa.select(NOTICE.c.source, NOTICE.c.project_code, NOTICE.c.title)
                .where(one_of(conn, column, values[j:j + _CHUNK]), NOTICE.c.simhash.is_not(None))
            ):
                _add_candidate(out, source, code or "", title or "")
    return out


def _add_candidate(candidates: Candidates, source: str, code: str, title: str) -> None:
    candidates.setdefault(("code", code) if code else ("title", title), set()).add(source)


def _may_duplicate(item: _Item, candidates: Candidates) -> bool:
    """Whether `dedup.find_duplicate` has anything to compare `item` with (then the one-notice path decides)."""
    if not item.code and not item.title:
        return False
    sources = candidates.get(("code", item.code) if item.code else ("title", item.title), ())
    return any(s != item.raw.source for s in sources)


def _write_new(writer: Writer, items: list[_Item]) -> None:
    """Insert notices known to be new (no stored URL, nothing to be a republication of), in order."""
    if not items:
        return
    conn, now = writer.conn, utcnow()
    orgs = writer.organisations(name for i in items for name in rows.organisation_names(i.extraction, i.raw.list_meta))
    derived = [rows.derive(i.extraction, i.raw.list_meta, i.body, lambda name: orgs.get(normalise_name(name)))
               for i in items]
    # Procurement keys, notice after notice as the one-notice path assigns them; ids of the batch's own
    # notices are not known yet, so they stand in as -1, -2 …
    others = procurement.others_by_code(conn, {d.code for d in derived})
    keys: list[str | None] = []
    adopted_stored: dict[str, list[int]] = {}
    for n, d in enumerate(derived):
        key, adopted = procurement.assign(d.code, d.buyer_key, others.get(d.code, []))
        keys.append(key)
        for other in adopted:
            if other < 0:
                keys[-other - 1] = key
            else:
                adopted_stored.setdefault(key, []).append(other)
        if d.code:
            taken = set(adopted)
            others[d.code] = [o._replace(key=key) if o.id in taken else o for o in others.get(d.code, [])]
            others[d.code].append(procurement.Other(-(n + 1), key, d.columns["buyer_id"] is not None))
    notice_rows = [
        dict(source=i.raw.source, url=i.raw.url, first_seen=now, last_seen=now, last_changed=now,
             **rows.page_values(i.raw, i.body, i.raw_sha, i.chash, i.simhash), **d.columns, procurement_key=k)
        for i, d, k in zip(items, derived, keys)
    ]
    ids = _insert_notices(conn, notice_rows)
    for key, stored_ids in adopted_stored.items():
        procurement.adopt(conn, key, stored_ids)
    children: dict[sa.Table, list[dict]] = {t: [] for t in (VERSION, ATTACHMENT, PARTY, AMOUNT, TAG, EXTRACTION)}
    search: list[tuple[int, str, str]] = []
    for nid, i, d in zip(ids, items, derived):
        children[VERSION].append(rows.version_row(nid, i.raw, i.body, i.extraction, i.raw_sha, i.chash, now))
        attachments = rows.attachment_rows(nid, i.stored, now)
        children[ATTACHMENT] += attachments
        children[PARTY] += d.party_rows(nid)
        children[AMOUNT] += d.amount_rows(nid)
        children[TAG] += d.tag_rows(nid)
        children[EXTRACTION].append(rows.extraction_row(nid, i.extraction.extractor_version, d.result, now))
        search.append((nid, d.columns["title"] or "",
                       search_index.indexed_body(i.body.text, (a["text"] for a in attachments))))
    for table, values in children.items():
        if values:
            _insert_many(conn, table, values)
    procurement.refresh_flags(conn, set(keys) | set(adopted_stored))
    search_index.index_many(conn, search)


def _insert_notices(conn: sa.Connection, values: list[dict]) -> list[int]:
    """Insert notice rows in order; their ids, in that order (as one INSERT each would give them)."""
    if conn.dialect.name != "postgresql":
        return list(conn.execute(NOTICE.insert().returning(NOTICE.c.id, sort_by_parameter_order=True),
                                 values).scalars())
    # PostgreSQL: the ids drawn from the table's sequence first, in order, then the rows copied with them.
    ids = sorted(conn.execute(sa.text("SELECT nextval(pg_get_serial_sequence('notice', 'id'))"
                                      " FROM generate_series(1, :n)"), {"n": len(values)}).scalars())
    _insert_many(conn, NOTICE, [{"id": i, **row} for i, row in zip(ids, values)])
    return ids


def _insert_many(conn: sa.Connection, table: sa.Table, values: list[dict]) -> None:
    """Rows of one table, in the order given (ids follow it): each run of rows with the same columns is one
    executemany, on PostgreSQL one COPY. (A column left out is SQL NULL; None given for a JSON column would be
    JSON null — the rows must say exactly what the one-notice path says.)"""
    write = copy_rows if conn.dialect.name == "postgresql" else lambda c, t, part: c.execute(t.insert(), part)
    start = 0
    for end in range(1, len(values) + 1):
        if end == len(values) or values[end].keys() != values[start].keys():
            write(conn, table, values[start:end])
            start = end
