"""Export rate: `tenderwatch export --format ocds|csv|jsonl` of every case and of one year, in notices per second
and peak memory (goal, issue 15: ≥ 2,000 notices/s in ≤ 500 MB RSS however many notices match).

    .venv/bin/python bench/bench_export.py        # bench_search's generated corpus (data/bench/), 100,000 notices
    .venv/bin/python bench/bench_export.py --database-url postgresql+psycopg://root@127.0.0.1/tw_scale_100k --year 2022

Each export runs in its own process (so its peak RSS is its own), through the real command, to a file under
a temporary folder; the rate counts from the command's start after the imports (a fixed ~1–3 s start-up,
stated apart) to the file renamed into place.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL_RATE = 2000
GOAL_RSS_MB = 500

CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
from tenderwatch.cli import main
import storage.exports.ocds, storage.exports.tabular  # noqa: F401  the imports, timed apart
t1 = time.perf_counter()
try:
    main(sys.argv[1:], standalone_mode=False)
finally:
    t2 = time.perf_counter()
    print(json.dumps({"imports": t1 - t0, "seconds": t2 - t1,
                      "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}), file=sys.stderr)
"""


def run(url: str, fmt: str, out: Path, extra: list[str]) -> dict:
    cmd = [sys.executable, "-c", CHILD, "export", "--database-url", url, "--format", fmt, "--out", str(out),
           "--public-url", "https://tenderwatch.example.org", *extra]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"export failed: {done.stderr[-2000:]}")
    return json.loads(done.stderr.strip().splitlines()[-1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--database-url", help="default: bench_search's generated SQLite corpus (data/bench/)")
    ap.add_argument("--count", type=int, default=100_000, help="notices in that corpus")
    ap.add_argument("--year", type=int, default=None, help="the year to export (default: the year with most notices)")
    ap.add_argument("--formats", nargs="+", default=["jsonl", "csv", "ocds"])
    args = ap.parse_args(argv)

    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    import sqlalchemy as sa

    from models.tables import NOTICE
    from storage.db import make_engine
    from storage.exports.records import notice_filter

    if not args.database_url:
        from bench_search import ensure_corpus

        path = ensure_corpus(ROOT / "data" / "bench" / f"corpus-{args.count}.db", args.count)
        args.database_url = f"sqlite:///{path}"
    engine = make_engine(args.database_url, read_only=True)
    with engine.connect() as conn:
        by_year = sa.extract("year", NOTICE.c.first_seen)
        year = args.year or int(conn.execute(sa.select(by_year).group_by(by_year)
                                             .order_by(sa.func.count().desc()).limit(1)).scalar())
        counts = {
            "cases": conn.execute(sa.select(sa.func.count()).select_from(NOTICE)
                                  .where(*notice_filter(cases_only=True))).scalar(),
            f"year {year}": conn.execute(sa.select(sa.func.count()).select_from(NOTICE).where(*notice_filter(
                since=datetime(year, 1, 1), until=datetime(year + 1, 1, 1)))).scalar(),
        }
    engine.dispose()
    selections = {"cases": ["--cases-only"], f"year {year}": ["--since", f"{year}-01-01", "--until", f"{year}-12-31"]}
    print(f"export rate, {args.database_url}, load average {os.getloadavg()[0]:.1f}")
    print(f"{'selection':<10} {'format':<6} {'notices':>8} {'seconds':>8} {'notices/s':>9} {'peak MB':>8} "
          f"{'start-up s':>10}")
    worst = float("inf")
    with tempfile.TemporaryDirectory(prefix="tw-export-") as tmp:
        for name, extra in selections.items():
            for fmt in args.formats:
                f = run(args.database_url, fmt, Path(tmp) / f"out.{fmt}", extra)
                n = counts[name]
                rate = n / f["seconds"]
                worst = min(worst, rate)
                print(f"{name:<10} {fmt:<6} {n:>8,} {f['seconds']:>8.1f} {rate:>9,.0f} {f['rss_mb']:>8.0f} "
                      f"{f['imports']:>10.1f}", flush=True)
    print(f"goal: ≥ {GOAL_RATE:,} notices/s in ≤ {GOAL_RSS_MB} MB — slowest {worst:,.0f}/s; "
          f"load average now {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
