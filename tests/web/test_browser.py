"""The search site in a real headless Chromium (Debian's /usr/bin/chromium via Playwright): what a
journalist does — search in Chinese, narrow by a facet, open a case, follow its evidence, export CSV —
with JavaScript on, and the core of it with JavaScript off."""

from __future__ import annotations

import csv
import io

import pytest

pytestmark = pytest.mark.browser


@pytest.fixture
def page(browser, site):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True, locale="zh-CN")
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    pg.goto(site.url + "/search")
    yield pg
    context.close()
    assert not errors, errors  # no script errors, no CSP violations


def test_search_in_chinese_click_a_facet_open_a_case_and_see_the_evidence(page, site):
    page.fill("#q", "亚马逊")
    page.press("#q", "Enter")
    page.wait_for_url("**/search?q=*")
    assert page.locator(".total strong").inner_text() == "2"
    assert page.locator(".hit .snippet mark").first.inner_text() == "亚马逊"

    # Narrow by the award type facet: the URL carries the filter and one result remains.
    page.locator(".facet[data-facet=type] a", has_text="Award").click()
    page.wait_for_url("**type=award*")
    assert page.locator(".total strong").inner_text() == "1"
    assert page.locator(".chips").inner_text().count("Award") == 1

    # Open the case: its evidence is highlighted in the notice text.
    page.locator(".hit h2 a").first.click()
    page.wait_for_url(f"**/notices/{site.ids['aws_award']}*")
    assert "Case: remote compute sought" in page.locator(".verdict").inner_text()
    marks = page.locator(".doctext mark.ev")
    assert marks.count() >= 1
    assert page.locator(".doctext mark.q").first.inner_text() == "亚马逊"  # the search term, too

    # Following a finding's evidence link scrolls to the mark and makes it flash.
    link = page.locator("a.evref").first
    anchor = link.get_attribute("data-anchor")
    link.click()
    target = page.locator(f"#{anchor}")
    target.wait_for(state="visible")
    assert "flash" in target.get_attribute("class")
    assert target.is_visible()


def test_cases_switch_and_filters_resubmit_by_themselves(page, site):
    assert page.locator("input[type=checkbox][name=cases]").is_checked()  # on by default
    total_cases = int(page.locator(".total strong").get_attribute("data-total"))
    page.locator("input[type=checkbox][name=cases]").uncheck()
    page.wait_for_url("**cases=0*")
    assert int(page.locator(".total strong").get_attribute("data-total")) > total_cases
    assert "cases=1" not in page.url


def test_export_csv_downloads_the_whole_result_set(page, site, tmp_path):
    page.goto(site.url + "/search?cases=0&size=2")
    total = int(page.locator(".total strong").get_attribute("data-total"))
    with page.expect_download() as info:
        page.locator(".take a", has_text="CSV").click()
    path = tmp_path / "export.csv"
    info.value.save_as(path)
    assert info.value.suggested_filename.endswith(".csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][0] == "id" and len(rows) - 1 == total  # all pages, not the 2 on screen


def test_the_site_works_with_javascript_off(browser, site):
    context = browser.new_context(java_script_enabled=False)
    pg = context.new_page()
    try:
        pg.goto(site.url + "/search")
        pg.fill("#q", "阿里云")
        pg.locator("button.primary").click()
        pg.wait_for_url("**q=*")
        assert pg.locator(".total strong").inner_text() == "2"
        # Without JS the hidden cases=0 and the ticked checkbox both travel: the switch stays on.
        pg.locator("input[type=checkbox][name=cases]").uncheck()
        pg.locator(".controls button[type=submit]").click()
        pg.wait_for_load_state()
        assert not pg.locator("input[type=checkbox][name=cases]").is_checked()
        pg.locator(".facet[data-facet=provider] a").first.click()
        pg.wait_for_url("**provider=*")
        pg.locator(".hit h2 a").first.click()
        assert pg.locator(".doctext mark.ev").count() >= 1
    finally:
        context.close()


def test_hostile_notice_runs_no_script(browser, site):
    context = browser.new_context()
    pg = context.new_page()
    dialogs: list[str] = []
    pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    try:
        pg.goto(f"{site.url}/notices/{site.ids['xss']}")
        pg.wait_for_load_state("load")
        assert pg.title() != "pwned" and not dialogs
        assert "<script>alert" in pg.locator("h1").inner_text()  # shown as text
    finally:
        context.close()


def test_api_docs_render_the_openapi_31_operations_from_local_files(browser, site):
    """/docs lists every documented operation (Swagger UI 4 could not read OpenAPI 3.1 and stayed blank),
    with every file from this site: no CDN, no call to a validator."""
    spec = site.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.1")
    expected = {(method.upper(), path) for path, ops in spec["paths"].items() for method in ops}
    context = browser.new_context()
    pg = context.new_page()
    errors: list[str] = []
    elsewhere: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    pg.on("request", lambda req: None if req.url.startswith((site.url, "data:")) else elsewhere.append(req.url))
    try:
        pg.goto(site.url + "/docs")
        pg.locator(".opblock").first.wait_for(state="visible", timeout=15_000)
        assert "Unable to render" not in pg.content()
        listed = {
            (block.locator(".opblock-summary-method").inner_text().strip(),
             block.locator(".opblock-summary-path").get_attribute("data-path"))
            for block in pg.locator(".opblock").all()
        }
    finally:
        context.close()
    assert listed == expected
    assert ("GET", "/api/search") in listed
    assert not errors, errors
    assert not elsewhere, elsewhere
