"""Bulk loading vs. saving one by one: notices/s written by `Store.save_notice` (the crawl's path) and by the bulk
loader (`storage.bulk`, the same rows), into SQLite and PostgreSQL, from generated notices (bench/make_corpus.py).

    python bench/bench_bulk.py [--count 5000] [--baseline-count 1000] [--postgres postgresql+psycopg://root@127.0.0.1:5432/postgres]

Each rate is given per second of wall time and per CPU-second of this process, the loader ("one core": the
machine is shared, so wall time also counts waiting for other processes). On PostgreSQL the server's work is in
its own processes: `server cpu /s` is notices per CPU-second of the server backends serving this database (read
from /proc/<pid>/stat of each backend before it closes; WAL writer, checkpointer and autovacuum are not
counted), and `both /s` per CPU-second of loader and backends together; `sys %` is the loader's share of system
CPU, `raw KB` the blob store's disk use per notice (allocated blocks: loose files for save_notice, packs for the
bulk loader). Generating the notices is not counted (and the generated notices are moved out of the garbage
collector's sight before timing: a loader streaming its input would not hold them); writing the blobs,
organisation resolution and the search index are. Goals (issue 15): ≥ 500/s on SQLite and
≥ 1,000/s on PostgreSQL per CPU-second of the loader. The PostgreSQL database `tw_bulk_bench` is created and
dropped by the benchmark.
"""

from __future__ import annotations

import argparse
import gc
import os
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

PG_DATABASE = "tw_bulk_bench"
GOALS = {"SQLite": 500, "PostgreSQL": 1000}
_TICKS = os.sysconf("SC_CLK_TCK")


def notices(count: int, seed: int):
    gen = make_corpus.Generator(seed)
    return [gen.notice(i) for i in range(count)]


def backend_cpu(store: Store) -> float | None:
    """CPU seconds (user + system) the server processes of the store's database have used so far, or None
    (not PostgreSQL, or their /proc entries are not readable)."""
    if store.dialect != "postgresql":
        return None
    with store.engine.connect() as conn:
        pids = conn.execute(sa.text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")).scalars()
        total = 0.0
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                return None
            total += (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime
    return total


def disk_bytes(folder: Path) -> int:
    """Bytes allocated to the files under `folder` (a small file takes a whole block)."""
    return sum(p.stat().st_blocks * 512 for p in folder.rglob("*") if p.is_file())


def run(url: str, blobs: Path, items, *, bulk: bool) -> tuple[float, float, float | None, float]:
    """(wall seconds, loader CPU seconds, server CPU seconds or None, loader system CPU seconds)."""
    store = Store.open(url, blob_dir=blobs)
    server = backend_cpu(store)
    system = os.times().system
    wall, cpu = time.perf_counter(), time.process_time()
    if bulk:
        with store.bulk_loader() as loader:
            for g in items:
                loader.add(g.raw, g.body, g.attachments, g.extraction)
    else:
        for g in items:
            store.save_notice(g.raw, g.body, g.attachments, g.extraction)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    system = os.times().system - system
    if server is not None:
        after = backend_cpu(store)
        server = after - server if after is not None else None
    store.close()
    return wall, cpu, server, system


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


def rate(count: int, seconds: float | None) -> str:
    return f"{count / seconds:>10,.0f}" if seconds else f"{'–':>10}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=5000, help="notices for the bulk loader")
    ap.add_argument("--baseline-count", type=int, default=1000, help="notices for save_notice (slower)")
    ap.add_argument("--postgres", default="postgresql+psycopg://root@127.0.0.1:5432/postgres",
                    help="a PostgreSQL server URL ('' to skip)")
    args = ap.parse_args(argv)
    items = notices(max(args.count, args.baseline_count), seed=20240528)
    gc.freeze()
    backends: list[tuple[str, Postgres | None]] = [("SQLite", None)]
    pg = None
    if args.postgres:
        try:
            pg = Postgres(args.postgres)
            pg.fresh()
            backends.append(("PostgreSQL", pg))
        except sa.exc.OperationalError as exc:
            print(f"PostgreSQL skipped: {str(exc).splitlines()[0]}")
            pg = None
    print(f"load average at start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"{'backend':<11} {'writer':<18} {'notices':>8} {'wall /s':>10} {'cpu /s':>10} {'server cpu /s':>14}"
          f" {'both /s':>10} {'sys %':>6} {'raw KB':>7}")
    try:
        for name, server in backends:
            figures = {}
            for writer, count, bulk in (("save_notice", args.baseline_count, False), ("bulk loader", args.count, True)):
                with tempfile.TemporaryDirectory() as tmp:
                    url = server.fresh() if server else f"sqlite:///{Path(tmp) / 'bench.db'}"
                    wall, cpu, backend, system = run(url, Path(tmp) / "raw", items[:count], bulk=bulk)
                    raw_kb = disk_bytes(Path(tmp) / "raw") / count / 1024
                figures[writer] = (count / wall, count / cpu)
                both = cpu + backend if backend is not None else None
                print(f"{name:<11} {writer:<18} {count:>8,} {rate(count, wall)} {rate(count, cpu)}"
                      f" {rate(count, backend):>14} {rate(count, both) if backend is not None else f'{chr(8211):>10}'}"
                      f" {100 * system / cpu:>5.0f}% {raw_kb:>7.1f}", flush=True)
            (bw, bc), (sw, sc) = figures["bulk loader"], figures["save_notice"]
            print(f"{name:<11} {'bulk / save_notice':<18} {'':>8} {bw / sw:>9.1f}x {bc / sc:>9.1f}x")
            print(f"{name:<11} {'goal (loader cpu)':<18} {'':>8} {'':>10} {GOALS[name]:>10,}"
                  f"  {'met' if bc >= GOALS[name] else 'NOT met'}")
    finally:
        if pg is not None:
            pg.drop()
    print(f"load average at end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
