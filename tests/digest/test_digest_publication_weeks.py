"""Publication weeks are China-local weeks (issue 10): a notice's date is China local time, and a notice that
states no date falls back to its first-seen time converted to China local time — not the UTC time it is
stored in — so one publication week is one clock. First-seen weeks stay UTC weeks. The files say which:
a publication digest's event times carry +08:00."""

import json
import xml.etree.ElementTree as ET
from datetime import datetime

from sample_database import SampleNotice, _save, _set_times
from storage.db import make_engine
from storage.digest import IsoWeek, build_digest, build_files
from storage.store import Store

W47, W48 = IsoWeek.parse("2026-W47"), IsoWeek.parse("2026-W48")
CCGP = "http://www.ccgp.gov.cn/cggg/dfgg/gkzb/202611/"
ATOM = "{http://www.w3.org/2005/Atom}"


def undated_case(n: int, title: str) -> SampleNotice:
    text = f"{title}。本项目采购云服务器租用服务。"
    return SampleNotice(url=f"{CCGP}t2026112{n}_9900{n}.htm", seen="", title=title, notice_type="tender",
                        published="", text=text, code=f"UNDATED-{n}", kinds=["cloud"], evidence="采购云服务器租用服务")


def test_an_undated_notice_is_in_the_publication_week_of_its_first_seen_time_in_china(database_url, tmp_path):
    late_sunday_utc = undated_case(1, "周日晚间发现的云服务采购公告")  # Sunday 22 Nov 20:00 UTC = Monday 04:00 in China
    sunday_in_china = undated_case(2, "周日发现的云服务采购公告")  # Sunday 22 Nov 15:00 UTC = Sunday 23:00 in China
    with Store.open(database_url, blob_dir=tmp_path / "raw") as store:
        for s, hour in ((late_sunday_utc, 20), (sunday_in_china, 15)):
            seen = datetime(2026, 11, 22, hour, 0)
            _set_times(store.engine, _save(store, s, s.text), seen, seen)
    engine = make_engine(database_url, read_only=True)
    try:
        with engine.connect() as conn:
            published_47, published_48 = (build_digest(conn, w, by="published") for w in (W47, W48))
            seen_47, seen_48 = (build_digest(conn, w) for w in (W47, W48))
    finally:
        engine.dispose()
    assert [c.title for c in published_47.new_cases] == [sunday_in_china.title]
    assert [c.title for c in published_48.new_cases] == [late_sunday_utc.title]
    assert published_48.new_cases[0].opened == datetime(2026, 11, 23, 4, 0)  # China local, like the dated ones
    assert published_47.new_cases[0].opened == datetime(2026, 11, 22, 23, 0)
    assert sorted(c.title for c in seen_47.new_cases) == sorted([late_sunday_utc.title, sunday_in_china.title])
    assert seen_48.is_empty


def test_a_publication_digest_states_event_times_in_china_local_time_and_first_seen_times_in_utc(sample_engine):
    _, files = build_files(sample_engine, W47, by="published")
    doc = json.loads(files["digest-2026-W47-published.json"])
    assert doc["timezone"] == "UTC+08:00"
    events = [e["at"] for ch in doc["changes"] for e in ch["events"]]
    assert events and all(at.endswith("+08:00") for at in events)
    feed = ET.fromstring(files["digest-2026-W47-published.atom"])
    published = {e.findtext(f"{ATOM}title").split(":")[0]: e.findtext(f"{ATOM}published")
                 for e in feed.iter(f"{ATOM}entry")}
    assert len(published) > 1 and published["New case"].endswith("Z")  # a new case's entry: when it was first seen
    assert all(at.endswith("+08:00") for title, at in published.items() if title != "New case")
