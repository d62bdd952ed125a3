"""The reviewed notices as a gold set in the format of ../shared/benchmarks/compute-cases/gold.jsonl, with
each notice's stored text in docs/ beside it, so the set can be scored (score_compute.py) without the
database. The compute keys come from the newest review decision (storage.review.truth); the notice fields
(type, buyer, amounts …) are the stored extraction's and are marked as not reviewed."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from storage.exports.records import BATCH, NoticeRecord, load_records
from storage.review import reviewed, truth

DOCS = "docs"


def notice_text(r: NoticeRecord) -> str:
    """The stored text as one document: title, body, then each attachment's text under its name."""
    parts = [r.title, r.text]
    parts += [f"附件：{a['name']}\n{a['text']}" for a in r.attachments if a.get("text")]
    return "\n\n".join(p for p in parts if p) + "\n"


def gold_record(r: NoticeRecord, decision: dict[str, Any]) -> dict[str, Any]:
    doc_id = f"tw-{r.id}"
    return {
        "document_id": doc_id,
        "file": f"{DOCS}/{doc_id}.txt",
        "format": "txt",
        "category": f"reviewed_{decision['decision']}",
        "notice_type": r.notice_type,
        "title": r.title,
        "project_codes": [r.project_code] if r.project_code else [],
        "buyer": r.buyer,
        "agency": r.agency,
        "vendors": r.vendor_names,
        "amounts": [{"kind": a["kind"], "value_cny": a["value_cny"]} for a in r.amounts if a["value_cny"] is not None],
        "published_at": r.published_at.date().isoformat() if r.published_at else None,
        "bid_deadline": r.bid_deadline.isoformat(timespec="minutes") if r.bid_deadline else None,
        **truth(decision),
        "notes": decision["note"],
        "fields_reviewed": False,  # only the compute keys were decided by a person
        "review": {
            "decision": decision["decision"], "reviewer": decision["reviewer"],
            "decided_at": decision["decided_at"].isoformat(timespec="seconds"),
            "extractor_version": decision["extractor_version"], "seen": decision["seen"],
        },
        "notice_id": r.id,
        "url": r.url,
    }


def write_gold(conn: sa.Connection, target: Path) -> int:
    """Write `target` (JSONL, one reviewed notice a line, by notice id) and `<its folder>/docs/tw-<id>.txt`.
    Files are written to temporary names and renamed, so an interrupted export leaves no truncated file."""
    decisions = reviewed(conn)
    docs = target.parent / DOCS
    docs.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8", newline="\n") as out:
            for i in range(0, len(decisions), BATCH):
                batch = decisions[i : i + BATCH]
                by_id = {d["notice_id"]: d for d in batch}
                for r in load_records(conn, list(by_id), with_text=True):
                    _write_atomic(docs / f"tw-{r.id}.txt", notice_text(r))
                    out.write(json.dumps(gold_record(r, by_id[r.id]), ensure_ascii=False) + "\n")
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
    return len(decisions)


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
