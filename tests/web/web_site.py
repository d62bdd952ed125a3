"""The site under test: a database filled through the real Store from web_corpus, and the real app served by
uvicorn over HTTP on 127.0.0.1 (a thread in the test process). A module of its own (not conftest) so tests
can import it whatever other test folders run in the same session."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

import web_corpus as corpus


class LiveServer:
    """uvicorn serving `app` on a free port until stopped."""

    def __init__(self, app):
        import uvicorn

        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off", access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(timeout=10)


@dataclass
class Site:
    url: str  # base URL of the running server
    database_url: str
    ids: dict[str, int]
    http: httpx.Client

    def get(self, path: str, **kw) -> httpx.Response:
        return self.http.get(path, **kw)


def _build(database_url: str, blob_dir: Path) -> dict[str, int]:
    from storage.store import Store

    store = Store.open(database_url, blob_dir=blob_dir)
    try:
        return corpus.fill(store)
    finally:
        store.close()


def _serve(database_url: str, blob_dir: Path):
    from web.app import create_app

    return create_app(database_url, blob_root=blob_dir)


@contextlib.contextmanager
def served_corpus(database_url: str, blob_dir: Path):
    """The test corpus stored in `database_url` and served by the real app in this process."""
    ids = _build(database_url, blob_dir)
    app = _serve(database_url, blob_dir)
    with LiveServer(app) as base, httpx.Client(base_url=base, timeout=30) as http:
        yield Site(base, database_url, ids, http)
    app.state.engine.dispose()


TENDERWATCH = [sys.executable, "-m", "tenderwatch.cli"]
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve_process(args: list[str], data_dir: Path, probe: str, env: dict[str, str] | None = None):
    """`tenderwatch serve ARGS` as a user starts it, in its own process on a free port (with `env` added to its
    environment): yields the base URL and the first answer to GET `probe`, once the server answers; stops the
    server afterwards."""
    port = free_port()
    env = {"TENDERWATCH_DATA_DIR": str(data_dir), "PATH": "/usr/bin:/bin", **(env or {})}
    proc = subprocess.Popen([*TENDERWATCH, "serve", "--port", str(port), *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                first = httpx.get(base + probe, timeout=2)
                break
            except httpx.TransportError:
                if proc.poll() is not None:
                    raise AssertionError(proc.stdout.read())
                time.sleep(0.1)
        else:
            raise AssertionError(f"tenderwatch serve did not answer {probe} within 20 s")
        yield base, first
    finally:
        proc.terminate()
        proc.wait(timeout=10)
