"""`tenderwatch ingest PATH|URL-LIST` — notices gathered by hand, through the same extraction and storage
as crawled ones (storage.processing.process_notice).

PATH is a folder (every file under it), a single document, or a text file listing URLs one per line (blank
lines and `#` comments allowed). A local file is stored under ``local:<sha256 of its bytes>``, so the same
file ingested again — moved, renamed or copied — adds nothing. URLs are fetched by the crawler with its own
manners (crawler/fetch.py: its user agent, a pause between requests to the same host, robots.txt, retries);
a URL already stored is not fetched again. A file or URL that cannot be read is recorded
(as a crawl error of the ingest run) and the run goes on; a closing summary says what happened to each.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit, urlunsplit

import click

from tenderwatch.options import database_url_option
from tenderwatch.shards import shard_option

MAX_BYTES = 64 * 1024 * 1024  # as the crawler's DOWNLOAD_MAXSIZE: bigger files are recorded as too_large
SKIPPED_NAMES = {".DS_Store", "Thumbs.db", "desktop.ini"}


@dataclass
class Summary:
    source: str
    run_id: int | None = None
    status: str = "finished"
    inputs: int = 0
    notices: dict[str, int] = field(default_factory=lambda: {"new": 0, "changed": 0, "unchanged": 0, "failed": 0})
    skipped_known: int = 0  # already stored (same content hash / URL): not processed again
    errors: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def to_json(self) -> dict:
        return {"run_id": self.run_id, "status": self.status, "source": self.source, "inputs": self.inputs,
                "notices": self.notices, "skipped_known": self.skipped_known, "errors": dict(sorted(self.errors.items())),
                "seconds": self.seconds}


class InputError(Exception):
    """One file or URL could not be read; `reason` is the CrawlError reason."""

    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason = reason


@click.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--source", default="local", show_default=True, help="Source name the notices are stored under.")
@click.option("--urls", "as_urls", is_flag=True, help="Treat PATH as a list of URLs even if it does not look like one.")
@click.option("--delay", type=click.FloatRange(min=0), default=3.0, show_default=True,
              help="Seconds between requests to the same host (URL lists).")
@click.option("--refresh", is_flag=True, help="Process inputs again even when already stored.")
@database_url_option
@click.option("--json", "as_json", is_flag=True, help="Print the closing summary as JSON.")
@shard_option
@click.option("--bulk", is_flag=True, help="A folder of many notices: extract in --workers processes and write "
              "through the bulk loader (storage/bulk.py), a batch per transaction.")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Processes reading and extracting files (--bulk).")
def ingest(path: Path, source, as_urls, delay, refresh, database_url, as_json, shard, bulk, workers):
    """Store the documents in PATH (a folder or a file), or the pages listed in PATH (a file of URLs)."""
    from storage.store import Store

    source = source.strip()
    if not source:
        raise click.BadParameter("must not be empty", param_hint="--source")
    urls = read_url_list(path) if path.is_file() and (as_urls or looks_like_url_list(path)) else None
    if as_urls and not urls:
        raise click.UsageError(f"{path} lists no http(s) URLs")
    summary = Summary(source)
    started = time.monotonic()
    with Store.open(database_url) as store:
        summary.run_id = store.start_run("ingest", {"path": str(path), "source": source, "urls": urls is not None,
                                                    "delay": delay, "refresh": refresh,
                                                    **({"shard": str(shard)} if shard else {})})
        known = set() if refresh else store.known_urls(source)
        try:
            if urls is not None:
                urls = [u for u in urls if shard is None or shard.holds_key(u)]
                summary.inputs = len(urls)
                fetch_list(store, summary, known, urls, delay, show=not as_json)
            else:
                items = [(str(p), lambda p=p: read_local(p)) for p in list_files(path)
                         if shard is None or shard.holds_key(shard_key(path, p))]
                summary.inputs = len(items)
                if bulk:
                    from tenderwatch.bulk_ingest import ingest_bulk

                    ingest_bulk(store, summary, known, [label for label, _ in items], read=read_local_input,
                                workers=workers, show=not as_json, fail=_fail)
                else:
                    with _progress(items, not as_json, f"ingesting {len(items)} files") as bar:
                        for label, load in bar:
                            ingest_one(store, summary, known, label, load, remote=False)
        except KeyboardInterrupt:
            summary.status = "interrupted"
        summary.seconds = round(time.monotonic() - started, 1)
        store.finish_run(summary.run_id, summary.status, summary.to_json())
    if as_json:
        click.echo(json.dumps(summary.to_json(), ensure_ascii=False, indent=2))
    else:
        click.echo(format_summary(summary))
    if summary.status == "interrupted":
        sys.exit(130)


def ingest_one(store, summary: Summary, known: set[str], label: str, load, *, remote: bool) -> None:
    from storage.processing import process_notice

    try:
        raw, body = read_input(summary.source, label, load, remote=remote, known=known)
    except InputError as exc:
        if exc.reason == "known":
            summary.skipped_known += 1
        else:
            _fail(store, summary, label, exc.reason, str(exc))
        return
    try:
        result = process_notice(store, raw, run_id=summary.run_id, body=body)
    except Exception as exc:  # one bad document must not end the run
        _fail(store, summary, label, "process_error", f"{type(exc).__name__}: {exc}")
        summary.notices["failed"] += 1
        return
    summary.notices[result.status] = summary.notices.get(result.status, 0) + 1


def read_input(source: str, label: str, load, *, remote: bool, known: set[str] | None = None):
    """(RawNotice, its body read) of one input, or InputError (reason "known": stored already)."""
    from extract.documents import read_document
    from storage.processing import RawNotice

    url, data, name, content_type = load()
    if known is not None:
        if url in known:
            raise InputError("known", url)
        known.add(url)  # the same content twice in one run is stored once
    # Read here to refuse what has no text (a broken file would be an empty notice); process_notice takes
    # this reading rather than reading (and OCR-ing) the file again.
    body = read_document(data, name=name, content_type=content_type)
    if not body.text.strip():
        if known is not None:
            known.discard(url)  # a later run may read it with a better reader
        reason = body.errors[0].split(":", 1)[0].strip() if body.errors else "no_text"
        raise InputError(reason or "unreadable", "; ".join(body.errors) or "no text in the document")
    meta = {"title": _first_line(body.title or "") or _first_line(body.text) or Path(name).stem}
    meta["fetched_from" if remote else "path"] = label
    raw = RawNotice(source=source, url=url, data=data, content_type=content_type, name=name, list_meta=meta,
                    external_id=None if remote else url.split(":", 1)[1][:16])
    return raw, body


def read_local_input(source: str, label: str, known: set[str]) -> tuple:
    """("ok", raw, body) | ("known", url) | ("fail", reason, detail) for the local file `label` (ingest --bulk)."""
    try:
        return ("ok", *read_input(source, label, lambda: read_local(Path(label)), remote=False, known=known))
    except InputError as exc:
        return ("known", str(exc)) if exc.reason == "known" else ("fail", exc.reason, str(exc))


def _fail(store, summary: Summary, label: str, reason: str, detail: str) -> None:
    summary.errors[reason] = summary.errors.get(reason, 0) + 1
    store.record_error(summary.run_id, label, reason, detail)
    click.echo(f"  {label}: {reason}: {detail}", err=True)


# -- local files ------------------------------------------------------------------------------------------


def list_files(path: Path) -> list[Path]:
    """Every regular file under `path` (or `path` itself), sorted, hidden files and folders left out."""
    if path.is_file():
        return [path]
    files = []
    for p in sorted(path.rglob("*")):
        rel = p.relative_to(path).parts
        if p.is_file() and not any(part.startswith(".") for part in rel) and p.name not in SKIPPED_NAMES:
            files.append(p)
    return files


def shard_key(root: Path, path: Path) -> str:
    """A file's place in the folder being ingested, the same on every machine that mounts it (--shard)."""
    return path.name if root.is_file() else path.relative_to(root).as_posix()


def local_url(data: bytes) -> str:
    """A local file's canonical URL: its content, not its name or place (re-ingesting it adds nothing)."""
    return "local:" + hashlib.sha256(data).hexdigest()


def read_local(path: Path):
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise InputError("too_large", f"{size} bytes (limit {MAX_BYTES})")
        data = path.read_bytes()
    except OSError as exc:
        raise InputError("read_error", f"{type(exc).__name__}: {exc.strerror or exc}") from None
    if not data:
        raise InputError("empty_file", "the file is empty")
    return local_url(data), data, path.name, mimetypes.guess_type(path.name)[0]


# -- URL lists --------------------------------------------------------------------------------------------


def looks_like_url_list(path: Path) -> bool:
    """A small text file whose every non-comment line is an http(s) URL."""
    if path.stat().st_size > 4 * 1024 * 1024:
        return False
    try:
        lines = _list_lines(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError:
        return False
    return bool(lines) and all(line.lower().startswith(("http://", "https://")) for line in lines)


def read_url_list(path: Path) -> list[str]:
    lines = _list_lines(path.read_bytes().decode("utf-8-sig", errors="replace"))
    return list(dict.fromkeys(canonical(u) for u in lines if u.lower().startswith(("http://", "https://"))))


def _list_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]


def canonical(url: str) -> str:
    parts = urlsplit(url.strip())
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, ""))


def fetch_list(store, summary: Summary, known: set[str], urls: list[str], delay: float, *, show: bool) -> None:
    """Fetch the URLs not stored yet through the crawler (crawler/fetch.py) and ingest each as it arrives."""
    from crawler.fetch import fetch_urls

    pending = [u for u in urls if u not in known]
    summary.skipped_known += len(urls) - len(pending)
    bar = click.progressbar(length=len(pending), label=f"ingesting {len(pending)} URLs", file=sys.stderr) \
        if show and sys.stderr.isatty() and pending else None

    def fetched(url: str, response) -> None:
        name = PurePosixPath(urlsplit(response.url).path).name or "index.html"
        content_type = (response.headers.get("Content-Type") or b"").decode("latin-1") or None
        ingest_one(store, summary, known, url, lambda: (url, response.body, name, content_type), remote=True)
        done()

    def failed(url: str, reason: str, detail: str) -> None:  # (an empty body is the crawler's `empty_body`)
        _fail(store, summary, url, reason, detail)
        done()

    def done() -> None:
        if bar is not None:
            bar.update(1)

    if pending and fetch_urls(pending, delay=delay, on_page=fetched, on_failure=failed) == "shutdown":
        summary.status = "interrupted"
    if bar is not None:
        bar.render_finish()


# -- output -----------------------------------------------------------------------------------------------


def _first_line(text: str) -> str:
    from extract.documents.textutil import cap_title

    return cap_title(next((ln.strip() for ln in text.splitlines() if ln.strip()), ""))


class _progress:
    """click's progress bar on a terminal; the bare iterable otherwise."""

    def __init__(self, items, show: bool, label: str):
        self.items, self.bar = items, None
        if show and sys.stderr.isatty():
            self.bar = click.progressbar(items, label=label, show_pos=True, file=sys.stderr,
                                         item_show_func=lambda item: item and item[0][-40:])

    def __enter__(self):
        return self.bar.__enter__() if self.bar else self.items

    def __exit__(self, *exc):
        if self.bar:
            self.bar.__exit__(*exc)


def format_summary(summary: Summary) -> str:
    n = summary.notices
    lines = [
        f"ingest run {summary.run_id} ({summary.source}): {summary.status} in {summary.seconds} s, {summary.inputs} inputs",
        f"  notices: {n['new']} new, {n['changed']} changed, {n['unchanged']} unchanged, {n['failed']} failed; "
        f"{summary.skipped_known} already stored",
        "  errors: " + (", ".join(f"{k} {v}" for k, v in sorted(summary.errors.items())) or "none"),
    ]
    return "\n".join(lines)
