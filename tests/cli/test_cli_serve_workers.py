"""`tenderwatch serve --workers N` serves the site from N worker processes (uvicorn workers built by the app
factory, each with its own pool of read-only connections), one per CPU core (at most 4) by default; with --review
it refuses more than one."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def spawned_workers(pid: int) -> list[int]:
    """Child processes started by multiprocessing's spawn (uvicorn's workers), not its resource tracker."""
    children = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children += [int(c) for c in (task / "children").read_text().split()]
    return [c for c in children
            if b"multiprocessing.spawn" in Path(f"/proc/{c}/cmdline").read_bytes().replace(b"\0", b" ")]


@contextmanager
def serving(db: str, data_dir, *args: str):
    """`tenderwatch serve ARGS` in its own process, once it answers: yields (process, base URL)."""
    port = free_port()
    env = dict(os.environ, TENDERWATCH_DATA_DIR=str(data_dir))
    env.pop("TENDERWATCH_DATABASE_URL", None)
    server = subprocess.Popen([sys.executable, "-m", "tenderwatch.cli", "serve", *args, "--port", str(port),
                               "--database-url", db, "--log-level", "warning"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(base + "/api/search", params={"q": "云"}, timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()  # a server still running would make communicate() wait for ever
                pytest.fail(f"the server never answered: {server.communicate()[1][-2000:]}")
            time.sleep(0.3)
        yield server, base
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.communicate()


def test_two_workers_serve_the_site(empty_db, data_dir):
    with serving(empty_db, data_dir, "--workers", "2") as (server, base):
        assert len(spawned_workers(server.pid)) == 2
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda i: httpx.get(base + "/api/search", params={"q": f"云{i}"}, timeout=60),
                                    range(32)))
        assert [a.status_code for a in answers] == [200] * 32
        assert all(a.json()["total"] == 0 for a in answers)


def test_by_default_one_worker_per_core_up_to_four(empty_db, data_dir):
    workers = max(1, min(len(os.sched_getaffinity(0)), 4))
    with serving(empty_db, data_dir) as (server, _base):
        assert len(spawned_workers(server.pid)) == (workers if workers > 1 else 0)  # one: the process itself


def test_review_runs_with_one_worker(empty_db, data_dir):
    done = subprocess.run([sys.executable, "-m", "tenderwatch.cli", "serve", "--review", "--workers", "2",
                           "--database-url", empty_db], capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, TENDERWATCH_DATA_DIR=str(data_dir)))
    assert done.returncode == 2
    assert "--review runs with one worker" in done.stderr and "Traceback" not in done.stderr
