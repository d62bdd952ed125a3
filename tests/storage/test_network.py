"""The case network: per procurement, buyer → vendor → provider/chip (buyer → provider/chip when no vendor is
named yet), organisations resolved, edges weighted by procurements, notices and value; a vendor serving
several buyers is a reseller."""

from __future__ import annotations

import pytest

from extract.types import Amount
from storage.network import network
from storage.store import Store
from storage_helpers import Spec, save


@pytest.fixture
def store(database_url, tmp_path):
    s = Store.open(database_url, blob_dir=tmp_path / "raw")
    yield s
    s.close()


def case(key, buyer, *, vendors=(), code=None, kind="cloud", providers=("aws",), chips=(), amounts=(), ntype="award"):
    return Spec(key=key, title=f"{buyer}云服务项目", body=f"采购人：{buyer}。租用云服务器。", buyer=buyer, vendors=list(vendors),
                project_code=code, notice_type=ntype, remote_compute=True, compute_kinds=[kind],
                providers=list(providers), chips=list(chips), amounts=list(amounts))


RESELLER = "云桥数据科技有限公司"


def _corpus(store):
    # P1: a tender and its award (one procurement, two notices), through the reseller, AWS.
    save(store, case("p1t", "北方理工大学", code="BIT-1", ntype="tender", amounts=[Amount("budget", 1_000_000.0, "100万元")]))
    save(store, case("p1a", "北方理工大学", code="BIT-1", vendors=[RESELLER], amounts=[Amount("award", 900_000.0, "90万元")]))
    # P2: another buyer of the same reseller, Azure.
    save(store, case("p2", "南方医学研究院", vendors=[RESELLER], providers=["azure"], kind="model_api",
                     amounts=[Amount("award", 500_000.0, "50万元")]))
    # P3: a tender without a vendor: the buyer links to what it seeks directly.
    save(store, case("p3", "东海大学", ntype="tender", kind="gpu_rental", providers=["autodl"], chips=["nvidia-a100"]))
    # P4: the first buyer again, the reseller written with its phone number: the same organisation.
    save(store, case("p4", "北方理工大学", code="BIT-2", vendors=[f"{RESELLER} 010-82345678"], amounts=[Amount("award", 100_000.0, "10万元")]))
    # Not a case: no edge.
    save(store, Spec(key="x", title="办公家具", body="采购人：西部大学。办公家具。", buyer="西部大学", vendors=[RESELLER]))


def _by_label(graph):
    nodes = {n["id"]: n for n in graph["nodes"]}

    def name(nid):
        n = nodes[nid]
        return n["name"] or n["value"]

    return {name(n["id"]): n for n in graph["nodes"]}, {(name(e["source"]), name(e["target"])): e for e in graph["edges"]}


def test_the_whole_network_links_buyers_resellers_and_providers_weighted(store):
    _corpus(store)
    with store.engine.connect() as conn:
        graph = network(conn)
    nodes, edges = _by_label(graph)
    assert graph["procurements"] == 4 and graph["notices"] == 5
    assert set(nodes) == {"北方理工大学", "南方医学研究院", "东海大学", RESELLER, "aws", "azure", "autodl", "nvidia-a100"}
    assert [nodes[n]["type"] for n in ("北方理工大学", RESELLER, "aws", "nvidia-a100")] == ["buyer", "vendor", "provider", "chip"]
    # Two procurements (BIT-1 of two notices, BIT-2 under the alias), valued at their awards.
    e = edges[("北方理工大学", RESELLER)]
    assert (e["procurements"], e["notices"], e["value_cny"]) == (2, 3, 1_000_000.0)
    assert edges[(RESELLER, "aws")]["procurements"] == 2
    assert (edges[("南方医学研究院", RESELLER)]["value_cny"], edges[(RESELLER, "azure")]["notices"]) == (500_000.0, 1)
    # No vendor named: the buyer links to the provider and chip itself.
    assert {k for k in edges if k[0] == "东海大学"} == {("东海大学", "autodl"), ("东海大学", "nvidia-a100")}
    assert ("北方理工大学", "aws") not in edges  # BIT-1's tender is folded into its award's procurement
    r = nodes[RESELLER]
    assert (r["reseller"], r["buyers_served"], r["procurements"]) == (True, 2, 3)
    assert "西部大学" not in nodes
    assert sum(1 for n in graph["nodes"] if n["reseller"]) == 1


def test_an_organisations_network_is_the_procurements_it_took_part_in(store):
    _corpus(store)
    with store.engine.connect() as conn:
        buyer = network(conn, org_id=_org(conn, "南方医学研究院"))
        reseller = network(conn, org_id=_org(conn, f"{RESELLER} 010-82345678"))  # an alias: its organisation's
        assert network(conn, org_id=999_999) is None
    nodes, edges = _by_label(buyer)
    assert set(nodes) == {"南方医学研究院", RESELLER, "azure"} and nodes["南方医学研究院"]["focus"]
    # The reseller's own numbers here count only what this network holds: one buyer in it.
    assert nodes[RESELLER]["buyers_served"] == 1
    nodes, _ = _by_label(reseller)
    assert nodes[RESELLER]["focus"] and {"北方理工大学", "南方医学研究院"} <= set(nodes) and "东海大学" not in nodes


def _org(conn, name):
    import sqlalchemy as sa

    return conn.execute(sa.text("SELECT id FROM organisation WHERE name = :n"), {"n": name}).scalar_one()
