"""`tenderwatch ingest --bulk FOLDER`: files read and extracted in several processes, written in order through
the bulk loader (storage/bulk.py) — the rows `ingest` without --bulk writes, a batch per transaction."""

from __future__ import annotations

import multiprocessing
from typing import Callable

# What forked workers inherit: the URLs stored already, the source name, the file reader.
_KNOWN: set[str] = set()
_SOURCE = "local"
_READ: Callable[[str, str, set[str]], tuple] | None = None


def _prepare(label: str):
    """("ok", raw, body, extraction) | ("known", url) | ("fail", reason, detail) for one file."""
    from extract.pipeline import extract_notice

    try:
        # Not a copy: a million stored URLs copied per file would cost ~60 ms each; what a worker adds stays in
        # its own (forked) set and only stops it reading the same content twice, which the writer would skip too.
        read = _READ(_SOURCE, label, _KNOWN)
        if read[0] != "ok":
            return read
        _, raw, body = read
        return "ok", raw, body, extract_notice(body, [], raw.list_meta)
    except Exception as exc:  # one bad document must not end the run
        return "fail", "process_error", f"{type(exc).__name__}: {exc}"


def ingest_bulk(store, summary, known: set[str], labels: list[str], *, read, workers: int, show: bool, fail) -> None:
    """Ingest the files `labels` into `store`, counting into `summary` (tenderwatch.commands.ingest.Summary).
    `read(source, label, known)` reads one file (ingest.read_local_input); `fail(store, summary, label, reason,
    detail)` records a file that could not be stored."""
    global _SOURCE, _READ
    _KNOWN.clear()
    _KNOWN.update(known)
    _SOURCE, _READ = summary.source, read
    pool = multiprocessing.get_context("fork").Pool(workers) if workers > 1 else None
    results = pool.imap(_prepare, labels, chunksize=8) if pool else map(_prepare, labels)
    try:
        with store.bulk_loader() as loader:
            for n, (label, result) in enumerate(zip(labels, results), start=1):
                if result[0] == "known":
                    summary.skipped_known += 1
                elif result[0] == "fail":
                    fail(store, summary, label, result[1], result[2])
                elif result[1].url in known:  # the same content twice in one run is stored once
                    summary.skipped_known += 1
                else:
                    known.add(result[1].url)
                    loader.add(result[1], result[2], [], result[3])
                if show and n % 1000 == 0:
                    print(f"  {n:,}/{len(labels):,} files", flush=True)
        for status, count in loader.counts.items():
            if count:
                summary.notices[status] = summary.notices.get(status, 0) + count
    finally:
        if pool:
            pool.terminate()
