"""The weekly digest: what a week selects, its files against expected copies, byte-identical rebuilds,
e-mail-safe HTML, a valid Atom feed with stable ids, a clean CSV, and an empty week."""

import csv
import io
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlmodel import Session

from storage.db import make_engine
from storage.digest import IsoWeek, build_digest, build_files, write_digest
from storage.digest.render import CASE_COLUMNS, file_names
from sample_database import SAMPLE_WEEK
from storage.store import Store
from tenderwatch.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXPECTED = Path(__file__).parent / "expected"
UPDATE = os.environ.get("TENDERWATCH_UPDATE_EXPECTED") == "1"  # regenerate expected/ after a deliberate change
W47 = IsoWeek.parse(SAMPLE_WEEK)
A = "{http://www.w3.org/2005/Atom}"


def digest_of(engine, week):
    with Session(engine) as session:
        return build_digest(session, week)


# --- what a week selects -----------------------------------------------------------------------------------


def test_week_selects_new_cases_and_changes_to_earlier_ones(sample_engine_any):
    d = digest_of(sample_engine_any, W47)
    new = {c.title: c for c in d.new_cases}
    assert sorted(c.label for c in d.new_cases) == ["C1", "C2", "C3"]
    assert "蜀江大学生成式人工智能教学平台大模型API服务采购项目公开招标公告" in new
    changes = {ch.case.project_code: [e.kind for e in ch.events] for ch in d.changes}
    assert changes == {
        "LG-AI-2026-07": ["corrected"],
        "DJLG-2026-0311": ["awarded"],
        "QH-2026-55": ["revised"],
        "HX-2026-0930": ["cancelled"],
    }
    # A hardware purchase and the portal boilerplate of the same week are not remote-compute cases.
    titles = [c.title for c in d.new_cases] + [n.title for ch in d.changes for n in ch.case.notices]
    assert not any("GPU服务器采购" in t or "物业管理" in t for t in titles)
    assert (d.this_week.cases, d.this_week.by_kind) == (3, {"cloud": 1, "gpu_rental": 0, "model_api": 1, "hpc": 1})
    assert [w.cases for w in d.history[-4:]] == [1, 1, 2, 3]


def test_a_later_award_does_not_leak_into_an_earlier_week(sample_engine):
    d47 = digest_of(sample_engine, W47)
    case_a = next(c for c in d47.new_cases if c.project_code == "SJDX-2026-118")
    assert [n.notice_type for n in case_a.notices] == ["tender"]  # its W48 award is not there yet
    assert case_a.award is None and case_a.status == "open"

    d48 = digest_of(sample_engine, W47.shift(1))
    assert d48.new_cases == []
    [change] = d48.changes
    assert change.case.project_code == "SJDX-2026-118"
    assert [e.kind for e in change.events] == ["awarded"]
    assert change.case.suppliers == ["雪岭数智科技有限公司"] and change.case.award == (478000, "CNY")


def test_cases_are_grouped_by_provider_chip_and_buyer(sample_engine):
    d = digest_of(sample_engine, W47)
    assert [(g, [c.label for c in cases]) for g, cases in d.provider_groups] == [
        ("azure", ["C1"]), ("huawei-cloud", ["C2"]), ("provider not named", ["C3"])]
    buyers = {g.value: ([c.label for c in g.new], [c.label for c in g.changed]) for g in d.groups("buyer")}
    assert buyers["蜀江大学"] == (["C1", "C2"], [])
    chips = {g.value: [c.label for c in g.new + g.changed] for g in d.groups("chip")}
    assert chips == {"nvidia-a100": ["C5"], "nvidia-h100": ["C5"], "nvidia-h800": ["C4"]}


def test_each_case_carries_its_evidence_sentence_and_source_link(sample_engine):
    d = digest_of(sample_engine, W47)
    c1 = d.new_cases[0]
    # The whole sentence around the evidence, read from the stored text at the evidence offsets.
    assert c1.evidence == "本项目采购Azure OpenAI服务GPT-4o模型调用额度4000万tokens，由供应商代为开通并结算。"
    assert c1.lead.url.endswith("t20261116_0007.htm")
    assert [link["source"] for link in c1.lead.links] == ["ggzy"]


# --- the files ---------------------------------------------------------------------------------------------


def test_digest_files_match_the_expected_ones(sample_engine_any):
    """On SQLite and PostgreSQL alike. Regenerate with TENDERWATCH_UPDATE_EXPECTED=1 after a deliberate change
    and read the diff."""
    _, files = build_files(sample_engine_any, W47)
    names = file_names(SAMPLE_WEEK)
    assert set(files) == set(names.values())
    for fmt in ("md", "html", "csv", "json", "atom"):
        path = EXPECTED / names[fmt]
        if UPDATE:
            path.write_bytes(files[names[fmt]])
        assert files[names[fmt]] == path.read_bytes(), f"{names[fmt]} differs from {path}"


def test_rebuilding_a_past_week_in_a_new_process_gives_identical_bytes(sample_url, tmp_path):
    engine = make_engine(sample_url, read_only=True)
    try:
        write_digest(engine, W47, tmp_path / "first")
    finally:
        engine.dispose()
    # A second build in a fresh interpreter: a per-process salt or a clock read would show here.
    subprocess.run(
        [sys.executable, "-m", "tenderwatch.cli", "digest", "--week", SAMPLE_WEEK, "--out", str(tmp_path / "second"),
         "--database-url", sample_url],
        check=True, cwd=ROOT, capture_output=True,
    )
    first = {p.name: p.read_bytes() for p in (tmp_path / "first").iterdir()}
    second = {p.name: p.read_bytes() for p in (tmp_path / "second").iterdir()}
    assert sorted(first) == sorted(file_names(SAMPLE_WEEK).values())
    assert first == second


def test_chart_is_a_png_and_an_svg_without_build_metadata(sample_engine):
    _, files = build_files(sample_engine, W47)
    names = file_names(SAMPLE_WEEK)
    png, svg = files[names["png"]], files[names["svg"]]
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (width, height) == (800, 320)
    assert b"Matplotlib" not in png and b"Software" not in png
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert b"<dc:date>" not in svg and b"Matplotlib v" not in svg


def test_html_is_self_contained_and_email_safe(sample_engine):
    _, files = build_files(sample_engine, W47)
    html = files[file_names(SAMPLE_WEEK)["html"]].decode("utf-8")
    lowered = html.lower()
    for banned in ("<style", "<script", "<link", "<img", "class=", "src=", "@import", "url("):
        assert banned not in lowered, banned
    assert len(html.encode("utf-8")) < 102_000  # Gmail clips longer messages
    import lxml.html

    doc = lxml.html.fromstring(html)
    hrefs = [a.get("href") for a in doc.iter("a") if a.get("href")]
    assert hrefs and all(h.startswith(("http://", "https://", "#C")) for h in hrefs)
    anchors = {a.get("id") for a in doc.iter("a") if a.get("id")}
    assert {h[1:] for h in hrefs if h.startswith("#")} <= anchors  # every in-page link has its target
    # Escaped, not interpreted: the sample title with " , & comes through as text.
    assert '北川市气象局数值天气预报超算中心机时服务采购公告（"高分辨率"模式, 含存储&备份）' in doc.text_content()


def test_csv_opens_cleanly(sample_engine):
    d, files = build_files(sample_engine, W47)
    data = files[file_names(SAMPLE_WEEK)["csv"]]
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    assert b"\r\n" in data
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert list(rows[0]) == list(CASE_COLUMNS)
    assert [r["case"] for r in rows] == [f"C{i}" for i in range(1, 8)]
    assert [r["change"] for r in rows] == ["new"] * 3 + ["corrected", "awarded", "revised", "cancelled"]
    c3 = rows[2]
    assert c3["title"] == '北川市气象局数值天气预报超算中心机时服务采购公告（"高分辨率"模式, 含存储&备份）'
    assert c3["case_id"].startswith("notice-")  # no project code: a case of one notice
    awarded = rows[4]
    assert (awarded["award"], awarded["award_currency"], awarded["suppliers"]) == ("198600", "CNY", "蓉拓云联信息技术有限公司")
    assert awarded["gpu_models"] == "nvidia-a100; nvidia-h100"


# --- Atom --------------------------------------------------------------------------------------------------


def _parse_time(text: str) -> datetime:
    assert text.endswith("Z"), text
    return datetime.fromisoformat(text[:-1])


def _check_atom(data: bytes) -> dict[str, ET.Element]:
    """RFC 4287's required elements; returns the entries by id."""
    feed = ET.fromstring(data)
    assert feed.tag == A + "feed"
    for tag in ("id", "title", "updated"):
        assert len(feed.findall(A + tag)) == 1, tag
    assert feed.find(A + "id").text.startswith("tag:")
    _parse_time(feed.find(A + "updated").text)
    assert feed.find(f"{A}author/{A}name").text  # the feed's author covers every entry
    entries = {}
    for entry in feed.findall(A + "entry"):
        for tag in ("id", "title", "updated"):
            assert len(entry.findall(A + tag)) == 1, tag
        eid = entry.find(A + "id").text
        assert eid.startswith("tag:") and " " not in eid
        assert eid not in entries, f"duplicate entry id {eid}"
        _parse_time(entry.find(A + "updated").text)
        alternate = [l for l in entry.findall(A + "link") if l.get("rel") == "alternate"]
        assert len(alternate) == 1 and alternate[0].get("href").startswith("http")
        content = entry.find(A + "content")
        assert content.get("type") == "html" and "<" in content.text  # escaped HTML, as type="html" says
        entries[eid] = entry
    return entries


def test_atom_feed_is_valid_and_its_entry_ids_are_stable_across_weeks(sample_engine):
    _, f47 = build_files(sample_engine, W47)
    _, f48 = build_files(sample_engine, W47.shift(1))
    e47 = _check_atom(f47[file_names("2026-W47")["atom"]])
    e48 = _check_atom(f48[file_names("2026-W48")["atom"]])
    # Four weeks of entries: W44–W47 in the W47 feed; W48's feed drops W44 and adds case A's award.
    assert len(e47) == 11  # W44: 1 new, W45: 1 new, W46: 2 new, W47: 3 new and 4 changes
    assert set(e48) - set(e47) == {next(i for i in e48 if "SJDX-2026-118" in i and ":awarded:" in i)}
    dropped = set(e47) - set(e48)
    assert len(dropped) == 1 and "HX-2026-0930" in next(iter(dropped))
    # An entry seen in both weeks' feeds has the same id, title and time in both.
    for eid in set(e47) & set(e48):
        for tag in ("title", "updated"):
            assert e47[eid].find(A + tag).text == e48[eid].find(A + tag).text


def test_atom_self_link_with_a_base_url(sample_engine):
    _, files = build_files(sample_engine, W47, base_url="https://digest.example.org/tw/")
    feed = ET.fromstring(files[file_names(SAMPLE_WEEK)["atom"]])
    links = {l.get("rel"): l.get("href") for l in feed.findall(A + "link")}
    assert links == {"self": "https://digest.example.org/tw/digest-2026-W47.atom",
                     "alternate": "https://digest.example.org/tw/digest-2026-W47.html"}


# --- empty weeks and databases -----------------------------------------------------------------------------


def test_an_empty_week_gives_a_short_clear_digest(sample_engine, tmp_path):
    week = IsoWeek.parse("2026-W30")
    digest, paths = write_digest(sample_engine, week, tmp_path)
    assert digest.is_empty
    assert sorted(p.name for p in paths) == sorted(file_names("2026-W30").values())
    md = (tmp_path / "digest-2026-W30.md").read_text(encoding="utf-8")
    assert "No new remote-compute case was first seen in 2026-W30, and no earlier case changed." in md
    assert len(md.splitlines()) < 10
    html = (tmp_path / "digest-2026-W30.html").read_text(encoding="utf-8")
    assert "No new remote-compute case" in html and "New cases</div>" not in html
    rows = list(csv.reader(io.StringIO((tmp_path / "digest-2026-W30.csv").read_text("utf-8-sig"), newline="")))
    assert rows == [list(CASE_COLUMNS)]
    data = json.loads((tmp_path / "digest-2026-W30.json").read_text("utf-8"))
    assert (data["new_cases"], data["changes"], data["totals"]["new_cases"]) == ([], [], 0)
    assert _check_atom((tmp_path / "digest-2026-W30.atom").read_bytes()) == {}


def test_an_empty_database_gives_an_empty_digest(sqlite_url, tmp_path):
    Store.open(sqlite_url, blob_dir=tmp_path / "raw").close()
    result = CliRunner().invoke(main, ["digest", "--week", "2026-W47", "--out", str(tmp_path / "out"),
                                       "--database-url", sqlite_url])
    assert result.exit_code == 0, result.output
    assert "2026-W47: no new case and no change" in result.output
    assert (tmp_path / "out" / "digest-2026-W47.html").exists()


def test_cli_rejects_a_bad_week_and_a_missing_database(tmp_path):
    result = CliRunner().invoke(main, ["digest", "--week", "2025-W53", "--database-url", f"sqlite:///{tmp_path}/x.db"])
    assert result.exit_code == 2 and "2025 has no ISO week 53" in result.output
    result = CliRunner().invoke(main, ["digest", "--week", "2026-W47", "--database-url", f"sqlite:///{tmp_path}/none.db"])
    assert result.exit_code == 1 and "no database at" in result.output


# --- ISO weeks ---------------------------------------------------------------------------------------------


def test_iso_weeks():
    assert (W47.start, W47.end) == (datetime(2026, 11, 16), datetime(2026, 11, 23))
    assert IsoWeek.parse("2026w47") == W47 and str(W47) == "2026-W47"
    assert IsoWeek.parse("2026-W53").monday.isoformat() == "2026-12-28"  # 2026 has 53 ISO weeks
    assert W47.shift(7) == IsoWeek(2027, 1)
    # The last complete week: on Monday 00:00 the week just ended; on Sunday evening still the one before.
    assert IsoWeek.last_complete(datetime.fromisoformat("2026-11-23T00:00:00+00:00")) == W47
    assert IsoWeek.last_complete(datetime.fromisoformat("2026-11-22T23:59:00+00:00")) == W47.shift(-1)
    assert IsoWeek.last_complete(datetime.fromisoformat("2026-11-26T12:00:00+00:00")) == W47
    for bad in ("2026-47", "2026-W00", "2025-W53", "W47"):
        with pytest.raises(ValueError):
            IsoWeek.parse(bad)


def test_a_busy_week_stays_under_the_email_size_limit():
    """300 new cases from 300 buyers: the first 15 in full, the next 45 on a line each, the rest left to the
    CSV; tables cut to 15 rows. The file stays under Gmail's clipping limit and every in-page link has its
    target."""
    import lxml.html

    from storage.digest.data import Case, Digest, WeekCount
    from storage.digest.render import render_html
    from storage.exports.records import NoticeRecord

    cases = []
    for i in range(300):
        text = f"第{i}号项目：租用云服务器及GPU算力资源，服务期一年，预算{i}0万元。"
        r = NoticeRecord(
            id=i + 1, source="ccgp", url=f"http://www.ccgp.gov.cn/n{i}.htm", external_id=None,
            title=f"第{i}号单位智能算力租赁服务公开招标公告", notice_type="tender", published_at=datetime(2026, 11, 16),
            bid_deadline=None, region="某市", project_code=f"P-{i}", procurement_key=f"P-{i}|b{i}",
            first_seen=datetime(2026, 11, 16) + timedelta(minutes=i), last_changed=datetime(2026, 11, 16), content_hash="0" * 64,
            extractor_version="t", remote_compute=True, hardware_purchase=False, buyer=f"第{i}号单位",
            kinds=["cloud", "gpu_rental"], providers=[f"provider-{i % 25}"], chips=[f"chip-{i % 30}"],
            flags=["us_provider"], amounts=[{"kind": "budget", "value_cny": i * 1e5, "percent": None, "raw": ""}],
            evidence=[{"field": "remote_compute", "text": text, "start": 0, "end": len(text)}], text=text,
        )
        cases.append(Case(key=r.procurement_key, first_seen=r.first_seen, notices=[r], number=i + 1))
    history = [WeekCount(W47.shift(i - 11)) for i in range(12)]
    history[-1].cases = 300
    html = render_html(Digest(W47, cases, [], history))
    assert len(html.encode("utf-8")) < 102_000
    doc = lxml.html.fromstring(html)
    anchors = {a.get("id") for a in doc.iter("a") if a.get("id")}
    assert anchors == {f"C{i}" for i in range(1, 61)}
    assert {a.get("href")[1:] for a in doc.iter("a") if (a.get("href") or "").startswith("#")} <= anchors
    assert "… and 240 more new cases, in digest-2026-W47.csv and digest-2026-W47.md." in html
    assert "and 285 more, in digest-2026-W47.csv." in html  # 300 buyers, 15 rows shown


def test_notices_stored_after_the_week_leave_its_files_unchanged(sqlite_url, tmp_path):
    """A later crawl adds an award to a W47 case and a new case in W49: W47 rebuilds to the same bytes."""
    from sample_database import NOTICES, SampleNotice, _save, _set_times, build_sample_database

    build_sample_database(sqlite_url, tmp_path / "raw")
    engine = make_engine(sqlite_url, read_only=True)
    _, before = build_files(engine, W47)
    engine.dispose()

    case_f = next(s for s in NOTICES if s.code == "SJDX-2026-131")
    later = [
        SampleNotice(**{**case_f.__dict__, "url": case_f.url.replace("gkzb", "zbgg"), "notice_type": "award",
                        "title": "蜀江大学科研数据备份华为云存储服务中标公告", "vendors": ["某云服务有限公司"],
                        "amounts": [("award", 149_000, "14.9万元")], "text": case_f.text + "中标金额14.9万元。"}),
        SampleNotice(**{**case_f.__dict__, "url": case_f.url.replace("0014", "0099"), "code": "NEW-2026-1",
                        "title": "新单位云服务采购公告"}),
    ]
    with Store.open(sqlite_url, blob_dir=tmp_path / "raw") as store:
        for s in later:
            nid = _save(store, s, s.text)
            _set_times(store.engine, nid, datetime(2026, 12, 1, 8), datetime(2026, 12, 1, 8))
    engine = make_engine(sqlite_url, read_only=True)
    try:
        _, after = build_files(engine, W47)
        d49 = digest_of(engine, IsoWeek.parse("2026-W49"))
    finally:
        engine.dispose()
    assert after == before
    assert [c.title for c in d49.new_cases] == ["新单位云服务采购公告"]
    assert [e.kind for ch in d49.changes for e in ch.events] == ["awarded"]
