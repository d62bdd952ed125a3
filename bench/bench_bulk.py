"""Bulk loading vs. saving one by one: notices/s written by `Store.save_notice` (the crawl's path) and by the bulk
loader (`storage.bulk`, the same rows), into SQLite and PostgreSQL, from generated notices (bench/make_corpus.py).

    python bench/bench_bulk.py [--count 5000] [--baseline-count 1000] [--postgres postgresql+psycopg://root@127.0.0.1:5432/postgres]

Each rate is given twice: per second of wall time and per second of this process's CPU time ("one core":
the machine is shared, so wall time also counts waiting for other processes; on PostgreSQL the server's work
is in its own process). The loader's organisation resolution and search index are included. The PostgreSQL
database `tw_s_bench` is created and dropped by the benchmark.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import sqlalchemy as sa  # noqa: E402

import make_corpus  # noqa: E402
from storage.store import Store  # noqa: E402

PG_DATABASE = "tw_s_bench"


def notices(count: int, seed: int):
    gen = make_corpus.Generator(seed)
    return [gen.notice(i) for i in range(count)]


def run(url: str, blobs: Path, items, *, bulk: bool) -> tuple[float, float]:
    """(notices per wall second, notices per CPU second)."""
    store = Store.open(url, blob_dir=blobs)
    wall, cpu = time.perf_counter(), time.process_time()
    if bulk:
        with store.bulk_loader() as loader:
            for g in items:
                loader.add(g.raw, g.body, g.attachments, g.extraction)
    else:
        for g in items:
            store.save_notice(g.raw, g.body, g.attachments, g.extraction)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    store.close()
    return len(items) / wall, len(items) / cpu


class Postgres:
    """A database of our own on the server, dropped afterwards."""

    def __init__(self, server: str):
        self.admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
        self.server = server

    def fresh(self) -> str:
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{PG_DATABASE}"'))
        return sa.engine.make_url(self.server).set(database=PG_DATABASE).render_as_string(hide_password=False)

    def drop(self) -> None:
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)'))
        self.admin.dispose()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=5000, help="notices for the bulk loader")
    ap.add_argument("--baseline-count", type=int, default=1000, help="notices for save_notice (slower)")
    ap.add_argument("--postgres", default="postgresql+psycopg://root@127.0.0.1:5432/postgres",
                    help="a PostgreSQL server URL ('' to skip)")
    args = ap.parse_args(argv)
    items = notices(max(args.count, args.baseline_count), seed=20240528)
    backends = [("SQLite", None)]
    pg = None
    if args.postgres:
        try:
            pg = Postgres(args.postgres)
            pg.fresh()
            backends.append(("PostgreSQL", pg))
        except sa.exc.OperationalError as exc:
            print(f"PostgreSQL skipped: {str(exc).splitlines()[0]}")
            pg = None
    print(f"{'backend':<11} {'writer':<18} {'notices':>8} {'wall /s':>9} {'cpu /s':>9}")
    try:
        for name, server in backends:
            figures = {}
            for writer, count, bulk in (("save_notice", args.baseline_count, False), ("bulk loader", args.count, True)):
                with tempfile.TemporaryDirectory() as tmp:
                    url = server.fresh() if server else f"sqlite:///{Path(tmp) / 'bench.db'}"
                    figures[writer] = run(url, Path(tmp) / "raw", items[:count], bulk=bulk)
                wall, cpu = figures[writer]
                print(f"{name:<11} {writer:<18} {count:>8,} {wall:>9,.0f} {cpu:>9,.0f}", flush=True)
            ratio = figures["bulk loader"][1] / figures["save_notice"][1]
            print(f"{name:<11} {'bulk / save_notice':<18} {'':>8} {figures['bulk loader'][0] / figures['save_notice'][0]:>8.1f}x"
                  f" {ratio:>8.1f}x")
    finally:
        if pg is not None:
            pg.drop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
