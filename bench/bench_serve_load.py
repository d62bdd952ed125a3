"""Serving under load: the search API's latency with one client vs. 16 concurrent clients, for
`tenderwatch serve --workers 1` and `--workers 2`, on a generated corpus (default 100,000 notices), one run.

    .venv/bin/python bench/bench_serve_load.py                   # corpus cached in data/bench/ (bench_search's)
    .venv/bin/python bench/bench_serve_load.py --count 10000 --workers 1 2 4 --clients 16 --rounds 2

The corpus is bench_search's (bench/make_corpus.py, cached under data/bench/). For each worker count the real
`tenderwatch serve` runs in its own processes; the clients (httpx, asyncio) send bench_search's query mix to
/api/search with facets on — first one client at a time, then `--clients` at once, each going through the mix
in its own order — `--rounds` times after a warm-up. Prints p50/p95 and requests/s for each, and the ratio of
the concurrent p95 to the single-client p95 (goal: ≤ 3×). The clients share the machine's cores with the
server: on 2 cores, 16 clients of a CPU-bound server queue for the cores, so the ratio cannot fall much below
clients ÷ cores × (single-client service share) whatever the number of workers — see the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_search import MIX, Server, ensure_corpus, pct  # noqa: E402

GOAL_RATIO = 3.0


class WorkersServer(Server):
    """bench_search's `tenderwatch serve` process, with --workers."""

    def __init__(self, url: str, workers: int):
        super().__init__(url)
        self.cmd += ["--workers", str(workers)]


def queries() -> list[dict]:
    return [{"cases": "0", **params, "facets": "1"} for _label, _kind, params, _like, _ex in MIX]


async def client(http, mix: list[dict], rounds: int, seed: int, out: list[float]) -> None:
    order = random.Random(seed)
    for _ in range(rounds):
        batch = mix[:]
        order.shuffle(batch)
        for q in batch:
            t0 = time.perf_counter()
            r = await http.get("/api/search", params=q)
            out.append((time.perf_counter() - t0) * 1000)
            r.raise_for_status()


async def measure(base: str, clients: int, rounds: int) -> tuple[list[float], float]:
    """Latencies (ms) of every request, and requests per second, with `clients` clients at once."""
    import httpx

    mix = queries()
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=300, limits=limits) as http:
        t0 = time.perf_counter()
        await asyncio.gather(*(client(http, mix, rounds, seed, latencies) for seed in range(clients)))
        seconds = time.perf_counter() - t0
    return latencies, len(latencies) / seconds


async def warm_up(base: str, workers: int) -> None:
    """Every query a few times from several connections, so every worker has opened its database and
    loaded its caches before timing starts."""
    import httpx

    async with httpx.AsyncClient(base_url=base, timeout=300) as http:
        for _ in range(max(2, workers)):
            await asyncio.gather(*(http.get("/api/search", params=q) for q in queries()))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=100_000, help="notices in the generated corpus")
    ap.add_argument("--db", type=Path, default=None, help="SQLite file (default data/bench/corpus-<count>.db)")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts to compare")
    ap.add_argument("--clients", type=int, default=16, help="concurrent clients")
    ap.add_argument("--rounds", type=int, default=3, help="passes over the query mix per client")
    args = ap.parse_args(argv)

    path = ensure_corpus(args.db or ROOT / "data" / "bench" / f"corpus-{args.count}.db", args.count)
    url = f"sqlite:///{path}"
    print(f"/api/search with facets, {len(MIX)} queries × {args.rounds} rounds per client, {args.count:,} notices, "
          f"{os.cpu_count()} cores (clients on the same machine)")
    print(f"{'workers':>7}  {'clients':>7}  {'p50 ms':>8}  {'p95 ms':>8}  {'req/s':>6}  {'p95 ÷ 1 client':>14}")
    worst = 0.0
    for workers in args.workers:
        with WorkersServer(url, workers) as base:
            asyncio.run(warm_up(base, workers))
            single, single_rate = asyncio.run(measure(base, 1, args.rounds))
            many, many_rate = asyncio.run(measure(base, args.clients, args.rounds))
        ratio = pct(many, 95) / pct(single, 95)
        worst = max(worst, ratio)
        print(f"{workers:>7}  {1:>7}  {pct(single, 50):>8.1f}  {pct(single, 95):>8.1f}  {single_rate:>6.1f}  {'':>14}")
        print(f"{workers:>7}  {args.clients:>7}  {pct(many, 50):>8.1f}  {pct(many, 95):>8.1f}  {many_rate:>6.1f}  "
              f"{ratio:>13.1f}×", flush=True)
    print(f"goal: {args.clients}-client p95 within {GOAL_RATIO:g}× the single-client p95 — "
          f"{'met' if worst <= GOAL_RATIO else 'not met'} (worst {worst:.1f}×)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
