"""Procurement linking (issue 4 item 5): the tender, correction, award and contract notices of one
procurement share a key made of the project code and the buyer; a case's flags are their union."""

import pytest
from storage_helpers import Spec, save

from storage.search import SearchQuery
from storage.store import Store

CODE = "HZZB-2024-0188"


@pytest.fixture
def store(database_url, tmp_path):
    s = Store.open(database_url, blob_dir=tmp_path / "raw")
    yield s
    s.close()


def tender():
    return Spec(
        key="tender",
        title="浙江省某实验室大模型训练算力租赁服务招标公告",
        notice_type="tender",
        published_at="2024-03-01",
        body=f"项目编号：{CODE}\n采购人：之江实验室\n采购大模型训练算力租赁服务，GPU型号A100或同等性能。",
        buyer="之江实验室",
        project_code=CODE,
        remote_compute=True,
        compute_kinds=["gpu_rental"],
        chips=["nvidia-a100"],
        flags=["controlled_chip"],
    )


def correction():
    # A correction names the code but not the buyer.
    return Spec(
        key="correction",
        title="浙江省某实验室大模型训练算力租赁服务更正公告",
        notice_type="correction",
        published_at="2024-03-10",
        body=f"项目编号：{CODE.lower().replace('-', '－')}\n原投标截止时间延期至2024年3月25日。",
        project_code=CODE.lower().replace("-", "－"),
    )


def award():
    # The award adds flags the tender did not show: the vendor resells, the nodes are offshore.
    return Spec(
        key="award",
        title="浙江省某实验室大模型训练算力租赁服务中标结果公告",
        notice_type="award",
        published_at="2024-04-02",
        body=f"项目编号：{CODE}\n采购人：之 江 实 验 室\n中标供应商：杭州某信息技术有限公司\n服务节点位于香港，使用境外账号。",
        buyer="之 江 实 验 室",
        vendors=["杭州某信息技术有限公司"],
        project_code=CODE,
        remote_compute=True,
        compute_kinds=["gpu_rental"],
        flags=["offshore", "intermediary"],
    )


def other_buyer_same_code():
    return Spec(
        key="other",
        title="某医院信息化设备采购公告",
        published_at="2024-03-05",
        body=f"项目编号：{CODE}\n采购人：杭州市某医院\n采购打印机10台。",
        buyer="杭州市某医院",
        project_code=CODE,
    )


def test_notices_of_one_procurement_are_linked_in_date_order(store):
    ids = {s.key: save(store, s).notice_id for s in (award(), tender(), correction(), other_buyer_same_code())}
    linked = store.procurement(ids["award"])
    assert [p["id"] for p in linked] == [ids["tender"], ids["correction"], ids["award"]]
    assert [p["notice_type"] for p in linked] == ["tender", "correction", "award"]
    assert [p["id"] for p in store.procurement(ids["other"])] == [ids["other"]]  # same code, other buyer


def test_a_buyerless_notice_saved_first_is_adopted_later(store):
    c = save(store, correction()).notice_id
    assert [p["id"] for p in store.procurement(c)] == [c]
    t = save(store, tender()).notice_id
    assert [p["id"] for p in store.procurement(c)] == [t, c]


def test_a_case_flags_are_the_union_over_its_procurement(store):
    ids = {s.key: save(store, s).notice_id for s in (tender(), correction(), award())}
    detail = store.notice_detail(ids["tender"])
    assert detail["flags"] == ["controlled_chip", "intermediary", "offshore"]
    assert sorted(detail["inherited_flags"]) == ["intermediary", "offshore"]
    assert [p["id"] for p in detail["procurement"]] == [ids["tender"], ids["correction"], ids["award"]]
    hit = store.search(SearchQuery(text="招标公告")).hits[0]
    assert hit.flags == ["controlled_chip", "intermediary", "offshore"]
    # filtering on a flag found only on the award finds the tender too
    found = {h.id for h in store.search(SearchQuery(flag="offshore", cases_only=True)).hits}
    assert found == {ids["tender"], ids["award"]}


def test_flags_are_recomputed_when_a_notice_leaves_the_procurement(store):
    t = save(store, tender()).notice_id
    save(store, award())
    assert "offshore" in store.notice_detail(t)["flags"]
    moved = award()
    moved.project_code = "HZZB-2024-9999"
    moved.body += "（项目编号更正为HZZB-2024-9999）"
    save(store, moved)
    assert store.notice_detail(t)["flags"] == ["controlled_chip"]


def test_no_code_no_link(store):
    spec = tender()
    spec.project_code = None
    n = save(store, spec).notice_id
    assert store.notice_detail(n)["procurement_key"] is None
    assert [p["id"] for p in store.procurement(n)] == [n]
