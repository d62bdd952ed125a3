"""Politeness and block state shared by every worker of a frontier (crawler/frontier.py), in Redis:

* `HostBudget` — one request per FRONTIER_HOST_DELAY (the crawl's --delay) to a host, for all
  workers together: a Lua script lets a request go only when the host's next free moment (in Redis's clock)
  has come, and moves that moment on by the delay (× 1 to 1 + DOWNLOAD_DELAY_JITTER, so requests do not
  tick like a clock, and never closer than the delay). The token is taken as the request goes on the wire
  (crawler/frontier_download.py, below the downloader's queues), so N workers keep ≥ the delay between requests
  to a host whatever N, and a request that waited in a queue cannot go out right behind another.
* `SharedBlocks` — a block page seen by any worker pauses the host for every worker (the pause is the
  host's next free moment moved on by the back-off, doubling with each block in a row, counted over all
  workers); after BLOCK_MAX_COUNT in a row the worker that saw the last one stops the crawl for all
  (`Frontier.stop_all`). crawler.middlewares.BlockDetectionMiddleware uses it when a frontier is set.

Both are frontier calls through `Frontier.call`: while Redis is away they wait for it (a blip is no page
failure); if it stays away the worker stops, and the request is not sent or read (`not_sent`, no failure
either: FrontierLost, which the caller turns into that).
"""

from __future__ import annotations

import asyncio
import random
import time
from urllib.parse import urlsplit

from crawler.frontier import REDIS_NOW, Frontier, FrontierLost

# KEYS: the host's hash. ARGV: spacing seconds. Returns "0" (go) or the seconds to wait, as a string (Lua
# numbers become integers on the way out).
TAKE = REDIS_NOW + """
local free = math.max(tonumber(redis.call('HGET', KEYS[1], 'next') or '0'),
                      tonumber(redis.call('HGET', KEYS[1], 'pause') or '0'))
if now < free then return tostring(free - now) end
redis.call('HSET', KEYS[1], 'next', tostring(now + tonumber(ARGV[1])))
return '0'
"""
# KEYS: the host's hash. ARGV: first back-off seconds, blocks in a row that stop the crawl.
# Returns {verdict, blocks in a row, pause seconds}: "episode" (the host is paused already: a request sent
# before the pause began), "pause" or "stop".
BLOCK = REDIS_NOW + """
if now < tonumber(redis.call('HGET', KEYS[1], 'pause') or '0') then return {'episode', '0', '0'} end
local count = redis.call('HINCRBY', KEYS[1], 'blocks', 1)
if count >= tonumber(ARGV[2]) then return {'stop', tostring(count), '0'} end
local pause = tonumber(ARGV[1]) * 2 ^ (count - 1)
redis.call('HSET', KEYS[1], 'pause', tostring(now + pause))
return {'pause', tostring(count), tostring(pause)}
"""


MAX_SLEEP = 1.0  # a request waiting for its host looks this often whether the crawl is stopping


def host_of(url: str) -> str:
    """The host a budget is kept for: the hostname, as Scrapy's downloader slots are keyed."""
    return (urlsplit(url).hostname or "").lower()


class HostBudget:
    def __init__(self, frontier: Frontier, delay: float, jitter: float):
        self.frontier = frontier
        self.delay = delay
        self.jitter = jitter
        self._take = frontier.server.register_script(TAKE)

    @classmethod
    def of(cls, crawler) -> "HostBudget | None":
        frontier = Frontier.of(crawler)
        if frontier is None:
            return None
        if getattr(crawler, "_tenderwatch_budget", None) is None:
            settings = crawler.settings
            crawler._tenderwatch_budget = cls(frontier, settings.getfloat("FRONTIER_HOST_DELAY"),
                                              settings.getfloat("DOWNLOAD_DELAY_JITTER"))
        return crawler._tenderwatch_budget

    async def take(self, url: str, stopping=lambda: False) -> bool:
        """Wait until this worker may send a request to the host of `url`: True then, False if `stopping()`
        became true meanwhile (a block pause can last minutes; Ctrl-C must not wait for it)."""
        key = self.frontier.keys.host(host_of(url))
        spacing = self.delay * (1 + self.jitter * random.random())
        stats, began = self.frontier.crawler.stats, None
        while True:
            try:
                wait = float(await self.frontier.call(self._take, keys=[key], args=[spacing]))
            except FrontierLost:
                return False
            if wait <= 0:
                if began is not None:  # this request waited for the shared budget (another worker's turn)
                    stats.inc_value("frontier/delay_waits")
                    stats.inc_value("frontier/delay_wait_seconds", time.monotonic() - began)
                return True
            if stopping():
                return False
            began = time.monotonic() if began is None else began
            await asyncio.sleep(min(wait, MAX_SLEEP))


class SharedBlocks:
    def __init__(self, frontier: Frontier):
        self.frontier = frontier
        self._block = frontier.server.register_script(BLOCK)

    async def blocked(self, url: str, backoff: float, max_blocks: int) -> tuple[str, int, float]:
        """Count a block page from the host of `url`: ("episode" | "pause" | "stop", blocks in a row, pause)."""
        verdict, count, pause = await self.frontier.call(self._block, keys=[self.frontier.keys.host(host_of(url))],
                                                         args=[backoff, max_blocks])
        return verdict.decode(), int(count), float(pause)

    async def answered(self, url: str) -> None:
        """A page that is no block page: the blocks in a row start again from none."""
        await self.frontier.call(self.frontier.server.hdel, self.frontier.keys.host(host_of(url)), "blocks")
