"""Screenshot of the HTML weekly digest in headless Chromium (what `make screenshots` calls).

    .venv/bin/python tools/digest_screenshot.py --out screenshots [--database-url URL] [--week 2026-W47]

Without --database-url it renders the fixed sample database (tests/fixtures/sample_database.py) in a temporary folder,
so the picture is the same on every machine. Uses Debian's /usr/bin/chromium through Playwright's Python
API (never `playwright install`): apt-get install -y chromium fonts-wqy-microhei.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(ROOT / "tests" / "fixtures"))  # the sample database is a test fixture

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
WIDTH = 720  # a little wider than the digest's 640px column, like a mail client's reading pane


def screenshot(html_path: Path, png_path: Path, *, width: int = WIDTH) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": 900}, device_scale_factor=1)
            # The digest is self-contained: refuse every request, so the picture shows what a mail client
            # that blocks remote content would show.
            page.route("**/*", lambda route: route.abort() if not route.request.url.startswith("file:")
                       else route.continue_())
            page.goto(html_path.resolve().as_uri())
            page.screenshot(path=str(png_path), full_page=True)
        finally:
            browser.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("screenshots"), help="folder for digest.png")
    parser.add_argument("--database-url", help="database URL (default: the built-in sample database)")
    parser.add_argument("--week", default=None, help="ISO week, e.g. 2026-W47 (default: the sample's week)")
    args = parser.parse_args(argv)

    from storage.db import make_engine
    from storage.digest import IsoWeek, write_digest
    from storage.digest.render import file_names
    from sample_database import SAMPLE_WEEK, build_sample_database

    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="tw-digest-shot-") as tmp:
        url = args.database_url
        if url is None:
            url = f"sqlite:///{Path(tmp) / 'sample.db'}"
            build_sample_database(url, Path(tmp) / "raw")
        week = IsoWeek.parse(args.week or SAMPLE_WEEK)
        engine = make_engine(url, read_only=True)
        try:
            write_digest(engine, week, Path(tmp) / "digest")
        finally:
            engine.dispose()
        target = args.out / "digest.png"
        screenshot(Path(tmp) / "digest" / file_names(str(week))["html"], target)
    print(target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
