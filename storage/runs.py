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

from models.tables import utcnow


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
