"""A crawl frontier shared by any number of crawl processes on any machines: `tenderwatch crawl SPIDER
--frontier redis://host:6379/N` (the TENDERWATCH_FRONTIER setting). Every process ("worker") runs the same
command against the same database; they share one request queue and one seen-set in Redis through
scrapy-redis (its Scheduler, priority queue and RFPDupeFilter), one politeness budget and one block state
per host (crawler/politeness.py). What scrapy-redis lacks for crawls that must lose nothing is added here:

* Leases. A worker takes a request from the shared queue atomically (a Lua script) into a lease with a
  deadline that it renews while it lives. When the request's work is done — its callback ran, the
  attachments its page started were fetched, the notice left the item pipeline, and the storing worker
  committed the batch it went into (StorePipeline.committed_before) — the lease is dropped: a worker (or its
  machine) killed at any moment loses no notice. A worker killed with -9 stops renewing:
  FRONTIER_LEASE_SECONDS later any worker puts its requests back in the queue. A worker that stops cleanly
  short of the end (Ctrl-C, a --max-* limit, a block) puts back what it holds at once. The database is the
  truth (one row per canonical URL), so a request handed out twice never stores a notice twice.
* One seen-set per crawl session. Every request entering the shared queue is checked against the seen-set,
  also list and search pages, which ask Scrapy not to filter them (they must be read again by every crawl):
  so N workers that each read the homepage and seed the lists read each list page once. The session ends
  when the frontier has been empty (nothing queued, nothing leased) for FRONTIER_IDLE_EXIT seconds: the
  worker that sees it clears the seen-set, so the next crawl (`--since`, or continuing) reads the lists
  again and notice pages that failed are tried again. A session cut short (workers killed or stopped)
  keeps its queue and seen-set: the same command resumes it.
* Requests that stay with their worker (`stays_with_worker`): a retry or any continuation of a request it
  took (they carry its lease), an attachment (it completes the notice its page request started, which is
  in its meta), and the site's homepages (each worker keeps its own session and WAF cookies).
* Idle exit. A worker whose own work is done waits while other workers hold leases (they may still find
  more pages) and ends — status `finished`, its own closing summary, exit 0 — once the shared frontier
  has been empty for FRONTIER_IDLE_EXIT seconds.

* Redis away. A failed frontier call is tried again (every RETRY_SECONDS) for up to FRONTIER_REDIS_PATIENCE
  seconds: a blip costs a pause, never a page. If Redis stays away longer, the worker stops (status
  `interrupted`, one line saying so); pages it could not send are not failures, and the requests it holds
  come back to the queue for the other workers when their leases lapse.
* The site's own host out of this worker's reach (crawler/reachability.py gave up on it). One machine cannot tell its own
  network problem from the site's, so, as a distributed crawler defers rather than fails what one fetcher
  could not connect to, the worker records none of the shared requests to that host as failed: it stops
  (close reason `unreachable`) and puts back every request it holds, for the workers that can reach the
  host. If none can, every worker stops the same way and the session waits in Redis: the same command,
  later, resumes it. (Attachments stay with the worker that fetched their page and fail there, as without
  a frontier; so do pages on another host — a portal, a download host: the worker records them as one
  process would and goes on with the rest, rather than taking the same requests back again and again.)

Scrapy's engine has no public hook for three things this needs: whether the crawl is closing, which
requests are still being processed (the engine slot's `inprogress`) and waking the engine when other
workers add requests (`nextcall`). They are read in one place (`engine_slot`), with Scrapy pinned in
constraints.txt and tests/crawler/test_frontier_engine.py failing loudly if they change. AutoThrottle stays
off with a frontier: it adapts one process's delay from its own latencies, and N workers would each adapt
their own; the shared host budget keeps --delay for all of them together instead.

Without TENDERWATCH_FRONTIER nothing here is active (FrontierAddon leaves the settings alone).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import os
import pickle
import socket
import time
from typing import Any, Iterable
from urllib.parse import urlsplit

import redis
from scrapy import Request, signals
from scrapy.exceptions import CloseSpider, DontCloseSpider
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler
from twisted.internet import task

from crawler.items import CONTINUES_PAGE, NOTICE
from crawler.pipelines import StorePipeline
from crawler.runs import NOT_PAGE_FAILURES, RunRecord, stop_crawl
from crawler.signals import crawl_error

logger = logging.getLogger(__name__)

LEASE = "frontier_lease"  # request meta: the lease of the shared request this request continues
CHAIN = NOTICE  # request meta of ProcurementSpider's attachment requests: the notice they complete
TICK_SECONDS = 0.5  # how often a worker acks finished work, looks at the shared queue and the stop flag
RETRY_SECONDS = 0.5  # a frontier call that failed is tried again this often, for FRONTIER_REDIS_PATIENCE
SCHEMES = ("redis", "rediss", "unix")


class FrontierError(Exception):
    """The frontier URL is wrong or its Redis cannot be reached (one line for the user)."""


class FrontierLost(Exception):
    """Redis stayed away longer than FRONTIER_REDIS_PATIENCE: the worker is stopping."""


def connect(url: str) -> redis.Redis:
    """A client of the frontier's Redis; FrontierError when the URL is not a Redis URL or Redis does not answer."""
    if urlsplit(url).scheme not in SCHEMES:
        raise FrontierError(f"frontier {shown_url(url)!r}: expected redis://host:port/db")
    try:
        # Short timeouts: a call blocks the reactor while it waits; a Redis that stays away is waited for by
        # Frontier.failed, FRONTIER_REDIS_PATIENCE seconds in all, without holding the crawl.
        client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        client.ping()
    except (redis.RedisError, ValueError) as exc:
        raise FrontierError(f"cannot reach the frontier at {shown_url(url)}: {exc}") from None
    return client


def shown_url(url: str) -> str:
    """The URL without its password, for logs and messages."""
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@", 1)
    return url


class Keys:
    """The Redis keys of one frontier: per spider the queue, seen-set, leases and stop flag; per host the
    politeness and block state (shared by every spider that visits the host)."""

    def __init__(self, prefix: str, spider: str):
        self.prefix = prefix
        base = f"{prefix}:{spider}"
        self.requests = f"{base}:requests"  # scrapy-redis priority queue (zset of serialized requests)
        self.seen = f"{base}:seen"  # scrapy-redis RFPDupeFilter fingerprints of this session
        self.leases = f"{base}:leases"  # lease id -> serialized request
        self.lease_info = f"{base}:lease-info"  # lease id -> "<queue score> <worker>"
        self.deadlines = f"{base}:lease-deadlines"  # zset lease id -> Redis time the lease lapses
        self.sequence = f"{base}:lease-seq"
        self.stop = f"{base}:stop"  # set by a worker that stopped the crawl (blocked): every worker stops
        # list/search pages failed this session (any worker): no worker may say the window was read whole
        self.window_failed = f"{base}:window-failed"

    def host(self, host: str) -> str:
        return f"{self.prefix}:host:{host}"


class Frontier:
    """The frontier of one crawl process: its Redis client, keys, worker name and settings."""

    def __init__(self, crawler, url: str):
        settings = crawler.settings
        self.crawler = crawler
        self.url = url
        self.server = connect(url)
        self.keys = Keys(settings.get("FRONTIER_KEY_PREFIX") or "tenderwatch", crawler.spider.name)
        self.worker = f"{socket.gethostname()}:{os.getpid()}"
        self.lease_seconds = settings.getfloat("FRONTIER_LEASE_SECONDS")
        self.idle_exit = settings.getfloat("FRONTIER_IDLE_EXIT")
        self.patience = settings.getfloat("FRONTIER_REDIS_PATIENCE")
        self.down_since: float | None = None  # when the frontier calls began failing (None: Redis answers)
        self.lost = False  # stayed away too long: the worker is stopping
        self.leaving = False  # cannot reach a host of shared requests: the worker is stopping (leave_to_others)
        self.scheduler: "FrontierScheduler | None" = None

    @classmethod
    def of(cls, crawler) -> "Frontier | None":
        """The crawl's frontier (made once, when the spider exists), or None without TENDERWATCH_FRONTIER."""
        url = crawler.settings.get("TENDERWATCH_FRONTIER")
        if not url:
            return None
        if getattr(crawler, "_tenderwatch_frontier", None) is None:
            crawler._tenderwatch_frontier = cls(crawler, url)
        return crawler._tenderwatch_frontier

    # -- Redis away: wait, then stop the worker (see the module) -------------------------------------------

    def failed(self, exc: Exception) -> bool:
        """A frontier call failed: False while Redis may be back soon (call again), True once it has been away
        longer than the patience (the worker is stopped, with one line)."""
        now = time.monotonic()
        if self.down_since is None:
            self.down_since = now
            logger.warning("Frontier %s unreachable (%s); retrying for up to %.0fs", shown_url(self.url), exc,
                           self.patience)
        if now - self.down_since < self.patience:
            return False
        if not self.lost:
            self.lost = True
            why = (f"frontier {shown_url(self.url)} unreachable for {now - self.down_since:.0f}s ({exc}); this worker "
                   f"stops, its requests go back to the queue within {self.lease_seconds:.0f}s")
            self.crawler.stats.inc_value("frontier/lost")
            if stop_crawl(self.crawler, "frontier_lost", why):
                logger.error("%s", why)
        return True

    def answered(self) -> None:
        if self.down_since is not None and not self.lost:
            logger.info("Frontier %s reachable again", shown_url(self.url))
            self.down_since = None

    async def call(self, fn, *args, **kwargs):
        """`fn(*args, **kwargs)`, a Redis call, tried again while Redis is away (see `failed`); FrontierLost when
        it stayed away too long. For callers on the reactor that may wait (the host budget, block checks)."""
        while True:
            if self.lost:
                raise FrontierLost(shown_url(self.url))
            try:
                result = fn(*args, **kwargs)
            except redis.RedisError as exc:
                if self.failed(exc):
                    raise FrontierLost(shown_url(self.url)) from None
                self.crawler.stats.inc_value("frontier/redis_retries")
                await asyncio.sleep(RETRY_SECONDS)
                continue
            self.answered()
            return result

    def begin_session(self) -> None:
        """A new session (no seen-set yet) forgets the previous session's failed list pages."""
        self.server.eval(NEW_SESSION, 2, self.keys.seen, self.keys.window_failed)

    def note_window_failed(self) -> None:
        self.server.incr(self.keys.window_failed)

    def window_failed(self) -> bool:
        return bool(int(self.server.get(self.keys.window_failed) or 0))

    def stop_detail(self) -> str | None:
        value = self.server.get(self.keys.stop)
        return value.decode("utf-8", "replace") if value else None

    def stop_all(self, detail: str, hold_seconds: float) -> None:
        """Every worker of this spider stops (status `blocked`); workers started within `hold_seconds` stop too."""
        self.server.set(self.keys.stop, detail.encode("utf-8"), px=max(1, int(hold_seconds * 1000)))


# Lua, so that taking, renewing and handing back a lease are atomic whatever the number of workers. Lease
# deadlines are in Redis's clock (TIME), the one clock every machine shares.
REDIS_NOW = "local t = redis.call('TIME') local now = tonumber(t[1]) + tonumber(t[2]) / 1000000 "
_REQUEUE = """
local function requeue(id)
  local data = redis.call('HGET', KEYS[2], id)
  if data then
    local info = redis.call('HGET', KEYS[3], id) or '0'
    redis.call('ZADD', KEYS[1], tonumber(string.match(info, '^(%S+)')), data)
  end
  redis.call('HDEL', KEYS[2], id)
  redis.call('HDEL', KEYS[3], id)
  redis.call('ZREM', KEYS[4], id)
  return data and 1 or 0
end
"""
# KEYS: requests, leases, lease_info, deadlines, sequence. ARGV: worker, lease seconds.
TAKE = REDIS_NOW + """
local top = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #top == 0 then return false end
redis.call('ZREM', KEYS[1], top[1])
local id = redis.call('INCR', KEYS[5])
redis.call('HSET', KEYS[2], id, top[1])
redis.call('HSET', KEYS[3], id, top[2] .. ' ' .. ARGV[1])
redis.call('ZADD', KEYS[4], now + tonumber(ARGV[2]), id)
return {id, top[1]}
"""
# KEYS: requests, leases, lease_info, deadlines. Lapsed leases go back to the queue; returns how many.
RECLAIM = REDIS_NOW + _REQUEUE + """
local n = 0
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now)) do n = n + requeue(id) end
return n
"""
# KEYS: requests, leases, lease_info, deadlines. ARGV: lease ids to put back now.
RELEASE = _REQUEUE + """
local n = 0
for _, id in ipairs(ARGV) do n = n + requeue(id) end
return n
"""
# KEYS: deadlines. ARGV: seconds, lease ids. Returns the ids that were no longer held (handed out again).
RENEW = REDIS_NOW + """
local lost = {}
for i = 2, #ARGV do
  if redis.call('ZSCORE', KEYS[1], ARGV[i]) then
    redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), ARGV[i])
  else
    table.insert(lost, ARGV[i])
  end
end
return lost
"""
# KEYS: seen, window-failed. Before any request of a session is seen, the last session's failures are history.
NEW_SESSION = """
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('DEL', KEYS[2])
end
return 0
"""
# KEYS: requests, leases, seen. The session ends when nothing is queued or leased: its seen-set goes.
END_SESSION = """
if redis.call('ZCARD', KEYS[1]) == 0 and redis.call('HLEN', KEYS[2]) == 0 then
  redis.call('DEL', KEYS[3])
  return 1
end
return 0
"""


class LeasedQueue(PriorityQueue):
    """scrapy-redis's priority queue, popped into leases (see the module)."""

    def __init__(self, server, spider, key, serializer=None):
        super().__init__(server, spider, key, serializer)
        self.keys: Keys | None = None  # set by FrontierScheduler.open
        self._take = server.register_script(TAKE)
        self._reclaim = server.register_script(RECLAIM)
        self._release = server.register_script(RELEASE)
        self._renew = server.register_script(RENEW)
        self._end = server.register_script(END_SESSION)

    def _lease_keys(self) -> list[str]:
        k = self.keys
        return [self.key, k.leases, k.lease_info, k.deadlines]

    def take(self, worker: str, seconds: float) -> tuple[str, bytes] | None:
        taken = self._take(keys=[*self._lease_keys(), self.keys.sequence], args=[worker, seconds])
        if not taken:
            return None
        lease, data = taken
        return lease.decode() if isinstance(lease, bytes) else str(lease), data

    def decode(self, data: bytes) -> Request:
        return self._decode_request(data)

    def reclaim(self) -> int:
        return int(self._reclaim(keys=self._lease_keys()))

    def release(self, leases: Iterable[str]) -> int:
        leases = list(leases)
        return int(self._release(keys=self._lease_keys(), args=leases)) if leases else 0

    def renew(self, leases: Iterable[str], seconds: float) -> list[str]:
        leases = list(leases)
        if not leases:
            return []
        return [x.decode() for x in self._renew(keys=[self.keys.deadlines], args=[seconds, *leases])]

    def ack(self, leases: Iterable[str]) -> None:
        leases = list(leases)
        if leases:
            pipe = self.server.pipeline()
            pipe.hdel(self.keys.leases, *leases).hdel(self.keys.lease_info, *leases).zrem(self.keys.deadlines, *leases)
            pipe.execute()

    def state(self) -> tuple[int, int]:
        """(requests queued, requests leased) over every worker."""
        pipe = self.server.pipeline(transaction=False)
        queued, leased = pipe.zcard(self.key).hlen(self.keys.leases).execute()
        return int(queued), int(leased)

    def end_session(self) -> bool:
        return bool(self._end(keys=[self.key, self.keys.leases, self.keys.seen]))


def engine_slot(crawler):
    """Scrapy's engine slot (None before the spider opens and after it closed): the one place the frontier
    reads Scrapy's private engine state — `closing`, `inprogress`, `nextcall` (see the module)."""
    return getattr(crawler.engine, "_slot", None) if crawler.engine is not None else None


def engine_closing(crawler) -> bool:
    """Is the crawl closing (or closed)?"""
    slot = engine_slot(crawler)
    return slot is None or slot.closing is not None


def leave_to_others(crawler, request: Request, why: str) -> bool:
    """With a frontier, a shared request to the site's host this worker cannot reach (crawler/reachability.py) is no
    failed page: its lease goes back to the queue now and the worker stops (see the module). True if so;
    False without a frontier, and for requests that are this worker's own (homepages, attachments)."""
    frontier = Frontier.of(crawler)
    lease = request.meta.get(LEASE)
    if frontier is None or frontier.scheduler is None or lease is None or CHAIN in request.meta:
        return False
    frontier.scheduler.give_back(lease)
    stop_crawl(crawler, "unreachable", f"{why}; this worker stops and leaves its requests to the other workers")
    if not frontier.leaving:
        frontier.leaving = True
        logger.error("%s from this machine; this worker stops and puts back the requests it holds for the other "
                     "workers (none is recorded as failed)", why)
    return True


def homepages(spider) -> set[str]:
    """The URLs (as fetched) of every `homepage` in the spider's site TOML: the site's and its portals'."""
    found: list[str] = []

    def walk(value: Any):
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "homepage" and isinstance(item, str):
                    found.append(item)
                else:
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(getattr(spider, "site", None) or {})
    fetch = getattr(spider, "fetch_url", lambda url: url)
    return {fetch(url) for url in found}


class FrontierScheduler(Scheduler):
    """scrapy-redis's Scheduler with leases, a local queue for requests that stay with this worker, the
    session seen-set and the idle exit (see the module). The queue and seen-set persist (SCHEDULER_PERSIST)."""

    def __init__(self, crawler, frontier: Frontier):
        keys = frontier.keys
        super().__init__(server=frontier.server, persist=True, queue_key=keys.requests,
                         queue_cls="crawler.frontier.LeasedQueue",
                         dupefilter=RFPDupeFilter(frontier.server, keys.seen, crawler.settings.getbool("DUPEFILTER_DEBUG")))
        self.crawler = crawler
        self.stats = crawler.stats
        self.frontier = frontier
        self.local: list[tuple[int, int, Request]] = []  # heap: (-priority, order, request)
        self._order = itertools.count()
        self.held: dict[str, float | None] = {}  # lease -> when its work was seen finished (None: not yet)
        self.chains: dict[int, str] = {}  # id(notice in an attachment request's meta) -> its lease
        self.homepages: set[str] = set()
        self.closing = False
        self.empty_since: float | None = None
        self.last_renewal = time.monotonic()
        self.loop: task.LoopingCall | None = None
        frontier.scheduler = self
        crawler.signals.connect(self._idle, signal=signals.spider_idle)
        crawler.signals.connect(self._opened, signal=signals.spider_opened)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler, Frontier.of(crawler))

    # -- Scrapy's scheduler interface -----------------------------------------------------------------------

    def open(self, spider):
        super().open(spider)
        self.queue.keys = self.frontier.keys
        self.homepages = homepages(spider)
        stopped = self.frontier.stop_detail()
        if stopped:
            record = RunRecord.of(self.crawler)
            if record is not None:
                record.close_detail = f"stopped with the other workers: {stopped}"
            raise CloseSpider("blocked")
        self.frontier.begin_session()
        record = RunRecord.of(self.crawler)
        if record is not None:
            record.shared_window_failed = self.frontier.window_failed
        self.crawler.signals.connect(self._crawl_error, signal=crawl_error)
        reclaimed = self.queue.reclaim()
        queued, leased = self.queue.state()
        self.stats.inc_value("frontier/reclaimed", reclaimed)
        logger.info("Frontier %(url)s as worker %(worker)s: %(queued)d requests queued, %(leased)d taken by workers"
                    "%(back)s", {"url": shown_url(self.frontier.url), "worker": self.frontier.worker, "queued": queued,
                                 "leased": leased, "back": f", {reclaimed} handed out again" if reclaimed else ""})

    def close(self, reason):
        """Finished: every lease held is done. Stopped short (Ctrl-C, a limit, a block): put them back."""
        self.closing = True
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        leases = list(self.held)
        self.held.clear()
        # (Scrapy closes the pipelines first: a batch the store could not commit is still shown open. Its
        # requests go back to the queue rather than being marked done.)
        store = StorePipeline.of(self.crawler)
        committed = store is None or store.committed_before(time.monotonic())
        try:
            if reason == "finished" and committed:
                self.queue.ack(leases)
                self.stats.inc_value("frontier/done", len(leases))
            elif leases:
                released = self.queue.release(leases)
                self.stats.inc_value("frontier/released", released)
                logger.info("Frontier: %d requests this worker held put back for the others", released)
        except redis.RedisError as exc:  # they come back when their leases lapse
            log = logger.info if self.frontier.lost else logger.warning  # (lost: said once already)
            log("Frontier unreachable at close (%s); the requests this worker held come back in %.0fs",
                exc, self.frontier.lease_seconds)

    def has_pending_requests(self) -> bool:
        return bool(self.local) or self._shared_len() > 0

    def __len__(self) -> int:
        return len(self.local) + self._shared_len()

    def enqueue_request(self, request: Request) -> bool:
        if self.stays_with_worker(request):
            self._push_local(request)
            return True
        try:
            # The session seen-set, whatever dont_filter says: see the module.
            if self.df.request_seen(request):
                self.df.log(request, self.spider)
                self.stats.inc_value("frontier/filtered")
                return False
            self.queue.push(request)
        except (ValueError, TypeError, pickle.PicklingError):  # not serializable (a callback that is not a spider
            # method, a response in its meta): this worker does it
            self._push_local(request)
            return True
        except redis.RedisError as exc:
            self.frontier.failed(exc)
            self._push_local(request)  # not lost: this worker does it
            return True
        self.stats.inc_value("frontier/enqueued")
        return True

    def next_request(self) -> Request | None:
        if self.local:
            return heapq.heappop(self.local)[2]
        if self.closing:
            return None
        try:
            taken = self.queue.take(self.frontier.worker, self.frontier.lease_seconds)
        except redis.RedisError as exc:
            self.frontier.failed(exc)
            return None
        self.frontier.answered()
        if taken is None:
            return None
        lease, data = taken
        try:
            request = self.queue.decode(data)
        except Exception as exc:  # written by another version of the spider: drop it, loudly
            logger.error("Frontier: dropping a request this spider cannot read (%r)", exc)
            self.queue.ack([lease])
            return None
        request.meta[LEASE] = lease
        self.held[lease] = None
        self.empty_since = None
        self.stats.inc_value("frontier/taken")
        return request

    def give_back(self, lease: str) -> None:
        """Put a request this worker took back in the queue now (leave_to_others)."""
        if lease not in self.held:
            return
        del self.held[lease]
        try:
            self.stats.inc_value("frontier/released", self.queue.release([lease]))
        except redis.RedisError as exc:  # it comes back when its lease lapses
            self.frontier.failed(exc)

    # -- which requests stay here ---------------------------------------------------------------------------

    def stays_with_worker(self, request: Request) -> bool:
        meta = request.meta
        if LEASE in meta:
            return True
        notice = meta.get(CHAIN)
        if notice is not None:
            lease = self.chains.get(id(notice))  # an attachment requested from an errback (see LeaseSpiderMiddleware)
            if lease is not None:
                meta[LEASE] = lease
            return True
        return request.url in self.homepages

    def _push_local(self, request: Request) -> None:
        lease, notice = request.meta.get(LEASE), request.meta.get(CHAIN)
        if lease is not None and notice is not None:
            self.chains[id(notice)] = lease
        heapq.heappush(self.local, (-request.priority, next(self._order), request))

    def _shared_len(self) -> int:
        try:
            return len(self.queue)
        except redis.RedisError as exc:
            self.frontier.failed(exc)
            return 0

    # -- the worker's loop: acks, renewals, lapsed leases, the stop flag, the idle exit -------------------

    def _opened(self, spider):
        self.loop = task.LoopingCall(self._tick)
        self.loop.start(TICK_SECONDS, now=False)

    def _tick(self):
        try:
            self._ack_finished()
            now = time.monotonic()
            if now - self.last_renewal >= self.frontier.lease_seconds / 3:
                self.last_renewal = now
                lost = self.queue.renew([lease for lease in self.held], self.frontier.lease_seconds)
                if lost:  # this worker stalled longer than a lease: another may do them too (the database dedups)
                    logger.warning("Frontier: %d leases lapsed while this worker held them", len(lost))
                    for lease in lost:
                        self.held.pop(lease, None)
                reclaimed = self.queue.reclaim()
                if reclaimed:
                    self.stats.inc_value("frontier/reclaimed", reclaimed)
                    logger.info("Frontier: %d requests of a worker that went away handed out again", reclaimed)
            stopped = self.frontier.stop_detail()
            if stopped:
                self._stop_with_others(stopped)
            self.frontier.answered()
        except redis.RedisError as exc:
            self.frontier.failed(exc)
        # Scrapy asks the scheduler again only every 5 s when idle; requests other workers add come sooner.
        if not engine_closing(self.crawler):
            engine_slot(self.crawler).nextcall.schedule()

    def _alive(self) -> set[str]:
        """Leases some request of this worker still carries: queued here, downloading, or whose response is
        being processed (Scrapy keeps a request in the engine slot's `inprogress` until its callback's
        output — requests scheduled, items through the pipeline — is handled)."""
        alive = {request.meta.get(LEASE) for _, _, request in self.local}
        slot = engine_slot(self.crawler)
        for request in itertools.chain(getattr(slot, "inprogress", ()), self.crawler.engine.downloader.active):
            alive.add(request.meta.get(LEASE))
        return alive

    def _ack_finished(self):
        if engine_closing(self.crawler):
            return  # what is held now is put back or acked by close()
        alive, now, done = self._alive(), time.monotonic(), []
        store = StorePipeline.of(self.crawler)
        for lease, finished in self.held.items():
            if lease in alive:
                self.held[lease] = None
            elif finished is None:
                self.held[lease] = now  # its notice, if any, was handed to the store before now
            elif store is None or store.committed_before(finished):
                done.append(lease)
        if done:
            self.queue.ack(done)
            for lease in done:
                del self.held[lease]
            self.chains = {k: v for k, v in self.chains.items() if v in self.held}
            self.stats.inc_value("frontier/done", len(done))

    def _crawl_error(self, url: str, reason: str, detail: str = "", retry_meta: dict | None = None):
        """A list or search page failed here: every worker's run must say the window was not read whole (the
        next run without --since reads it again), as one process's run would. (Not this worker's own homepage:
        the lists are shared, and other workers read them; its own run still says so.)"""
        if retry_meta is None and reason not in NOT_PAGE_FAILURES and url not in self.homepages:
            try:
                self.frontier.note_window_failed()
            except redis.RedisError as exc:
                self.frontier.failed(exc)

    def _idle(self, spider):
        if self.closing:
            return
        try:
            self._ack_finished()
            self.queue.reclaim()
            queued, leased = self.queue.state()
        except redis.RedisError as exc:
            self.frontier.failed(exc)
            raise DontCloseSpider from None
        if queued or leased:
            self.empty_since = None
            raise DontCloseSpider
        now = time.monotonic()
        if self.empty_since is None:
            self.empty_since = now
            logger.info("Frontier empty; this worker ends if it stays empty for %.0fs", self.frontier.idle_exit)
        if now - self.empty_since < self.frontier.idle_exit:
            raise DontCloseSpider
        if self.queue.end_session():
            logger.info("Frontier empty for %.0fs: the crawl session is over (seen-set cleared)", self.frontier.idle_exit)

    def _stop_with_others(self, detail: str):
        if not self.closing:
            stop_crawl(self.crawler, "blocked", f"stopped with the other workers: {detail}")


class LeaseSpiderMiddleware:
    """A page's attachment (and origin) requests inherit its lease: the notice is stored (and the lease done) only when
    the last attachment is in. (Errbacks' output bypasses spider middlewares: FrontierScheduler finds the
    lease of an attachment requested from an errback through the notice the requests share.)"""

    def process_spider_output(self, response, result):
        lease = response.request.meta.get(LEASE) if response.request is not None else None
        for out in result:
            yield _inherit(out, lease)

    async def process_spider_output_async(self, response, result):
        lease = response.request.meta.get(LEASE) if response.request is not None else None
        async for out in result:
            yield _inherit(out, lease)


def _inherit(out, lease: str | None):
    if lease is not None and isinstance(out, Request) and LEASE not in out.meta and any(k in out.meta for k in CONTINUES_PAGE):
        out.meta[LEASE] = lease
    return out


class FrontierAddon:
    """Wires the frontier in when TENDERWATCH_FRONTIER is set (a Scrapy add-on: it runs after the spider set
    its per-run settings, such as --delay, and before the engine exists); otherwise changes nothing."""

    def update_settings(self, settings) -> None:
        if not settings.get("TENDERWATCH_FRONTIER"):
            return

        def force(name, value):
            settings.set(name, value, priority="cmdline")

        # One budget per host for all workers (crawler/politeness.py) instead of each process's own delay:
        # Scrapy's per-process delay and AutoThrottle would add N budgets, one per worker.
        force("FRONTIER_HOST_DELAY", settings.getfloat("DOWNLOAD_DELAY"))
        force("DOWNLOAD_DELAY", 0)
        force("AUTOTHROTTLE_ENABLED", False)
        # Few requests in a worker's downloader at once, so one worker cannot take the whole queue while
        # another idles (Scrapy pulls from the scheduler until CONCURRENT_REQUESTS are in its downloader).
        concurrency = settings.getint("FRONTIER_CONCURRENCY")
        force("CONCURRENT_REQUESTS", concurrency)
        force("CONCURRENT_REQUESTS_PER_DOMAIN", concurrency)
        force("SCHEDULER", "crawler.frontier.FrontierScheduler")
        settings.set_in_component_priority_dict("SPIDER_MIDDLEWARES", LeaseSpiderMiddleware, 50)
        handlers = dict(settings.getdict("DOWNLOAD_HANDLERS"))
        handlers.update(http="crawler.frontier_download.PoliteDownloadHandler", https="crawler.frontier_download.PoliteDownloadHandler")
        force("DOWNLOAD_HANDLERS", handlers)
