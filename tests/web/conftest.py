"""Web test fixtures: a database filled through the real Store, and the real app served by uvicorn over
HTTP on 127.0.0.1 (a thread in the test process), talked to with httpx or a real Chromium."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

import web_corpus as corpus  # tests/web is on sys.path (no __init__: `web` is the app package)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


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


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The corpus on SQLite, served once per test module."""
    tmp = tmp_path_factory.mktemp("web")
    url = f"sqlite:///{tmp / 'tenderwatch.db'}"
    ids = _build(url, tmp / "raw")
    app = _serve(url, tmp / "raw")
    with LiveServer(app) as base, httpx.Client(base_url=base, timeout=30) as http:
        yield Site(base, url, ids, http)
    app.state.engine.dispose()


@pytest.fixture
def site_any(database_url, tmp_path):
    """The corpus on each backend (SQLite, and PostgreSQL when configured)."""
    ids = _build(database_url, tmp_path / "raw")
    app = _serve(database_url, tmp_path / "raw")
    with LiveServer(app) as base, httpx.Client(base_url=base, timeout=30) as http:
        yield Site(base, database_url, ids, http)
    app.state.engine.dispose()


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright; skipped only when it is absent outside CI."""
    if not CHROMIUM.exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true but /usr/bin/chromium is missing (apt-get install chromium)")
        pytest.skip("/usr/bin/chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()
