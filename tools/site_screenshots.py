"""PNG screenshots of the search site, for reviewing its design: `make screenshots`.

    .venv/bin/python tools/site_screenshots.py --out screenshots [--database-url URL]

Without --database-url it builds a small sample database (bench/make_corpus.py through the real Store, with more
cases than real life so the pages have something to show) in a temporary folder. The site is served by
uvicorn on 127.0.0.1 and photographed by Debian's Chromium (/usr/bin/chromium) through Playwright.
Writes search.png, case.png, case-full.png, org.png and search-narrow.png.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--font-render-hinting=none"]


def sample_database(folder: Path) -> tuple[str, Path]:
    sys.path.insert(0, str(ROOT / "bench"))
    import make_corpus

    url = f"sqlite:///{folder / 'sample.db'}"
    blobs = folder / "raw"
    make_corpus.build(url, 400, fast=False, progress=False, case_rate=0.08, blob_dir=blobs, seed=7)
    return url, blobs


def pick(url: str) -> dict:
    """The pages worth showing: a case with a procurement history and a US provider, and its vendor."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as c:
        case = c.execute(sa.text(
            "SELECT n.id FROM notice n WHERE n.remote_compute"
            " ORDER BY n.procurement_key IN (SELECT procurement_key FROM notice GROUP BY procurement_key HAVING count(*) > 1) DESC,"
            " EXISTS (SELECT 1 FROM noticetag t WHERE t.notice_id = n.id AND t.value = 'us_provider') DESC,"
            " (SELECT count(*) FROM noticetag t WHERE t.notice_id = n.id) DESC, n.notice_type = 'tender' DESC, n.id"
            " LIMIT 1")).scalar() or c.execute(sa.text("SELECT id FROM notice WHERE remote_compute ORDER BY id LIMIT 1")).scalar()
        org = c.execute(sa.text(
            "SELECT p.organisation_id FROM noticeparty p JOIN notice n ON n.id = p.notice_id"
            " WHERE p.role = 'vendor' AND n.remote_compute GROUP BY p.organisation_id"
            " ORDER BY count(DISTINCT n.buyer_id) DESC, count(*) DESC LIMIT 1")).scalar()
    engine.dispose()
    return {"case": case, "org": org}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=Path("screenshots"))
    ap.add_argument("--database-url", help="database URL (default: a generated sample)")
    ap.add_argument("--query", default="云", help="the search shown on search.png")
    args = ap.parse_args(argv)

    import uvicorn
    from playwright.sync_api import sync_playwright

    from web.app import create_app

    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing: apt-get install chromium fonts-wqy-microhei", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        if args.database_url:
            url, blobs = args.database_url, None
        else:
            print("building a sample database …", file=sys.stderr)
            url, blobs = sample_database(Path(tmp))
        targets = pick(url)
        app = create_app(url, blob_root=blobs)
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.02)
        base = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
        shots = [("search.png", f"/search?q={args.query}", (1440, 1000), False)]
        if targets["case"]:
            shots += [("case.png", f"/notices/{targets['case']}?q={args.query}", (1440, 1000), False),
                      ("case-full.png", f"/notices/{targets['case']}?q={args.query}", (1440, 1000), True)]
        if targets["org"]:
            shots.append(("org.png", f"/orgs/{targets['org']}", (1440, 1000), False))
        shots.append(("search-narrow.png", f"/search?q={args.query}", (420, 900), False))
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
                for name, path, (w, h), full in shots:
                    page = browser.new_page(viewport={"width": w, "height": h}, locale="zh-CN", device_scale_factor=1)
                    page.goto(base + path)
                    page.wait_for_load_state("networkidle")
                    page.screenshot(path=str(args.out / name), full_page=full)
                    page.close()
                    print(args.out / name)
                browser.close()
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            app.state.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
