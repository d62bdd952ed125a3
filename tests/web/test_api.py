"""The JSON API, exports, feed and safety of the search site, against the real app served over HTTP on a
database filled through the real Store. Search semantics run on SQLite and PostgreSQL (`site_any`)."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
import web_corpus as corpus
from lxml import etree

ATOM = "{http://www.w3.org/2005/Atom}"
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def ids_of(site, response) -> set[str]:
    assert response.status_code == 200, response.text
    back = {v: k for k, v in site.ids.items()}
    return {back[r["id"]] for r in response.json()["results"]}


def search(site, **params):
    return site.get("/api/search", params=params)


def texts_containing(needle: str) -> set[str]:
    return {s.key for s in corpus.SPECS if needle in s.text or needle in s.title or (s.attachment and needle in s.attachment[1])}


# ---------------------------------------------------------------- search semantics (both backends)

def test_chinese_terms_match_exactly_on_both_backends(site_any):
    assert ids_of(site_any, search(site_any, q="亚马逊", cases="0")) == {"aws_tender", "aws_award"}
    assert ids_of(site_any, search(site_any, q="阿里云", cases="0")) == {"aliyun", "xss"}
    # One character works and finds every notice containing it — 云南 included, as the reader asked for 云.
    assert ids_of(site_any, search(site_any, q="云", cases="0")) == texts_containing("云")
    # Latin-digit tokens match as written: A10 is not A100.
    assert ids_of(site_any, search(site_any, q="A100", cases="0")) == {"aws_tender", "aws_award", "hardware", "lookalike"}
    assert ids_of(site_any, search(site_any, q="A10", cases="0")) == set()


def test_phrases_or_and_exclusion(site_any):
    assert ids_of(site_any, search(site_any, q='"Azure OpenAI"')) == {"azure"}
    assert ids_of(site_any, search(site_any, q="亚马逊 OR 阿里云")) == {"aws_tender", "aws_award", "aliyun", "xss"}
    assert ids_of(site_any, search(site_any, q="阿里云 -ECS")) == set()
    assert ids_of(site_any, search(site_any, q="A100 -服务器", cases="0")) == {"aws_tender", "aws_award", "lookalike"}


def test_cases_only_is_the_default(site_any):
    default = search(site_any).json()
    assert default["total"] == len(corpus.CASE_KEYS)
    assert all(r["remote_compute"] for r in default["results"])
    assert search(site_any, cases="0").json()["total"] == len(corpus.SPECS)


def test_each_result_carries_the_documented_fields(site_any):
    body = search(site_any, q="亚马逊").json()
    assert {"total", "results", "facets"} <= body.keys()
    award = next(r for r in body["results"] if r["id"] == site_any.ids["aws_award"])
    assert {"id", "title", "url", "published_at", "notice_type", "buyer", "vendors", "cloud_providers", "gpu_models",
            "snippet"} <= award.keys()
    assert award["buyer"] == "北方理工大学"
    assert award["vendors"] == ["云桥数据科技有限公司"]
    assert award["cloud_providers"] == ["aws"] and award["gpu_models"] == ["nvidia-a100"]
    assert award["published_at"].startswith("2024-04-10")
    assert "亚马逊" in award["snippet"] and "<mark>亚马逊</mark>" in award["snippet_html"]


def test_facets_count_the_whole_result_set(site_any):
    facets = search(site_any, size="1").json()["facets"]  # one result on the page, counts over all cases
    provider = {f["value"]: f["count"] for f in facets["provider"]}
    assert provider == {"aws": 2, "alibaba-cloud": 2, "azure": 1}
    kinds = {f["value"]: f["count"] for f in facets["kind"]}
    assert kinds == {"cloud": 4, "model_api": 1, "gpu_rental": 1, "hpc": 1}
    # Flags are the union over a procurement: the tender inherits the award's intermediary flag.
    flags = {f["value"]: f["count"] for f in facets["flag"]}
    assert flags["intermediary"] == 3 and flags["us_provider"] == 3
    vendors = {f["label"]: f["count"] for f in facets["vendor"]}
    assert vendors == {"云桥数据科技有限公司": 2}
    assert {f["value"]: f["count"] for f in facets["year"]} == {"2025": 1, "2024": 4, "2023": 2}


def test_filters_combine(site_any):
    assert ids_of(site_any, search(site_any, provider="aws", type="award")) == {"aws_award"}
    assert ids_of(site_any, search(site_any, flag="intermediary")) == {"aws_tender", "aws_award", "azure"}
    assert ids_of(site_any, search(site_any, provider=["aws", "alibaba-cloud"])) == set()  # all chosen values
    assert ids_of(site_any, search(site_any, vendor="云桥数据科技有限公司")) == {"aws_award", "azure"}
    buyer_id = next(f["value"] for f in search(site_any).json()["facets"]["buyer"] if f["label"] == "北方理工大学")
    assert ids_of(site_any, search(site_any, buyer=buyer_id, cases="0")) == {"aws_tender", "aws_award", "hardware"}
    assert ids_of(site_any, search(site_any, since="2024-01-01", until="2024-06-30")) == {"aws_tender", "aws_award"}
    assert ids_of(site_any, search(site_any, year="2023")) == {"hpc", "aliyun"}
    assert ids_of(site_any, search(site_any, amount_min="100万")) == {"aws_tender", "aws_award", "gpu_rental"}
    assert ids_of(site_any, search(site_any, amount_min="40万", amount_max="1000000")) == {"azure", "hpc"}
    assert ids_of(site_any, search(site_any, q="云", region="北京", cases="0")) == {"aws_tender", "aws_award"}


def test_sort_by_date_and_pagination(site_any):
    everything = search(site_any, sort="date", cases="0", size="100").json()["results"]
    dates = [r["published_at"] for r in everything]
    assert dates == sorted(dates, reverse=True)
    page2 = search(site_any, sort="date", cases="0", size="3", page="2").json()
    assert [r["id"] for r in page2["results"]] == [r["id"] for r in everything[3:6]]
    assert page2["total"] == len(corpus.SPECS)
    assert page2["links"]["next"] and "page=3" in page2["links"]["next"]


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("params, fragment", [
    ({"q": '"阿里云'}, "quote"),
    ({"q": "OR 阿里云"}, "OR"),
    ({"q": "-阿里云"}, "exclude"),
    ({"q": "云" * 201}, "too long"),
    ({"since": "2024-13-45"}, "date"),
    ({"sort": "random"}, "sort"),
    ({"amount_min": "lots"}, "amount"),
    ({"since": "2025-01-01", "until": "2024-01-01"}, "since"),
    ({"format": "xlsx"}, "format"),
    ({"page": "0"}, "page"),
])
def test_bad_requests_answer_400_with_a_json_error(site, params, fragment):
    r = search(site, **params)
    assert r.status_code == 400
    body = r.json()
    assert set(body) == {"error"}
    assert fragment.lower() in body["error"].lower()


def test_bad_query_on_the_page_is_a_readable_400(site):
    r = site.get("/search", params={"q": '"unclosed'})
    assert r.status_code == 400
    assert "text/html" in r.headers["content-type"]
    assert "could not run" in r.text and "quote" in r.text
    assert 'value="&#34;unclosed"' in r.text or 'value="&quot;unclosed"' in r.text  # the box keeps the query


def test_bad_query_in_an_export_is_a_400_not_a_broken_download(site):
    r = search(site, q="a OR", format="csv")
    assert r.status_code == 400 and "error" in r.json()


def test_missing_things_are_404(site):
    assert site.get("/api/notices/999999").status_code == 404
    assert site.get("/api/notices/999999").json()["error"]
    assert site.get("/api/orgs/999999").status_code == 404
    assert site.get("/notices/999999").status_code == 404
    assert "no notice" in site.get("/notices/999999").text
    assert site.get("/api/notices/abc").status_code == 404


# ---------------------------------------------------------------- hostile content

def test_a_notice_with_script_and_onerror_renders_as_text(site):
    nid = site.ids["xss"]
    for path in (f"/notices/{nid}", "/search?q=云服务器租用", "/search", f"/orgs/{search(site).json()['results'][0]['buyer_id']}"):
        html = site.get(path).text
        assert "<script>alert" not in html and "<script>document" not in html, path
        assert "<img src=x" not in html and "<b>测试学院</b>" not in html and "<b>省</b>" not in html, path
    page = site.get(f"/notices/{nid}").text
    assert "&lt;script&gt;alert(" in page and "onerror=" in page  # shown, as text
    # The only scripts are our own file.
    assert re.findall(r"<script[^>]*>", page) == ['<script src="/static/app.js?v=' + page.split('/static/app.js?v=')[1].split('"')[0] + '" defer>']


def test_security_headers(site):
    r = site.get("/search")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"


def test_raw_copy_is_never_served_as_html(site):
    nid = site.ids["xss"]
    r = site.get(f"/notices/{nid}/raw")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/octet-stream"
    assert r.headers["content-disposition"].startswith("attachment;")
    assert "sandbox" in r.headers["content-security-policy"]
    assert r.content == corpus.XSS_RAW
    as_text = site.get(f"/notices/{nid}/raw", params={"text": "1"})
    assert as_text.headers["content-type"].startswith("text/plain")
    assert "<script>alert('raw')</script>" in as_text.text


def test_the_web_layer_cannot_write(site):
    import sqlalchemy as sa

    from storage.db import make_engine

    engine = make_engine(site.database_url, read_only=True)  # the engine web.app opens
    with pytest.raises(sa.exc.OperationalError, match="readonly|read-only|read only"):
        with engine.begin() as c:
            c.execute(sa.text("UPDATE notice SET title = 'x'"))
    engine.dispose()


# ---------------------------------------------------------------- exports

def test_csv_export_opens_in_a_spreadsheet(site):
    r = search(site, format="csv", cases="0")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"] and ".csv" in r.headers["content-disposition"]
    assert r.content.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel reads the Chinese correctly
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    header, data = rows[0], rows[1:]
    assert header[:3] == ["id", "permalink", "title"] and "cloud_providers" in header and "evidence" in header
    assert len(data) == len(corpus.SPECS)
    by_id = {int(row[0]): dict(zip(header, row)) for row in data}
    award = by_id[site.ids["aws_award"]]
    assert award["vendors"] == "云桥数据科技有限公司" and award["cloud_providers"] == "aws"
    assert award["evidence"] and "亚马逊云科技" in award["evidence"]


def test_exports_stream_every_page_of_the_result_set(site, monkeypatch):
    import web.search

    monkeypatch.setattr(web.search, "EXPORT_BATCH", 2)  # the whole set takes several storage pages
    total = search(site, cases="0").json()["total"]
    lines = search(site, format="jsonl", cases="0", sort="date").text.splitlines()
    assert len(lines) == total
    rows = [json.loads(line) for line in lines]
    assert len({r["id"] for r in rows}) == total
    assert [r["published_at"] for r in rows] == sorted((r["published_at"] for r in rows), reverse=True)
    doc = search(site, format="json", cases="0").json()
    assert doc["total"] == total and len(doc["results"]) == total
    csv_rows = search(site, format="csv", cases="0").content.decode("utf-8-sig").splitlines()
    assert len(csv_rows) == total + 1


def test_export_of_a_filtered_search_matches_the_search(site):
    api = {r["id"] for r in search(site, q="亚马逊 OR Azure", size="100").json()["results"]}
    exported = {json.loads(line)["id"] for line in search(site, q="亚马逊 OR Azure", format="jsonl").text.splitlines()}
    assert exported == api


# ---------------------------------------------------------------- feed

def parse_feed(response):
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    return etree.fromstring(response.content)


def test_feed_is_valid_atom_newest_first(site):
    feed = parse_feed(site.get("/feeds/search.atom", params={"q": "云"}))
    assert feed.tag == f"{ATOM}feed"
    # RFC 4287 §4.1.1: exactly one id, title, updated; an author for the feed; a self link.
    for name in ("id", "title", "updated"):
        assert len(feed.findall(f"{ATOM}{name}")) == 1, name
    assert RFC3339.match(feed.findtext(f"{ATOM}updated"))
    assert feed.find(f"{ATOM}author/{ATOM}name").text
    self_link = feed.find(f"{ATOM}link[@rel='self']")
    assert self_link is not None and "/feeds/search.atom?q=" in self_link.get("href")
    entries = feed.findall(f"{ATOM}entry")
    expected = texts_containing("云") & set(corpus.CASE_KEYS)
    assert len(entries) == len(expected)
    published = []
    for e in entries:
        for name in ("id", "title", "updated"):
            assert len(e.findall(f"{ATOM}{name}")) == 1, name
        assert e.findtext(f"{ATOM}id").startswith("tag:")
        assert RFC3339.match(e.findtext(f"{ATOM}updated"))
        assert e.find(f"{ATOM}link[@rel='alternate']").get("href").startswith(site.url + "/notices/")
        assert e.find(f"{ATOM}summary").get("type") == "text"
        published.append(e.findtext(f"{ATOM}published"))
    assert published == sorted(published, reverse=True)


def test_feed_entry_ids_are_stable_and_per_notice(site):
    first = parse_feed(site.get("/feeds/search.atom", params={"provider": "aws"}))
    again = parse_feed(site.get("/feeds/search.atom", params={"provider": "aws"}))
    ids = [e.findtext(f"{ATOM}id") for e in first.findall(f"{ATOM}entry")]
    assert ids == [e.findtext(f"{ATOM}id") for e in again.findall(f"{ATOM}entry")]
    assert sorted(ids) == sorted(f"tag:tenderwatch.local,2026:notice:{site.ids[k]}" for k in ("aws_tender", "aws_award"))
    assert first.findtext(f"{ATOM}id") == again.findtext(f"{ATOM}id")


def test_feed_of_hostile_notice_is_still_well_formed(site):
    feed = parse_feed(site.get("/feeds/search.atom", params={"q": "云服务器租用"}))
    titles = [e.findtext(f"{ATOM}title") for e in feed.findall(f"{ATOM}entry")]
    assert corpus.XSS_TITLE in titles  # as text, not markup


def test_feed_bad_query_is_400(site):
    r = site.get("/feeds/search.atom", params={"q": '"x'})
    assert r.status_code == 400 and "error" in r.json()


# ---------------------------------------------------------------- notices and organisations

def test_notice_api_has_fields_evidence_timeline_and_attachments(site):
    n = site.get(f"/api/notices/{site.ids['aws_tender']}").json()
    assert n["buyer"]["name"] == "北方理工大学"
    assert n["remote_compute"] is True and n["cloud_providers"] == ["aws"]
    assert [t["id"] for t in n["timeline"]] == [site.ids["aws_tender"], site.ids["aws_award"]]
    ev = next(e for e in n["evidence"] if e["field"] == "cloud_providers:aws")
    assert n["text"][ev["start"]:ev["end"]] == ev["text"]
    assert n["attachments"][0]["name"] == "采购需求书.pdf" and "卡时" in n["attachments"][0]["text"]
    assert n["raw"].endswith(f"/notices/{site.ids['aws_tender']}/raw")


def test_the_site_and_the_cli_show_a_notice_from_one_read_model(site):
    """`tenderwatch show --json` (Store.notice_detail) and /api/notices read the same notice the same way."""
    from storage.store import Store

    with Store.open(site.database_url, create=False) as store:
        for key in ("aws_tender", "aws_award", "candidate"):
            cli = store.notice_detail(site.ids[key])
            api = site.get(f"/api/notices/{site.ids[key]}").json()
            assert (api["buyer"] or {}).get("id") == (cli["buyer"] or {}).get("id")
            assert [v["id"] for v in api["vendors"]] == [v["id"] for v in cli["vendors"]]
            assert [(a["kind"], a["value_cny"]) for a in api["amounts"]] == [(a["kind"], a["value_cny"]) for a in cli["amounts"]]
            for field in ("compute_kinds", "cloud_providers", "gpu_models", "flags", "evidence", "candidate_reasons"):
                assert api[field] == cli[field], field
            assert [a["id"] for a in api["attachments"]] == [a["id"] for a in cli["attachments"]]
            assert api["published_at"].startswith(cli["published_at"])
            timeline = [t["id"] for t in api["timeline"]]
            assert timeline == ([p["id"] for p in cli["procurement"]] if cli["procurement_key"] else [])


def test_notice_page_highlights_each_evidence_in_the_text(site):
    html = site.get(f"/notices/{site.ids['aws_tender']}").text
    marks = re.findall(r'<mark class="ev" id="(ev-\d+)"[^>]*>([^<]*)</mark>', html)
    assert ("ev-2", "亚马逊云科技（AWS）") in marks or any(text.startswith("亚马逊云科技") for _, text in marks)
    for anchor, _ in marks:  # every mark with an id is linked from the field list
        assert f'href="#{anchor}"' in html
    assert 'id="att' in html and "按卡时计费" in html  # evidence found in the attachment is marked there
    assert "This procurement" in html and f'href="/notices/{site.ids["aws_award"]}"' in html


def test_notice_page_marks_the_readers_search_terms(site):
    html = site.get(f"/notices/{site.ids['aws_tender']}", params={"q": "p4d.24xlarge"}).text
    assert '<mark class="q">p4d.24xlarge</mark>' in html


def test_intermediary_serving_several_buyers_is_visible_on_its_page(site):
    vendor = search(site, vendor="云桥").json()["results"][0]["vendor_ids"][0]
    org = site.get(f"/api/orgs/{vendor}").json()
    assert org["name"] == "云桥数据科技有限公司"
    buyers = {c["name"] for c in org["counterparties"] if c["role"] == "buyer"}
    assert buyers == {"北方理工大学", "南方医学研究院"}
    assert org["total_cases"] == 2
    assert {y: (v["notices"], v["cases"]) for y, v in org["by_year"].items()} == {"2024": (1, 1), "2025": (1, 1)}
    html = site.get(f"/orgs/{vendor}").text
    assert "北方理工大学" in html and "南方医学研究院" in html and "Parties it dealt with" in html


def test_openapi_documents_the_routes(site):
    spec = site.get("/openapi.json").json()
    for path in ("/api/search", "/api/notices/{notice_id}", "/api/orgs/{org_id}", "/feeds/search.atom"):
        assert path in spec["paths"], path
    docs = site.get("/docs")
    assert docs.status_code == 200
    assert "cdn" not in docs.text.lower()  # no network at run time: Swagger UI comes from local files
    assert site.get("/docs-assets/swagger-ui-bundle.js").status_code == 200


def test_permalinks_are_canonical(site):
    html = site.get("/search", params=[("provider", "aws"), ("q", "云"), ("page", "1")]).text
    assert 'href="/search?q=%E4%BA%91&amp;provider=aws" class="permalink"' in html


def test_broad_searches_say_they_ranked_and_counted_facets_over_the_newest_matches(site, monkeypatch):
    import storage.search.engine as engine

    # Pretend the corpus is huge: every search has more matches than it ranks or counts facets over.
    monkeypatch.setattr(engine, "CANDIDATES", 1)
    monkeypatch.setattr(engine, "FACET_LIMIT", 1)
    body = search(site, q="云", cases="0").json()
    assert body["sort"] == "relevance" and body["facets_complete"] is False
    assert body["ranked_of"] == 1 and body["facets_source"] == "newest"
    assert body["scope_note"].startswith("Ranked the newest 1 of")
    html = site.get("/search", params={"q": "云", "cases": "0"}).text
    assert "Ranked the newest 1 of" in html and "Facets count those." in html


