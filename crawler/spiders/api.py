"""JSON APIs, for spiders on ``ProcurementSpider`` (base.py). A site whose lists come from a JSON API
inherits ``JsonListMixin`` and describes the API in its TOML's ``[api]``; a site whose notices come from a
JSON detail API also inherits ``JsonDetailMixin`` and describes it in ``[detail_api]``. The spider then sets
its name and the attributes its arguments need; crawler/sites/ggzy.toml and zcy.toml show every key, each
with the reason it is set.

``[api]``
  url                 The list API; ``{host}`` is the channel's ``host`` (one API per portal).
  form | body         Fixed fields of a POST form (``form``) or JSON body (``body``, the default); a
                      channel's table may add ``body`` fields. The query's parts override them.
  headers             Sent with every list request.
  binary              Answers skip BlockDetectionMiddleware (an API that refuses with business codes).
  params              Where each part of a query goes: page (1 = the first), page_size, channel,
                      category, keyword (only when set), day_from/day_to, slice, timestamp (epoch ms).
  per_day             One query per day, newest first (else one over the whole window).
  default_days        The window without --since.
  answer              Dotted paths into the answer: records, total, pages (without it, pages follow
                      while fewer records than total came), code/ok/message (business codes).
  codes               Business code -> backoff (pause, retry; stop after BLOCK_MAX_COUNT in a row),
                      stop (blocked), narrow (ask again per slice) or error (recorded, query skipped).
  cap, slices, slice_kind   ``total`` never exceeds ``cap``: a query reaching it is asked again once per
                      slice, and a slice still at the cap is recorded as ``result_capped``. The setting
                      ``<NAME>_RESULT_CAP`` replaces the cap (replicas serve a small one).
  keyword_in          The record field that holds a hit's keyword: an API that ignores the keyword sends
                      the unfiltered list, of which nothing is a hit.
  refused             Failure reasons that stop the crawl as blocked (e.g. http_403: fail closed).
  record              link (a field, joined onto the url) or the channel's ``detail_page`` with {id};
                      link_replace [old, new]; id and id_key (its list_meta key); date (text or epoch
                      ms); type (looked up in ``notice_types``; else the category's type); query_keys
                      (the query's parts recorded in list_meta: channel, category …).
  fields              Record field -> list_meta key.
A channel's table (``[channels.<key>]``) may give title, host, homepage (visited first; a challenge there
leaves the channel alone), detail_page, categories (code -> notice type; one query each) and body.
"""

from __future__ import annotations

import asyncio
import html
import time
from datetime import timedelta
from typing import Any, Iterator, NamedTuple
from urllib.parse import quote, urljoin

import scrapy
from scrapy.http import JsonRequest

from crawler.items import AttachmentLink, RawNotice
from crawler.middlewares import failure_reason
from crawler.spiders.base import ListEntry, epoch_ms
from crawler.spiders.lists import PagedListMixin


class ListQuery(NamedTuple):
    """One list the API is asked for, page by page."""

    channel: Any
    keyword: str = ""
    day: str | None = None  # one day (per_day APIs), else the whole window
    category: str | None = None
    slice: str | None = None  # one slice (a province …) of a query that reached the cap; None = all


def dig(data: Any, path: str) -> Any:
    """The value at a dotted path of a JSON answer (KeyError when a key is missing; None stays None)."""
    for part in path.split("."):
        if data is None:
            return None
        data = data[part]
    return data


def _lookup(data: Any, path: str | None) -> Any:
    """`dig`, but None where the path is missing (for what an answer may leave out, such as a refusal's message)."""
    try:
        return dig(data, path) if path else None
    except (KeyError, TypeError):
        return None


class JsonListMixin(PagedListMixin):
    """Lists from a JSON API described by the TOML's ``[api]`` (see the module's docstring)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.cap = self.site["api"].get("cap")
        self.busy_in_row = 0  # backoff answers in a row
        self.served: dict[ListQuery, int] = {}  # records received per query, for APIs without a page count

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        if spider.cap:
            spider.cap = crawler.settings.getint(f"{spider.name.upper()}_RESULT_CAP", spider.cap)
        return spider

    def channel_conf(self, channel: Any) -> dict:
        conf = self.site.get("channels", {}).get(channel) if isinstance(channel, str) else None
        return conf if isinstance(conf, dict) else {}

    def meta_channel(self, meta: dict) -> Any:
        """The channel a listed notice came from (recorded under the TOML's ``query_keys.channel``)."""
        return meta.get(self.site["api"]["record"].get("query_keys", {}).get("channel", ""))

    def start_lists(self):
        homepages = {c: self.channel_conf(c)["homepage"] for c in self.channels if "homepage" in self.channel_conf(c)}
        for channel, url in homepages.items():
            yield self.page_request(url, self.channel_home, meta={"channel": channel}, dont_filter=True, priority=100)
        yield from self.list_queries([c for c in self.channels if c not in homepages])

    def channel_home(self, response):
        """A channel's homepage is visited before its lists (its cookies); a challenge there leaves it alone."""
        if not self.challenged(response, response.meta["channel"]):
            yield from self.list_queries([response.meta["channel"]])

    def list_queries(self, channels: list) -> Iterator[scrapy.Request]:
        api = self.site["api"]
        start, end = self.window(api["default_days"])
        days: list[str | None] = [None]  # one query over the whole window
        if api.get("per_day"):
            days = [(end - timedelta(days=n)).isoformat() for n in range((end - start).days + 1)]
        for day in days:  # newest first
            for channel in channels:
                for category in self.channel_conf(channel).get("categories") or [None]:
                    for keyword in self.keywords or [""]:
                        yield self.list_page_request(ListQuery(channel, keyword, day, category), 0)

    def list_page_request(self, query: ListQuery, page: int) -> scrapy.Request:
        api, conf = self.site["api"], self.channel_conf(query.channel)
        start, end = self.window(api["default_days"])
        values = {"page": page + 1, "page_size": api.get("page_size"), "channel": query.channel,
                  "category": query.category, "keyword": query.keyword or None, "slice": query.slice,
                  "day_from": query.day or start.isoformat(), "day_to": query.day or end.isoformat(),
                  "timestamp": int(time.time() * 1000)}
        fields = {**api.get("form", api.get("body", {})), **conf.get("body", {})}
        fields.update({api["params"][k]: v for k, v in values.items() if k in api["params"] and v is not None})
        kwargs = dict(headers=api.get("headers"), callback=self.parse_list, errback=self.api_failed, dont_filter=True,
                      meta={"list_key": query, "page": page, "binary": api.get("binary", False)})
        url = self.fetch_url(api["url"].format(**conf))
        if "form" in api:
            return scrapy.FormRequest(url, formdata={k: str(v) for k, v in fields.items()}, **kwargs)
        return JsonRequest(url, data=fields, **kwargs)

    def describe(self, query: ListQuery, page: int) -> str:
        """A query as error records and log lines name it."""
        api = self.site["api"]
        parts = [query.day, f"{self.channel_kind} {query.channel}", query.category,
                 query.slice and f"{api.get('slice_kind', 'slice')} {query.slice}",
                 query.keyword and f"{api['params'].get('keyword', 'keyword')} {query.keyword!r}"]
        return ", ".join(p for p in parts if p) + f", page {page + 1}"

    def parse_list(self, response):
        query, page = response.meta["list_key"], response.meta["page"]
        if self.challenged(response, query.channel):
            return
        self.crawler.stats.inc_value("tenderwatch/pages/list")
        paths = self.site["api"]["answer"]
        try:
            answer = response.json()
            code = str(int(dig(answer, paths["code"]))) if "code" in paths else None
            if code is None or code == str(paths["ok"]):
                records, total = list(dig(answer, paths["records"]) or []), int(dig(answer, paths["total"]) or 0)
                pages = int(dig(answer, paths["pages"]) or 0) if "pages" in paths else None
                if not all(isinstance(r, dict) for r in records):
                    raise TypeError("a record that is not an object")
            else:  # a refusal may come without its message
                message = _lookup(answer, paths.get("message"))
        except (ValueError, TypeError, AttributeError, KeyError) as exc:
            self.record_error(response.url, "parse_error",
                              f"list API {self.describe(query, page)}: not the API's answer ({exc!r})")
            return
        if code is not None and code != str(paths["ok"]):
            yield from self.business_code(response, code, str(message or ""))
            return
        self.busy_in_row = 0
        records = self.keyword_hits(query, records)
        if records is None:
            return
        if self.cap and total >= self.cap and page == 0:
            if query.slice is None and self.site["api"].get("slices"):
                self.crawler.stats.inc_value(f"tenderwatch/{self.name}/sliced_by_{self.site['api']['slice_kind']}")
                yield from self.sliced(query)
                return
            self.record_error(response.url, "result_capped", f"{self.describe(query, page)}: {total} results, "
                                                             "the API's cap; later ones are not listed")
        self.served[query] = self.served.get(query, 0) + len(records)
        if pages is None:  # the API may cap the page size: count what came
            pages = page + (2 if self.served[query] < total else 1)
        entries = [e for e in (self.list_entry(query, r) for r in records) if e is not None]
        yield from self.notice_requests(entries)
        if self.wants_next_page(page, pages, entries):
            yield self.list_page_request(query, page + 1)

    def sliced(self, query: ListQuery):
        for part in self.site["api"]["slices"]:
            yield self.list_page_request(query._replace(slice=part), 0)

    def keyword_hits(self, query: ListQuery, records: list) -> list | None:
        """The records whose ``keyword_in`` field has the query's keyword; None when the API sent records
        and none has it: it ignored the keyword and sent the unfiltered list."""
        field = self.site["api"].get("keyword_in")
        if not field or not query.keyword:
            return records
        hits = [r for r in records if query.keyword.lower() in str(r.get(field, "")).lower()]
        if records and not hits:
            self.crawler.stats.inc_value(f"tenderwatch/{self.name}/keyword_fallback")
            self.logger.info("%(name)s: no hits for %(kw)r on %(day)s (the API returned the unfiltered list)",
                             {"name": self.name, "kw": query.keyword, "day": query.day or "the window"})
            return None
        return hits

    def business_code(self, response, code: str, message: str):
        action = self.site["api"]["codes"].get(code, "error")
        query, page = response.meta["list_key"], response.meta["page"]
        detail = f"business code {code} ({message}) for {self.describe(query, page)}"
        self.crawler.stats.inc_value(f"tenderwatch/{self.name}/code_{code}")
        if action == "stop":
            self.stop_blocked(response.url, detail)
        elif action == "backoff":
            self.busy_in_row += 1
            self.record_error(response.url, f"api_{code}", detail)
            if self.busy_in_row >= self.settings.getint("BLOCK_MAX_COUNT"):
                self.stop_blocked(response.url, f"{detail}, {self.busy_in_row} times in a row")
                return
            pause = self.settings.getfloat("BLOCK_BACKOFF_SECONDS") * 2 ** (self.busy_in_row - 1)
            self.logger.warning("%(name)s: %(detail)s; pausing the crawl for %(pause).1fs",
                                {"name": self.name, "detail": detail, "pause": pause})
            engine = self.crawler.engine
            if not engine.paused:
                engine.pause()
                asyncio.get_running_loop().call_later(pause, engine.unpause)
            yield response.request.replace(dont_filter=True)
        elif action == "narrow" and query.slice is None:
            yield from self.sliced(query)
        else:
            self.record_error(response.url, f"api_{code}", detail)

    def api_failed(self, failure):
        reason, detail, recorded = failure_reason(failure)
        meta = failure.request.meta
        if not recorded:
            where = self.describe(meta["list_key"], meta["page"])
            self.record_error(failure.request.url, reason, f"list API {where}: {detail}")
        if reason in self.site["api"].get("refused", ()):
            self.stop_blocked(failure.request.url, f"list API answered {detail}")

    def list_entry(self, query: ListQuery, record: dict) -> ListEntry | None:
        api, conf = self.site["api"], self.channel_conf(query.channel)
        spec = api["record"]
        if "link" in spec:
            if not record.get(spec["link"]):
                return None
            old, new = spec.get("link_replace", ["", ""])
            url = urljoin(api["url"], record[spec["link"]])
            url = url.replace(old, new, 1) if old else url
        elif record.get(spec["id"]):
            url = conf["detail_page"].format(id=quote(str(record[spec["id"]]), safe=""))
        else:
            return None
        moment = epoch_ms(record.get(spec["date"]))
        meta = {**self.pick(record, api["fields"]),
                **{key: getattr(query, part) for part, key in spec.get("query_keys", {}).items()},
                "notice_type": (api.get("notice_types", {}).get(str(record.get(spec["type"]))) if "type" in spec
                                else conf.get("categories", {}).get(query.category)),
                spec["id_key"]: record.get(spec["id"])}
        if moment is not None:
            meta["published_at"] = f"{moment:%Y-%m-%d %H:%M}"
        return ListEntry(self.canonical_url(url), self.list_date(record.get(spec["date"])),
                         {k: v for k, v in meta.items() if v is not None})


class JsonDetailMixin:
    """Notices from a JSON detail API, each stored as one HTML page under its listed page's URL (the page a
    person opens). Beside ``JsonListMixin``, the TOML's ``[detail_api]`` gives url ({host} of the channel,
    {id} the record's id, {ms} now in epoch ms), ok (the answer's success field; false: ``error`` says why),
    data (the notice's path), fields (-> list_meta: the detail's word wins over the list's), attachments (the
    list's path), attachment_id, attachment_name, attachment_url; ``[detail]``'s facts, title, date (epoch ms)
    and content make the stored page."""

    def detail_url(self, entry: ListEntry) -> str:
        notice_id = quote(str(entry.meta[self.site["api"]["record"]["id_key"]]), safe="")
        return self.site["detail_api"]["url"].format(**self.channel_conf(self.meta_channel(entry.meta)),
                                                     id=notice_id, ms=int(time.time() * 1000))

    def parse_notice(self, response):
        meta, conf = dict(response.meta.get("list_meta") or {}), self.site["detail_api"]
        channel = self.meta_channel(meta)
        if self.challenged(response, channel):
            return
        self.crawler.stats.inc_value("tenderwatch/pages/detail")
        try:
            answer = response.json()
            if not answer.get(conf["ok"]):
                raise ValueError(answer.get(conf["error"]) or f"{conf['ok']}=false")
            data = dig(answer, conf["data"])
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            # Not stored: the URL stays unknown, so the next crawl tries it again.
            self.record_error(response.meta["canonical"], "parse_error", f"detail API: {exc}")
            return
        meta.update(self.pick(data, conf["fields"]))
        host, file_id = self.channel_conf(channel), conf["attachment_id"]
        links = [AttachmentLink(conf["attachment_url"].format(**host, id=quote(str(a[file_id]), safe="")),
                                str(a.get(conf["attachment_name"]) or a[file_id]))
                 for a in data.get(conf["attachments"]) or [] if a.get(file_id)]
        notice_id = meta.get(self.site["api"]["record"]["id_key"])
        notice = RawNotice(source=self.source, url=response.meta["canonical"], list_meta=meta,
                           data=render_detail(data, meta, self.site["detail"]),
                           content_type="text/html; charset=utf-8", name=f"{notice_id or 'detail'}.html",
                           external_id=notice_id)
        yield from self.next_attachment(notice, links)


def render_detail(data: dict, meta: dict, conf: dict) -> bytes:
    """A detail API's JSON as one HTML page (what is stored and read): title, date, the facts table of
    `conf["facts"]` ([label, the detail's field, else list_meta's key]), body."""
    title = html.escape(str(data.get(conf["title"]) or meta.get("title") or ""))
    published = epoch_ms(data.get(conf["date"]))
    values = [(label, data.get(key) or meta.get(key)) for label, key in conf["facts"]]
    rows = "".join(f"<tr><td>{k}</td><td>{html.escape(str(v))}</td></tr>" for k, v in values if v)
    date_line = f"<p class='time'>发布时间：{published:%Y-%m-%d %H:%M}</p>" if published else ""
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{title}</title><meta name='ArticleTitle' content='{title}'>"
        + (f"<meta name='PubDate' content='{published:%Y-%m-%d %H:%M}'>" if published else "")
        + f"</head><body><article><h1>{title}</h1>{date_line}<table class='facts'>{rows}</table>"
        f"<div class='content'>{data.get(conf['content']) or ''}</div></article></body></html>"
    ).encode("utf-8")
