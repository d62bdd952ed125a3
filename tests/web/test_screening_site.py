"""Screening-list candidates on the site: the organisation page and its API (with the list's name, date and
source), the `screened` filter and facet of /search and /api/search, on SQLite and PostgreSQL; and a screened
organisation's page in a real Chromium, photographed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from storage import db
from storage.screening import import_list, read_list

TARGETS = Path(__file__).resolve().parents[1] / "fixtures" / "screening" / "targets.simple.csv"
RESELLER = "云桥数据科技有限公司"  # listed in the fixture under its English name, with this Chinese alias


def _screen(site) -> None:
    engine = db.make_engine(site.database_url)
    try:
        with db.write_transaction(engine) as conn:
            import_list(conn, read_list(TARGETS), file_name=TARGETS.name)
    finally:
        engine.dispose()


def org_id(site, name: str) -> int:
    items = site.get("/api/orgs", params={"q": name}).json()["items"]
    return next(o["id"] for o in items if o["name"] == name)


def test_an_organisations_page_and_api_show_its_hits_with_the_lists_name_date_and_source(site_any):
    _screen(site_any)
    reseller = org_id(site_any, RESELLER)
    data = site_any.get(f"/api/orgs/{reseller}").json()
    assert data["screened"] is True
    (hit,) = data["screening"]
    assert hit["list"] == {"name": "OpenSanctions", "date": "2026-11-18T08:30:00",
                           "source": "OpenSanctions, opensanctions.org (targets.simple.csv)"}
    assert (hit["entry"]["name"], hit["reason"], hit["score"], hit["status"]) == (
        "Yunqiao Data Technology Co. Ltd.", "exact_alt_name", 100.0, "candidate")
    assert site_any.get(f"/api/orgs/{org_id(site_any, '北方理工大学')}").json()["screening"] == []

    page = site_any.get(f"/orgs/{reseller}").text
    assert "Possible screening-list match" in page and "a name match is not an identification" in page
    assert "OpenSanctions</b> · 2026-11-18" in page and "opensanctions.org (targets.simple.csv)" in page
    assert "Yunqiao Data Technology Co. Ltd." in page and "US BIS Entity List" in page


def test_search_filters_and_counts_notices_with_a_screened_party(site_any):
    _screen(site_any)
    everything = site_any.get("/api/search", params={"cases": "0", "size": 100}).json()
    with_reseller = {r["id"] for r in everything["results"] if RESELLER in r["vendors"]}
    assert with_reseller and all(r["screened"] == (r["id"] in with_reseller) for r in everything["results"])
    assert everything["facets"]["screened"] == [
        {"value": "screened", "label": "A party may be on a list", "count": len(with_reseller)}]

    screened = site_any.get("/api/search", params={"cases": "0", "screened": "screened"}).json()
    assert {r["id"] for r in screened["results"]} == with_reseller
    text = site_any.get("/api/search", params={"q": "云", "cases": "0", "screened": "screened"}).json()
    assert {r["id"] for r in text["results"]} <= with_reseller and text["facets"]["screened"][0]["count"] == text["total"]
    assert site_any.get("/api/search", params={"screened": "yes-please"}).status_code == 400

    html = site_any.get("/search", params={"cases": "0"}).text
    assert 'data-facet="screened"' in html and 'class="badge screened"' in html


def test_without_lists_nothing_is_screened(site):
    data = site.get("/api/search", params={"cases": "0"}).json()
    assert data["facets"]["screened"] == [] and not any(r["screened"] for r in data["results"])


@pytest.mark.browser
def test_a_screened_organisations_page_in_chromium(browser, own_site):
    _screen(own_site)
    reseller = org_id(own_site, RESELLER)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)  # CSP violations too
    page.goto(f"{own_site.url}/orgs/{reseller}")
    box = page.locator("section.screening")
    assert box.is_visible()
    assert "OpenSanctions · 2026-11-18" in box.inner_text() and "Yunqiao Data Technology Co. Ltd." in box.inner_text()
    shots = Path(os.environ.get("TENDERWATCH_SCREENSHOTS") or own_site.database_url.split("///")[1]).resolve()
    shots = shots if shots.is_dir() else shots.parent
    page.screenshot(path=str(shots / "screened-org.png"), full_page=False)
    context.close()
    assert not errors, errors


def test_a_notice_names_its_screened_party_with_the_list(site_any):
    _screen(site_any)
    notice = site_any.ids["azure"]
    data = site_any.get(f"/api/notices/{notice}").json()
    assert data["screened"] is True
    assert [(h["role"], h["organisation_name"], h["list"]["name"]) for h in data["screening"]] == [
        ("vendor", RESELLER, "OpenSanctions")]
    page = site_any.get(f"/notices/{notice}").text
    assert "may be <b>Yunqiao Data Technology Co. Ltd.</b> on OpenSanctions (2026-11-18" in page
    assert site_any.get(f"/api/notices/{site_any.ids['hpc']}").json()["screening"] == []
