"""The write path of one notice, inside a transaction the caller holds (`Store` opens it; the bulk loader hands
over the notices it cannot write in bulk): new / changed / unchanged / linked, the derived rows rebuilt from an
extraction, the search index kept in step. Rows come from `storage.rows`; procurement keys and flags from
`storage.procurement`; near-duplicates from `storage.dedup`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from extract.types import DocumentText, NoticeExtraction
from models.raw import RawAttachment, RawNotice
from models.tables import AMOUNT, ATTACHMENT, EXTRACTION, LINK, NOTICE, ORG, PARTY, SOURCE, TAG, VERSION, utcnow
from storage import dedup, procurement, rows
from storage.normalise import content_hash, normalise_name
from storage.orgs import resolve_organisations
from storage.search import index as search_index

_CHUNK = 500
MAX_CACHED_ORGS = 100_000


@dataclass(frozen=True)
class SaveResult:
    notice_id: int
    status: str  # "new" | "changed" | "unchanged" | "linked" (a republication of a stored notice)


class NoticeNotFound(LookupError):
    pass


@dataclass
class Known:
    """Committed rows that never change under their keys, remembered across transactions: source names,
    organisation ids by normalised name (organisations are never deleted nor renamed)."""

    sources: set[str] = field(default_factory=set)
    orgs: dict[str, int] = field(default_factory=dict)


def insert(conn: sa.Connection, table: sa.Table):
    """INSERT with the dialect's ON CONFLICT support."""
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


class Writer:
    """Writes through one connection in an open transaction. `after_commit` collects cache updates the caller
    applies once the transaction is committed (a rolled-back write must not leave ids in `known`)."""

    def __init__(self, conn: sa.Connection, known: Known, after_commit: list[Callable[[], None]]):
        self.conn, self.known, self.after_commit = conn, known, after_commit

    # ------------------------------------------------------------ shared rows

    def ensure_sources(self, names: Iterable[str]) -> None:
        missing = sorted(set(names) - self.known.sources)
        if not missing:
            return
        self.conn.execute(insert(self.conn, SOURCE).on_conflict_do_nothing(index_elements=["name"]),
                          [{"name": n, "title": n} for n in missing])
        self.after_commit.append(lambda: self.known.sources.update(missing))

    def organisations(self, names: Iterable[str | None]) -> dict[str, int]:
        """normalised name → organisation id for every name, created (in first-seen order) where missing."""
        first: dict[str, str] = {}
        for name in names:
            key = normalise_name(name)
            if key and key not in first:
                first[key] = name.strip()
        found = {k: self.known.orgs[k] for k in first if k in self.known.orgs}
        lookup = [k for k in first if k not in found]
        found.update(self._org_ids(lookup))
        missing = [k for k in lookup if k not in found]
        if missing:
            self.conn.execute(insert(self.conn, ORG).on_conflict_do_nothing(index_elements=["normalised_name"]),
                              [{"name": first[k], "normalised_name": k} for k in missing])
            created = self._org_ids(missing)
            found.update(created)
            # New names: is any a variant of an organisation already known? (storage/orgs.py)
            resolve_organisations(self.conn, [created[k] for k in missing if k in created])
        new = {k: found[k] for k in lookup}
        if new and len(self.known.orgs) < MAX_CACHED_ORGS:
            self.after_commit.append(lambda: self.known.orgs.update(new))
        return found

    def _org_ids(self, keys: list[str]) -> dict[str, int]:
        out: dict[str, int] = {}
        for i in range(0, len(keys), _CHUNK):
            out.update(self.conn.execute(
                sa.select(ORG.c.normalised_name, ORG.c.id).where(ORG.c.normalised_name.in_(keys[i:i + _CHUNK]))
            ).all())
        return out

    def link(self, notice_id: int, source: str, url: str, now: datetime) -> None:
        """Record another URL where the same notice was published (ignored if already known)."""
        self.conn.execute(
            insert(self.conn, LINK)
            .values(notice_id=notice_id, source=source, url=url, first_seen=now)
            .on_conflict_do_nothing(index_elements=["url"])
        )

    # ------------------------------------------------------------ one notice

    def save_notice(self, raw: RawNotice, body: DocumentText, stored: Sequence[rows.StoredAttachment],
                    extraction: NoticeExtraction, raw_sha: str, *, chash: str | None = None,
                    simhash: Callable[[], int | None] | None = None) -> SaveResult:
        """Store one fetched notice whose bytes are already in the blob store. New URL → "new". Same
        normalised body text as stored → "unchanged": only last_seen moves (plus attachments that were
        missing before and are fetched now). Different text → "changed": a NoticeVersion is added and every
        derived row is rebuilt. A republication of a stored notice of another source → "linked"."""
        conn = self.conn
        chash = chash or content_hash(body.text)
        simhash = simhash or dedup.Lazy(lambda: dedup.simhash(body.text))  # computed at most once per save
        now = utcnow()
        self.ensure_sources([raw.source])
        # The stored notice's row is locked until this save commits (PostgreSQL; SQLite has one writer at a time):
        # two saves of a changed page must not both take the same version as the newest.
        stored_row = sa.select(NOTICE.c.id, NOTICE.c.content_hash).where(NOTICE.c.url == raw.url).with_for_update()
        row = conn.execute(stored_row).first()
        if row is None:
            duplicate = dedup.find_duplicate(conn, raw, body, extraction, own_simhash=simhash)
            if duplicate is not None:  # the same notice published at another source (storage/dedup.py)
                notice_id, already_linked = duplicate
                if already_linked:
                    conn.execute(NOTICE.update().where(NOTICE.c.id == notice_id).values(last_seen=now))
                    return SaveResult(notice_id, "unchanged")
                self.link(notice_id, raw.source, raw.url, now)
                return SaveResult(notice_id, "linked")
            notice_id = conn.execute(
                insert(conn, NOTICE)
                .values(source=raw.source, url=raw.url, title=rows.list_title(raw.list_meta, body),
                        first_seen=now, last_seen=now, last_changed=now, remote_compute=False,
                        hardware_purchase=False, **rows.page_values(raw, body, raw_sha, chash, simhash()))
                .on_conflict_do_nothing(index_elements=["url"])
                .returning(NOTICE.c.id)
            ).scalar()
            if notice_id is not None:
                conn.execute(VERSION.insert(), rows.version_row(notice_id, raw, body, extraction, raw_sha, chash, now))
                self._merge_attachments(notice_id, stored, now, new=True)
                self.apply_extraction(notice_id, raw.list_meta, body, extraction, new=True)
                search_index.index(conn, notice_id)
                return SaveResult(notice_id, "new")
            # Another writer stored this URL between our SELECT and INSERT: treat it as existing.
            row = conn.execute(stored_row).one()
        notice_id = row.id
        if row.content_hash == chash:
            conn.execute(NOTICE.update().where(NOTICE.c.id == notice_id).values(last_seen=now))
            if self._has_new_attachments(notice_id, stored):
                search_index.unindex(conn, notice_id)
                self._merge_attachments(notice_id, stored, now)
                self.apply_extraction(notice_id, raw.list_meta, body, extraction)
                search_index.index(conn, notice_id)
            return SaveResult(notice_id, "unchanged")
        search_index.unindex(conn, notice_id)
        # The text being replaced becomes the newest version's, which is no longer the newest.
        conn.execute(VERSION.update().where(VERSION.c.id == self._newest_version(notice_id), VERSION.c.text == "")
                     .values(text=sa.select(NOTICE.c.text).where(NOTICE.c.id == notice_id).scalar_subquery()))
        conn.execute(NOTICE.update().where(NOTICE.c.id == notice_id).values(
            last_seen=now, last_changed=now, **rows.page_values(raw, body, raw_sha, chash, simhash())))
        conn.execute(VERSION.insert(), rows.version_row(notice_id, raw, body, extraction, raw_sha, chash, now))
        conn.execute(ATTACHMENT.delete().where(ATTACHMENT.c.notice_id == notice_id))
        self._merge_attachments(notice_id, stored, now, new=True)
        self.apply_extraction(notice_id, raw.list_meta, body, extraction)
        search_index.index(conn, notice_id)
        return SaveResult(notice_id, "changed")

    def replace_extraction(self, notice_id: int, body: DocumentText, attachments: Sequence[tuple[int, DocumentText]],
                           extraction: NoticeExtraction) -> None:
        """Rebuild a stored notice's derived data from its re-read raw bytes (`tenderwatch reextract`). No
        version is added — the source did not change, our reading did."""
        conn = self.conn
        row = conn.execute(sa.select(NOTICE.c.list_meta).where(NOTICE.c.id == notice_id)).first()
        if row is None:
            raise NoticeNotFound(notice_id)
        search_index.unindex(conn, notice_id)
        chash = content_hash(body.text)
        conn.execute(NOTICE.update().where(NOTICE.c.id == notice_id)
                     .values(text=body.text, content_hash=chash, simhash=dedup.simhash(body.text)))
        newest = self._newest_version(notice_id)
        if newest is not None:  # the newest version equals the notice row (its text is the row's)
            conn.execute(VERSION.update().where(VERSION.c.id == newest).values(content_hash=chash))
        for attachment_id, doc in attachments:
            status, error = rows.attachment_status(doc)
            conn.execute(
                ATTACHMENT.update()
                .where(ATTACHMENT.c.id == attachment_id, ATTACHMENT.c.notice_id == notice_id)
                .values(text=doc.text, status=status, error=error, **rows.attachment_details(doc))
            )
        self.apply_extraction(notice_id, row.list_meta or {}, body, extraction)
        search_index.index(conn, notice_id)

    def apply_extraction(self, notice_id: int, list_meta: dict | None, body: DocumentText,
                         extraction: NoticeExtraction, *, new: bool = False) -> None:
        """Derived rows and columns from an extraction. `new`: the notice was just inserted, so it has no
        derived rows, procurement key or inherited tags to remove yet."""
        conn = self.conn
        orgs = self.organisations(rows.organisation_names(extraction, list_meta))
        derived = rows.derive(extraction, list_meta, body, lambda name: orgs.get(normalise_name(name)))
        old_key = None if new else conn.execute(
            sa.select(NOTICE.c.procurement_key).where(NOTICE.c.id == notice_id)
        ).scalar()
        key = procurement.key_for(conn, notice_id, derived.code, derived.buyer_key)
        conn.execute(NOTICE.update().where(NOTICE.c.id == notice_id).values(**derived.columns, procurement_key=key))
        if not new:
            for table in (PARTY, AMOUNT, TAG):
                conn.execute(table.delete().where(table.c.notice_id == notice_id))
            conn.execute(EXTRACTION.delete().where(EXTRACTION.c.notice_id == notice_id,
                                                   EXTRACTION.c.extractor_version == extraction.extractor_version))
        for table, values in ((PARTY, derived.party_rows(notice_id)), (AMOUNT, derived.amount_rows(notice_id)),
                              (TAG, derived.tag_rows(notice_id))):
            if values:
                conn.execute(table.insert(), values)
        conn.execute(EXTRACTION.insert(), rows.extraction_row(notice_id, extraction.extractor_version,
                                                              derived.result, utcnow()))
        procurement.refresh_flags(conn, {old_key, key})
        if key is None and not new:
            conn.execute(TAG.delete().where(TAG.c.notice_id == notice_id, TAG.c.inherited.is_(True)))

    def _merge_attachments(self, notice_id: int, stored: Sequence[rows.StoredAttachment], now: datetime, *,
                           new: bool = False) -> None:
        """Insert attachments not yet stored; replace a stored one only with a successful fetch (a flaky
        refetch never overwrites good bytes with an error). `new`: the notice has no attachment rows yet."""
        if not stored:
            return
        conn = self.conn
        existing = {} if new else {
            r.url: r for r in conn.execute(
                sa.select(ATTACHMENT.c.id, ATTACHMENT.c.url, ATTACHMENT.c.sha256).where(ATTACHMENT.c.notice_id == notice_id)
            )
        }
        for row in rows.attachment_rows(notice_id, stored, now):
            old = existing.get(row["url"])
            if old is None:  # one by one, in page order: the search index reads them back in id order
                conn.execute(ATTACHMENT.insert(), row)
            elif row["sha256"] is not None and old.sha256 != row["sha256"]:
                values = {k: v for k, v in row.items() if k not in ("notice_id", "url")}
                conn.execute(ATTACHMENT.update().where(ATTACHMENT.c.id == old.id).values(**values))

    def _newest_version(self, notice_id: int) -> int | None:
        newest = sa.select(sa.func.max(VERSION.c.id)).where(VERSION.c.notice_id == notice_id)
        return self.conn.execute(newest).scalar()

    def _has_new_attachments(self, notice_id: int, stored: Sequence[rows.StoredAttachment]) -> bool:
        existing = dict(self.conn.execute(
            sa.select(ATTACHMENT.c.url, ATTACHMENT.c.sha256).where(ATTACHMENT.c.notice_id == notice_id)
        ).all())
        return any(raw.url not in existing or (sha is not None and existing[raw.url] != sha) for raw, _, sha in stored)


def put_blobs(blobs, raw: RawNotice, attachments: Sequence[tuple[RawAttachment, DocumentText]]
              ) -> tuple[str, list[rows.StoredAttachment]]:
    """Raw bytes into the blob store first (idempotent, atomic), so a committed row never points at a missing
    blob: (the page's sha256, the attachments with theirs)."""
    if not raw.url:
        raise ValueError("a notice needs its canonical URL")
    if not isinstance(raw.data, (bytes, bytearray)):
        raise TypeError(f"{raw.url}: the raw page must be bytes, not {type(raw.data).__name__}")
    raw_sha = blobs.put(raw.data)
    return raw_sha, [(a, doc, blobs.put(a.data) if a.data is not None else None) for a, doc in attachments]
