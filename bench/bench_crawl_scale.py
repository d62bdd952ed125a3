"""Crawl throughput with 1, 2 and 4 workers sharing one frontier (crawler/frontier.py) against several replica
hosts with simulated latency, and the per-host rate they keep together.

    .venv/bin/python bench/bench_crawl_scale.py [--hosts 4] [--latency 0.2] [--delay 0.1] [--generated 60] [--json]

The ccgp replica (the bundled notices plus N generated ones) is served on 127.0.0.2, 127.0.0.3, … (one host
each; Scrapy and the host budgets key on the host name), every answer taking --latency seconds. Each page
has one home among the hosts (a hash of its path), so a crawl spreads over all of them. Workers are
separate processes with one frontier in Redis (DB 4, a key prefix per run), each taking one request at a
time (FRONTIER_CONCURRENCY=1: a worker's rate is bounded by the latency, as a real worker's is by its
network and CPU), download only (no item pipeline: what scales here is the crawl, not the 2-core machine's
extraction). Politeness is --delay per host for all workers together.

Printed: requests per second over the crawl (first to last request the hosts saw) for 1, 2 and 4 workers
and the ratios to 1 worker — near-linear while the hosts' budgets leave room (4 hosts × 1/delay); then 4
workers against a single host, whose rate must stay at or under 1/delay: per-host politeness held whatever
the number of workers. A host's rate is also counted over its busiest 3 seconds (at most budget × 3 + 1
requests can fall in any 3 s).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

REDIS_URL = os.environ.get("TENDERWATCH_BENCH_REDIS_URL", "redis://127.0.0.1:6379/4")
SPIDER_ARGS = {"keywords": "", "max_pages": "1000"}
WINDOW = 3.0  # seconds over which a host's busiest rate is counted


def spread_spider():
    """The ccgp spider with each page fetched from one of several roots (chosen by its path)."""
    from urllib.parse import urlsplit

    from crawler.spiders.ccgp import CcgpSpider

    class SpreadCcgp(CcgpSpider):
        def __init__(self, roots="", **kwargs):
            super().__init__(**kwargs)
            self.roots = [r for r in roots.split(",") if r]

        def fetch_url(self, url):
            moved = super().fetch_url(self._on_site_root(url))
            if not self.roots or not moved.startswith(self.site_root + "/"):
                return moved
            rest = moved[len(self.site_root):]
            return self.roots[zlib.crc32(urlsplit(rest).path.encode()) % len(self.roots)] + rest

        def canonical_url(self, url):
            return super().canonical_url(self._on_site_root(url))

        def _on_site_root(self, url):
            """A URL of any root as if on the first (links on a page are on the root that served it)."""
            for root in self.roots:
                if url.startswith(root + "/"):
                    return self.site_root + url[len(root):]
            return url

    return SpreadCcgp


def child(roots: list[str], delay: float, prefix: str, database_url: str) -> None:
    """One worker in this process: the spread ccgp spider, download only, on the shared frontier."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    for name, value in {"LOG_LEVEL": "WARNING", "TENDERWATCH_DATABASE_URL": database_url, "ITEM_PIPELINES": {},
                        "TENDERWATCH_FRONTIER": REDIS_URL, "FRONTIER_KEY_PREFIX": prefix, "FRONTIER_CONCURRENCY": 1,
                        "FRONTIER_IDLE_EXIT": 1.0, "ROBOTSTXT_OBEY": False}.items():
        settings.set(name, value, priority="cmdline")
    process = CrawlerProcess(settings)
    process.crawl(spread_spider(), site_root=roots[0], roots=",".join(roots), delay=str(delay), **SPIDER_ARGS)
    process.start()


def run(sites: list, roots: list[str], workers: int, delay: float) -> dict:
    """`workers` processes crawl `roots` with one frontier; what the hosts saw."""
    import redis

    for site in sites:
        site.log.clear()
    prefix = f"bench-scale-{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory() as tmp:
        database_url = f"sqlite:///{Path(tmp) / 'tenderwatch.db'}"
        env = dict(os.environ, TENDERWATCH_DATA_DIR=tmp)
        # The schema first, once (workers opening a fresh database at the same moment would race to make it).
        subprocess.run([sys.executable, "-m", "tenderwatch.cli", "db", "upgrade", "--database-url", database_url],
                       cwd=ROOT, env=env, check=True, capture_output=True)
        cmd = [sys.executable, __file__, "--child", json.dumps([roots, delay, prefix, database_url])]
        procs = [subprocess.Popen(cmd, cwd=ROOT, env=env) for _ in range(workers)]
        codes = [p.wait() for p in procs]
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(f"{prefix}:*"))
    if keys:
        client.delete(*keys)
    if any(codes):
        raise SystemExit(f"a worker failed: exit codes {codes}")
    times = sorted(r.at for site in sites for r in site.log)
    span = times[-1] - times[0]
    per_host = []
    for site in sites:
        own = sorted(r.at for r in site.log)
        if len(own) > 1:
            per_host.append({"requests": len(own), "per_second": round((len(own) - 1) / (own[-1] - own[0]), 2),
                             "busiest": round(busiest(own, WINDOW), 2),
                             "closest": round(min(b - a for a, b in zip(own, own[1:])), 3)})
    return {"workers": workers, "hosts": len(per_host), "requests": len(times), "seconds": round(span, 2),
            "per_second": round((len(times) - 1) / span, 2), "per_host": per_host}


def busiest(times: list[float], window: float) -> float:
    """Requests per second in the busiest `window` seconds (arrival times, sorted): a host's rate as it felt
    it, robust to the replica timing one request late and the next on time."""
    most, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] > window:
            start += 1
        most = max(most, end - start + 1)
    return most / window


@contextlib.contextmanager
def replicas(hosts: int, latency: float, generated: int):
    from crawler.replica.multi import MultiServer
    from crawler.replica.site import ReplicaOptions, ReplicaSite
    import threading

    sites, servers, threads = [], [], []
    try:
        for i in range(hosts):
            site = ReplicaSite(ReplicaOptions(latency=latency, generated=generated, list_page_size=20))
            server = MultiServer(site, 0, host=f"127.0.0.{i + 2}")
            thread = threading.Thread(target=server.serve_forever, daemon=True)
            thread.start()
            sites.append(site)
            servers.append(server)
            threads.append(thread)
        yield sites, [s.url for s in servers]
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hosts", type=int, default=4)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--delay", type=float, default=0.1)
    parser.add_argument("--generated", type=int, default=60)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*json.loads(args.child))
        return 0
    from crawler.frontier import FrontierError, connect

    try:
        connect(REDIS_URL).close()
    except FrontierError as exc:
        print(f"skipped: {exc}")
        return 0
    results = []
    with replicas(args.hosts, args.latency, args.generated) as (sites, roots):
        for workers in (1, 2, 4):
            results.append(run(sites, roots, workers, args.delay))
        one_host = run(sites[:1], roots[:1], 4, args.delay)
    base = results[0]["per_second"]
    if args.json:
        print(json.dumps({"runs": results, "one_host": one_host, "delay": args.delay, "latency": args.latency}, indent=2))
        return 0
    print(f"{args.hosts} hosts, {args.latency:g} s per answer, --delay {args.delay:g} per host "
          f"(budget {args.hosts / args.delay:.1f} requests/s over all hosts, {1 / args.delay:.1f} per host); "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    for r in results:
        hosts = ", ".join(f"{h['per_second']:.1f}" for h in r["per_host"])
        busiest_host = max(h["busiest"] for h in r["per_host"])
        print(f"  {r['workers']} worker{'s' if r['workers'] > 1 else ' '}: {r['requests']} requests in {r['seconds']:.1f} s = "
              f"{r['per_second']:.2f} requests/s, ×{r['per_second'] / base:.2f} of 1 worker; per host {hosts}/s, "
              f"busiest {WINDOW:g} s of a host {busiest_host:.2f}/s")
    h = one_host["per_host"][0]
    print(f"  4 workers, 1 host: {one_host['requests']} requests in {one_host['seconds']:.1f} s = {h['per_second']:.2f} "
          f"requests/s, busiest {WINDOW:g} s {h['busiest']:.2f}/s: ×{h['busiest'] * args.delay:.2f} of the host's budget "
          f"({1 / args.delay:.1f}/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
