"""Storage-level search latency: `Store.search` on an existing database for a fixed query mix (Chinese
1–4 characters, Latin tokens; with and without facets; with and without filters), p50/p95 per group,
beside the same texts as a plain LIKE scan over title, body and attachments.

    python bench/bench_store_search.py data/bench/corpus-100000.db [--repeat 5]

(build the database with `python bench/make_corpus.py --count 100000`). The web API adds its own cost
on top; bench_search.py measures that."""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from storage.search import SearchQuery  # noqa: E402
from storage.store import Store  # noqa: E402

TEXTS = [
    "云",
    "算",
    "算力",
    "华为",
    "阿里云",
    "云服务器",
    "人工智能",
    "智算中心",
    "采购",
    "服务",
    "A100",
    "H100",
    "GPU",
    "AWS",
    "p4d.24xlarge",
    "Azure",
    "阿里云 OR 华为云",
    '"GPU 服务器"',
    "算力 -华为",
]
# Filter combinations a journalist clicks, with and without text (facets on).
FILTERED = [
    dict(),
    dict(cases_only=True),
    dict(since=date(2024, 1, 1)),
    dict(region="北京"),
    dict(text="服务", since=date(2024, 1, 1)),
    dict(text="云", region="北京", sort="date"),
    dict(text="算力", provider="aws"),
    dict(text="服务", page=50, sort="date"),
    dict(text="A100", amount_min=1e6),
    dict(flag="us_provider"),
    dict(text="GPU", notice_type="award"),
    dict(text="云", cases_only=True, kind="cloud"),
    dict(text="A100", buyer="大学"),
]
FILTERS = {
    "no facets": dict(facets=False),
    "facets": dict(facets=True),
    "facets, cases only": dict(facets=True, cases_only=True),
    "facets, date sort": dict(facets=True, sort="date"),
}


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def time_group(store: Store, label: str, queries: list[tuple[SearchQuery, object]], repeat: int) -> list[float]:
    """Run each (query, what to call it) `repeat` times; print the group's p50/p95 and its slowest query."""
    times = []
    slowest = (0.0, "")
    for query, what in queries:
        for _ in range(repeat):
            t0 = time.perf_counter()
            result = store.search(query)
            ms = (time.perf_counter() - t0) * 1000
            times.append(ms)
            if ms > slowest[0]:
                slowest = (ms, f"{what} ({result.total:,} hits)")
    print(
        f"  {label:<22} p50 {statistics.median(times):6.1f} ms   p95 {pct(times, 95):6.1f} ms   "
        f"slowest {slowest[0]:.0f} ms: {slowest[1]}"
    )
    return times


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("db", type=Path)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--like", action="store_true", help="also time the LIKE scan (slow)")
    args = ap.parse_args(argv)
    store = Store.open(f"sqlite:///{args.db.resolve()}", read_only=True)
    with store.engine.connect() as c:
        n = c.execute(sa.text("SELECT count(*) FROM notice")).scalar()
    print(f"{n:,} notices in {args.db}")
    for t in TEXTS[:2]:  # warm the page cache
        store.search(SearchQuery(text=t))
    all_times: list[float] = []
    for label, kw in FILTERS.items():
        all_times += time_group(store, label, [(SearchQuery(text=text, **kw), text) for text in TEXTS], args.repeat)
    all_times += time_group(store, "filter combinations", [(SearchQuery(**kw), kw) for kw in FILTERED], args.repeat)
    print(f"  {'all':<22} p50 {statistics.median(all_times):6.1f} ms   p95 {pct(all_times, 95):6.1f} ms")
    print("  per query (facets, relevance), ms and hits:")
    for text in TEXTS:
        runs = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            result = store.search(SearchQuery(text=text))
            runs.append((time.perf_counter() - t0) * 1000)
        print(f"    {text:<16} {statistics.median(runs):7.1f} ms  {result.total:>7,} hits")
    if args.like:
        with store.engine.connect() as c:
            for text in ("云", "算力", "阿里云", "A100"):
                t0 = time.perf_counter()
                hits = c.execute(
                    sa.text(
                        "SELECT count(*) FROM notice n WHERE n.title LIKE :p OR n.text LIKE :p OR EXISTS "
                        "(SELECT 1 FROM attachment a WHERE a.notice_id = n.id AND a.text LIKE :p)"
                    ),
                    {"p": f"%{text}%"},
                ).scalar()
                print(f"    LIKE {text:<11} {(time.perf_counter() - t0) * 1000:7.1f} ms  {hits:>7,} hits")
    return 0


if __name__ == "__main__":
    sys.exit(main())
