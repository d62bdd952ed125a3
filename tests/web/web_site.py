"""The site under test: a database filled through the real Store from web_corpus, and the real app served by
uvicorn over HTTP on 127.0.0.1 (a thread in the test process). A module of its own (not conftest) so tests
can import it whatever other test folders run in the same session."""

from __future__ import annotations

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
