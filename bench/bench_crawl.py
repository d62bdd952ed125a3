"""Crawl throughput against the local ccgp replica, delays off.

    .venv/bin/python bench/bench_crawl.py [--generated 200] [--json]

Serves a large replica (the bundled notices plus N generated ones, 20 per list page) and crawls it twice
with the same spider and arguments, each crawl in its own process:

* download only — the ccgp spider with the item pipeline switched off: list pages, detail pages and
  attachments fetched and parsed, nothing stored (what plain Scrapy does);
* full pipeline — the same crawl storing every notice: documents read, fields and compute findings
  extracted, raw bytes and rows written to a fresh SQLite database.

Prints notices per second for both and their ratio (the target is ≥ 0.5: storing keeps at least half the
download rate).

What the window covers: Scrapy's `elapsed_time_seconds` (CoreStats, spider_opened to spider_closed) in
each crawl's process. Python start-up and Scrapy's imports before the spider opens are outside it, for
both crawls alike. For the full pipeline it includes opening the database, starting the storing worker
(spawned when the first notice request is scheduled), the worker's whole warm-up (its imports, jieba's
dictionary, the spaCy pipeline, one warm-up page and PDF extracted) and reading, extracting and writing
every notice: the spider closes only after the pipeline's close_spider has waited for every notice's
save. The last batch's commit and the worker's exit at pool shutdown (on spider_closed) may end after it.
jieba's dictionary is read from a pickle cache in the temp directory (extract/jieba_dict.py) that the
first run on a machine writes, as jieba's own cache there is.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SPIDER_ARGS = {"delay": "0", "keywords": "", "max_pages": "1000"}


def child(mode: str, site_root: str, database_url: str, store_workers: int) -> None:
    """One crawl in this process; prints {"notices", "seconds", "requests"} as JSON on the last line."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    settings.set("LOG_LEVEL", "WARNING")
    settings.set("TENDERWATCH_DATABASE_URL", database_url)
    settings.set("STORE_WORKERS", store_workers)
    if mode == "download":
        settings.set("ITEM_PIPELINES", {})
    process = CrawlerProcess(settings)
    crawler = process.create_crawler("ccgp")
    process.crawl(crawler, site_root=site_root, **SPIDER_ARGS)
    process.start()
    stats = crawler.stats.get_stats()
    summary = stats.get("tenderwatch/summary") or {}
    notices = sum(summary.get("notices", {}).get(k, 0) for k in ("new", "changed", "unchanged")) if summary \
        else stats.get("item_scraped_count", 0)
    # elapsed_time_seconds: spider opened to closed (Scrapy's CoreStats), so start-up imports are not counted.
    print(json.dumps({"notices": notices, "seconds": stats["elapsed_time_seconds"],
                      "requests": stats.get("downloader/request_count", 0), "status": summary.get("status")}))


def run_child(mode: str, site_root: str, database_url: str, store_workers: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", mode, "--root", site_root, "--db", database_url,
                          "--store-workers", str(store_workers)],
                         cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--generated", type=int, default=200, help="generated notices added to the replica")
    parser.add_argument("--store-workers", type=int, default=1,
                        help="STORE_WORKERS: extraction processes beside the crawl (0 = a thread in it)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", choices=["download", "full"], help=argparse.SUPPRESS)
    parser.add_argument("--root", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.root, args.db, args.store_workers)
        return 0

    from crawler.replica.server import serving
    from crawler.replica.site import ReplicaOptions, ReplicaSite

    site = ReplicaSite(ReplicaOptions(generated=args.generated, list_page_size=20))
    with tempfile.TemporaryDirectory() as tmp, serving(site) as server:
        os.environ["TENDERWATCH_DATA_DIR"] = tmp
        download = run_child("download", server.url, f"sqlite:///{tmp}/unused.db", args.store_workers)
        full = run_child("full", server.url, f"sqlite:///{tmp}/tenderwatch.db", args.store_workers)
    result = {
        "notices_served": len(site.notices),
        "download_only": {**download, "notices_per_second": round(download["notices"] / download["seconds"], 2)},
        "full_pipeline": {**full, "notices_per_second": round(full["notices"] / full["seconds"], 2)},
    }
    result["ratio"] = round(result["full_pipeline"]["notices_per_second"] / result["download_only"]["notices_per_second"], 2)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        d, f = result["download_only"], result["full_pipeline"]
        print(f"crawl throughput, ccgp replica with {result['notices_served']} notices, delays off")
        print(f"  download only (Scrapy, no pipeline): {d['notices']} notices in {d['seconds']:.1f} s = "
              f"{d['notices_per_second']} notices/s ({d['requests']} requests)")
        print(f"  full pipeline (extract + store):     {f['notices']} notices in {f['seconds']:.1f} s = "
              f"{f['notices_per_second']} notices/s (STORE_WORKERS={args.store_workers})")
        print(f"  ratio full/download: {result['ratio']} (target ≥ 0.5)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
