"""The overview: cases by month (gaps filled, a case under each kind it seeks), the recurring providers,
chips, buyers and intermediaries, and "data as of" per source — the end of its last finished crawl, or the
newest notice stored where no crawl has finished."""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa

from storage import db
from storage.overview import data_as_of, overview
from storage.store import Store
from storage_helpers import Spec, save


@pytest.fixture
def store(database_url, tmp_path):
    s = Store.open(database_url, blob_dir=tmp_path / "raw")
    yield s
    s.close()


def case(key, published, kinds, providers=(), buyer="北方理工大学", vendors=(), source="ccgp"):
    return Spec(key=key, title="云服务项目", body="租用云服务器。", buyer=buyer, vendors=list(vendors), published_at=published,
                remote_compute=True, compute_kinds=list(kinds), providers=list(providers), source=source,
                url=f"http://{source}.example/{key}.htm", notice_type="award" if vendors else "tender")


def test_cases_by_month_fill_the_gaps_and_count_each_kind(store):
    save(store, case("a", "2025-11-03", ["cloud", "gpu_rental"], ["aws"]))
    save(store, case("b", "2025-11-20", ["cloud"], ["aws"]))
    save(store, case("c", "2026-01-09", ["model_api"], ["azure"], buyer="南方医学研究院"))
    save(store, case("d", None, ["hpc"]))
    save(store, Spec(key="e", title="办公家具", body="办公家具。", published_at="2025-12-01"))  # not a case
    with store.engine.connect() as conn:
        data = overview(conn)
    assert data["cases"] == 4 and data["undated_cases"] == 1 and data["notices"] == 5
    assert data["cases_by_month"] == [
        {"month": "2025-11", "cases": 2, "kinds": {"cloud": 2, "gpu_rental": 1}},
        {"month": "2025-12", "cases": 0, "kinds": {}},
        {"month": "2026-01", "cases": 1, "kinds": {"model_api": 1}},
    ]
    assert data["providers"] == [{"value": "aws", "cases": 2}, {"value": "azure", "cases": 1}]
    assert data["kinds"][0] == {"value": "cloud", "cases": 2}
    assert [b["name"] for b in data["buyers"]] == ["北方理工大学", "南方医学研究院"]


def test_intermediaries_are_the_vendors_of_cases_most_buyers_first(store):
    save(store, case("a", "2025-11-03", ["cloud"], ["aws"], vendors=["云桥数据科技有限公司"]))
    save(store, case("b", "2025-11-04", ["cloud"], ["aws"], buyer="南方医学研究院", vendors=["云桥数据科技有限公司"]))
    save(store, case("c", "2025-11-05", ["cloud"], ["azure"], buyer="东海大学", vendors=["华信云服信息技术有限公司"]))
    with store.engine.connect() as conn:
        got = overview(conn)["intermediaries"]
    assert [(i["name"], i["buyers_served"], i["reseller"]) for i in got] == [
        ("云桥数据科技有限公司", 2, True), ("华信云服信息技术有限公司", 1, False)]


def test_data_as_of_is_the_last_finished_crawl_per_source_else_the_newest_stored(store):
    save(store, case("a", "2025-11-03", ["cloud"], source="ccgp"))
    save(store, case("b", "2025-11-03", ["cloud"], source="ggzy"))
    save(store, case("c", "2025-11-03", ["cloud"], source="local"))
    early, late = store.start_run("ccgp", {}), store.start_run("ccgp", {})
    store.finish_run(early, "finished", {})
    store.finish_run(late, "finished", {})
    blocked = store.start_run("ggzy", {})
    store.finish_run(blocked, "blocked", {})  # a crawl that did not finish says nothing about freshness
    run = sa.table("crawlrun", sa.column("id"), sa.column("finished_at"))
    with db.write_transaction(store.engine) as conn:
        conn.execute(run.update().where(run.c.id == early).values(finished_at=datetime(2026, 11, 30, 6, 0)))
        conn.execute(run.update().where(run.c.id == late).values(finished_at=datetime(2026, 12, 3, 6, 15)))
    with store.engine.connect() as conn:
        got = {s["source"]: s for s in data_as_of(conn)}
    assert set(got) == {"ccgp", "ggzy", "local"}
    assert got["ccgp"]["as_of"] == datetime(2026, 12, 3, 6, 15) and got["ccgp"]["by"] == "crawl"
    assert got["ggzy"]["by"] == "stored" and got["local"]["by"] == "stored"
