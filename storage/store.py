"""`Store`: the one write and read API over the database and the blob store (docs/architecture.md) — a facade
that holds the transactions and batches; the work is done by the modules of one job each:
`storage.write` (one notice), `storage.bulk` (many), `storage.rows` (the rows of a notice),
`storage.procurement`, `storage.dedup`, `storage.runs`, `storage.reading`, `storage.search`.

Every write is one transaction: a crawl killed mid-notice leaves the notice either wholly stored or not
at all, and the full-text index always matches the rows. Raw bytes go to the blob store first
(idempotent, atomic), so a committed row never points at a missing blob.
"""

from __future__ import annotations

import contextlib
import hashlib
from typing import TYPE_CHECKING, Any, Iterator, MutableMapping, Sequence

import sqlalchemy as sa

from extract.types import DocumentText, NoticeExtraction
from models.raw import RawAttachment, RawNotice
from models.tables import ATTACHMENT, LINK, NOTICE, utcnow
from storage import db, org_directory, runs
from storage.blobs import BlobStore
from storage.dedup import simhash as fast_simhash  # noqa: F401  (its old name here)
from storage.normalise import content_hash
from storage.rows import TAG_FACETS, candidate_values  # noqa: F401  (re-exported)
from storage.search import index as search_index
from storage.write import Known, NoticeNotFound, SaveResult, Writer, put_blobs

if TYPE_CHECKING:
    from storage.search.model import SearchQuery, SearchResult

__all__ = ["NoticeNotFound", "SaveResult", "Store", "utcnow"]


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
        self._known = Known()

    # ---------------------------------------------------------------- opening

    @classmethod
    def open(cls, url: str | None = None, *, read_only: bool = False, blob_dir=None, create: bool = True,
             upgrade: bool = False) -> "Store":
        """Open the database (default: storage.config.database_url()). A writable store on SQLite brings the
        schema to the newest migration and the search index to the current tokenizer; on PostgreSQL it only
        creates the schema of an empty database and refuses an outdated one (storage.db.open_schema), unless
        `upgrade` (`tenderwatch db upgrade`, the one migrator of a shared database). A read-only one (the web
        site) only checks that the schema is current. `create=False`: a missing SQLite file is an error
        (DatabaseError "no database at …"), not a new empty database."""
        engine = db.make_engine(url, read_only=read_only, create=create)
        if read_only:
            db.check_schema(engine)
            with engine.connect() as conn:
                if not search_index.is_current(conn) and conn.execute(sa.text("SELECT 1 FROM notice LIMIT 1")).first():
                    raise db.DatabaseError("the search index must be rebuilt: run `tenderwatch db upgrade`")
        else:
            if upgrade:
                db.upgrade(engine)
            else:
                db.open_schema(engine)
            with engine.connect() as conn:  # a read: opening must not wait for a crawler's write lock
                current = search_index.is_current(conn)
                if not (current or upgrade or db.migrates_at_open(engine)) \
                        and conn.execute(sa.text("SELECT 1 FROM notice LIMIT 1")).first():
                    raise db.DatabaseError("the search index must be rebuilt: run `tenderwatch db upgrade`")
            if not current:
                with db.write_transaction(engine) as conn:
                    if not search_index.is_current(conn):
                        search_index.rebuild(conn)
            with engine.connect() as conn:
                unfilled = org_directory.unfilled(conn)
            if unfilled:
                with db.write_transaction(engine) as conn:
                    if org_directory.unfilled(conn):
                        org_directory.refresh(conn)
        return cls(engine, BlobStore(blob_dir), read_only=read_only)

    def close(self) -> None:
        self.commit_batch()
        self.engine.dispose()
        self.blobs.close()

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
        savepoint of the batch's transaction. Cache updates registered meanwhile (in `_pending`) apply
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

    @contextlib.contextmanager
    def _writer(self):
        """A `storage.write.Writer` on a write transaction (see `_write`)."""
        with self._write() as conn:
            yield Writer(conn, self._known, self._pending)

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

    # ---------------------------------------------------------------- notices

    def save_notice(
        self,
        raw: RawNotice,
        body: DocumentText,
        attachments: Sequence[tuple[RawAttachment, DocumentText]],
        extraction: NoticeExtraction,
    ) -> SaveResult:
        """Store one fetched notice: "new", "changed", "unchanged" or "linked" (storage.write.Writer.save_notice)."""
        raw_sha, stored = put_blobs(self.blobs, raw, attachments)
        with self._writer() as w:
            return w.save_notice(raw, body, stored, extraction, raw_sha)

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
        """Rebuild a stored notice's derived data from its re-read raw bytes (`tenderwatch reextract`): body
        text, content hash, attachment texts and statuses, fields, parties, amounts, tags, procurement link,
        search index. No version is added — the source did not change, our reading did."""
        with self._writer() as w:
            w.replace_extraction(notice_id, body, attachments, extraction)

    def known_urls(self, source: str) -> set[str]:
        with self.engine.connect() as conn:
            urls = set(conn.execute(sa.select(NOTICE.c.url).where(NOTICE.c.source == source)).scalars())
            # republications stored as links count as known: a crawl need not fetch them again
            return urls | set(conn.execute(sa.select(LINK.c.url).where(LINK.c.source == source)).scalars())

    def add_link(self, notice_id: int, source: str, url: str) -> None:
        """Record another URL where the same notice was published (ignored if already known)."""
        with self._writer() as w:
            w.link(notice_id, source, url, utcnow())

    def bulk_loader(self, **options):
        """A `storage.bulk.BulkLoader` writing many new notices through this store's blob store and caches."""
        from storage.bulk import BulkLoader

        return BulkLoader(self, **options)

    # ---------------------------------------------------------------- crawl runs (storage/runs.py)

    def start_run(self, spider: str, args: dict | None = None, *, host: str | None = None,
                  pid: int | None = None) -> int:
        """A new `running` row; `host` and `pid` (default: this process) name the process, so a later start can
        tell when it is gone (storage/runs.py)."""
        if host is None:
            host, pid = runs.this_process()
        with self._write() as conn:
            return runs.start_run(conn, spider, args, host, pid)

    def record_error(self, run_id: int | None, url: str, reason: str, detail: str = "",
                     retry_meta: dict | None = None) -> None:
        """`retry_meta`: the URL is a notice page (with what its list said) that the next crawl fetches again."""
        with self._write() as conn:
            runs.record_error(conn, run_id, url, reason, detail, retry_meta)

    def heartbeat(self, run_id: int, progress: dict) -> None:
        """A running crawl's sign of life, with its progress so far (kept in `stats` until finish_run)."""
        with self._write() as conn:
            runs.heartbeat(conn, run_id, progress)

    def finish_run(self, run_id: int, status: str, stats: dict | None = None) -> None:
        with self._write() as conn:
            runs.finish_run(conn, run_id, status, stats)

    def running_runs(self) -> list[sa.Row]:
        """Rows still `running`: id, spider, host, pid, started_at, heartbeat_at, stats."""
        from storage.reading import running_runs

        with self.engine.connect() as conn:
            return running_runs(conn)

    def interrupt_run(self, run_id: int, reason: str) -> bool:
        """Mark a `running` row whose process is gone `interrupted` (ended at its last heartbeat); False if it
        was no longer running."""
        with self._write() as conn:
            return runs.interrupt_run(conn, run_id, reason)

    def last_finished_run(self, spider: str) -> sa.Row | None:
        """The newest run of `spider` that finished (id, args, stats, started_at, finished_at), or None."""
        with self.engine.connect() as conn:
            return runs.last_finished_run(conn, spider)

    def failed_notice_pages(self, spider: str) -> list[tuple[str, dict, int]]:
        """Notice pages that failed in runs of `spider`: (url, what the list said, runs it failed in), oldest
        first. Whether they are stored by now is the caller's check (its known URLs)."""
        with self.engine.connect() as conn:
            return runs.failed_notice_pages(conn, spider)

    # ---------------------------------------------------------------- reading

    def search(self, query: "SearchQuery", counts: MutableMapping[str, int] | None = None) -> "SearchResult":
        """`counts`: text match counts known while the database is unchanged (`run_search`)."""
        from storage.search.engine import run_search

        with self.engine.connect() as conn:
            return run_search(conn, query, counts)

    def notice_ids(self, *, stale_only: bool = False, current_version: str | None = None,
                   id_mod: tuple[int, int] | None = None) -> list[int]:
        """Ids of stored notices; with stale_only, those whose extractor_version is not current_version; with
        id_mod (n, r), those whose id is r mod n (a shard's, asked of the database: a shard of a million-notice
        archive never holds the other shards' ids)."""
        stmt = sa.select(NOTICE.c.id).order_by(NOTICE.c.id)
        if id_mod is not None:
            n, remainder = id_mod
            stmt = stmt.where(NOTICE.c.id % n == remainder)
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
        return self.notice_detail(notice_id)["procurement"]

    def notice_detail(self, notice_id: int) -> dict[str, Any]:
        """Everything known about one notice, JSON-ready (storage.reading.read_notice: `tenderwatch show`)."""
        from storage.reading import read_notice

        with self.engine.connect() as conn:
            detail = read_notice(conn, notice_id)
        if detail is None:
            raise NoticeNotFound(notice_id)
        return detail.to_json()

    def organisation_detail(self, organisation_id: int) -> dict[str, Any]:
        from storage.reading import read_organisation

        with self.engine.connect() as conn:
            detail = read_organisation(conn, organisation_id)
        if detail is None:
            raise LookupError(f"no organisation {organisation_id}")
        return detail.to_json()

    def stats(self) -> dict[str, Any]:
        from storage.reading import stats

        with self.engine.connect() as conn:
            return stats(conn)

    def rebuild_search_index(self) -> int:
        with self._write() as conn:
            return search_index.rebuild(conn)


@contextlib.contextmanager
def connection(url: str | None = None, *, write: bool = False) -> Iterator[sa.Connection]:
    """A command's connection to an existing database: for reads, or (write=True) one write transaction."""
    with Store.open(url, create=False) as store:
        if write:
            with db.write_transaction(store.engine) as conn:
                yield conn
        else:
            with store.engine.connect() as conn:
                yield conn
