"""What review decisions cost the case list: cases-only searches on a generated database before any
decision (the baseline, same database, same run) and after every case has one — half rejected, which the
case list must leave out — with the review queue's build time beside them.

    .venv/bin/python bench/bench_review.py                    # 20,000 notices, 1 in 20 a case
    .venv/bin/python bench/bench_review.py --count 100000 --rounds 5

Prints p50/p95 of each and the ratio with reviews / without (1.0 = free).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from timing import timed  # noqa: E402

QUERIES = [dict(), dict(text="云"), dict(text="算力"), dict(text="阿里云"), dict(text="A100"), dict(kind="cloud"),
           dict(text="服务", sort="date")]


def _p(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def measure(store, rounds: int) -> dict[str, list[float]]:
    from storage.review import queue
    from storage.search import SearchQuery

    search = []
    for kw in QUERIES:
        search += timed(lambda: store.search(SearchQuery(cases_only=True, facets=True, **kw)), rounds)
    with store.engine.connect() as conn:
        q = timed(lambda: queue(conn, pending_only=True, candidates_first=True, limit=500), rounds)
    return {"cases-only search": search, "review queue": q}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=20_000)
    ap.add_argument("--rounds", type=int, default=10)
    args = ap.parse_args(argv)
    import make_corpus
    import sqlalchemy as sa

    from storage.review import ReviewWriter
    from storage.search import SearchQuery
    from storage.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'review-bench.db'}"
        stats = make_corpus.build(url, args.count, blob_dir=Path(tmp) / "raw", progress=False, case_rate=1 / 20)
        print(f"{stats['notices']:,} notices, {stats['cases']:,} cases (generated in {stats['seconds']} s)")
        with Store.open(url, read_only=True) as store:
            before = measure(store, args.rounds)
            with store.engine.connect() as conn:
                cases = conn.execute(
                    sa.text("SELECT id FROM notice WHERE remote_compute = 1 ORDER BY id")).scalars().all()
        with ReviewWriter.open(url) as writer:
            for i, nid in enumerate(cases):
                writer.record(nid, "rejected" if i % 2 else "confirmed", "bench", note="generated")
        with Store.open(url, read_only=True) as store:
            after = measure(store, args.rounds)
            shown = store.search(SearchQuery(cases_only=True, facets=False)).total
    print(f"{len(cases):,} decisions ({len(cases) // 2:,} rejected); the case list now shows {shown:,}")
    print(f"{'':<20} {'p50 before':>11} {'p50 after':>10} {'p95 before':>11} {'p95 after':>10}  ratio p50")
    for name in before:
        b, a = before[name], after[name]
        print(f"{name:<20} {statistics.median(b):9.1f}ms {statistics.median(a):8.1f}ms {_p(b, .95):9.1f}ms "
              f"{_p(a, .95):8.1f}ms  {statistics.median(a) / statistics.median(b):8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
