"""CSV and JSONL exports: one row / one JSON object per notice.

CSV is written for spreadsheet users: UTF-8 with a byte-order mark (Excel otherwise reads the Chinese as
mojibake), CRLF line ends as RFC 4180 says, a header row, and list cells joined with "; ".
"""

from __future__ import annotations

import csv
import json
from datetime import datetime
from typing import IO, Any, Iterable, Optional, Sequence

from storage.exports.records import NoticeRecord
from storage.screening import hit_summary

CSV_ENCODING = "utf-8-sig"  # writes the BOM
LIST_SEPARATOR = "; "
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # a text cell starting so is a formula in a spreadsheet

NOTICE_COLUMNS = (
    "notice_id", "source", "url", "external_id", "title", "notice_type", "published_at", "bid_deadline",
    "first_seen", "region", "project_code", "procurement_key", "buyer", "agency", "vendors", "budget",
    "budget_currency", "award", "award_currency", "remote_compute", "hardware_purchase", "compute_kinds", "cloud_providers", "gpu_models", "flags",
    "evidence", "attachments", "republished_at", "screening",
)


def utc_stamp(value: Optional[datetime]) -> Optional[str]:
    """A stored UTC time (naive) as RFC 3339 with Z."""
    return None if value is None else value.replace(microsecond=0).isoformat() + "Z"


def local_stamp(value: Optional[datetime]) -> Optional[str]:
    """A date the notice states (China local time): the day alone when no time of day was given."""
    if value is None:
        return None
    if (value.hour, value.minute, value.second) == (0, 0, 0):
        return value.date().isoformat()
    return value.replace(second=0, microsecond=0).isoformat(timespec="minutes")


def number(value: Optional[float]) -> str:
    """198600.0 -> "198600", 3.2 -> "3.2"; no float noise or exponent in a spreadsheet cell."""
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def cell(value: Any) -> str:
    """A CSV cell (both CSV exports, the CLI's and the site's, write every cell through here)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return LIST_SEPARATOR.join(cell(v) for v in value)
    if isinstance(value, float):
        return number(value)
    if isinstance(value, str) and value[:1] in FORMULA_STARTS:
        return "'" + value  # scraped text must not become a spreadsheet formula
    return str(value)


def notice_row(r: NoticeRecord) -> dict[str, Any]:
    # Amounts in yuan where the notice gives yuan, else in the one currency it states (HKD, MOP …), never blank.
    budget, award = r.money("budget") or (None, None), r.money("award") or (None, None)
    return {
        "notice_id": r.id, "source": r.source, "url": r.url, "external_id": r.external_id, "title": r.title,
        "notice_type": r.notice_type, "published_at": local_stamp(r.published_at),
        "bid_deadline": local_stamp(r.bid_deadline), "first_seen": utc_stamp(r.first_seen), "region": r.region,
        "project_code": r.project_code, "procurement_key": r.procurement_key, "buyer": r.buyer,
        "agency": r.agency, "vendors": r.vendor_names, "budget": budget[0],
        "budget_currency": budget[1], "award": award[0], "award_currency": award[1], "remote_compute": r.remote_compute,
        "hardware_purchase": r.hardware_purchase, "compute_kinds": r.kinds, "cloud_providers": r.providers,
        "gpu_models": r.chips, "flags": r.flags, "evidence": r.evidence_sentence(),
        "attachments": [a["url"] for a in r.attachments], "republished_at": [link["url"] for link in r.links],
        "screening": [hit_summary(h) for h in r.screening],  # candidates for a person to confirm
    }


def write_csv(rows: Iterable[dict[str, Any]], columns: Sequence[str], out: IO[str]) -> int:
    """Rows to an open text file (opened with newline=""); the caller chooses the encoding (CSV_ENCODING)."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    n = 0
    for row in rows:
        writer.writerow([cell(row.get(c)) for c in columns])
        n += 1
    return n


def notice_json(r: NoticeRecord) -> dict[str, Any]:
    """The JSONL object of a notice: the CSV's fields unflattened, with every amount and evidence item."""
    out = notice_row(r)
    out.update(
        vendors=r.vendor_names,
        amounts=r.amounts,
        evidence=r.evidence,
        evidence_sentence=r.evidence_sentence(),
        attachments=[{k: a[k] for k in ("url", "name", "content_type", "status", "size")} for a in r.attachments],
        republished_at=r.links,
        last_changed=utc_stamp(r.last_changed),
        extractor_version=r.extractor_version,
        screening=r.screening,
    )
    return out


def write_jsonl(records: Iterable[NoticeRecord], out: IO[str]) -> int:
    n = 0
    for r in records:
        out.write(json.dumps(notice_json(r), ensure_ascii=False, sort_keys=False) + "\n")
        n += 1
    return n


def write_notices_csv(records: Iterable[NoticeRecord], out: IO[str]) -> int:
    return write_csv((notice_row(r) for r in records), NOTICE_COLUMNS, out)
