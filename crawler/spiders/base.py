"""Base classes of tenderwatch's spiders. A spider for a new site is its class attributes, a TOML file in
crawler/sites/, and the methods that read that site's pages:

#. Inherit from ``ProcurementSpider`` (arguments, hosts and --site-root, incremental skip, detail pages
   with their attachments chained into one item, error recording), and usually from ``PagedListMixin``
   (numbered list or search pages, newest first, cut by the date window and --max-pages).
#. Set ``name`` (= the TOML's file name and the Store's source unless ``source`` says otherwise).
#. Write ``start_lists()`` (the first list requests), ``list_page_request(key, page)`` and
   ``parse_list_page(response)`` for the mixin, and ``attachment_links(response)`` for detail pages.

Spiders only find and fetch; the item pipeline stores (crawler/pipelines.py), and downloader middlewares
watch for blocks (crawler/middlewares.py).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import Any, Iterable, Iterator
from urllib.parse import unquote, urlsplit, urlunsplit

import scrapy

from crawler.items import AttachmentLink, RawAttachment, RawNotice
from crawler.middlewares import failure_reason
from crawler.signals import crawl_error

SITES_DIR = Path(__file__).resolve().parent.parent / "sites"
TRUE_WORDS = {"1", "true", "yes", "on", "y"}
FALSE_WORDS = {"0", "false", "no", "off", "n", ""}


class SpiderArgumentError(ValueError):
    """Raised when a spider argument's value is invalid, from a spider's __init__."""


def load_site(name: str) -> dict[str, Any]:
    path = SITES_DIR / f"{name}.toml"
    with path.open("rb") as f:
        return tomllib.load(f)


def parse_date(name: str, value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return datetime.strptime(str(value), "%Y-%m-%d").date()
    except ValueError:
        raise SpiderArgumentError(f"spider argument `{name}`: invalid date {value!r} (use YYYY-MM-DD)") from None


def parse_bool(name: str, value: Any, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise SpiderArgumentError(f"spider argument `{name}`: expected true/false, got {value!r}")


def parse_number(name: str, value: Any, kind: type, minimum: float = 0) -> Any:
    if value is None or value == "":
        return None
    try:
        number = kind(value)
    except (TypeError, ValueError):
        raise SpiderArgumentError(f"spider argument `{name}`: not a number: {value!r}") from None
    if number < minimum:
        raise SpiderArgumentError(f"spider argument `{name}`: must be at least {minimum}, got {value!r}")
    return number


def split_list(value: Any) -> list[str]:
    """A comma-separated argument (also accepts a list, as Python callers pass)."""
    if isinstance(value, (list, tuple)):
        items = value
    else:
        items = re.split(r"[,，]", str(value))
    return [item.strip() for item in items if item and item.strip()]


@dataclass
class ListEntry:
    """One notice as a list or search page shows it."""

    url: str
    published: date | None = None
    meta: dict[str, Any] = field(default_factory=dict)  # becomes RawNotice.list_meta


class ProcurementSpider(scrapy.Spider):
    """Common arguments and behaviour of tenderwatch's spiders.

    Spider arguments (``-a name=value``; the same names as ``tenderwatch crawl`` options)
      since, until
        Only notices published in this window (YYYY-MM-DD, both inclusive). Without since, the crawl
        continues where the last finished one left off, less CONTINUE_OVERLAP_DAYS (the pipeline calls
        ``continue_window``); the site's default when none has finished.
      keywords
        Comma-separated search terms (default: the site's compute terms); empty = no keyword search.
      channels
        Comma-separated channels or list sections (site-specific; default: the site's list).
      max_pages
        List/search pages followed per channel or keyword (default: ``default_max_pages``).
      delay
        Seconds between requests to a host (default 3, with AutoThrottle); 0 for a local mirror.
      site_root
        Fetch every host of the site from this root (http(s)://host[:port]: a mirror, the replica) instead.
        Stored URLs stay the site's own.
      refresh
        Fetch notices again even when already stored (a changed page then gets a new version).
      obey_robots
        Respect robots.txt (default true).

    The pipeline fills ``known_urls`` (canonical URLs already stored) when the spider opens: those notices
    are not fetched again unless ``refresh``.
    """

    # ProcurementSpider
    source: str | None = None  # Store source name; default: the spider's name
    default_max_pages = 10
    homepage_first = True  # visit the homepage before anything else (session / WAF cookies)
    notice_priority = 5  # detail pages before more list pages: finished notices reach the database sooner
    attachment_priority = 10  # and a started notice's attachments before other notices

    def __init__(self, since=None, until=None, keywords=None, channels=None, max_pages=None, delay=None,
                 site_root=None, refresh=None, obey_robots=None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.site = load_site(self.name)
        self.source = self.source or self.name
        self.since = parse_date("since", since)
        self.until = parse_date("until", until)
        if self.since and self.until and self.since > self.until:
            raise SpiderArgumentError(f"spider arguments: since ({self.since}) is after until ({self.until})")
        self.keywords = self.default_keywords() if keywords is None else split_list(keywords)
        self.channels = self.parse_channels(None if channels is None else split_list(channels))
        self.max_pages = parse_number("max_pages", max_pages, int, 1) or self.default_max_pages
        self.delay = parse_number("delay", delay, float, 0)
        self.site_root = self._parse_site_root(site_root)
        self.refresh = parse_bool("refresh", refresh, False)
        self.obey_robots = parse_bool("obey_robots", obey_robots, True)
        self.known_urls: set[str] = set()
        self.scheduled: set[str] = set()
        self.failed_pages: list[tuple[str, dict]] = []  # notice pages earlier runs failed on (set by the pipeline)
        self.window_from = "--since" if self.since else "the site's default"  # where `since` came from
        self.close_detail: str | None = None  # why the crawl stopped early (set by BlockDetectionMiddleware)
        hosts = self.site["site"]["hosts"]
        self.host_prefixes = sorted(((p, h) for h, ps in hosts.items() for p in ps), key=lambda x: -len(x[0]))
        self.host_aliases = self.site["site"].get("host_aliases", {})
        blocks = self.site.get("blocks", {})
        self.block_markers = tuple(blocks.get("markers", ()))
        self.block_short_page_bytes = blocks.get("short_page_bytes", 3000)

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings  # still writable here (Scrapy ≥ 2.11)
        if spider.delay is not None:
            settings.set("DOWNLOAD_DELAY", spider.delay, priority="spider")
            settings.set("AUTOTHROTTLE_START_DELAY", max(spider.delay, 0.1), priority="spider")
            if spider.delay == 0:  # a local mirror: no throttling, a few requests in parallel
                settings.set("AUTOTHROTTLE_ENABLED", False, priority="spider")
                settings.set("CONCURRENT_REQUESTS_PER_DOMAIN", 8, priority="spider")
        if not spider.obey_robots:
            settings.set("ROBOTSTXT_OBEY", False, priority="spider")
        return spider

    def continue_window(self, window_end: date, run_id: int, overlap_days: int) -> None:
        """Without --since: start where the last finished crawl's window ended (Kingfisher's from_date), less
        `overlap_days` for late publications and corrections."""
        since = window_end - timedelta(days=overlap_days)
        if self.until and since > self.until:
            return
        self.since = since
        self.window_from = f"run {run_id}, whose window ended {window_end.isoformat()}, less {overlap_days} days"

    def run_arguments(self) -> dict[str, Any]:
        """The arguments as parsed, for the CrawlRun row; `window_end` is where the next run continues from."""
        return {
            "since": self.since and self.since.isoformat(), "until": self.until and self.until.isoformat(),
            "window_end": (self.until or date.today()).isoformat(), "window_from": self.window_from,
            "keywords": self.keywords, "channels": [self.channel_name(c) for c in self.channels],
            "max_pages": self.max_pages, "delay": self.delay, "site_root": self.site_root,
            "refresh": self.refresh, "obey_robots": self.obey_robots,
        }

    # -- hooks for subclasses ---------------------------------------------------------------------------

    def default_keywords(self) -> list[str]:
        return list(self.site.get("search", {}).get("keywords", []))

    def parse_channels(self, names: list[str] | None) -> list[Any]:
        return list(self.site.get("channels", {}).get("default", [])) if names is None else names

    def channel_name(self, channel: Any) -> str:
        return str(channel)

    def start_lists(self) -> Iterable[scrapy.Request]:
        raise NotImplementedError

    def check_notice_page(self, response) -> str | None:
        """Why this response is not a notice page (None when it is). Default: the TOML's required selectors."""
        for selector in self.site.get("detail", {}).get("required", []):
            if not response.css(selector):
                return f"no {selector} on the page"
        return None

    def attachment_links(self, response) -> Iterable[AttachmentLink]:
        return ()

    def external_id(self, url: str) -> str | None:
        pattern = self.site.get("detail", {}).get("external_id")
        match = re.search(pattern, url) if pattern else None
        return match.group(1) if match else None

    # -- hosts and URLs ---------------------------------------------------------------------------------

    @staticmethod
    def _parse_site_root(value: Any) -> str | None:
        if not value:
            return None
        parts = urlsplit(str(value))
        # No path: pages link to root-relative paths ("/gpx-public-file?…"), which a path prefix would lose.
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.path.strip("/") or parts.query:
            raise SpiderArgumentError(f"spider argument `site_root`: expected http(s)://host[:port], got {value!r}")
        return f"{parts.scheme}://{parts.netloc}"

    def _site_host(self, host: str | None) -> str | None:
        host = (host or "").lower()
        host = self.host_aliases.get(host, host)
        return host if any(h == host for _, h in self.host_prefixes) else None

    def fetch_url(self, url: str) -> str:
        """Where to fetch `url` from: unchanged, or moved onto --site-root when it is on one of the site's hosts."""
        if not self.site_root:
            return url
        parts = urlsplit(url)
        if url.startswith(self.site_root + "/") or self._site_host(parts.hostname) is None:
            return url
        return self.site_root + urlunsplit(("", "", parts.path or "/", parts.query, ""))

    def canonical_url(self, url: str) -> str:
        """The URL a notice or attachment is stored under: the site's own host (chosen by path when the page
        came from --site-root), the site's scheme, no fragment. URLs on other hosts are kept as they are."""
        scheme = self.site["site"].get("canonical_scheme", "https")
        if self.site_root and url.startswith(self.site_root + "/"):
            rest = urlsplit(url[len(self.site_root):])
            host = next(h for p, h in self.host_prefixes if rest.path.startswith(p))
            return urlunsplit((scheme, host, rest.path, rest.query, ""))
        parts = urlsplit(url)
        host = self._site_host(parts.hostname)
        if host is None:
            return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))
        return urlunsplit((scheme, host, parts.path or "/", parts.query, ""))

    # -- requests ---------------------------------------------------------------------------------------

    async def start(self):
        if self.homepage_first:
            yield scrapy.Request(self.fetch_url(self.site["site"]["homepage"]), callback=self.homepage_loaded,
                                 errback=self.homepage_failed, dont_filter=True, priority=100)
        else:
            for request in self.first_requests():
                yield request

    def homepage_loaded(self, response):
        """The homepage is fetched first for the session and WAF cookies (crawler/waf.py reads the WAF's
        from every page's script and keeps them alive)."""
        yield from self.first_requests()

    def homepage_failed(self, failure):
        self._record_failure(failure)
        yield from self.first_requests()  # without the cookies; the site may refuse, which is then recorded

    def first_requests(self) -> Iterable[scrapy.Request]:
        """The notice pages earlier runs failed on (so they are not lost when the window moves on), then the lists."""
        yield from self.retry_requests()
        yield from self.start_lists()

    def retry_requests(self) -> Iterable[scrapy.Request]:
        for url, meta in self.failed_pages:
            request = self.notice_request(ListEntry(self.fetch_url(url), None, dict(meta)))
            if request is not None:
                self.crawler.stats.inc_value("tenderwatch/retried_from_earlier_runs")
                yield request

    def page_request(self, url: str, callback, **kwargs) -> scrapy.Request:
        """A list, search or detail page request: fetched from --site-root if set, failures recorded. List
        and search pages should pass dont_filter=True: they change, and every crawl must read them again
        (also when a JOBDIR's dupefilter remembers them from an earlier run)."""
        kwargs.setdefault("errback", self.page_failed)
        return scrapy.Request(self.fetch_url(url), callback=callback, **kwargs)

    def notice_request(self, entry: ListEntry) -> scrapy.Request | None:
        """The detail-page request for a listed notice, or None when it is stored already (and no --refresh)
        or requested already in this run."""
        canonical = self.canonical_url(entry.url)
        if canonical in self.scheduled:
            return None
        self.scheduled.add(canonical)
        if canonical in self.known_urls and not self.refresh:
            self.crawler.stats.inc_value("tenderwatch/skipped_known")
            return None
        # The dupefilter (persisted with JOBDIR) keeps a resumed crawl from fetching a queued notice twice;
        # --refresh must get past it.
        return self.page_request(entry.url, self.parse_notice, priority=self.notice_priority,
                                 meta={"list_meta": entry.meta}, dont_filter=self.refresh)

    def in_window(self, published: date | None) -> bool:
        if published is None:
            return True  # unknown: let the detail page decide; better one fetch too many than a lost notice
        return (self.since is None or published >= self.since) and (self.until is None or published <= self.until)

    # -- detail pages and attachments -------------------------------------------------------------------

    def parse_notice(self, response):
        self.crawler.stats.inc_value("tenderwatch/pages/detail")
        problem = self.check_notice_page(response)
        if problem:
            # Not stored: the URL stays unknown, so the next crawl tries it again.
            self.record_error(response.url, "parse_error", problem, retry_meta=response.meta.get("list_meta"))
            return
        try:
            links = list(dict.fromkeys(self.attachment_links(response)))
        except Exception as exc:  # keep the notice even when its attachment list cannot be read
            self.record_error(response.url, "parse_error", f"attachment links: {exc!r}")
            links = []
        notice = RawNotice(
            source=self.source,
            url=self.canonical_url(response.url),
            data=response.body,
            content_type=_header(response, "Content-Type"),
            name=PurePosixPath(urlsplit(response.url).path).name,
            external_id=self.external_id(response.url),
            list_meta=dict(response.meta.get("list_meta") or {}),
        )
        yield from self.next_attachment(notice, links)

    def next_attachment(self, notice: RawNotice, pending: list[AttachmentLink]) -> Iterator[Any]:
        """Fetch the notice's attachments one after the other; the item leaves with the last one."""
        if not pending:
            yield notice
            return
        link, rest = pending[0], pending[1:]
        yield scrapy.Request(
            self.fetch_url(link.url), callback=self.attachment_fetched, errback=self.attachment_failed,
            priority=self.attachment_priority, dont_filter=True,
            meta={"notice": notice, "link": link, "rest": rest, "binary": True,
                  "download_maxsize": self.site.get("attachments", {}).get("max_bytes", 0)},
        )

    def attachment_fetched(self, response):
        meta = response.meta
        link: AttachmentLink = meta["link"]
        meta["notice"].attachments.append(RawAttachment(
            url=link.url, name=link.name, data=response.body, content_type=_header(response, "Content-Type")))
        yield from self.next_attachment(meta["notice"], meta["rest"])

    def attachment_failed(self, failure):
        meta = failure.request.meta
        reason, detail, _ = failure_reason(failure)
        if reason == "blocked":
            return  # the crawl is stopping; the notice is left unstored so the next run fetches it whole
        link: AttachmentLink = meta["link"]
        meta["notice"].attachments.append(RawAttachment(url=link.url, name=link.name, data=None, error=reason))
        yield from self.next_attachment(meta["notice"], meta["rest"])

    # -- errors -----------------------------------------------------------------------------------------

    def page_failed(self, failure):
        self._record_failure(failure)

    def _record_failure(self, failure):
        reason, detail, recorded = failure_reason(failure)
        if not recorded:
            self.record_error(failure.request.url, reason, detail, retry_meta=failure.request.meta.get("list_meta"))

    def record_error(self, url: str, reason: str, detail: str = "", retry_meta: dict | None = None):
        """Record a failed page. `retry_meta` (what the list said) marks a notice page the next run fetches again."""
        self.logger.warning("%(reason)s: %(url)s %(detail)s", {"reason": reason, "url": url, "detail": detail})
        self.crawler.signals.send_catch_log(crawl_error, url=url, reason=reason, detail=detail, retry_meta=retry_meta)

    def stop_blocked(self, url: str, detail: str):
        """Stop the crawl now with status "blocked" (a captcha or JS challenge: never solved, and waiting
        does not clear it). Recorded as a ``blocked`` error; the run's reason says what and where."""
        import asyncio

        self.record_error(url, "blocked", detail)
        if not self.close_detail:
            self.close_detail = f"{detail} at {url}"
            self.logger.error("Blocked: %(detail)s; stopping the crawl", {"detail": self.close_detail})
            asyncio.ensure_future(self.crawler.engine.close_spider_async(reason="blocked"))


class PagedListMixin:
    """Numbered list or search pages, newest first. The spider implements ``list_page_request(key, page)``
    (page 0 is the first) and ``parse_list_page(response) -> (entries, page_count or None)``; the request's
    meta must carry ``list_key`` and ``page``. Notices in the date window are requested; the next page
    follows while there are pages left, --max-pages is not reached, the page had entries and its oldest
    entry is not older than --since."""

    list_stat = "list"  # counted as tenderwatch/pages/<list_stat>

    def parse_list(self, response):
        key, page = response.meta["list_key"], response.meta["page"]
        self.crawler.stats.inc_value(f"tenderwatch/pages/{response.meta.get('list_stat', self.list_stat)}")
        try:
            entries, page_count = self.parse_list_page(response)
            entries = list(entries)
        except Exception as exc:
            self.record_error(response.url, "parse_error", f"list page: {exc!r}")
            return
        for entry in entries:
            if self.in_window(entry.published):
                request = self.notice_request(entry)
                if request is not None:
                    yield request
        if self.wants_next_page(page, page_count, entries):
            yield self.list_page_request(key, page + 1)

    def wants_next_page(self, page: int, page_count: int | None, entries: list[ListEntry]) -> bool:
        if not entries or page + 1 >= self.max_pages:
            return False
        if page_count is not None and page + 1 >= page_count:
            return False
        dates = [e.published for e in entries if e.published]
        return not (self.since and dates and min(dates) < self.since)


def _header(response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def file_extension(text: str) -> str:
    """The extension of a file name or URL path ("" if none), lower case."""
    name = PurePosixPath(unquote(urlsplit(text).path if "://" in text or text.startswith("/") else text)).name
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def default_window(until: date | None, days: int) -> tuple[date, date]:
    end = until or date.today()
    return end - timedelta(days=days), end
