"""The crawl of issue 17 against the ccgp replica in WAF mode: what a long crawl keeps when cookies lapse.

    .venv/bin/python bench/bench_waf_crawl.py [--lifetime 5] [--delay 0.1] [--generated 61] [--baseline DIR] [--json]

Serves the replica with HBB_HC living `--lifetime` seconds (the real 600 s compressed, renewed by every page's
script), `--generated` extra notices (61 + the bundled ones ≈ the issue's 96), and crawls it once with
`tenderwatch crawl ccgp --delay D --keywords ''` into a fresh SQLite database; then crawls a replica that
refuses everything. Prints, for each: notices and attachments stored against those served, HTTP 403s the
replica answered, homepage visits, the run's status and the exit code. Not a timing benchmark: the
figures are counts, which a crawl that loses its cookies gets wrong.
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


def crawl(options: dict, delay: float, code: Path = ROOT) -> dict:
    from crawler.replica.server import serving
    from crawler.replica.site import ReplicaOptions, ReplicaSite

    site = ReplicaSite(ReplicaOptions(**options))
    with tempfile.TemporaryDirectory() as tmp, serving(site) as server:
        url = f"sqlite:///{tmp}/tw.db"
        cmd = [sys.executable, "-m", "tenderwatch.cli", "crawl", "ccgp", "--site-root", server.url, "--delay",
               str(delay), "--keywords", "", "--max-pages", "1000", "--json", "--database-url", url,
               "--set", "BLOCK_BACKOFF_SECONDS=1"]
        proc = subprocess.run(cmd, cwd=code, capture_output=True, text=True,
                              env={**os.environ, "TENDERWATCH_DATA_DIR": tmp, "PYTHONPATH": str(code)})
        summary = json.loads(proc.stdout[proc.stdout.index("{"):])
        import sqlalchemy as sa

        engine = sa.create_engine(url)
        with engine.connect() as conn:
            notices = conn.execute(sa.text("SELECT count(*) FROM notice")).scalar()
            attachments = conn.execute(sa.text("SELECT count(*) FROM attachment WHERE sha256 IS NOT NULL")).scalar()
        engine.dispose()
    served_attachments = sum(1 for n in site.notices for a in n.attachments if a.data() is not None)
    return {
        "notices": f"{notices}/{len(site.notices)}", "attachments": f"{attachments}/{served_attachments}",
        "http_403": sum(1 for r in site.log if r.status == 403), "homepage_visits": sum(1 for r in site.log if r.path == "/"),
        "status": summary["status"], "exit": proc.returncode, "seconds": summary.get("seconds"),
        "reason": summary.get("reason"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lifetime", type=int, default=5)
    parser.add_argument("--delay", type=float, default=0.1)
    parser.add_argument("--generated", type=int, default=61)
    parser.add_argument("--baseline", type=Path, metavar="DIR",
                        help="also crawl with the crawler of another checkout (e.g. `git archive HEAD` unpacked)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    waf = {"waf_lifetime": args.lifetime, "generated": args.generated, "list_page_size": 20}
    results = {}
    for label, code in [("", ROOT)] + ([(" (baseline)", args.baseline.resolve())] if args.baseline else []):
        results[f"WAF cookie living {args.lifetime} s{label}"] = crawl(waf, args.delay, code)
        results[f"replica refusing everything{label}"] = crawl({"refuse_all": True}, args.delay, code)
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=2))
        return
    for name, r in results.items():
        print(f"{name}: {r['status']} (exit {r['exit']}) in {r['seconds']} s — notices {r['notices']}, "
              f"attachments {r['attachments']}, {r['http_403']} × 403, {r['homepage_visits']} homepage visits")


if __name__ == "__main__":
    main()
