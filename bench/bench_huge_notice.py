"""One huge notice must not stall search (issue 18 item 5): search latency before and after one
5,000,000-character notice joins the matches (its cost to a request is the difference), beside an unrelated
query, and beside the unbounded snippet work the search did before (every hit of the whole text found and
folded), all measured in one run.

    .venv/bin/python bench/bench_huge_notice.py            # 2,000 ordinary notices + one of 5,000,000 算
    .venv/bin/python bench/bench_huge_notice.py --chars 1000000 --rounds 5

The search runs through the site's own search path (web.search.Searcher: storage search, snippets, evidence)
on a SQLite database built in a temporary folder through the real Store.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from timing import timed  # noqa: E402

WORDS = ["采购", "服务", "云服务器", "算力租赁", "A100", "GPU", "办公设备", "维修", "物业管理", "预算金额", "人工智能"]


def build(url: str, blob_dir: Path, ordinary: int, chars: int, *, huge: bool) -> None:
    from extract.types import ComputeFindings, DocumentText, NoticeExtraction, NoticeFields
    from storage.store import Store
    from storage.processing import RawNotice

    rng = random.Random(18)
    with Store.open(url, blob_dir=blob_dir) as store:
        store.begin_batch()
        for i in (range(ordinary, ordinary + 1) if huge else range(ordinary)):
            text = "算" * chars if i == ordinary else "。".join(
                "".join(rng.choices(WORDS, k=8)) for _ in range(rng.randint(5, 40)))
            title = "超长公告" if i == ordinary else f"第{i}号采购公告"
            extraction = NoticeExtraction(NoticeFields(title=title, published_at=dt.date(2026, 11, 16)), ComputeFindings(),
                                          "bench")
            raw = RawNotice(source="bench", url=f"http://bench.invalid/{i}", data=text.encode("utf-8"),
                            content_type="text/plain")
            store.save_notice(raw, DocumentText(text=text, kind="text", title=title), [], extraction)
            if i % 500 == 0:
                store.commit_batch()
                store.begin_batch()
        store.commit_batch()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--chars", type=int, default=5_000_000)
    ap.add_argument("--notices", type=int, default=2_000)
    ap.add_argument("--rounds", type=int, default=10)
    args = ap.parse_args(argv)

    from storage.db import make_engine
    from storage.normalise import fold_text
    from storage.search.query import parse_query
    from storage.search.snippets import find_hits
    from web.params import parse_params
    from web.search import Searcher

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"

        def measure() -> tuple[list[float], list[float]]:
            engine = make_engine(url, read_only=True)
            searcher = Searcher(engine)
            try:
                return (timed(lambda: searcher.search(parse_params([("q", "算"), ("cases", "0")])), args.rounds),
                        timed(lambda: searcher.search(parse_params([("q", "A100"), ("cases", "0")])), args.rounds))
            finally:
                engine.dispose()

        build(url, Path(tmp) / "raw", args.notices, args.chars, huge=False)
        before, other_before = measure()
        t = time.perf_counter()
        build(url, Path(tmp) / "raw", args.notices, args.chars, huge=True)
        print(f"{args.notices:,} notices; the one of {args.chars:,} characters stored in {time.perf_counter() - t:.1f} s")
        huge, other = measure()
        text = "算" * args.chars
        terms = parse_query("算").positive_terms
        unbounded = timed(lambda: find_hits(fold_text(text), terms, max_hits=len(text)), max(1, args.rounds // 5))

    p50 = statistics.median
    print(f"{'search':<48}{'p50 ms':>10}{'max ms':>10}")
    rows = [("q=算, cases=0, without the huge notice", before),
            ("q=算, cases=0, the huge notice among the hits", huge),
            ("q=A100, cases=0, without / with it", other_before),
            ("", other),
            ("baseline: unbounded snippet work on the notice", unbounded)]
    for label, values in rows:
        print(f"{label:<48}{p50(values):>10.1f}{max(values):>10.1f}")
    print(f"the huge notice's cost to a q=算 search: {p50(huge) - p50(before):+.1f} ms "
          f"(ratio {p50(huge) / p50(before):.2f}); the unbounded snippet work alone was "
          f"{p50(unbounded) / p50(huge):.0f}x the whole search now")
    return 0


if __name__ == "__main__":
    sys.exit(main())
