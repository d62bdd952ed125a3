"""`tenderwatch ingest PATH|URL-LIST` — notices gathered by hand, through the same extraction and storage
as crawled ones (storage.processing.process_notice).

PATH is a folder (every file under it), a single document, or a text file listing URLs one per line (blank
lines and `#` comments allowed). A local file is stored under ``local:<sha256 of its bytes>``, so the same
file ingested again — moved, renamed or copied — adds nothing. URLs are fetched one at a time, with a pause
between requests to the same host and robots.txt respected. A file or URL that cannot be read is recorded
(as a crawl error of the ingest run) and the run goes on; a closing summary says what happened to each.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import sys
import time
import urllib.error
import urllib.request
import urllib.robotparser
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import click

from tenderwatch.options import database_url_option

# A desktop browser's identity, as the crawler uses: Chinese government sites refuse bot user agents.
USER_AGENT = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/126.0.0.0 Safari/537.36")
MAX_BYTES = 64 * 1024 * 1024  # as the crawler's DOWNLOAD_MAXSIZE: bigger files are recorded as too_large
TIMEOUT = 60
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
def ingest(path: Path, source, as_urls, delay, refresh, database_url, as_json):
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
                                                    "delay": delay, "refresh": refresh})
        known = set() if refresh else store.known_urls(source)
        try:
            if urls is not None:
                fetcher = PoliteFetcher(delay)
                items = [(u, lambda u=u: fetcher.fetch(u)) for u in urls]
            else:
                items = [(str(p), lambda p=p: read_local(p)) for p in list_files(path)]
            summary.inputs = len(items)
            with _progress(items, not as_json, f"ingesting {len(items)} {'URLs' if urls is not None else 'files'}") as bar:
                for label, load in bar:
                    ingest_one(store, summary, known, label, load, remote=urls is not None)
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
    from extract.documents import read_document
    from storage.processing import RawNotice, process_notice

    try:
        url, data, name, content_type = load()
    except InputError as exc:
        _fail(store, summary, label, exc.reason, str(exc))
        return
    if url in known:
        summary.skipped_known += 1
        return
    known.add(url)  # the same content twice in one run is stored once
    # Read here to refuse what has no text (a broken file would be an empty notice); process_notice takes
    # this reading rather than reading (and OCR-ing) the file again.
    body = read_document(data, name=name, content_type=content_type)
    if not body.text.strip():
        reason = body.errors[0].split(":", 1)[0].strip() if body.errors else "no_text"
        _fail(store, summary, label, reason or "unreadable", "; ".join(body.errors) or "no text in the document")
        known.discard(url)  # a later run may read it with a better reader
        return
    meta = {"title": _first_line(body.title or "") or _first_line(body.text) or Path(name).stem}
    meta["fetched_from" if remote else "path"] = label
    raw = RawNotice(source=summary.source, url=url, data=data, content_type=content_type, name=name, list_meta=meta,
                    external_id=None if remote else url.split(":", 1)[1][:16])
    try:
        result = process_notice(store, raw, run_id=summary.run_id, body=body)
    except Exception as exc:  # one bad document must not end the run
        _fail(store, summary, label, "process_error", f"{type(exc).__name__}: {exc}")
        summary.notices["failed"] += 1
        return
    summary.notices[result.status] = summary.notices.get(result.status, 0) + 1


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


class PoliteFetcher:
    """One request at a time; `delay` seconds between two requests to the same host; robots.txt obeyed."""

    def __init__(self, delay: float):
        self.delay = delay
        self.last: dict[str, float] = {}
        self.robots: dict[str, urllib.robotparser.RobotFileParser | None] = {}

    def fetch(self, url: str):
        host = urlsplit(url).netloc
        if not self.allowed(url):
            raise InputError("robots_disallowed", "robots.txt disallows it")
        self._wait(host)
        request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.6"})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                data = response.read(MAX_BYTES + 1)
                content_type = response.headers.get("Content-Type")
                final = response.geturl()
        except urllib.error.HTTPError as exc:
            raise InputError(f"http_{exc.code}", f"HTTP {exc.code} {exc.reason}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            kind = "timeout" if isinstance(reason, TimeoutError) or "timed out" in str(reason) else "fetch_error"
            raise InputError(kind, str(reason)) from None
        finally:
            self.last[host] = time.monotonic()
        if len(data) > MAX_BYTES:
            raise InputError("too_large", f"more than {MAX_BYTES} bytes")
        if not data:
            raise InputError("empty_body", "HTTP 200 with an empty body")
        name = Path(urlsplit(final).path).name or "index.html"
        return url, data, name, content_type

    def allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        root = f"{parts.scheme}://{parts.netloc}"
        if root not in self.robots:
            parser = urllib.robotparser.RobotFileParser(root + "/robots.txt")
            self._wait(parts.netloc)
            try:
                request = urllib.request.Request(root + "/robots.txt", headers={"User-Agent": USER_AGENT})
                with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                    parser.parse(response.read().decode("utf-8", "replace").splitlines())
            except urllib.error.HTTPError:
                parser.parse([])  # no robots.txt (or it fails): nothing is disallowed
            except (urllib.error.URLError, OSError):
                parser = None  # unreachable: the page fetch will fail and say why
            finally:
                self.last[parts.netloc] = time.monotonic()
            self.robots[root] = parser
        parser = self.robots[root]
        return parser is None or parser.can_fetch(USER_AGENT, url)

    def _wait(self, host: str) -> None:
        last = self.last.get(host)
        if last is not None:
            pause = self.delay - (time.monotonic() - last)
            if pause > 0:
                time.sleep(pause)


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
