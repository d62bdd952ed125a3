"""Screening-list candidates where readers meet the cases: the weekly digest (every format) and the exports
carry each hit with its list's name, date and source — on SQLite and PostgreSQL, over the fixed sample."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from sqlmodel import Session

from storage import db
from storage.digest import IsoWeek, build_files
from storage.digest.render import file_names
from sample_database import SAMPLE_WEEK
from storage.exports.records import load_records
from storage.exports.tabular import NOTICE_COLUMNS, notice_json, notice_row
from storage.screening import import_list, read_list

TARGETS = Path(__file__).resolve().parents[1] / "fixtures" / "screening" / "targets.simple.csv"
VENDOR = "蓉拓云联信息技术有限公司"  # the sample's AWS reseller, listed in the fixture under this Chinese alias
LINE = (f"{VENDOR} (vendor) ~ Rongtuo Cloudlink Information Technology Co. Ltd. — OpenSanctions 2026-11-18, "
        "OpenSanctions, opensanctions.org (targets.simple.csv); score 100, exact_alt_name, candidate")


def _screened_sample(url):
    engine = db.make_engine(url)
    with db.write_transaction(engine) as conn:
        import_list(conn, read_list(TARGETS), file_name=TARGETS.name)
    return engine


def test_the_digest_names_a_screened_supplier_with_the_list_in_every_format(sample_url_any):
    engine = _screened_sample(sample_url_any)
    try:
        digest, files = build_files(engine, IsoWeek.parse(SAMPLE_WEEK))
    finally:
        engine.dispose()
    names = file_names(SAMPLE_WEEK)
    (case,) = [c for c in digest.new_cases + [ch.case for ch in digest.changes] if VENDOR in c.suppliers]
    assert [h["entry"] for h in case.screening] == ["Rongtuo Cloudlink Information Technology Co. Ltd."]
    assert f"- Screening: {LINE}" in files[names["md"]].decode().replace("\\", "")
    assert "Rongtuo Cloudlink Information Technology Co. Ltd." in files[names["html"]].decode()
    rows = list(csv.DictReader(io.StringIO(files[names["csv"]].decode("utf-8-sig"))))
    assert [r["screening"] for r in rows if VENDOR in r["suppliers"]] == [LINE]
    assert all(r["screening"] == "" for r in rows if VENDOR not in r["suppliers"])
    data = json.loads(files[names["json"]])
    cases = data["new_cases"] + [ch["case"] for ch in data["changes"]]
    hits = [h for c in cases for h in c["screening"]]
    assert {(h["list"], h["list_date"], h["list_source"], h["reason"]) for h in hits} == {
        ("OpenSanctions", "2026-11-18", "OpenSanctions, opensanctions.org (targets.simple.csv)", "exact_alt_name")}


def test_exports_carry_the_screening_field(sample_url_any):
    engine = _screened_sample(sample_url_any)
    try:
        with Session(engine) as session:
            ids = [r[0] for r in session.connection().exec_driver_sql("SELECT id FROM notice ORDER BY id")]
            records = load_records(session, ids)
    finally:
        engine.dispose()
    assert NOTICE_COLUMNS[-1] == "screening"
    screened = [r for r in records if r.screening]
    assert screened and all(VENDOR in r.vendor_names for r in screened)
    assert notice_row(screened[0])["screening"] == [LINE]
    (hit,) = json.loads(json.dumps(notice_json(screened[0]), ensure_ascii=False))["screening"]
    assert (hit["organisation"], hit["role"], hit["list"], hit["list_date"], hit["score"], hit["status"]) == (
        VENDOR, "vendor", "OpenSanctions", "2026-11-18", 100.0, "candidate")
    assert all(notice_row(r)["screening"] == [] for r in records if not r.screening)
