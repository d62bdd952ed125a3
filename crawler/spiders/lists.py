"""Numbered list or search pages, for spiders on ``ProcurementSpider`` (base.py). A spider with HTML lists
inherits ``PagedListMixin`` and writes ``start_lists()`` (the first requests, page 0),
``list_page_request(key, page)`` (a request with ``list_key`` and ``page`` in its meta, callback
``parse_list``) and ``parse_list_page(response) -> (entries, page_count or None)``, which ``html_list``
answers from the TOML's selectors (item, link, title, fields by position or label); a JSON list API needs
none of them (api.py's ``JsonListMixin``)."""

from __future__ import annotations

import re

from crawler.spiders.base import ListEntry


class PagedListMixin:
    """Numbered list or search pages, newest first. The spider implements ``list_page_request(key, page)``
    (page 0 is the first) and ``parse_list_page(response) -> (entries, page_count or None)``; the request's
    meta must carry ``list_key`` and ``page``. Notices in the date window are requested; the next page
    follows while there are pages left, --max-pages is not reached, the page had entries and its oldest
    entry is not older than --since."""

    list_stat = "list"  # counted as tenderwatch/pages/<list_stat>

    def parse_list(self, response):
        if self.captcha(response):
            return
        key, page = response.meta["list_key"], response.meta["page"]
        self.crawler.stats.inc_value(f"tenderwatch/pages/{response.meta.get('list_stat', self.list_stat)}")
        try:
            entries, page_count = self.parse_list_page(response)
            entries = list(entries)
        except Exception as exc:
            self.record_error(response.url, "parse_error", f"list page: {exc!r}")
            return
        yield from self.notice_requests(entries)
        if self.wants_next_page(page, page_count, entries):
            yield self.list_page_request(key, page + 1)

    def wants_next_page(self, page: int, page_count: int | None, entries: list[ListEntry]) -> bool:
        if not entries or page + 1 >= self.max_pages:
            return False
        if page_count is not None and page + 1 >= page_count:
            return False
        dates = [e.published for e in entries if e.published]
        return not (self.since and dates and min(dates) < self.since)

    def html_list(self, response, sel: dict, **meta) -> tuple[list[ListEntry], int | None]:
        """An HTML list read with the TOML's selectors `sel`: each ``item``'s ``link`` and ``title`` (text
        joined), and its ``fields`` — the texts, or their joined text cut at ``separator`` — read by position
        (``field_names``, e.g. published_at first) and by label (``labels``: a field's prefix -> list_meta key);
        ``type_label`` words map to a notice type through ``notice_types``. ``aligned_urls`` (a regex) is a
        page-wide list of the items' URLs, preferred when it has one per item; ``page_count`` a regex. `meta`
        is added to every entry's."""
        items = response.css(sel["item"])
        listed = re.search(sel["aligned_urls"], response.text) if "aligned_urls" in sel else None
        urls = [u for u in listed.group(1).split(",") if u] if listed else []
        entries = []
        for i, li in enumerate(items):
            texts = [t.strip() for t in li.css(sel["fields"]).getall()]
            fields = [f.strip() for f in " ".join(texts).split(sel["separator"])] if "separator" in sel else texts
            found = {"title": "".join(li.css(sel["title"]).getall()).strip(), **dict(zip(sel["field_names"], fields))}
            for f in fields:
                for prefix, key in sel.get("labels", {}).items():
                    if f.startswith(prefix):  # a field may run on past its line (ccgp's agency: <br> joins as "  ")
                        found[key] = f[len(prefix):].splitlines()[0].split("  ")[0].strip()
            label = li.css(sel["type_label"]).get() if "type_label" in sel else None
            if label:
                found["notice_type_label"] = label.strip()
                found["notice_type"] = next((t for w, t in sel["notice_types"].items() if w in label), None)
            url = urls[i] if len(urls) == len(items) else response.urljoin(li.css(sel["link"]).get())
            entries.append(ListEntry(url, self.list_date(found.get("published_at")), {**found, **meta}))
        count = re.search(sel["page_count"], response.text)
        return entries, int(count.group(1)) if count else None
