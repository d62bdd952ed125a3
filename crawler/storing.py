"""The storing worker process: reads, extracts and stores notices on a CPU core of its own, so the crawl
process keeps downloading meanwhile (extraction and PDF parsing are CPU work that would otherwise hold
the crawl's interpreter). StorePipeline runs these functions in a ProcessPoolExecutor.

Each worker opens its own Store; SQLite (WAL, busy timeout, BEGIN IMMEDIATE) and PostgreSQL both take
writers from several processes. A worker ignores Ctrl-C (the crawl process decides how to stop) and exits
when the crawl process disappears (e.g. killed), so no orphan is left holding the database.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from pathlib import Path

logger = logging.getLogger(__name__)
_store = None
_database_url: str | None = None

# Read and extracted (not stored) at worker start, so the first real notice does not pay for loading the
# extractor's models, nor pdfminer's CMaps for the common Chinese CID fonts (a 3 KB PDF of the replica).
_WARM_UP_PDF = Path(__file__).resolve().parent / "replica" / "content" / "files" / "deal_notice_aws.pdf"
_WARM_UP_PAGE = (
    "<html><head><meta charset='utf-8'><title>采购公告</title></head><body><h2 class='tc'>算力租赁服务采购项目</h2>"
    "<div class='vF_detail_content'><p>一、项目编号：WARM-UP</p><p>二、采购人：某单位</p></div></body></html>"
).encode("utf-8")


def init_worker(database_url: str | None, parent_pid: int) -> None:
    """Never raises: an exception here would break the pool for every notice. Problems show up per notice."""
    global _database_url
    _database_url = database_url
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(parent_pid,), daemon=True, name="parent-watch").start()
    try:
        from extract.documents import read_document
        from extract.pipeline import extract_notice

        pdf = read_document(_WARM_UP_PDF.read_bytes(), name=_WARM_UP_PDF.name) if _WARM_UP_PDF.exists() else None
        extract_notice(read_document(_WARM_UP_PAGE, name="warm-up.htm"), [pdf] if pdf else [])
    except Exception:
        logger.exception("Warming up the extractor failed; each notice will report its own error")


def store_notice(raw, run_id: int | None):
    """process_notice in this worker; returns its SaveResult."""
    global _store
    from storage.store import Store
    from tenderwatch.processing import process_notice

    if _store is None:
        _store = Store.open(_database_url)
    return process_notice(_store, raw, run_id=run_id)


def _exit_with_parent(parent_pid: int) -> None:
    while True:
        if os.getppid() != parent_pid:
            os._exit(1)  # an open write transaction is rolled back by the database
        time.sleep(0.5)
