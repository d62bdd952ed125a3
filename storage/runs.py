"""Whether a `running` crawl (or ingest) run still has a process behind it.

A run row names its process (host + pid) and a running crawl writes a heartbeat every few seconds. On the
same host a run whose process is gone (kill -9, a crash, a machine restart) is recognised at once; a run of
another host, or one without a pid, when its heartbeat is older than `stale_seconds`. Such runs become
`interrupted`, so `stats` never shows a dead run as running and every run ends with a true status.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from models.tables import ERROR, RUN, utcnow
from storage.rows import jsonable


# ---------------------------------------------------------------- the run rows (Store's crawl-run API)

def start_run(conn: sa.Connection, spider: str, args: dict | None, host: str, pid: int | None) -> int:
    now = utcnow()
    return conn.execute(
        RUN.insert()
        .values(spider=spider, args=jsonable(args or {}), started_at=now, status="running", stats={},
                host=host, pid=pid, heartbeat_at=now)
        .returning(RUN.c.id)
    ).scalar_one()


def record_error(conn: sa.Connection, run_id: int | None, url: str, reason: str, detail: str,
                 retry_meta: dict | None) -> None:
    values = {"run_id": run_id, "url": url or "", "reason": reason, "detail": detail or "", "at": utcnow()}
    if retry_meta is not None:  # left out, not None: a JSON column would store None as JSON 'null'
        values["retry_meta"] = jsonable(retry_meta)
    conn.execute(ERROR.insert().values(**values))


def heartbeat(conn: sa.Connection, run_id: int, progress: dict) -> None:
    conn.execute(RUN.update().where(RUN.c.id == run_id, RUN.c.status == "running")
                 .values(heartbeat_at=utcnow(), stats=jsonable(progress)))


def finish_run(conn: sa.Connection, run_id: int, status: str, stats: dict | None) -> None:
    conn.execute(RUN.update().where(RUN.c.id == run_id)
                 .values(status=status, stats=jsonable(stats or {}), finished_at=utcnow()))


def interrupt_run(conn: sa.Connection, run_id: int, reason: str) -> bool:
    row = conn.execute(sa.select(RUN.c.stats, RUN.c.heartbeat_at, RUN.c.started_at)
                       .where(RUN.c.id == run_id, RUN.c.status == "running")).first()
    if row is None:
        return False
    stats = {**(row.stats or {}), "status": "interrupted", "reason": reason}
    conn.execute(RUN.update().where(RUN.c.id == run_id, RUN.c.status == "running").values(
        status="interrupted", stats=jsonable(stats), finished_at=row.heartbeat_at or row.started_at))
    return True


def last_finished_run(conn: sa.Connection, spider: str) -> sa.Row | None:
    return conn.execute(
        sa.select(RUN.c.id, RUN.c.args, RUN.c.stats, RUN.c.started_at, RUN.c.finished_at)
        .where(RUN.c.spider == spider, RUN.c.status == "finished")
        .order_by(RUN.c.finished_at.desc(), RUN.c.id.desc()).limit(1)
    ).first()


def failed_notice_pages(conn: sa.Connection, spider: str) -> list[tuple[str, dict, int]]:
    rows = conn.execute(
        sa.select(ERROR.c.url, ERROR.c.retry_meta, ERROR.c.run_id)
        .join(RUN, RUN.c.id == ERROR.c.run_id)
        .where(RUN.c.spider == spider, ERROR.c.retry_meta.is_not(None))
        .order_by(ERROR.c.id)
    ).all()
    found: dict[str, tuple[dict, set]] = {}
    for url, meta, run in rows:
        found[url] = (meta or {}, found.get(url, ({}, set()))[1] | {run})
    return [(url, meta, len(runs)) for url, (meta, runs) in found.items()]


# ---------------------------------------------------------------- liveness


def this_process() -> tuple[str, int]:
    return socket.gethostname(), os.getpid()


def process_started_at(pid: int) -> datetime | None:
    """When process `pid` started (naive UTC), from /proc; None when it does not exist or is a zombie."""
    try:
        stat = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        boot = next(int(line.split()[1]) for line in open("/proc/stat") if line.startswith("btime"))
    except (OSError, StopIteration, IndexError, ValueError):
        return None
    if stat[0] == "Z":
        return None
    started = boot + int(stat[19]) / os.sysconf("SC_CLK_TCK")
    return datetime.fromtimestamp(started, timezone.utc).replace(tzinfo=None)


def process_alive(pid: int, run_started: datetime) -> bool:
    """Is the process that started the run still there? A pid reused by a later process does not count."""
    if os.path.isdir("/proc"):
        started = process_started_at(pid)
        return started is not None and started <= run_started + timedelta(seconds=5)
    return pid_exists(pid)


def pid_exists(pid: int) -> bool:
    """Whether a process has this pid (perhaps another user's: then it cannot be signalled, but exists)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def lost_reason(row, *, host: str, stale_seconds: float, now: datetime | None = None) -> str | None:
    """Why the `running` row has no process any more, or None when it may still be running."""
    now = now or utcnow()
    if row.pid is not None and row.host == host:
        if not process_alive(row.pid, row.started_at):
            return f"its process {row.pid} on {host} is gone"
        return None
    last = row.heartbeat_at or row.started_at
    # A row without a heartbeat column value comes from before heartbeats (or from ingest): give it a day.
    limit = stale_seconds if row.heartbeat_at is not None and row.pid is not None else max(stale_seconds, 86400)
    if (now - last).total_seconds() > limit:
        return f"no sign of life since {last:%Y-%m-%d %H:%M:%S} UTC"
    return None


def close_lost_runs(store, *, stale_seconds: float) -> list[tuple[int, str, str]]:
    """Mark every `running` row without a process `interrupted`; returns (run id, spider, why) for each."""
    host, _ = this_process()
    closed = []
    for row in store.running_runs():
        why = lost_reason(row, host=host, stale_seconds=stale_seconds)
        if why and store.interrupt_run(row.id, f"interrupted: {why}"):
            closed.append((row.id, row.spider, why))
    return closed
