"""Serving under load: the search API's latency with one client vs. 16 concurrent clients, for
`tenderwatch serve --workers 1` and `--workers 2`, on a generated corpus (default 100,000 notices), one run.

    .venv/bin/python bench/bench_serve_load.py                   # corpus cached in data/bench/ (bench_search's)
    .venv/bin/python bench/bench_serve_load.py --count 10000 --workers 1 2 4 --clients 16 --requests 40
    .venv/bin/python bench/bench_serve_load.py --search-cache 0  # every request searches

The corpus is bench_search's (bench/make_corpus.py, cached under data/bench/). For each worker count the real
`tenderwatch serve` runs in its own processes; the clients (asyncio, keep-alive; --client httpx: httpx's, whose
figures are not comparable: it takes ~2 ms of the server's cores per request) send /api/search with
facets on, drawn from a query log like a search site's: a few thousand distinct searches (bench_search's mix
of 1–4 character Chinese terms, Latin tokens, phrases, OR, exclusion, browse; the corpus's items, places and
institutions; provider / year / type / amount filters, cases or all notices, pages 1–3), asked with Zipf
frequencies (s = 1: the popular few often, a long tail once), each client its own draw. Two runs, each on a
freshly started server after the same warm-up of the log, so that both meet the same cache: one client sending
as many searches as all the clients together (a p95 of as many requests as the concurrent one's, and a cache
that fills as much on the way: a p95 of a short single-client run moves by half between runs), then `--clients`
at once. Prints p50/p95, requests/s, the search cache's hit rate (the X-Cache header) and the ratio of the
concurrent p95 to the single-client p95 (goal: ≤ 3×). The clients share the machine's cores with the server.

The single-client run is the service time (each request alone): its mean, and hits vs. misses, are printed
below the table with the concurrent p95 a first-come-first-served server gives with those times (`fifo_p95`, a
simulation of the same closed loop: each request waits for those ahead of it, then takes its own time —
web/serving.py) with a queue per worker as served, with one queue over all cores, and with twice the cores; and
the CPU time per request of the server's processes and of the clients (/proc), which other load on a shared
machine leaves unchanged while it stretches every latency.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_search import MIX, Server, ensure_corpus, pct  # noqa: E402
from web.serving import page_slots  # noqa: E402

GOAL_RATIO = 3.0


class WorkersServer(Server):
    """bench_search's `tenderwatch serve` process, with --workers."""

    def __init__(self, url: str, workers: int, search_cache: int | None):
        super().__init__(url)
        self.cmd += ["--workers", str(workers)]
        if search_cache is not None:
            self.cmd += ["--search-cache", str(search_cache)]


def query_log(seed: int = 15) -> list[dict]:
    """The distinct searches of the log, most popular first (a fixed shuffle: the popular ones are a mix of
    broad and narrow searches, not the cheapest)."""
    import make_corpus as corpus

    texts = [params.get("q", "") for _label, _kind, params, _like, _ex in MIX]
    texts += corpus.ORDINARY_ITEMS + corpus.CITIES + corpus.INSTITUTIONS[:12] + corpus.COMPANY_WORDS[:12]
    texts = list(dict.fromkeys(texts))
    filters = [{}, {"provider": "aws"}, {"provider": "alibaba-cloud"}, {"year": "2024"}, {"year": "2023"},
               {"type": "award"}, {"type": "tender"}, {"amount_min": "1000000"}, {"kind": "gpu_rental"}]
    log = []
    for text in texts:
        for f in filters:
            for cases in ("0", "1"):
                for page in ("1", "2", "3"):
                    q = {"q": text} if text else {}
                    log.append({**q, **f, "cases": cases, "page": page, "facets": "1"})
    random.Random(seed).shuffle(log)
    # Page 1 before page 2 before page 3 in popularity: people rarely page on.
    log.sort(key=lambda q: q["page"])
    return log


def draws(log: list[dict], n: int, seed: int) -> list[dict]:
    """n searches from the log with Zipf (s = 1) frequencies."""
    weights = [1 / (rank + 1) for rank in range(len(log))]
    return random.Random(seed).choices(log, weights=weights, k=n)


class Connection:
    """One client's keep-alive HTTP/1.1 connection, written on asyncio streams: the clients share the server's
    cores, and httpx spends ~2 ms of CPU per request (measured with --client httpx) — a seventh of a search's —
    which a client elsewhere would not take from the server. Reconnects when the server closes (web/serving.py's
    Rebalance), and once when a kept-alive connection turns out closed before any byte of the answer (as httpx
    retries a stale pooled connection). Bodies framed by Content-Length only (the server's JSON answers)."""

    TIMEOUT = 300  # seconds for one request, as httpx was given: a stuck server stops the bench

    def __init__(self, base: str):
        host, _, port = base.removeprefix("http://").partition(":")
        self.host, self.port = host, int(port or 80)
        self.reader = self.writer = None

    async def get(self, path: str, params: dict) -> tuple[int, dict[str, str], bytes]:
        return await asyncio.wait_for(self._get(path, params), self.TIMEOUT)

    async def _get(self, path: str, params: dict) -> tuple[int, dict[str, str], bytes]:
        request = f"GET {path}?{urlencode(params)} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n\r\n".encode()
        for attempt in (1, 2):
            fresh = self.writer is None
            if fresh:
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            try:
                self.writer.write(request)
                await self.writer.drain()
                raw = await self.reader.readuntil(b"\r\n\r\n")
                break
            except (asyncio.IncompleteReadError, ConnectionResetError, BrokenPipeError) as exc:
                await self.close()
                got_bytes = isinstance(exc, asyncio.IncompleteReadError) and exc.partial
                if fresh or got_bytes or attempt == 2:
                    raise
        head = raw.decode("latin-1").split("\r\n")
        status = int(head[0].split()[1])
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in head[1:] if line)}
        if "content-length" not in headers:
            raise SystemExit(f"{path} answered without Content-Length (transfer-encoding "
                             f"{headers.get('transfer-encoding', 'none')}): this client reads only framed bodies")
        body = await self.reader.readexactly(int(headers["content-length"]))
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return status, headers, body

    async def close(self) -> None:
        if self.writer is not None:
            writer, self.reader, self.writer = self.writer, None, None
            writer.close()
            try:
                await writer.wait_closed()
            except (ConnectionError, OSError):
                pass


async def client(get, searches: list[dict], out: list[float], lookups: list[str]) -> None:
    for q in searches:
        t0 = time.perf_counter()
        status, headers = await get(q)
        out.append((time.perf_counter() - t0) * 1000)
        if status != 200:
            raise SystemExit(f"/api/search answered {status} to {q}")
        lookups.append(headers.get("x-cache", "none"))


async def measure(base: str, log: list[dict], clients: int, requests: int, seed: int, use_httpx: bool = False
                  ) -> tuple[list[float], float, str, list[str]]:
    """Latencies (ms) of every request, requests per second, the cache hit rate and each request's X-Cache,
    with `clients` clients at once, each sending `requests` searches drawn from the log."""
    import httpx

    latencies: list[float] = []
    lookups: list[str] = []
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    connections = [Connection(base) for _ in range(clients)]

    def getter(c: int):
        async def get(q):
            if use_httpx:
                r = await http.get("/api/search", params=q)
                return r.status_code, r.headers
            status, headers, _body = await connections[c].get("/api/search", q)
            return status, headers
        return get

    http = httpx.AsyncClient(base_url=base, timeout=300, limits=limits) if use_httpx else None
    try:
        t0 = time.perf_counter()
        await asyncio.gather(*(client(getter(c), draws(log, requests, seed * 1000 + c), latencies, lookups)
                               for c in range(clients)))
        seconds = time.perf_counter() - t0
    finally:
        if http is not None:
            await http.aclose()
    for connection in connections:
        await connection.close()
    hits = lookups.count("HIT")
    rate = f"{hits / len(lookups):.0%}" if "none" not in lookups else "off"
    return latencies, len(latencies) / seconds, rate, lookups


def service_note(single: list[float], lookups: list[str], clients: int, workers: int) -> str:
    """The single-client run as service times: mean, hits and misses, and the concurrent p95 a first-come-first-
    served server would give with them (`fifo_p95`): as served (a queue per worker), with one queue over every
    core, and on a machine with twice the cores."""
    hits = [t for t, how in zip(single, lookups) if how == "HIT"]
    misses = [t for t, how in zip(single, lookups) if how != "HIT"]
    mean = sum(single) / len(single)
    alone = pct(single, 95)
    slots = page_slots(workers)  # pages a worker works on at once (web/serving.py)
    served = fifo_p95(single, clients // workers, slots)
    pooled = fifo_p95(single, clients, workers * slots)
    doubled = fifo_p95(single, clients, 2 * workers * slots)
    return (f"  1 client: mean {mean:.1f} ms; {len(hits)} hits p50 {pct(hits, 50):.1f} ms; {len(misses)} misses "
            f"p50 {pct(misses, 50):.1f} / p95 {pct(misses, 95):.1f} / max {max(misses, default=float('nan')):.1f} ms\n"
            f"  first come first served with these times, {clients} clients: p95 ≈ {served:.0f} ms "
            f"({served / alone:.1f}×) a queue per worker as served; {pooled:.0f} ms ({pooled / alone:.1f}×) one "
            f"queue over all {workers * slots} cores; {doubled:.0f} ms ({doubled / alone:.1f}×) with "
            f"{2 * workers * slots} cores")


def fifo_p95(service: list[float], clients: int, servers: int, answers: int = 40_000, seed: int = 0) -> float:
    """p95 latency of `clients` closed-loop clients (each sends its next request when the last is answered, as the
    bench's do) served first come first served by `servers` at once, each request taking a service time drawn
    from `service`: what queueing alone makes of these service times, no overhead counted. In a closed loop the
    mean latency is clients × mean service ÷ servers whatever the order of service (Little's law); an order
    can only move waiting between requests, and serving cheap requests first moves it onto the misses, which
    are more than 5 % of the requests."""
    import heapq
    from collections import deque

    draw = random.Random(seed).choice
    now = 0.0
    waiting = deque([0.0] * clients)  # arrival times of the queued requests, oldest first
    running: list[tuple[float, float]] = []  # (finish, arrival)
    latencies: list[float] = []
    while len(latencies) < answers:
        while len(running) < servers and waiting:
            heapq.heappush(running, (now + draw(service), waiting.popleft()))
        now, arrived = heapq.heappop(running)
        latencies.append(now - arrived)
        waiting.append(now)  # the client's next request
    return pct(latencies[answers // 10:], 95)  # past the start, when every client arrived at once


def cpu_seconds(root: int) -> float:
    """CPU seconds (user + system) used so far by process `root` and its descendants (the server's workers):
    work per request, which other load on the machine does not change as it changes latencies."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry)] = int(fields[1])
            times[int(entry)] = (int(fields[11]) + int(fields[12])) / tick
    tree, total = {root}, 0.0
    changed = True
    while changed:
        changed = False
        for pid, parent in parents.items():
            if parent in tree and pid not in tree:
                tree.add(pid)
                changed = True
    for pid in tree:
        total += times.get(pid, 0.0)
    return total


async def warm_up(base: str, log: list[dict], requests: int) -> None:
    """The log's searches from several connections, so every worker has opened its database, loaded its
    caches and holds the popular searches a running site would, before timing starts."""
    import httpx

    async with httpx.AsyncClient(base_url=base, timeout=300) as http:
        for start in range(0, requests, 8):
            await asyncio.gather(*(http.get("/api/search", params=q) for q in draws(log, 8, start)))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=100_000, help="notices in the generated corpus")
    ap.add_argument("--db", type=Path, default=None, help="SQLite file (default data/bench/corpus-<count>.db)")
    ap.add_argument("--database-url", help="serve this database instead (e.g. PostgreSQL); --count is then a label")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts to compare")
    ap.add_argument("--clients", type=int, default=16, help="concurrent clients")
    ap.add_argument("--requests", type=int, default=60,
                    help="searches per concurrent client (the single client sends as many as they all do)")
    ap.add_argument("--warm-up", type=int, default=400, help="searches before timing")
    ap.add_argument("--search-cache", type=int, default=None, help="serve --search-cache (default: serve's)")
    ap.add_argument("--client", choices=("streams", "httpx"), default="streams",
                    help="the clients' HTTP: keep-alive connections on asyncio streams (default, ~0.3 ms of CPU per "
                         "request) or httpx (~2 ms; the figures before 2026-12-05 08:00)")
    args = ap.parse_args(argv)

    if args.database_url:
        url = args.database_url
    else:
        path = ensure_corpus(args.db or ROOT / "data" / "bench" / f"corpus-{args.count}.db", args.count)
        url = f"sqlite:///{path}"
    log = query_log()
    print(f"/api/search with facets, a log of {len(log):,} distinct searches (Zipf s=1), {args.requests} per client, "
          f"{args.count:,} notices ({url.split(':', 1)[0]}), {os.cpu_count()} cores (clients on the same machine, HTTP by {args.client}), "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"{'workers':>7}  {'clients':>7}  {'p50 ms':>8}  {'p95 ms':>8}  {'req/s':>6}  {'cache hits':>10}  "
          f"{'p95 ÷ 1 client':>14}")
    worst = 0.0
    notes = []

    def timed(workers: int, clients: int, requests: int, seed: int):
        """One run on a fresh server after the warm-up: its measure() and the server's and the clients' CPU
        seconds."""
        server = WorkersServer(url, workers, args.search_cache)
        with server as base:
            asyncio.run(warm_up(base, log, args.warm_up))
            cpu0, own0 = cpu_seconds(server.proc.pid), time.process_time()
            measured = asyncio.run(measure(base, log, clients, requests, seed, args.client == "httpx"))
            return measured, cpu_seconds(server.proc.pid) - cpu0, time.process_time() - own0

    for workers in args.workers:
        (single, single_rate, single_hits, single_lookups), single_cpu, _ = timed(
            workers, 1, args.clients * args.requests, 1)
        (many, many_rate, many_hits, _), many_cpu, own = timed(workers, args.clients, args.requests, 2)
        ratio = pct(many, 95) / pct(single, 95)
        worst = max(worst, ratio)
        print(f"{workers:>7}  {1:>7}  {pct(single, 50):>8.1f}  {pct(single, 95):>8.1f}  {single_rate:>6.1f}  "
              f"{single_hits:>10}  {'':>14}")
        print(f"{workers:>7}  {args.clients:>7}  {pct(many, 50):>8.1f}  {pct(many, 95):>8.1f}  {many_rate:>6.1f}  "
              f"{many_hits:>10}  {ratio:>13.1f}×", flush=True)
        notes.append(f"workers {workers}:" + service_note(single, single_lookups, args.clients, workers))
        notes.append(f"  CPU per request: server {1000 * single_cpu / len(single):.1f} ms with 1 client, "
                     f"{1000 * many_cpu / len(many):.1f} ms with {args.clients}; the clients' own "
                     f"{1000 * own / len(many):.1f} ms")
    print("\n".join(notes))
    print(f"goal: {args.clients}-client p95 within {GOAL_RATIO:g}× the single-client p95 — "
          f"{'met' if worst <= GOAL_RATIO else 'not met'} (worst {worst:.1f}×); load average now "
          f"{os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
