"""Possible cases on the site and in the API (issue 12 item 2): a switch and a facet, shown apart from cases
(never in the case list), each with the reasons it fell short — in the list, the API and on its page."""

from __future__ import annotations

import html
import re

from web_corpus import SPECS

from storage.search.vocab import candidate_reason_text

CANDIDATE = next(s for s in SPECS if s.candidate_reasons)
TEXTS = [candidate_reason_text(code) for code in CANDIDATE.candidate_reasons]


def test_the_api_lists_possible_cases_apart_with_their_reasons_and_counts_them(site):
    cases = site.get("/api/search").json()
    assert site.ids["candidate"] not in {h["id"] for h in cases["results"]}  # never mixed into cases
    assert cases["candidates"] == 1
    assert cases["facets"]["candidate"] == [{"value": "1", "label": "Possible cases", "count": 1}]
    only = site.get("/api/search", params={"candidates": "1"}).json()
    assert [h["id"] for h in only["results"]] == [site.ids["candidate"]]
    hit = only["results"][0]
    assert hit["compute_candidate"] is True and hit["remote_compute"] is False
    assert hit["candidate_reasons"] == CANDIDATE.candidate_reasons and hit["candidate_score"] == 0.62
    assert hit["candidate_reason_texts"] == TEXTS and TEXTS[0].startswith("Names a compute service")
    assert "接口调用" in hit["evidence"]
    # The count follows the text and filters, whatever the cases switch says.
    assert site.get("/api/search", params={"q": "阿里云"}).json()["candidates"] == 0
    assert site.get("/api/search", params={"q": "接口调用", "cases": "0"}).json()["candidates"] == 1


def test_the_search_page_has_a_possible_cases_switch_and_facet_and_shows_the_reasons(site):
    page = site.get("/search").text
    assert 'name="candidates"' in page and 'data-facet="candidate"' in page
    assert CANDIDATE.title not in page  # the case list
    shown = site.get("/search", params={"candidates": "1"}).text
    assert CANDIDATE.title in shown and "possible case" in shown
    assert 'class="hit is-candidate"' in shown and "is-case" not in shown
    assert all(html.escape(t) in shown for t in TEXTS)  # what each reason means, as escaped text


def test_the_notice_page_and_api_give_the_reasons_it_fell_short(site):
    nid = site.ids["candidate"]
    page = site.get(f"/notices/{nid}").text
    assert re.search(r'class="verdict candidate"', page)
    assert "<dt>Possible case</dt>" in page and all(html.escape(t) in page for t in TEXTS)
    assert 'data-fields="candidate:service_not_acquired"' in page  # its evidence, marked in the text
    data = site.get(f"/api/notices/{nid}").json()
    assert data["compute_candidate"] is True and data["candidate_reasons"] == CANDIDATE.candidate_reasons
    assert data["candidate_reason_texts"] == TEXTS


def test_exports_mark_possible_cases(site):
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(site.get("/api/search", params={"candidates": "1", "format": "csv"})
                                           .content.decode("utf-8-sig"))))
    assert len(rows) == 1 and rows[0]["possible_case"] == "yes"
    assert rows[0]["candidate_reasons"] == "; ".join(TEXTS)
