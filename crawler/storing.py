"""The storing worker process: reads, extracts and stores notices on a CPU core of its own, so the crawl
process keeps downloading meanwhile (extraction and PDF parsing are CPU work that would otherwise hold
the crawl's interpreter). StorePipeline runs these functions in a ProcessPoolExecutor.

Each worker opens its own Store; SQLite (WAL, busy timeout, BEGIN IMMEDIATE) and PostgreSQL both take
writers from several processes. A worker ignores Ctrl-C (the crawl process decides how to stop) and exits
when the crawl process disappears (e.g. killed), so no orphan is left holding the database.

Notices are committed in batches (`Store.begin_batch`): one transaction for up to BATCH_NOTICES notices or
BATCH_SECONDS, each notice in a savepoint of its own (a notice that fails is rolled back alone). A timer
thread commits an idle batch, the worker commits what it holds when it exits (pool shutdown) or sees the
crawl process gone, and before reading a notice with fetched attachments (a crashing parser must not take
committed-looking notices with it). A kill loses at most the uncommitted batch; the next crawl fetches
those notices again (known URLs come from the database). Each worker shows when its open batch began in its
slot of an array shared with the crawl process (0.0 once committed): StorePipeline.committed_before.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time

logger = logging.getLogger(__name__)
_store = None
_database_url: str | None = None
BATCH_NOTICES = 20
BATCH_SECONDS = 0.5
_lock = threading.Lock()  # the store's batch connection: the worker thread vs the commit timer
_batch_started = 0.0
_batch_count = 0
_open_batches = None  # the array shared with the crawl process, and this worker's slot in it
_slot = 0
_uncommitted = 0.0  # the start of the first batch this worker could not commit (0: none)

# Read and extracted (not stored) at worker start, so the first real notice does not pay for loading the
# extractor's models, nor pdfminer's CMaps for the common Chinese CID font (warm_up_pdf).
_WARM_UP_PAGE = (
    "<html><head><meta charset='utf-8'><title>采购公告</title></head><body><h2 class='tc'>算力租赁服务采购项目</h2>"
    "<div class='vF_detail_content'><p>一、项目编号：WARM-UP</p><p>二、采购人：某单位</p></div></body></html>"
).encode("utf-8")


def init_worker(database_url: str | None, parent_pid: int, open_batches, slots) -> None:
    """Never raises: an exception here would break the pool for every notice. Problems show up per notice."""
    global _database_url, _open_batches, _slot
    _database_url = database_url
    with slots.get_lock():
        _slot, slots.value = slots.value % len(open_batches), slots.value + 1
    _open_batches = open_batches
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(parent_pid,), daemon=True, name="parent-watch").start()
    threading.Thread(target=_commit_timer, daemon=True, name="batch-commit").start()
    from multiprocessing.util import Finalize

    Finalize(None, flush, exitpriority=10)  # runs when the pool shuts the worker down
    try:
        from extract.documents import read_document
        from extract.pipeline import extract_notice

        # (Han characters enough for the PDF reader's dictionary test: loading jieba's dictionary is most of it)
        pdf = read_document(warm_up_pdf("供应商提供GPU云服务器租赁服务，按卡时计费，服务期十二个月。" * 3), name="warm-up.pdf")
        extract_notice(read_document(_WARM_UP_PAGE, name="warm-up.htm"), [pdf])
    except Exception:
        logger.exception("Warming up the extractor failed; each notice will report its own error")


def warm_up_pdf(text: str) -> bytes:
    """A one-page PDF of `text` in STSong-Light (UniGB-UCS2-H), the CID font Chinese PDFs mostly use: reading it
    loads pdfminer's GB1 CMaps once. Written here, in memory, so the worker needs no file of the replica."""
    content = b"BT /F1 12 Tf 72 720 Td <%s> Tj ET" % text.encode("utf-16-be").hex().upper().encode()
    font = b"/BaseFont /STSong-Light"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >>"
        b" /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type0 %s /Encoding /UniGB-UCS2-H /DescendantFonts [6 0 R] >>" % font,
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Type /Font /Subtype /CIDFontType0 %s /CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >>"
        b" /FontDescriptor 7 0 R >>" % font,
        b"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [0 -200 1000 900] /ItalicAngle 0"
        b" /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>",
    ]
    pdf, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(pdf))
        pdf += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(pdf)
    pdf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    pdf += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    pdf += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(pdf)


def store_notice(raw, run_id: int | None):
    """process_notice in this worker, in the current batch; returns its SaveResult."""
    global _store, _batch_started, _batch_count
    from storage.store import Store
    from storage.processing import process_notice

    with _lock:
        if _store is None:
            _store = Store.open(_database_url)
        if _store.in_batch and any(att.data is not None for att in raw.attachments):
            _store.commit_batch()  # attachment parsers are where a worker may crash
        if not _store.in_batch:
            _batch_started, _batch_count = time.monotonic(), 0
            # Shown before anything goes into the batch; a batch that could not be committed stays shown (its
            # start), so no notice of it is ever acked: their requests come back once their leases lapse.
            _open_batches[_slot] = _uncommitted or _batch_started
            _store.begin_batch()
        try:
            return process_notice(_store, raw, run_id=run_id)
        finally:
            _batch_count += 1
            if _batch_count >= BATCH_NOTICES or time.monotonic() - _batch_started >= BATCH_SECONDS:
                _commit()


def flush() -> None:
    """Commit the batch in progress (at worker exit)."""
    with _lock:
        _commit()


def _commit() -> None:
    if _store is None or not _store.in_batch:
        return
    global _uncommitted
    try:
        _store.commit_batch()
    except Exception:  # (the batch stays shown open: its notices are not acked to the frontier)
        logger.exception("Could not commit a batch of notices")
        _uncommitted = _uncommitted or _open_batches[_slot]
        return
    _open_batches[_slot] = _uncommitted or 0.0


def _commit_timer() -> None:
    while True:
        time.sleep(BATCH_SECONDS / 2)
        if _store is not None and _store.in_batch and time.monotonic() - _batch_started >= BATCH_SECONDS:
            if _lock.acquire(timeout=BATCH_SECONDS):
                try:
                    if time.monotonic() - _batch_started >= BATCH_SECONDS:
                        _commit()
                finally:
                    _lock.release()


def _exit_with_parent(parent_pid: int) -> None:
    while True:
        if os.getppid() != parent_pid:
            # Commit what is complete (a notice in progress holds the lock: give it a moment), then go; an
            # open write transaction is rolled back by the database.
            if _lock.acquire(timeout=2):
                _commit()
            os._exit(1)
        time.sleep(0.5)
