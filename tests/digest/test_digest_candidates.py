"""The digest's "to check" section (issue 12 item 2): possible cases first seen in the week, apart from the
cases — never counted among them, never listed when their procurement is a case."""

from __future__ import annotations

import json
from datetime import datetime

from sqlmodel import Session

from storage.db import make_engine
from storage.digest import build_files
from storage.digest.data import build_digest
from storage.digest.weeks import IsoWeek
from storage.store import Store

W47, W48 = IsoWeek.parse("2026-W47"), IsoWeek.parse("2026-W48")


def digest_of(engine, week):
    with Session(engine) as session:
        return build_digest(session, week)


def test_possible_cases_of_the_week_are_listed_to_check_and_not_counted_as_cases(sample_engine):
    d = digest_of(sample_engine, W47)
    assert [r.title for r in d.to_check] == ["云岭职业技术学院智能体教学平台接口调用服务采购公告"]
    assert d.candidate_label(d.to_check[0]) == "P1"
    case_notices = {n.id for c in d.new_cases + [ch.case for ch in d.changes] for n in c.notices}
    assert not case_notices & {r.id for r in d.to_check}
    assert len(d.new_cases) == 3 and d.this_week.cases == 3  # the totals are the cases' alone
    # Each week lists its own possible cases.
    assert [r.title for r in digest_of(sample_engine, W48).to_check] == ["石湾区教育局教学资源云平台续期服务采购公告"]


def test_every_format_that_lists_cases_shows_the_to_check_section_apart(sample_engine):
    _, files = build_files(sample_engine, W47)
    md = files["digest-2026-W47.md"].decode()
    section = md[md.index("## To check: possible cases (1)"):]
    assert "#### P1 · 云岭职业技术学院" in section and "- Short of a case: Names a compute service" in section
    assert "- Short of a case: Gives a quantity of compute" in section
    assert md.index("## To check") > md.index("## Changes to earlier cases")
    data = json.loads(files["digest-2026-W47.json"])
    assert data["totals"]["possible_cases"] == 1 and data["totals"]["new_cases"] == 3
    assert [p["label"] for p in data["to_check"]] == ["P1"]
    assert data["to_check"][0]["evidence"] == "采购内容：智能体教学平台接口调用服务，按调用次数结算，服务期一年。"
    assert "To check: possible cases" in files["digest-2026-W47.html"].decode()
    assert "云岭职业技术学院" not in files["digest-2026-W47.csv"].decode("utf-8-sig")  # the CSV lists cases only


def test_a_possible_case_of_a_procurement_that_is_a_case_is_not_listed_again(sqlite_url, tmp_path):
    from sample_database import NOTICES, SampleNotice, _save, _set_times, build_sample_database

    build_sample_database(sqlite_url, tmp_path / "raw")
    case_f = next(s for s in NOTICES if s.code == "SJDX-2026-131")
    short = SampleNotice(**{**case_f.__dict__, "url": case_f.url.replace("0014", "0098"), "kinds": [],
                            "providers": [], "flags": [], "title": "蜀江大学科研数据备份服务补充公告",
                            "candidate": (0.5, ["service_not_acquired"])})
    with Store.open(sqlite_url, blob_dir=tmp_path / "raw") as store:
        nid = _save(store, short, short.text)
        _set_times(store.engine, nid, datetime(2026, 11, 21, 9), datetime(2026, 11, 21, 9))
    engine = make_engine(sqlite_url, read_only=True)
    try:
        d = digest_of(engine, W47)
    finally:
        engine.dispose()
    assert "蜀江大学科研数据备份服务补充公告" not in [r.title for r in d.to_check]
    assert [r.title for r in d.to_check] == ["云岭职业技术学院智能体教学平台接口调用服务采购公告"]
