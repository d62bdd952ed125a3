"""Whole-result-set exports: CSV (UTF-8 with BOM, so Excel reads Chinese), JSON and JSON Lines, streamed.

Rows are produced batch by batch from the search, so an export of 100,000 notices never sits in memory,
and the first bytes leave before the last row is read.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime, timezone
from typing import Iterator
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import StreamingResponse

from storage.exports.tabular import cell
from web.params import SearchParams

COLUMNS = [
    "id", "permalink", "title", "published_at", "notice_type", "buyer", "vendors", "region", "amount_cny",
    "remote_compute", "hardware_purchase", "compute_kinds", "cloud_providers", "gpu_models", "flags",
    "possible_case", "candidate_reasons", "evidence", "snippet", "source", "url", "first_seen",
]
MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "jsonl": "application/x-ndjson",
}


def _filename(p: SearchParams, fmt: str) -> str:
    slug = re.sub(r"[^\w]+", "-", p.q, flags=re.UNICODE).strip("-")[:40] or (
        "cases" if p.cases_only else "possible-cases" if p.candidates_only else "notices")
    return f"tenderwatch-{slug}-{datetime.now(timezone.utc):%Y%m%d}.{fmt}"


def row(hit, base: str) -> dict:
    """A hit's CSV row: `storage.exports.tabular.cell` writes the values (lists joined with "; ", numbers
    without float noise, text that would be a formula quoted); yes/no for a reader's columns."""
    d = hit.to_json(base)
    yes_no = {k: "yes" if d[k] else "no" for k in ("remote_compute", "hardware_purchase", "compute_candidate")}
    return {
        **{k: d[k] for k in ("id", "permalink", "title", "published_at", "notice_type", "buyer", "vendors", "region",
                             "amount_cny", "compute_kinds", "cloud_providers",
                             "gpu_models", "flags", "evidence", "snippet", "source", "url",
                             "first_seen")},
        "remote_compute": yes_no["remote_compute"],
        "hardware_purchase": yes_no["hardware_purchase"],
        "possible_case": yes_no["compute_candidate"],
        "candidate_reasons": d["candidate_reason_texts"],
    }


def iter_csv(hits, base: str) -> Iterator[bytes]:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    buf.write("\ufeff")
    writer.writerow(COLUMNS)
    n = 0
    for hit in hits:
        r = row(hit, base)
        writer.writerow([cell(r[c]) for c in COLUMNS])
        n += 1
        if n % 200 == 0:
            yield buf.getvalue().encode("utf-8")
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue().encode("utf-8")


def iter_jsonl(hits, base: str) -> Iterator[bytes]:
    chunk: list[str] = []
    for hit in hits:
        chunk.append(json.dumps(hit.to_json(base), ensure_ascii=False))
        if len(chunk) >= 200:
            yield ("\n".join(chunk) + "\n").encode("utf-8")
            chunk = []
    if chunk:
        yield ("\n".join(chunk) + "\n").encode("utf-8")


def iter_json(hits, base: str, p: SearchParams) -> Iterator[bytes]:
    # One JSON document, written incrementally: the search, then the results array, then the count.
    head = {"query": p.q, "filters": [list(f) for f in p.filters()],
            "cases_only": p.cases_only, "exported_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    yield (json.dumps(head, ensure_ascii=False)[:-1] + ', "results": [\n').encode("utf-8")
    n = 0
    chunk: list[str] = []
    for hit in hits:
        chunk.append(("" if n == 0 else ",\n") + json.dumps(hit.to_json(base), ensure_ascii=False))
        n += 1
        if len(chunk) >= 200:
            yield "".join(chunk).encode("utf-8")
            chunk = []
    chunk.append(f'\n], "total": {n}}}\n')
    yield "".join(chunk).encode("utf-8")


def stream(fmt: str, p: SearchParams, searcher, request: Request) -> StreamingResponse:
    base = str(request.base_url).rstrip("/")
    hits = searcher.iter_all(p)
    body = {"csv": lambda: iter_csv(hits, base), "jsonl": lambda: iter_jsonl(hits, base),
            "json": lambda: iter_json(hits, base, p)}[fmt]()
    name = _filename(p, fmt)
    ascii_name = name.encode("ascii", "replace").decode().replace("?", "_")
    return StreamingResponse(
        body,
        media_type=MEDIA[fmt],
        headers={"Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"},
    )
