"""Cookies a site's WAF sets from an inline script on its pages (ccgp: HOY_TR for a year, HBB_HC for 600 s),
kept alive for a crawl that runs for hours.

A site opts in with its TOML's ``[waf]`` table (see crawler/sites/ccgp.toml): ``cookie_script`` (a regex
with the groups ``name``, ``value`` and ``attributes``), ``cookies`` (the names the site requires),
``lifetimes`` (seconds, when the script sets no max-age), ``refused_status`` (what the WAF answers without a
live cookie) and ``renew_at`` (the share of a cookie's lifetime after which the homepage is fetched again
when no page has renewed it meanwhile).

Three parts share one `WafCookies` per crawl:

- `WafCookieMiddleware` reads the cookies from every page the spider gets (as a browser runs the script),
  and turns a refusal into fresh cookies and one retry; only a second refusal reaches the spider.
- `WafCookieDownloadHandler` (Scrapy's HTTP handler) writes the cookies onto the request at the moment it
  goes on the wire: a request that waited in a host's queue behind slow downloads leaves with the cookies
  of now, not those of when it was built or queued. When a cookie is past ``renew_at`` of its lifetime,
  it first fetches the homepage itself (once for every request waiting), so no request leaves with a
  lapsed cookie.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from http.cookies import SimpleCookie
from typing import Any

from scrapy import Request
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.http import Response, TextResponse

from crawler.middlewares import is_robots_request

logger = logging.getLogger(__name__)
RENEWAL_PAUSE_SECONDS = 10.0  # after a failed renewal, requests go out as they are this long
RETRIED = "waf_retried"  # request meta: already retried once after a refusal
GENERATION = "waf_generation"  # request meta: the cookies' generation it left with


class WafCookies:
    """The WAF cookies of one crawl: values, expiry, renewal."""

    def __init__(self, crawler, conf: dict[str, Any]):
        self.crawler = crawler
        self.conf = conf
        self.pattern = re.compile(conf["cookie_script"])
        self.max_age = re.compile(conf.get("max_age", r"max-age\s*=\s*(\d+)"), re.I)
        self.names: list[str] = list(conf["cookies"])
        self.values: dict[str, str] = {}
        self.expires: dict[str, float] = {}  # name -> time.monotonic() at which the cookie lapses
        self.lifetimes: dict[str, float] = {}
        self.generation = 0  # bumped whenever a page renews the cookies
        self.failed_at = float("-inf")  # when a renewal last failed
        self._renewal: asyncio.Future | None = None

    @classmethod
    def of(cls, crawler) -> "WafCookies | None":
        """The crawl's instance, or None when its site has no cookie WAF."""
        if not hasattr(crawler, "_tenderwatch_waf"):
            spider = crawler.spider
            waf = (getattr(spider, "site", None) or {}).get("waf", {}) if spider else {}
            if spider is None:
                return None
            crawler._tenderwatch_waf = cls(crawler, waf) if waf.get("cookie_script") and waf.get("cookies") else None
        return crawler._tenderwatch_waf

    @property
    def homepage(self) -> str:
        spider = self.crawler.spider
        return spider.fetch_url(spider.site["site"]["homepage"])

    def read(self, text: str) -> bool:
        """Take the cookies a page's script sets; True if it set any."""
        now = time.monotonic()
        found = False
        for match in self.pattern.finditer(text):
            name, value = match.group("name"), match.group("value")
            age = self.max_age.search(match.group("attributes") or "")
            lifetime = float(age.group(1)) if age else self.conf.get("lifetimes", {}).get(name)
            self.values[name] = value
            if lifetime is not None:
                self.lifetimes[name] = float(lifetime)
                self.expires[name] = now + float(lifetime)
            found = True
        if found:
            self.generation += 1
        return found

    def lapsing(self) -> bool:
        """Is a required cookie missing, or past `renew_at` of its lifetime?"""
        now = time.monotonic()
        share = float(self.conf.get("renew_at", 0.75))
        for name in self.names:
            if name not in self.values:
                return True
            lifetime = self.lifetimes.get(name)
            if lifetime is not None and now >= self.expires[name] - (1 - share) * lifetime:
                return True
        return False

    def forget(self) -> None:
        """The site refused them: renew before the next request."""
        self.expires = {name: 0.0 for name in self.expires}

    def cookie_header(self, header: bytes | None) -> bytes:
        """The request's Cookie header with the WAF cookies as they are now."""
        jar = SimpleCookie()
        jar.load((header or b"").decode("latin-1"))
        others = [f"{k}={m.value}" for k, m in jar.items() if k not in self.values]
        return "; ".join(others + [f"{k}={v}" for k, v in self.values.items()]).encode("latin-1")

    async def renew(self, fetch, template: Request, why: str) -> None:
        """Fetch the homepage with `fetch` (the download handler, below the host queues: waiting for a queue
        slot here could wait for ever) and read its script; requests arriving meanwhile wait for this fetch."""
        if self._renewal is not None:
            await asyncio.shield(self._renewal)
            return
        if time.monotonic() - self.failed_at < RENEWAL_PAUSE_SECONDS:
            return  # it just failed: requests go out as they are, and their answers are recorded as usual
        self._renewal = asyncio.get_running_loop().create_future()
        stats = self.crawler.stats
        stats.inc_value("tenderwatch/waf/homepage_renewals")
        logger.info("Renewing the WAF cookies from the homepage (%s)", why)
        headers = {k: v for k, v in template.headers.items() if k.lower() not in (b"cookie", b"accept-encoding")}
        request = Request(self.homepage, headers=headers, dont_filter=True, meta={"download_timeout": 30})
        if template.headers.get("Cookie"):
            request.headers["Cookie"] = template.headers["Cookie"]  # the session cookie (JSESSIONID) too
        try:
            response = await fetch(request)
            if not self.read(response.body.decode("utf-8", "replace")):
                raise ValueError(f"HTTP {response.status}: no WAF cookies on the homepage")
        except Exception as exc:
            stats.inc_value("tenderwatch/waf/renewal_failed")
            self.failed_at = time.monotonic()
            logger.info("Could not renew the WAF cookies from %s: %r", self.homepage, exc)
        finally:
            renewal, self._renewal = self._renewal, None
            renewal.set_result(None)


class WafCookieDownloadHandler(HTTP11DownloadHandler):
    """Scrapy's HTTP(S) handler, which sets the WAF cookies as the request leaves (see the module)."""

    async def download_request(self, request: Request) -> Response:
        waf = WafCookies.of(self.crawler)
        if waf is not None and not is_robots_request(request):
            if waf.lapsing() and request.url != waf.homepage:
                await waf.renew(super().download_request, request,
                                "the cookies lapse before a page would renew them")
            if waf.values:
                request.headers["Cookie"] = waf.cookie_header(request.headers.get("Cookie"))
            request.meta[GENERATION] = waf.generation
        return await super().download_request(request)


class WafCookieMiddleware:
    """Downloader middleware between charset (it reads decoded pages) and block detection (a refusal is
    renewed and retried before it can count as a block)."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_response(self, request, response):
        waf = WafCookies.of(self.crawler)
        if waf is None:
            return response
        stats = self.crawler.stats
        if isinstance(response, TextResponse) and not request.meta.get("binary") and waf.read(response.text):
            stats.inc_value("tenderwatch/waf/renewed_by_page")
        if response.status not in waf.conf.get("refused_status", [403]) or is_robots_request(request):
            return response
        stats.inc_value("tenderwatch/waf/refused")
        if request.meta.get(RETRIED) or time.monotonic() - waf.failed_at < RENEWAL_PAUSE_SECONDS:
            return response  # refused with fresh cookies too, or none to be had now: an error for the spider
        if request.meta.get(GENERATION) == waf.generation:  # no page renewed them since it left
            waf.forget()
        stats.inc_value("tenderwatch/waf/retried")
        return request.replace(dont_filter=True, meta={**request.meta, RETRIED: True})
