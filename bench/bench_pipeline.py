"""Full extraction pipeline speed: notices per second for `extract.pipeline.extract_notice` (fields + compute NLP)
on the 598 BidAgent texts, beside jieba alone (`jieba.lcut`) on the same texts, in the same run and process.

    .venv/bin/python bench/bench_pipeline.py [--repeat 3]

The texts are read once with `read_document` (not timed). Loading the spaCy pipeline and jieba's dictionary
happens once per process and is reported apart. Best of --repeat runs. Target: >= 100 notices/s on one process.
Also printed: compute detection alone, and how many notices reach the NLP at all (the others have no trigger
word on any line). Timings vary on a shared machine: read the ratio to jieba.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from extract.compute import find_compute  # noqa: E402
from extract.compute.lexicon import norm_key  # noqa: E402
from extract.compute.nlp import gate, get_nlp  # noqa: E402
from extract.documents import read_document  # noqa: E402
from extract.pipeline import extract_notice  # noqa: E402
from extract.types import NoticeFields  # noqa: E402
from timing import best  # noqa: E402

TEXTS = ROOT.parent / "shared" / "benchmarks" / "bidagent-gold" / "texts"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    if not TEXTS.is_dir():
        print(f"skipped: {TEXTS} not found")
        return 0
    docs = [read_document(p.read_bytes(), name=p.name) for p in sorted(TEXTS.iterdir())]
    n, chars = len(docs), sum(len(d.text) for d in docs)

    t = time.perf_counter()
    get_nlp()
    extract_notice(docs[0])
    load = time.perf_counter() - t

    import jieba

    jieba.setLogLevel(60)
    jieba.initialize()
    t_jieba = best(lambda: [jieba.lcut(d.text) for d in docs], args.repeat)
    t_full = best(lambda: [extract_notice(d) for d in docs], args.repeat)
    empty = NoticeFields()
    t_compute = best(lambda: [find_compute(d, [], empty) for d in docs], args.repeat)
    reached = sum(1 for d in docs if gate().search(norm_key(d.text)))

    print(f"{n} notices, {chars:,} characters; pipeline load (spaCy + jieba dictionary + patterns) {load:.2f} s, once")
    print(f"jieba.lcut alone           {n / t_jieba:8.1f} notices/s  {chars / t_jieba / 1e3:8.0f} k chars/s")
    print(f"full pipeline (extract_notice: fields + compute)"
          f"  {n / t_full:8.1f} notices/s  {chars / t_full / 1e3:8.0f} k chars/s  ({t_jieba / t_full:.2f}x jieba)")
    print(f"compute detection alone    {n / t_compute:8.1f} notices/s  {chars / t_compute / 1e3:8.0f} k chars/s"
          f"  ({reached} of {n} notices have a trigger word and reach the NLP)")
    print(f"target >= 100 notices/s: {'met' if n / t_full >= 100 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
