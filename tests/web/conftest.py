"""Web test fixtures: a database filled through the real Store, and the real app served by uvicorn over
HTTP on 127.0.0.1 (a thread in the test process), talked to with httpx or a real Chromium."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# tests/web is on sys.path (no __init__: `web` is the app package). The site helpers live in web_site:
# tests import them from there, since `conftest` by name can be another folder's conftest.
from web_site import served_corpus

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The corpus on SQLite, served once per test module."""
    tmp = tmp_path_factory.mktemp("web")
    with served_corpus(f"sqlite:///{tmp / 'tenderwatch.db'}", tmp / "raw") as served:
        yield served


@pytest.fixture
def site_any(database_url, tmp_path):
    """The corpus on each backend (SQLite, and PostgreSQL when configured)."""
    with served_corpus(database_url, tmp_path / "raw") as served:
        yield served


@pytest.fixture
def own_site(tmp_path):
    """The corpus on a SQLite database of this test alone, served: a test may break the database under it."""
    with served_corpus(f"sqlite:///{tmp_path / 'tenderwatch.db'}", tmp_path / "raw") as served:
        yield served


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
