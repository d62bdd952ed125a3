"""Detail pages that need more than ``ProcurementSpider.parse_notice`` (base.py). A spider whose content pages
may be empty copies of another page inherits ``OriginFollowMixin`` and names, in its TOML's ``[detail]``,
``body`` (the content's selector), ``origin_link`` (a selector of the origin link's href) and
``origin_script`` (a regex whose group 1 is the href, for pages whose script fills the link in)."""

from __future__ import annotations

import re

from crawler.items import CONTENT_PAGE
from crawler.middlewares import failure_reason


class OriginFollowMixin:
    """An empty content page that names its origin (原文链接: the page it republishes) is stored with the
    origin's bytes under its own URL (the listed page is this site's record; list_meta's ``origin_url`` says
    where the text came from). When the origin cannot be fetched, the page is kept as it is."""

    def parse_notice(self, response):
        conf = self.site["detail"]
        body = "".join(response.css(f"{conf['body']} ::text").getall()).strip()
        origin = None if body or self.check_notice_page(response) else self.origin_link(response)
        if origin is None:
            yield from super().parse_notice(response)
            return
        self.crawler.stats.inc_value(f"tenderwatch/{self.name}/origin_followed")
        yield self.page_request(origin, self.parse_origin, priority=self.notice_priority + 1,
                                errback=self.origin_failed, dont_filter=True,
                                meta={"list_meta": response.meta.get("list_meta") or {}, CONTENT_PAGE: response})

    def origin_link(self, response) -> str | None:
        conf = self.site["detail"]
        href = (response.css(conf["origin_link"]).get() or "").strip()
        if not href or href.startswith(("javascript", "#")):
            match = re.search(conf["origin_script"], response.text)
            href = match.group(1) if match else ""
        return response.urljoin(href) if href else None

    def parse_origin(self, response):
        self.crawler.stats.inc_value("tenderwatch/pages/detail")
        meta = {**response.meta["list_meta"], "origin_url": self.canonical_url(response.url)}
        yield self.make_notice(response, response.meta[CONTENT_PAGE].url, meta)

    def origin_failed(self, failure):
        """Record why and keep the content page as it is (what its list said)."""
        reason, detail, _ = failure_reason(failure)
        if reason == "blocked":
            return
        self.record_error(failure.request.url, f"origin_{reason}", detail)
        page = failure.request.meta[CONTENT_PAGE]
        page.meta["list_meta"] = failure.request.meta["list_meta"]
        yield from super().parse_notice(page)
