"""`Store`: the one write and read API over the database and the blob store (docs/architecture.md).

Every write is one transaction: a crawl killed mid-notice leaves the notice either wholly stored or not
at all, and the full-text index always matches the rows. Raw bytes go to the blob store first
(idempotent, atomic), so a committed row never points at a missing blob.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from extract.documents import format_of
from extract.types import ComputeFindings, DocumentText, NoticeExtraction
from models.raw import RawAttachment, RawNotice
from models.tables import (
    Attachment,
    CrawlError,
    CrawlRun,
    Extraction,
    Notice,
    NoticeAmount,
    NoticeLink,
    NoticeParty,
    NoticeTag,
    NoticeVersion,
    Organisation,
    Source,
    utcnow,
)
from storage import db, dedup
from storage.blobs import BlobStore
from storage.normalise import content_hash, normalise_code, normalise_name
from storage.search import index as search_index

if TYPE_CHECKING:
    from storage.search.model import SearchQuery, SearchResult

NOTICE = Notice.__table__
VERSION = NoticeVersion.__table__
ATTACHMENT = Attachment.__table__
ORG = Organisation.__table__
PARTY = NoticeParty.__table__
AMOUNT = NoticeAmount.__table__
TAG = NoticeTag.__table__
EXTRACTION = Extraction.__table__
RUN = CrawlRun.__table__
ERROR = CrawlError.__table__
SOURCE = Source.__table__
LINK = NoticeLink.__table__

# NoticeTag facets and the ComputeFindings list each comes from.
TAG_FACETS = {"provider": "cloud_providers", "chip": "gpu_models", "kind": "compute_kinds", "flag": "flags"}
# DocumentText error reasons that are an attachment status of their own.
ATTACHMENT_STATUSES = ("encrypted", "corrupt", "too_large", "unsupported", "converter_timeout", "converter_failed",
                       "ocr_timeout", "needs_ocr")


@dataclass(frozen=True)
class SaveResult:
    notice_id: int
    status: str  # "new" | "changed" | "unchanged" | "linked" (a republication of a stored notice)


class NoticeNotFound(LookupError):
    pass


class Store:
    def __init__(self, engine: sa.Engine, blobs: BlobStore, *, read_only: bool = False):
        self.engine = engine
        self.blobs = blobs
        self.read_only = read_only
        # Batch mode (begin_batch … commit_batch): one open write transaction shared by several saves, each
        # save in a SAVEPOINT of its own, so a failing notice is rolled back alone.
        self._batching = False
        self._batch: sa.Connection | None = None  # opened by the batch's first write
        self._batch_tx: sa.RootTransaction | None = None
        self._batch_done: list = []  # cache updates to apply when the batch commits
        self._pending: list | None = None  # cache updates of the write in progress
        # Committed rows never change under these keys: source names, organisation ids by normalised name.
        self._sources: set[str] = set()
        self._org_ids: dict[str, int] = {}

    # ---------------------------------------------------------------- opening

    @classmethod
    def open(cls, url: str | None = None, *, read_only: bool = False, blob_dir=None, create: bool = True) -> "Store":
        """Open the database (default: storage.config.database_url()). A writable store brings the schema
        to the newest migration and the search index to the current tokenizer; a read-only one (the web
        site) only checks that the schema is current. `create=False`: a missing SQLite file is an error
        (DatabaseError "no database at …"), not a new empty database."""
        engine = db.make_engine(url, read_only=read_only, create=create)
        if read_only:
            db.check_schema(engine)
            with engine.connect() as conn:
                if not search_index.is_current(conn) and conn.execute(sa.text("SELECT 1 FROM notice LIMIT 1")).first():
                    raise db.DatabaseError("the search index must be rebuilt: run `tenderwatch db upgrade`")
        else:
            db.upgrade(engine)
            with engine.connect() as conn:  # a read: opening must not wait for a crawler's write lock
                current = search_index.is_current(conn)
            if not current:
                with db.write_transaction(engine) as conn:
                    if not search_index.is_current(conn):
                        search_index.rebuild(conn)
        return cls(engine, BlobStore(blob_dir), read_only=read_only)

    def close(self) -> None:
        self.commit_batch()
        self.engine.dispose()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextlib.contextmanager
    def _write(self):
        """A write transaction (committed on success, rolled back on an exception); inside a batch, a
        savepoint of the batch's transaction. Cache updates registered meanwhile (`_after_commit`) apply
        only once the writes are committed."""
        if self.read_only:
            raise db.DatabaseError("this store was opened read-only")
        outer, self._pending = self._pending, []
        try:
            if self._batching:
                if self._batch is None:
                    self._open_batch()
                with self._batch.begin_nested():
                    yield self._batch
                self._batch_done.extend(self._pending)
            else:
                with db.write_transaction(self.engine) as conn:
                    yield conn
                for fn in self._pending:
                    fn()
        finally:
            self._pending = outer

    def _after_commit(self, fn) -> None:
        if self._pending is not None:
            self._pending.append(fn)

    @contextlib.contextmanager
    def _read(self):
        """A connection for reads on the write path: the batch's (it sees the batch's own writes) or a new one."""
        if self._batch is not None:
            yield self._batch
        else:
            with self.engine.connect() as conn:
                yield conn

    # ---------------------------------------------------------------- batches

    @property
    def in_batch(self) -> bool:
        return self._batching

    def begin_batch(self) -> None:
        """Start a batch: the writes that follow share one transaction until commit_batch (the storing
        worker commits every few notices). A kill loses the uncommitted batch, never part of a notice.
        The transaction (on SQLite: the write lock) begins with the batch's first write, so reading and
        extracting the first notice after a commit leaves other writers a moment to get in."""
        if self.read_only:
            raise db.DatabaseError("this store was opened read-only")
        self._batching = True

    def _open_batch(self) -> None:
        conn = self.engine.connect().execution_options(**{db.WRITE_OPTION: True})
        try:
            self._batch_tx = conn.begin()
        except BaseException:
            conn.close()
            raise
        self._batch, self._batch_done = conn, []

    def commit_batch(self) -> None:
        self._batching = False
        if self._batch is None:
            return
        conn, tx, done = self._batch, self._batch_tx, self._batch_done
        self._batch, self._batch_tx, self._batch_done = None, None, []
        try:
            tx.commit()
        finally:
            conn.close()
        for fn in done:
            fn()

    def rollback_batch(self) -> None:
        self._batching = False
        if self._batch is None:
            return
        conn, tx = self._batch, self._batch_tx
        self._batch, self._batch_tx, self._batch_done = None, None, []
        try:
            tx.rollback()
        finally:
            conn.close()

    def _insert(self, table: sa.Table):
        return (postgresql.insert if self.dialect == "postgresql" else sqlite.insert)(table)

    # ---------------------------------------------------------------- notices

    def save_notice(
        self,
        raw: RawNotice,
        body: DocumentText,
        attachments: Sequence[tuple["RawAttachment", DocumentText]],
        extraction: NoticeExtraction,
    ) -> SaveResult:
        """Store one fetched notice. New URL → "new". Same normalised body text as stored → "unchanged":
        only last_seen moves (plus attachments that were missing before and are fetched now). Different
        text → "changed": a NoticeVersion is added and every derived row is rebuilt."""
        if not raw.url:
            raise ValueError("a notice needs its canonical URL")
        if not isinstance(raw.data, (bytes, bytearray)):
            raise TypeError(f"{raw.url}: the raw page must be bytes, not {type(raw.data).__name__}")
        raw_sha = self.blobs.put(raw.data)
        stored_attachments = [
            (a, doc, self.blobs.put(a.data) if a.data is not None else None) for a, doc in attachments
        ]
        chash = content_hash(body.text)
        now = utcnow()
        simhash = _Lazy(lambda: fast_simhash(body.text))  # computed at most once per save
        with self._write() as conn:
            self._ensure_source(conn, raw.source)
            row = conn.execute(sa.select(NOTICE.c.id, NOTICE.c.content_hash).where(NOTICE.c.url == raw.url)).first()
            if row is None:
                duplicate = dedup.find_duplicate(conn, raw, body, extraction, own_simhash=simhash)
                if duplicate is not None:  # the same notice published at another source (storage/dedup.py)
                    notice_id, already_linked = duplicate
                    if already_linked:
                        conn.execute(NOTICE.update().where(NOTICE.c.id == notice_id).values(last_seen=now))
                        return SaveResult(notice_id, "unchanged")
                    self._link(conn, notice_id, raw.source, raw.url, now)
                    return SaveResult(notice_id, "linked")
                notice_id = self._insert_notice(conn, raw, body, raw_sha, chash, now, simhash())
                if notice_id is not None:
                    self._add_version(conn, notice_id, chash, raw_sha, body, extraction, raw, now)
                    self._merge_attachments(conn, notice_id, stored_attachments, now, new=True)
                    self._apply_extraction(conn, notice_id, raw.list_meta, body, extraction, new=True)
                    search_index.index(conn, notice_id)
                    return SaveResult(notice_id, "new")
                # Another writer stored this URL between our SELECT and INSERT: treat it as existing.
                row = conn.execute(sa.select(NOTICE.c.id, NOTICE.c.content_hash).where(NOTICE.c.url == raw.url)).one()
            notice_id = row.id
            if row.content_hash == chash:
                conn.execute(NOTICE.update().where(NOTICE.c.id == notice_id).values(last_seen=now))
                if self._has_new_attachments(conn, notice_id, stored_attachments):
                    search_index.unindex(conn, notice_id)
                    self._merge_attachments(conn, notice_id, stored_attachments, now)
                    self._apply_extraction(conn, notice_id, raw.list_meta, body, extraction)
                    search_index.index(conn, notice_id)
                return SaveResult(notice_id, "unchanged")
            search_index.unindex(conn, notice_id)
            conn.execute(
                NOTICE.update()
                .where(NOTICE.c.id == notice_id)
                .values(
                    text=body.text,
                    content_hash=chash,
                    raw_sha256=raw_sha,
                    raw_content_type=raw.content_type,
                    raw_name=raw.name or "",
                    list_meta=_jsonable(raw.list_meta or {}),
                    external_id=raw.external_id,
                    simhash=simhash(),
                    last_seen=now,
                    last_changed=now,
                )
            )
            self._add_version(conn, notice_id, chash, raw_sha, body, extraction, raw, now)
            self._replace_attachments(conn, notice_id, stored_attachments, now)
            self._apply_extraction(conn, notice_id, raw.list_meta, body, extraction)
            search_index.index(conn, notice_id)
            return SaveResult(notice_id, "changed")

    def touch_if_unchanged(self, raw: RawNotice, body: DocumentText) -> SaveResult | None:
        """The cheap path for re-crawls: if the URL is stored with the same body text and every fetched
        attachment is already stored with the same bytes, move last_seen and return "unchanged" — without
        reading attachments or extracting. Otherwise None (the caller goes on to `save_notice`)."""
        chash = content_hash(body.text)
        stored: dict[str, str | None] = {}
        with self._read() as conn:
            row = conn.execute(sa.select(NOTICE.c.id, NOTICE.c.content_hash).where(NOTICE.c.url == raw.url)).first()
            if row is not None:
                notice_id = row.id
                if row.content_hash != chash:
                    return None
                stored = dict(
                    conn.execute(
                        sa.select(ATTACHMENT.c.url, ATTACHMENT.c.sha256).where(ATTACHMENT.c.notice_id == row.id)
                    ).all()
                )
            else:  # a republication stored as a link is fetched again: it stays a link
                notice_id = conn.execute(sa.select(LINK.c.notice_id).where(LINK.c.url == raw.url)).scalar()
                if notice_id is None:
                    return None
        if row is not None:
            for att in raw.attachments:
                if att.url not in stored or (
                    att.data is not None and stored[att.url] != hashlib.sha256(att.data).hexdigest()
                ):
                    return None
        with self._write() as conn:
            conn.execute(NOTICE.update().where(NOTICE.c.id == notice_id).values(last_seen=utcnow()))
        return SaveResult(notice_id, "unchanged")

    def replace_extraction(
        self,
        notice_id: int,
        body: DocumentText,
        attachments: Sequence[tuple[int, DocumentText]],
        extraction: NoticeExtraction,
    ) -> None:
        """Rebuild a stored notice's derived data from its re-read raw bytes (`tenderwatch reextract`):
        body text, content hash, attachment texts and statuses, fields, parties, amounts, tags,
        procurement link, search index. No version is added — the source did not change, our reading did."""
        with self._write() as conn:
            row = conn.execute(sa.select(NOTICE.c.list_meta).where(NOTICE.c.id == notice_id)).first()
            if row is None:
                raise NoticeNotFound(notice_id)
            search_index.unindex(conn, notice_id)
            chash = content_hash(body.text)
            conn.execute(
                NOTICE.update()
                .where(NOTICE.c.id == notice_id)
                .values(text=body.text, content_hash=chash, simhash=fast_simhash(body.text))
            )
            newest = conn.execute(
                sa.select(sa.func.max(VERSION.c.id)).where(VERSION.c.notice_id == notice_id)
            ).scalar()
            if newest is not None:  # the newest version equals the notice row
                conn.execute(VERSION.update().where(VERSION.c.id == newest).values(text=body.text, content_hash=chash))
            for attachment_id, doc in attachments:
                status, error = _attachment_status(doc)
                conn.execute(
                    ATTACHMENT.update()
                    .where(ATTACHMENT.c.id == attachment_id, ATTACHMENT.c.notice_id == notice_id)
                    .values(text=doc.text, status=status, error=error, **_attachment_details(doc))
                )
            self._apply_extraction(conn, notice_id, row.list_meta or {}, body, extraction)
            search_index.index(conn, notice_id)

    def known_urls(self, source: str) -> set[str]:
        with self.engine.connect() as conn:
            urls = set(conn.execute(sa.select(NOTICE.c.url).where(NOTICE.c.source == source)).scalars())
            # republications stored as links count as known: a crawl need not fetch them again
            return urls | set(conn.execute(sa.select(LINK.c.url).where(LINK.c.source == source)).scalars())

    def add_link(self, notice_id: int, source: str, url: str) -> None:
        """Record another URL where the same notice was published (ignored if already known)."""
        with self._write() as conn:
            self._link(conn, notice_id, source, url, utcnow())

    def _link(self, conn: sa.Connection, notice_id: int, source: str, url: str, now: datetime) -> None:
        conn.execute(
            self._insert(LINK)
            .values(notice_id=notice_id, source=source, url=url, first_seen=now)
            .on_conflict_do_nothing(index_elements=["url"])
        )

    # ---------------------------------------------------------------- crawl runs

    def start_run(self, spider: str, args: dict | None = None, *, host: str | None = None,
                  pid: int | None = None) -> int:
        """A new `running` row; `host` and `pid` (default: this process) name the process, so a later start can
        tell when it is gone (storage/runs.py)."""
        if host is None:
            from storage.runs import this_process

            host, pid = this_process()
        now = utcnow()
        with self._write() as conn:
            return conn.execute(
                RUN.insert()
                .values(spider=spider, args=_jsonable(args or {}), started_at=now, status="running", stats={},
                        host=host, pid=pid, heartbeat_at=now)
                .returning(RUN.c.id)
            ).scalar_one()

    def record_error(self, run_id: int | None, url: str, reason: str, detail: str = "",
                     retry_meta: dict | None = None) -> None:
        """`retry_meta`: the URL is a notice page (with what its list said) that the next crawl fetches again."""
        with self._write() as conn:
            values = {"run_id": run_id, "url": url or "", "reason": reason, "detail": detail or "", "at": utcnow()}
            if retry_meta is not None:  # left out, not None: a JSON column would store None as JSON 'null'
                values["retry_meta"] = _jsonable(retry_meta)
            conn.execute(ERROR.insert().values(**values))

    def heartbeat(self, run_id: int, progress: dict) -> None:
        """A running crawl's sign of life, with its progress so far (kept in `stats` until finish_run)."""
        with self._write() as conn:
            conn.execute(
                RUN.update()
                .where(RUN.c.id == run_id, RUN.c.status == "running")
                .values(heartbeat_at=utcnow(), stats=_jsonable(progress))
            )

    def finish_run(self, run_id: int, status: str, stats: dict | None = None) -> None:
        with self._write() as conn:
            conn.execute(
                RUN.update()
                .where(RUN.c.id == run_id)
                .values(status=status, stats=_jsonable(stats or {}), finished_at=utcnow())
            )

    def running_runs(self) -> list[sa.Row]:
        """Rows still `running`: id, spider, host, pid, started_at, heartbeat_at, stats."""
        from storage.reading import running_runs

        with self.engine.connect() as conn:
            return running_runs(conn)

    def interrupt_run(self, run_id: int, reason: str) -> bool:
        """Mark a `running` row whose process is gone `interrupted` (ended at its last heartbeat); False if it
        was no longer running."""
        with self._write() as conn:
            row = conn.execute(sa.select(RUN.c.stats, RUN.c.heartbeat_at, RUN.c.started_at)
                               .where(RUN.c.id == run_id, RUN.c.status == "running")).first()
            if row is None:
                return False
            stats = {**(row.stats or {}), "status": "interrupted", "reason": reason}
            conn.execute(RUN.update().where(RUN.c.id == run_id, RUN.c.status == "running").values(
                status="interrupted", stats=_jsonable(stats), finished_at=row.heartbeat_at or row.started_at))
            return True

    def last_finished_run(self, spider: str) -> sa.Row | None:
        """The newest run of `spider` that finished (id, args, stats, started_at, finished_at), or None."""
        with self.engine.connect() as conn:
            return conn.execute(
                sa.select(RUN.c.id, RUN.c.args, RUN.c.stats, RUN.c.started_at, RUN.c.finished_at)
                .where(RUN.c.spider == spider, RUN.c.status == "finished")
                .order_by(RUN.c.finished_at.desc(), RUN.c.id.desc()).limit(1)
            ).first()

    def failed_notice_pages(self, spider: str) -> list[tuple[str, dict, int]]:
        """Notice pages that failed in runs of `spider`: (url, what the list said, runs it failed in), oldest
        first. Whether they are stored by now is the caller's check (its known URLs)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(ERROR.c.url, ERROR.c.retry_meta, ERROR.c.run_id)
                .join(RUN, RUN.c.id == ERROR.c.run_id)
                .where(RUN.c.spider == spider, ERROR.c.retry_meta.is_not(None))
                .order_by(ERROR.c.id)
            ).all()
        found: dict[str, tuple[dict, set]] = {}
        for url, meta, run in rows:
            found[url] = (meta or {}, found.get(url, ({}, set()))[1] | {run})
        return [(url, meta, len(runs)) for url, (meta, runs) in found.items()]

    # ---------------------------------------------------------------- reading

    def search(self, query: "SearchQuery") -> "SearchResult":
        from storage.search.engine import run_search

        with self.engine.connect() as conn:
            return run_search(conn, query)

    def notice_ids(self, *, stale_only: bool = False, current_version: str | None = None) -> list[int]:
        """Ids of stored notices; with stale_only, those whose extractor_version is not current_version."""
        stmt = sa.select(NOTICE.c.id).order_by(NOTICE.c.id)
        if stale_only:
            stmt = stmt.where(
                sa.or_(NOTICE.c.extractor_version.is_(None), NOTICE.c.extractor_version != current_version)
            )
        with self.engine.connect() as conn:
            return list(conn.execute(stmt).scalars())

    def raw_notice(self, notice_id: int) -> RawNotice:
        """The notice as it was fetched, rebuilt from the blob store (no network)."""
        with self.engine.connect() as conn:
            n = conn.execute(sa.select(NOTICE).where(NOTICE.c.id == notice_id)).first()
            if n is None:
                raise NoticeNotFound(notice_id)
            atts = conn.execute(
                sa.select(ATTACHMENT).where(ATTACHMENT.c.notice_id == notice_id).order_by(ATTACHMENT.c.id)
            ).all()
        return RawNotice(
            source=n.source,
            url=n.url,
            data=self.blobs.get(n.raw_sha256),
            content_type=n.raw_content_type,
            name=n.raw_name or "",
            external_id=n.external_id,
            list_meta=dict(n.list_meta or {}),
            attachments=[
                RawAttachment(
                    url=a.url,
                    name=a.name,
                    data=self.blobs.get(a.sha256) if a.sha256 else None,
                    content_type=a.content_type,
                    error=a.error if a.sha256 is None else None,
                )
                for a in atts
            ],
        )

    def attachment_ids(self, notice_id: int) -> dict[str, int]:
        """attachment URL → row id, for matching re-read attachments to their rows."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(ATTACHMENT.c.url, ATTACHMENT.c.id).where(ATTACHMENT.c.notice_id == notice_id)
            )
            return {r.url: r.id for r in rows}

    def procurement(self, notice_id: int) -> list[dict[str, Any]]:
        """The notices of this notice's procurement (same procurement_key), oldest first; just the notice
        itself when it has no key."""
        with self.engine.connect() as conn:
            key = conn.execute(sa.select(NOTICE.c.procurement_key).where(NOTICE.c.id == notice_id)).first()
            if key is None:
                raise NoticeNotFound(notice_id)
            cond = NOTICE.c.procurement_key == key[0] if key[0] else NOTICE.c.id == notice_id
            rows = conn.execute(
                sa.select(
                    NOTICE.c.id,
                    NOTICE.c.title,
                    NOTICE.c.url,
                    NOTICE.c.source,
                    NOTICE.c.notice_type,
                    NOTICE.c.published_at,
                    NOTICE.c.remote_compute,
                )
                .where(cond)
                .order_by(NOTICE.c.published_at.is_(None), NOTICE.c.published_at, NOTICE.c.id)
            ).all()
        return [{**r._asdict(), "published_at": _iso(r.published_at)} for r in rows]

    def notice_detail(self, notice_id: int) -> dict[str, Any]:
        """Everything known about one notice, JSON-ready (for `tenderwatch show` and the web site)."""
        from storage.reading import notice_detail

        from storage.review import history

        if not db.is_row_id(self.dialect, notice_id):  # no such row, and too large to bind
            raise NoticeNotFound(notice_id)
        with self.engine.connect() as conn:
            detail = notice_detail(conn, notice_id)
            if detail is not None:  # review decisions, newest first (storage/review.py)
                detail["reviews"] = [
                    {**r, "decided_at": r["decided_at"].isoformat(timespec="seconds")} for r in history(conn, notice_id)
                ]
        if detail is None:
            raise NoticeNotFound(notice_id)
        detail["procurement"] = self.procurement(notice_id)
        return detail

    def organisation_detail(self, organisation_id: int) -> dict[str, Any]:
        from storage.reading import organisation_detail

        with self.engine.connect() as conn:
            detail = organisation_detail(conn, organisation_id)
        if detail is None:
            raise LookupError(f"no organisation {organisation_id}")
        return detail

    def stats(self) -> dict[str, Any]:
        from storage.reading import stats

        with self.engine.connect() as conn:
            return stats(conn)

    def rebuild_search_index(self) -> int:
        with self._write() as conn:
            return search_index.rebuild(conn)

    # ---------------------------------------------------------------- internals

    def _ensure_source(self, conn: sa.Connection, name: str) -> None:
        if name in self._sources:
            return
        conn.execute(
            self._insert(SOURCE).values(name=name, title=name).on_conflict_do_nothing(index_elements=["name"])
        )
        self._after_commit(lambda: self._sources.add(name))

    def _insert_notice(self, conn, raw, body, raw_sha, chash, now, simhash) -> int | None:
        stmt = (
            self._insert(NOTICE)
            .values(
                source=raw.source,
                url=raw.url,
                external_id=raw.external_id,
                title=_list_title(raw.list_meta, body),
                text=body.text,
                content_hash=chash,
                raw_sha256=raw_sha,
                raw_content_type=raw.content_type,
                raw_name=raw.name or "",
                list_meta=_jsonable(raw.list_meta or {}),
                first_seen=now,
                last_seen=now,
                last_changed=now,
                simhash=simhash,
                remote_compute=False,
                hardware_purchase=False,
            )
            .on_conflict_do_nothing(index_elements=["url"])
            .returning(NOTICE.c.id)
        )
        return conn.execute(stmt).scalar()

    def _add_version(self, conn, notice_id, chash, raw_sha, body, extraction, raw, now) -> None:
        title = extraction.fields.title or _list_title(raw.list_meta, body)
        conn.execute(
            VERSION.insert().values(
                notice_id=notice_id,
                content_hash=chash,
                raw_sha256=raw_sha,
                title=title,
                text=body.text,
                fetched_at=now,
            )
        )

    def _replace_attachments(self, conn, notice_id, stored, now) -> None:
        conn.execute(ATTACHMENT.delete().where(ATTACHMENT.c.notice_id == notice_id))
        self._merge_attachments(conn, notice_id, stored, now)

    def _merge_attachments(self, conn, notice_id, stored, now, *, new: bool = False) -> None:
        """Insert attachments not yet stored; replace a stored one only with a successful fetch (a flaky
        refetch never overwrites good bytes with an error). `new`: the notice has no attachment rows yet."""
        if not stored:
            return
        existing = {} if new else {
            r.url: r
            for r in conn.execute(
                sa.select(ATTACHMENT.c.id, ATTACHMENT.c.url, ATTACHMENT.c.sha256).where(
                    ATTACHMENT.c.notice_id == notice_id
                )
            )
        }
        written: set[str] = set()  # a URL listed twice on a page is stored once
        inserts = []
        for raw, doc, sha in stored:
            if raw.url in written:
                continue
            written.add(raw.url)
            values = _attachment_values(raw, doc, sha, now)
            old = existing.get(raw.url)
            if old is None:
                inserts.append({"notice_id": notice_id, "url": raw.url, **values})
            elif sha is not None and old.sha256 != sha:
                conn.execute(ATTACHMENT.update().where(ATTACHMENT.c.id == old.id).values(**values))
        for row in inserts:  # one by one, in page order: the search index reads them back in id order
            conn.execute(ATTACHMENT.insert(), row)

    def _has_new_attachments(self, conn, notice_id, stored) -> bool:
        existing = dict(
            conn.execute(
                sa.select(ATTACHMENT.c.url, ATTACHMENT.c.sha256).where(ATTACHMENT.c.notice_id == notice_id)
            ).all()
        )
        return any(raw.url not in existing or (sha is not None and existing[raw.url] != sha) for raw, _, sha in stored)

    def _organisation(self, conn: sa.Connection, name: str | None) -> int | None:
        key = normalise_name(name)
        if not key:
            return None
        cached = self._org_ids.get(key)  # organisations are never deleted nor renamed under their key
        if cached is not None:
            return cached
        conn.execute(
            self._insert(ORG)
            .values(name=name.strip(), normalised_name=key)
            .on_conflict_do_nothing(index_elements=["normalised_name"])
        )
        org_id = conn.execute(sa.select(ORG.c.id).where(ORG.c.normalised_name == key)).scalar_one()
        if len(self._org_ids) < 100_000:
            self._after_commit(lambda: self._org_ids.__setitem__(key, org_id))
        return org_id

    def _apply_extraction(
        self, conn, notice_id: int, list_meta: dict, body: DocumentText, extraction: NoticeExtraction,
        *, new: bool = False,
    ) -> None:
        """Derived rows and columns from an extraction. `new`: the notice was just inserted, so it has no
        derived rows, procurement key or inherited tags to remove yet."""
        f, c = extraction.fields, extraction.compute
        meta = list_meta or {}
        buyer_id = self._organisation(conn, f.buyer or meta.get("buyer"))
        agency_id = self._organisation(conn, f.agency)
        vendor_ids = [v for v in (self._organisation(conn, name) for name in f.vendors) if v is not None]
        code = normalise_code(f.project_codes[0]) if f.project_codes else None
        old_key = None if new else conn.execute(
            sa.select(NOTICE.c.procurement_key).where(NOTICE.c.id == notice_id)
        ).scalar()
        key = self._procurement_key(conn, notice_id, code, normalise_name(f.buyer or meta.get("buyer")))
        conn.execute(
            NOTICE.update()
            .where(NOTICE.c.id == notice_id)
            .values(
                title=f.title or _list_title(meta, body),
                notice_type=f.notice_type or meta.get("notice_type"),
                published_at=parse_datetime(f.published_at) or parse_datetime(meta.get("published_at")),
                bid_deadline=parse_datetime(f.bid_deadline),
                region=f.region or meta.get("region"),
                project_code=code or None,
                buyer_id=buyer_id,
                agency_id=agency_id,
                extractor_version=extraction.extractor_version,
                remote_compute=bool(c.remote_compute),
                hardware_purchase=bool(c.hardware_purchase),
                **candidate_values(c),
                procurement_key=key,
            )
        )
        if not new:
            for table in (PARTY, AMOUNT, TAG):
                conn.execute(table.delete().where(table.c.notice_id == notice_id))
        parties = {(buyer_id, "buyer"), (agency_id, "agency"), *((v, "vendor") for v in vendor_ids)}
        parties.discard((None, "buyer"))
        parties.discard((None, "agency"))
        if parties:
            conn.execute(
                PARTY.insert(), [{"notice_id": notice_id, "organisation_id": o, "role": r} for o, r in sorted(parties)]
            )
        if f.amounts:
            conn.execute(
                AMOUNT.insert(),
                [
                    {
                        "notice_id": notice_id,
                        "kind": a.kind,
                        "value_cny": a.value_cny,
                        "percent": a.percent,
                        "raw": a.raw or "",
                        "currency": a.currency,
                        "value": a.value,
                    }
                    for a in f.amounts
                ],
            )
        tags = {(facet, value) for facet, attr in TAG_FACETS.items() for value in getattr(c, attr) or ()}
        if tags:
            conn.execute(
                TAG.insert(),
                [{"notice_id": notice_id, "facet": fc, "value": v, "inherited": False} for fc, v in sorted(tags)],
            )
        if not new:
            conn.execute(
                EXTRACTION.delete().where(
                    EXTRACTION.c.notice_id == notice_id, EXTRACTION.c.extractor_version == extraction.extractor_version
                )
            )
        conn.execute(
            EXTRACTION.insert().values(
                notice_id=notice_id,
                extractor_version=extraction.extractor_version,
                result=_jsonable(extraction.to_json()),
                created_at=utcnow(),
            )
        )
        for k in {old_key, key} - {None}:
            self._refresh_procurement_flags(conn, k)
        if key is None and not new:
            conn.execute(TAG.delete().where(TAG.c.notice_id == notice_id, TAG.c.inherited.is_(True)))

    def _procurement_key(self, conn, notice_id: int, code: str | None, buyer: str) -> str | None:
        """Primary project code + normalised buyer. A notice without a buyer (a correction, say) joins the
        procurement its code already belongs to if exactly one does; a notice with both adopts earlier
        buyer-less notices of the same code."""
        if not code:
            return None
        if buyer:
            key = f"{code}|{buyer}"
            conn.execute(
                NOTICE.update()
                .where(
                    NOTICE.c.project_code == code,
                    NOTICE.c.procurement_key.is_(None),
                    NOTICE.c.buyer_id.is_(None),
                    NOTICE.c.id != notice_id,
                )
                .values(procurement_key=key)
            )
            return key
        keys = set(
            conn.execute(
                sa.select(NOTICE.c.procurement_key)
                .where(NOTICE.c.project_code == code, NOTICE.c.procurement_key.is_not(None), NOTICE.c.id != notice_id)
                .distinct()
            ).scalars()
        )
        return keys.pop() if len(keys) == 1 else None

    def _refresh_procurement_flags(self, conn, key: str) -> None:
        """A case's flags are the union over its procurement: every notice sharing `key` gets, as inherited
        tags, the flags found on the others."""
        ids = list(conn.execute(sa.select(NOTICE.c.id).where(NOTICE.c.procurement_key == key)).scalars())
        if not ids:
            return
        conn.execute(TAG.delete().where(TAG.c.notice_id.in_(ids), TAG.c.inherited.is_(True)))
        own = conn.execute(
            sa.select(TAG.c.notice_id, TAG.c.value).where(TAG.c.notice_id.in_(ids), TAG.c.facet == "flag")
        ).all()
        union = {v for _, v in own}
        have = {(n, v) for n, v in own}
        rows = [
            {"notice_id": n, "facet": "flag", "value": v, "inherited": True}
            for n in ids
            for v in sorted(union)
            if (n, v) not in have
        ]
        if rows:
            conn.execute(TAG.insert(), rows)


def candidate_values(c: ComputeFindings) -> dict[str, Any]:
    """The notice columns of a possible case. A case is never also a candidate (shown apart, never mixed),
    whatever the extractor says; reasons and score are kept only for candidates."""
    candidate = bool(c.compute_candidate) and not c.remote_compute and not c.hardware_purchase
    return dict(
        compute_candidate=candidate,
        candidate_score=float(c.candidate_score or 0.0) if candidate else None,
        candidate_reasons=[str(r) for r in c.candidate_reasons or ()] if candidate else [],
    )


def fast_simhash(text: str) -> int | None:
    """`storage.dedup.simhash`, same value (same features, hash and bits), with the per-bit weighting done
    by numpy instead of a Python loop over 64 bits per feature (the store writes it for every new or changed
    notice). tests/storage checks both agree."""
    counts = dedup.features(text)
    if sum(counts.values()) < dedup.MIN_FEATURES:
        return None
    import numpy as np

    bits = dedup.BITS
    hashes = np.fromiter((dedup._hash64(f) for f in counts), dtype=np.uint64, count=len(counts))
    weights = np.fromiter(counts.values(), dtype=np.int64, count=len(counts))
    set_bits = ((hashes[:, None] >> np.arange(bits, dtype=np.uint64)) & np.uint64(1)).astype(np.int64)
    totals = weights @ (2 * set_bits - 1)
    value = sum(1 << bit for bit in range(bits) if totals[bit] > 0)
    return value - (1 << bits) if value >> (bits - 1) else value


class _Lazy:
    """A value computed on first call and remembered."""

    def __init__(self, fn):
        self._fn, self._done, self._value = fn, False, None

    def __call__(self):
        if not self._done:
            self._value, self._done = self._fn(), True
        return self._value


def _attachment_status(doc: DocumentText) -> tuple[str, str | None]:
    reasons = [e.split(":", 1)[0].strip() for e in doc.errors]
    for status in ATTACHMENT_STATUSES:
        if status in reasons:
            return status, "; ".join(doc.errors)
    if doc.needs_ocr:
        return "needs_ocr", "; ".join(doc.errors) or None
    if doc.errors and not doc.text:
        return "unsupported" if doc.kind == "unknown" else "corrupt", "; ".join(doc.errors)
    return "ok", "; ".join(doc.errors) or None


def _attachment_values(raw: "RawAttachment", doc: DocumentText, sha: str | None, now: datetime) -> dict[str, Any]:
    if raw.data is None:
        status = raw.error if raw.error in ("too_large",) else "fetch_error"
        return dict(
            name=raw.name or "",
            sha256=None,
            size=None,
            content_type=raw.content_type,
            text="",
            status=status,
            error=raw.error or "not fetched",
            fetched_at=now,
        )
    status, error = _attachment_status(doc)
    return dict(
        name=raw.name or doc.name or "",
        sha256=sha,
        size=len(raw.data),
        content_type=raw.content_type,
        text=doc.text or "",
        status=status,
        error=error,
        fetched_at=now,
        **_attachment_details(doc),
    )


def _attachment_details(doc: DocumentText) -> dict[str, Any]:
    """format, pages, OCR summary and (archives) members of a read attachment: what `show`, the notice page
    and `stats` list. Members of nested archives are flattened under "outer/inner" names."""

    def members(d: DocumentText, prefix: str) -> list[dict[str, Any]]:
        out = []
        for part in d.parts:
            name = f"{prefix}{part.name}"
            status, error = _attachment_status(part)
            out.append({"name": name, "format": format_of(part), "pages": part.pages, "status": status,
                        "error": error, "ocr": _jsonable(part.ocr) if part.ocr else None})
            out.extend(members(part, name + "/"))
        return out

    return dict(format=format_of(doc), pages=doc.pages, ocr=_jsonable(doc.ocr) if doc.ocr else None,
                members=members(doc, "") or None)


def _list_title(meta: dict | None, body: DocumentText) -> str:
    return (meta or {}).get("title") or body.title or ""


_DATE = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[\sT]*(\d{1,2})\s*[:时]\s*(\d{1,2}))?"
)


def parse_datetime(value: Any) -> datetime | None:
    """YYYY-MM-DD, YYYY-MM-DDTHH:MM, 'YYYY-MM-DD HH:MM:SS', YYYY年M月D日 [HH:MM] → naive datetime; else None."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    m = _DATE.search(str(value))
    if not m:
        return None
    y, mo, d, h, mi = (int(g) if g else 0 for g in m.groups())
    try:
        return datetime(y, mo, d, h, mi)
    except ValueError:
        return None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="minutes") if value else None


def _jsonable(value: Any) -> Any:
    """Make list_meta / stats / args safe for a JSON column (dates → ISO strings, sets → lists)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)
