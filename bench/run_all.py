"""`make bench`: every benchmark in turn, each printing its own figures. Ratios (ours vs. a baseline measured
in the same run) are what to compare across machines; absolute rates vary on shared hardware."""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = [
    ("crawl: full pipeline vs. plain Scrapy download, replica, delays off", "bench_crawl.py"),
    ("crawl: 1, 2 and 4 workers on one Redis frontier, 4 replica hosts with latency, per-host budget held",
     "bench_crawl_scale.py"),
    ("fields: extraction from text vs. jieba alone, 598 real notices", "bench_extract.py"),
    ("pipeline: fields + compute NLP vs. jieba alone, 598 real notices", "bench_pipeline.py"),
    ("search: API latency on 100,000 generated notices vs. LIKE scan", "bench_search.py"),
    ("attachments: .doc/.wps/7z/RAR/GBK-zip renditions of 40 real notices, answers vs. the source text",
     "bench_renditions.py"),
    ("attachments: .doc readers (LibreOffice, antiword, catdoc, wvText, pure Python) and archive readers",
     "bench_doc_readers.py"),
    ("OCR: RapidOCR vs. tesseract on rendered scans, scanned-PDF/JPG renditions, crawl with scanned attachments",
     "bench_ocr.py"),
    ("search: one 5,000,000-character notice among the hits vs. an unrelated query", "bench_huge_notice.py"),
    ("bulk loading: notices/s, Store.save_notice vs. the bulk loader, SQLite and PostgreSQL", "bench_bulk.py"),
    ("review: case list and review queue with a decision on every case vs. none, 20,000 notices", "bench_review.py"),
    ("reextract --shard: one process vs. two shards at once on one database, 1,000 notices", "bench_shard.py"),
    ("serving under load: API p50/p95 with 1 vs. 16 clients, serve --workers 1 and 2, 100,000 notices",
     "bench_serve_load.py"),
    ("exports: ocds/csv/jsonl of every case and of a year, notices/s and peak memory, 100,000 notices",
     "bench_export.py"),
]


def main() -> int:
    failed = []
    for title, script in BENCHMARKS:
        print(f"\n=== {title} ({script})", flush=True)
        if subprocess.call([sys.executable, str(HERE / script)]) != 0:
            failed.append(script)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
