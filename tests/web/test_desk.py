"""The journalist's desk on the site: the overview (/stats), the organisations directory (/orgs), organisation
pages with their names and money, and the case network as SVG, JSON, GraphML and CSV — over HTTP against
the real app, on SQLite and PostgreSQL where the brief asks."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import xml.etree.ElementTree as ET

import pytest

from storage.store import Store

GRAPHML = "{http://graphml.graphdrawing.org/xmlns}"
RESELLER = "云桥数据科技有限公司"  # the web corpus's vendor of 北方理工大学 (AWS) and 南方医学研究院 (Azure)


def org_id(site, name: str) -> int:
    items = site.get("/api/orgs", params={"q": name}).json()["items"]
    return next(o["id"] for o in items if o["name"] == name)


# ---------------------------------------------------------------------- /api/stats, both backends
def test_api_stats_counts_cases_by_month_and_names_the_reseller(site_any):
    data = site_any.get("/api/stats").json()
    assert data["cases"] == 7  # aws tender + award, azure, gpu rental, hpc, aliyun, the hostile one
    assert sum(m["cases"] for m in data["cases_by_month"]) + data["undated_cases"] == data["cases"]
    months = [m["month"] for m in data["cases_by_month"]]
    assert months == sorted(months) and months[0] == "2023-06" and len(months) == len(set(months))
    assert {"month": "2024-03", "cases": 1, "kinds": {"cloud": 1}} in data["cases_by_month"]
    assert data["providers"][:2] == [{"value": "alibaba-cloud", "cases": 2}, {"value": "aws", "cases": 2}]
    top = data["intermediaries"][0]
    assert (top["name"], top["buyers_served"], top["reseller"]) == (RESELLER, 2, True)
    assert [b["name"] for b in data["buyers"]][0] == "北方理工大学"
    assert data["data_as_of"][0]["source"] == "ccgp" and data["data_as_of"][0]["by"] == "stored"


def test_api_org_network_weights_edges_by_procurements_notices_and_money(site_any):
    reseller = org_id(site_any, RESELLER)
    graph = site_any.get(f"/api/orgs/{reseller}/network").json()
    nodes = {n["id"]: n for n in graph["nodes"]}
    assert graph["focus"] == f"org:{reseller}" and nodes[f"org:{reseller}"]["focus"]
    assert nodes[f"org:{reseller}"]["reseller"] and nodes[f"org:{reseller}"]["buyers_served"] == 2
    labels = {n["label"] for n in graph["nodes"]}
    assert {"北方理工大学", "南方医学研究院", RESELLER} <= labels
    edges = {(nodes[e["source"]]["label"], nodes[e["target"]]["label"]): e for e in graph["edges"]}
    aws = next(n["label"] for n in graph["nodes"] if n["value"] == "aws")
    # The AWS tender and its award are one procurement of two notices; its value is the award, not the budget.
    e = edges[("北方理工大学", RESELLER)]
    assert (e["procurements"], e["notices"], e["value_cny"]) == (1, 2, 1_765_000.0)
    assert edges[(RESELLER, aws)]["value_cny"] == 1_765_000.0
    assert edges[("南方医学研究院", RESELLER)]["value_cny"] == 480_000.0
    assert all(n["url"].startswith(site_any.url) for n in graph["nodes"])
    assert site_any.get("/api/orgs/999999/network").status_code == 404


# ---------------------------------------------------------------------- pages
def test_overview_page_draws_the_chart_and_lists_what_recurs(site):
    html = site.get("/stats").text
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in html and "Cases by month and compute kind" in html
    assert html.count('class="month-chart"') == 1
    assert RESELLER in html and "AWS" in html
    assert 'href="/stats"' in html and 'href="/orgs"' in html and 'href="/network"' in html  # the nav


def test_every_page_footer_says_how_fresh_the_data_is(site):
    for path in ("/search", "/stats", "/orgs", f"/notices/{site.ids['aws_award']}", "/help", "/nowhere"):
        footer = re.search(r"<footer.*?</footer>", site.get(path).text, re.S).group(0)
        assert re.search(r"as of\s+<span class=\"as-of\">ccgp <time datetime=\"\d{4}-\d\d-\d\dT", footer), path


def test_the_directory_searches_filters_sorts_and_pages(site):
    all_ = site.get("/api/orgs").json()
    assert all_["total"] == len({o["id"] for o in all_["items"]}) >= 9
    vendors = site.get("/api/orgs", params={"role": "vendor"}).json()["items"]
    assert [v["name"] for v in vendors] == [RESELLER] and vendors[0]["cases"] == 2
    by_money = site.get("/api/orgs", params={"sort": "money"}).json()["items"]
    values = [o["value_cny"] or 0 for o in by_money]
    assert values == sorted(values, reverse=True)
    assert [o["name"] for o in site.get("/api/orgs", params={"q": "大学"}).json()["items"]] == [
        "北方理工大学", "东海大学", "江南大学"]
    page2 = site.get("/api/orgs", params={"size": 2, "page": 2}).json()
    assert page2["page"] == 2 and len(page2["items"]) == 2
    assert site.get("/api/orgs", params={"role": "owner"}).status_code == 400
    html = site.get("/orgs", params={"size": 2}).text
    assert 'rel="next" href="/orgs?size=2&amp;page=2"' in html
    assert site.get("/orgs", params={"sort": "height"}).status_code == 400


def test_organisation_page_shows_money_and_its_network(site):
    buyer = org_id(site, "北方理工大学")
    data = site.get(f"/api/orgs/{buyer}").json()
    # Two procurements: the AWS one (budget 180万 on the tender, award 176.5万) and the hardware purchase (900万).
    assert (data["budget_cny"], data["award_cny"], data["value_cny"]) == (10_800_000, 1_765_000, 10_765_000)
    assert data["by_year"]["2024"]["budget_cny"] == 10_800_000
    assert data["network"]["nodes"] == 4  # itself, the reseller, AWS and the A100 its notices name
    html = site.get(f"/orgs/{buyer}").text
    assert 'class="network"' in html and f'href="/orgs/{org_id(site, RESELLER)}"' in html
    assert "1,080.00万元" in html  # the budgets, as a reader of Chinese notices counts


def test_network_downloads_read_in_networkx_and_as_csv(site):
    networkx = pytest.importorskip("networkx")
    body = site.get("/network.graphml")
    assert body.headers["content-type"].startswith("application/graphml+xml")
    g = networkx.read_graphml(io.BytesIO(body.content))
    api = site.get("/api/network").json()
    assert g.number_of_nodes() == len(api["nodes"]) and g.number_of_edges() == len(api["edges"])
    reseller = f"org:{org_id(site, RESELLER)}"
    assert g.nodes[reseller]["label"] == RESELLER and g.nodes[reseller]["reseller"] is True
    assert g.in_degree(reseller) == 2
    assert all(isinstance(d["weight"], float) and d["procurements"] >= 1 for _, _, d in g.edges(data=True))

    rows = list(csv.DictReader(io.StringIO(site.get("/network.csv").content.decode("utf-8-sig"))))
    assert len(rows) == len(api["edges"])
    assert {(r["source_label"], r["target_label"]) for r in rows} >= {("北方理工大学", RESELLER), ("南方医学研究院", RESELLER)}


def test_graphml_is_valid_without_networkx(site):
    root = ET.fromstring(site.get("/network.graphml").content)
    keys = {k.get("id"): k for k in root.findall(f"{GRAPHML}key")}
    graph = root.find(f"{GRAPHML}graph")
    assert graph.get("edgedefault") == "directed"
    node_ids = {n.get("id") for n in graph.findall(f"{GRAPHML}node")}
    for e in graph.findall(f"{GRAPHML}edge"):
        assert e.get("source") in node_ids and e.get("target") in node_ids
        assert all(d.get("key") in keys for d in e.findall(f"{GRAPHML}data"))


# ---------------------------------------------------------------------- names resolved, and hostile names
def _save(database_url: str, blob_dir, key: str, buyer: str, vendors: list[str] | None = None):
    from extract.types import ComputeFindings, DocumentText, NoticeExtraction, NoticeFields
    from storage.processing import RawNotice

    text = f"采购人：{buyer}。租用云服务器，使用亚马逊云科技服务。"
    with Store.open(database_url, blob_dir=blob_dir) as store:
        store.save_notice(
            RawNotice(source="ccgp", url=f"http://www.ccgp.gov.cn/cggg/t_{key}.htm", data=text.encode(), name=f"{key}.htm",
                      content_type="text/html; charset=utf-8"),
            DocumentText(text=text, kind="html", title=f"{key} 云服务", encoding="utf-8"), [],
            NoticeExtraction(
                fields=NoticeFields(notice_type="award", title=f"{key} 云服务", buyer=buyer, vendors=vendors or [],
                                    published_at=dt.date(2025, 6, 1)),
                compute=ComputeFindings(remote_compute=True, compute_kinds=["cloud"], cloud_providers=["aws"]),
                extractor_version="webtest-1"))


def test_an_alias_address_leads_to_its_organisation_which_lists_the_alias(own_site, tmp_path):
    _save(own_site.database_url, tmp_path / "raw", "alias", "北方理工大学 010-68912345")
    canonical = org_id(own_site, "北方理工大学")
    alias = next(o for o in own_site.get("/api/orgs", params={"q": "68912345"}).json()["items"])
    assert alias["id"] == canonical and alias["aliases"] == 1  # the directory shows it once, found by the alias
    data = own_site.get(f"/api/orgs/{canonical}").json()
    (entry,) = data["aliases"]
    assert entry["name"] == "北方理工大学 010-68912345" and entry["rule"] == "phone" and "010-68912345" in entry["detail"]
    r = own_site.get(f"/orgs/{entry['id']}", follow_redirects=False)
    assert r.status_code == 307 and r.headers["location"] == f"/orgs/{canonical}"
    assert own_site.get(f"/api/orgs/{entry['id']}").json()["id"] == canonical
    html = own_site.get(f"/orgs/{canonical}").text
    assert "北方理工大学 010-68912345" in html and f"buyer={entry['id']}" in html  # its notices in the search link


def test_hostile_organisation_names_are_escaped_in_the_svg_and_the_files(own_site, tmp_path):
    hostile = '<script>alert(1)</script>大学"><img src=x onerror=alert(2)>'
    _save(own_site.database_url, tmp_path / "raw", "xss-net", hostile, vendors=["=HYPERLINK(\"http://x\")科技有限公司"])
    for path in ("/network", "/stats", "/orgs", f"/orgs/{org_id(own_site, hostile)}"):
        html = own_site.get(path).text
        assert "<script>alert(1)" not in html and "<img src=x" not in html, path
        assert "&lt;script&gt;alert(1)" in html, path
    assert "<script>" not in own_site.get("/network.svg").text
    ET.fromstring(own_site.get("/network.svg").content)  # well-formed
    rows = list(csv.reader(io.StringIO(own_site.get("/network.csv").content.decode("utf-8-sig"))))
    assert any(cell.startswith("'=HYPERLINK") for row in rows for cell in row)
    assert not any(cell.startswith("=") for row in rows for cell in row)
