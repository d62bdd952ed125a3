"""Base classes of tenderwatch's spiders. A spider for a new site is its class attributes, a TOML file in
crawler/sites/ (the site's knowledge: hosts, forms, field maps, selectors, codes, each quirk with a one-line
reason), and as few methods as the site needs:

#. Inherit from ``ProcurementSpider`` (this module: arguments, hosts and --site-root, incremental skip,
   detail pages with their attachments chained into one item, captchas and per-channel challenges, error
   recording) and from the mixins that fit the site's lists and pages:

   - ``PagedListMixin`` (lists.py): numbered HTML list or search pages, newest first, cut by the date
     window and --max-pages. Write ``start_lists()``, ``list_page_request(key, page)`` and
     ``parse_list_page(response)``, which ``html_list`` answers from the TOML's selectors.
   - ``JsonListMixin`` (api.py): a JSON list API described by the TOML's ``[api]`` (request, answer paths,
     record fields, business codes, the result cap and how to slice finer). Usually no methods at all.
   - ``JsonDetailMixin`` (api.py): a JSON detail API stored as one HTML page (``[detail_api]``).
   - ``OriginFollowMixin`` (pages.py): an empty content page replaced by the origin it links to.
#. Set ``name`` (= the TOML's file name and the Store's source unless ``source`` says otherwise).
#. Channels named in the TOML (``[channels] codes`` or ``default``, in each of ``zones`` if any) are
   checked by ``parse_channels``; detail pages' attachments are read from the TOML's ``[attachments]``
   selectors; list dates with ``list_date`` (the extractor's date reader; epoch milliseconds as China time).

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
from scrapy.http import TextResponse

from crawler.items import NOTICE, AttachmentLink, RawAttachment, RawNotice
from crawler.middlewares import failure_reason
from crawler.runs import record_error, stop_crawl
from crawler.spiders.arguments import (
    SpiderArgumentError, delay_settings, parse_bool, parse_date, parse_number, split_list)
from extract.fields.dates import CHINA, read_when

SITES_DIR = Path(__file__).resolve().parent.parent / "sites"


def load_site(name: str) -> dict[str, Any]:
    path = SITES_DIR / f"{name}.toml"
    with path.open("rb") as f:
        return tomllib.load(f)


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
    channel_kind = "channel"  # what a channel is called on this site, in argument errors
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
        self.blocked_channels: dict[Any, str] = {}  # channel -> why it is left alone (``challenged``)
        self.scheduled: set[str] = set()
        self.failed_pages: list[tuple[str, dict]] = []  # notice pages earlier runs failed on (set by the pipeline)
        self.window_from = "--since" if self.since else "the site's default"  # where `since` came from
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
            settings.setdict(delay_settings(spider.delay), priority="spider")
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
        """The chosen channels (default: the TOML's ``default``), each one of ``codes`` (else of ``default``).
        With ``zones`` (sections of the site that each carry every code) a channel is ``(zone, code)``, and a
        name is a code (in every zone), a zone (its ``default`` codes) or zone/code."""
        conf = self.site.get("channels", {})
        known = conf.get("codes") or dict.fromkeys(conf.get("default", []), None)
        zones, chosen = conf.get("zones", []), []
        for name in conf.get("default", []) if names is None else names:
            zone, _, code = name.rpartition("/") if zones else ("", "", name)
            if code in zones and not zone:
                chosen += [(code, c) for c in conf["default"]]
            elif code in known and (not zone or zone in zones):
                chosen += [(zone, code)] if zone else [(z, code) for z in zones] or [code]
            else:
                listing = ", ".join(f"{k} {v}" if isinstance(v, str) else k for k, v in known.items())
                raise SpiderArgumentError(f"spider argument `channels`: unknown {self.channel_kind} {name!r} "
                                          f"(known: {listing}" + (f"; zones: {', '.join(zones)})" if zones else ")"))
        return list(dict.fromkeys(chosen))

    def channel_name(self, channel: Any) -> str:
        return "/".join(channel) if isinstance(channel, tuple) else str(channel)

    def start_lists(self) -> Iterable[scrapy.Request]:
        raise NotImplementedError

    def check_notice_page(self, response) -> str | None:
        """Why this response is not a notice page (None when it is): the TOML's ``[detail]`` says what it
        starts with (``starts_with``, e.g. a PDF's "%PDF") or which selectors it has (``required``)."""
        conf = self.site.get("detail", {})
        if "starts_with" in conf and not response.body.startswith(conf["starts_with"].encode()):
            kind = _header(response, "Content-Type") or "no content type"
            return f"expected {conf['expected']}, got {kind} ({len(response.body)} bytes)"
        for selector in conf.get("required", []):
            if not response.css(selector):
                return f"no {selector} on the page"
        return None

    def attachment_links(self, response) -> Iterable[AttachmentLink]:
        """The TOML's ``[attachments]``: ``biz`` anchors (their id put into ``biz_url``), and ``listed`` anchors
        whose text or URL has one of ``extensions`` (a name without one gets the URL's)."""
        conf = self.site.get("attachments", {})
        for a in response.css(conf["biz"]) if "biz" in conf else ():
            if a.attrib.get("id"):
                name = "".join(a.css("::text").getall()).strip()
                yield AttachmentLink(self.canonical_url(conf["biz_url"].format(id=a.attrib["id"])), name)
        for a in response.css(conf["listed"]) if "listed" in conf else ():
            name, href = "".join(a.css("::text").getall()).strip(), a.attrib.get("href", "")
            by_name, by_url = file_extension(name), file_extension(href)
            web_link = urlsplit(response.urljoin(href)).scheme in ("http", "https")  # not javascript:, mailto: …
            if not web_link or not {by_name, by_url} & set(conf["extensions"]):
                continue  # e.g. ccgp's "获取采购文件" (ignore=1 links to the purchase page, not a file)
            yield AttachmentLink(self.canonical_url(response.urljoin(href)),
                                 name if by_name in conf["extensions"] else f"{name}.{by_url}")

    @staticmethod
    def pick(record: dict, fields: dict[str, str]) -> dict[str, Any]:
        """What an API record says, under list_meta's names (`fields`: the TOML's record field -> meta key)."""
        return {key: record[name] for name, key in fields.items() if record.get(name) not in (None, "")}

    @staticmethod
    def list_date(text: Any) -> date | None:
        """The day a list or API says a notice was published (the extractor's reading of dates; a number is
        epoch milliseconds, China time)."""
        moment = epoch_ms(text)
        if moment is not None:
            return moment.date()
        when = read_when(text)
        return when.date() if isinstance(when, datetime) else when

    def window(self, default_days: int) -> tuple[date, date]:
        """The days to list: since..until (until: today), or the last `default_days` without --since."""
        if self.since:
            return self.since, self.until or date.today()
        end = self.until or date.today()
        return end - timedelta(days=default_days), end

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
        """Where to fetch `url` from: unchanged, or moved onto --site-root when it is on one of the site's hosts
        (under ``/<key>`` for hosts the TOML's ``root_keys`` names: hosts whose paths are the same)."""
        if not self.site_root:
            return url
        parts = urlsplit(url)
        host = self._site_host(parts.hostname)
        if url.startswith(self.site_root + "/") or host is None:
            return url
        key = self.site["site"].get("root_keys", {}).get(host)
        return self.site_root + (f"/{key}" if key else "") + urlunsplit(("", "", parts.path or "/", parts.query, ""))

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
        return self.page_request(self.detail_url(entry), self.parse_notice, priority=self.notice_priority,
                                 meta={"list_meta": entry.meta, "canonical": canonical}, dont_filter=self.refresh)

    def detail_url(self, entry: ListEntry) -> str:
        """Where a listed notice's content is fetched from (default: its page; a site may have an API)."""
        return entry.url

    def notice_requests(self, entries: Iterable[ListEntry]) -> Iterator[scrapy.Request]:
        """The detail-page requests for the listed notices in the date window (not stored, not yet requested)."""
        for entry in entries:
            if self.in_window(entry.published):
                request = self.notice_request(entry)
                if request is not None:
                    yield request

    def in_window(self, published: date | None) -> bool:
        if published is None:
            return True  # unknown: let the detail page decide; better one fetch too many than a lost notice
        return (self.since is None or published >= self.since) and (self.until is None or published <= self.until)

    # -- detail pages and attachments -------------------------------------------------------------------

    def captcha(self, response) -> bool:
        """True (and the crawl stopping as blocked) when the site sent its captcha instead of the page: a
        marker of the TOML's ``[captcha]`` in the URL it redirected to, or in the text of a non-PDF page."""
        conf = self.site.get("captcha")
        if not conf:
            return False
        marker = next((m for m in conf["url_markers"] if m in response.url), None)
        if marker is None and isinstance(response, TextResponse) and not response.body.startswith(b"%PDF"):
            marker = next((m for m in conf["markers"] if m in response.text), None)
        if marker is not None:
            self.stop_blocked(response.url, f"{conf['name']} ({marker!r}) instead of the page; not solved")
        return marker is not None

    def challenged(self, response, channel: Any) -> bool:
        """True when `channel` answered with the JavaScript challenge of the TOML's ``[challenge]`` (a marker
        in a non-JSON page) instead of its page or JSON, now or before: that channel is left alone, the others
        crawled, and the run ends as blocked. A channel's TOML table may give its ``title`` and ``host``."""
        conf = self.site.get("challenge")
        if not conf or channel in self.blocked_channels:
            return bool(conf)
        content_type = (_header(response, "Content-Type") or "").lower()
        if "json" in content_type or not isinstance(response, TextResponse):
            return False
        marker = next((m for m in conf["markers"] if m in response.text), None)
        if marker is None:
            return False
        about = self.site["channels"].get(channel) if isinstance(channel, str) else None
        where = f"{about['title']} ({about['host']})" if isinstance(about, dict) else f"{self.channel_kind} {channel}"
        self.blocked_channels[channel] = detail = f"{where} answers with {conf['name']} ({marker!r}); not solved"
        self.crawler.stats.inc_value("tenderwatch/blocked_pages")
        self.logger.error("%(detail)s; leaving that %(kind)s alone", {"detail": detail, "kind": self.channel_kind})
        self.stop_blocked(response.url, detail, when_idle=True)
        return True

    def parse_notice(self, response):
        if self.captcha(response):
            return
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
        yield from self.next_attachment(self.make_notice(response), links)

    def make_notice(self, response, page_url: str | None = None, list_meta: dict | None = None) -> RawNotice:
        """The item for a fetched notice: the response's bytes, stored under `page_url` (default: the
        response's URL), with what the list said."""
        page_url = page_url or response.url
        return RawNotice(
            source=self.source, url=self.canonical_url(page_url), data=response.body,
            content_type=_header(response, "Content-Type"), name=PurePosixPath(urlsplit(response.url).path).name,
            external_id=self.external_id(page_url),
            list_meta=dict(response.meta.get("list_meta") or {} if list_meta is None else list_meta),
        )

    def next_attachment(self, notice: RawNotice, pending: list[AttachmentLink]) -> Iterator[Any]:
        """Fetch the notice's attachments one after the other; the item leaves with the last one."""
        if not pending:
            yield notice
            return
        link, rest = pending[0], pending[1:]
        yield scrapy.Request(
            self.fetch_url(link.url), callback=self.attachment_fetched, errback=self.attachment_failed,
            priority=self.attachment_priority, dont_filter=True,
            meta={NOTICE: notice, "link": link, "rest": rest, "binary": True,
                  "download_maxsize": self.site.get("attachments", {}).get("max_bytes", 0)},
        )

    def attachment_fetched(self, response):
        meta = response.meta
        link: AttachmentLink = meta["link"]
        meta[NOTICE].attachments.append(RawAttachment(
            url=link.url, name=link.name, data=response.body, content_type=_header(response, "Content-Type")))
        yield from self.next_attachment(meta[NOTICE], meta["rest"])

    def attachment_failed(self, failure):
        meta = failure.request.meta
        reason, detail, _ = failure_reason(failure)
        if reason in ("blocked", "not_sent"):  # (not_sent: crawler/frontier_download.py)
            return  # the crawl is stopping; the notice is left unstored so the next run fetches it whole
        link: AttachmentLink = meta["link"]
        meta[NOTICE].attachments.append(RawAttachment(url=link.url, name=link.name, data=None, error=reason))
        yield from self.next_attachment(meta[NOTICE], meta["rest"])

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
        record_error(self.crawler, url, reason, detail, retry_meta)

    def stop_blocked(self, url: str, detail: str, *, when_idle: bool = False):
        """Stop the crawl with status "blocked" (a captcha or JS challenge: never solved, and waiting does
        not clear it) — now, or once the rest is crawled (`when_idle`: one portal of several refused).
        Recorded as a ``blocked`` error; the run's reason says what and where."""
        self.record_error(url, "blocked", detail)
        detail = detail if when_idle else f"{detail} at {url}"
        if stop_crawl(self.crawler, "blocked", detail, when_idle=when_idle) and not when_idle:
            self.logger.error("Blocked: %(detail)s; stopping the crawl", {"detail": detail})


def epoch_ms(value: Any) -> datetime | None:
    """A number of milliseconds since 1970 (an int, or a string of 12+ digits) as China's local time."""
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not (number or str(value).isdigit() and len(str(value)) >= 12):
        return None
    try:
        return datetime.fromtimestamp(int(value) / 1000, CHINA).replace(tzinfo=None)
    except (ValueError, OverflowError, OSError):
        return None


def _header(response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def file_extension(text: str) -> str:
    """The extension of a file name or URL path ("" if none), lower case."""
    name = PurePosixPath(unquote(urlsplit(text).path if "://" in text or text.startswith("/") else text)).name
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""

