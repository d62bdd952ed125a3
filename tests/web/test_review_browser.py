"""The review site in a real headless Chromium: sign in, confirm a case and see the badge; a rejected
notice leaves the case list and stays reachable; the queue lists pending candidates first."""

from __future__ import annotations

import pytest

import review_site as rs

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def review_live(tmp_path_factory):
    from web_site import LiveServer

    from web.app import create_app

    tmp = tmp_path_factory.mktemp("review")
    url = f"sqlite:///{tmp / 'tenderwatch.db'}"
    ids = rs.build(url, tmp / "raw")
    app = create_app(url, blob_root=tmp / "raw", review=True)
    with LiveServer(app) as base:
        yield base, url, ids
    app.state.engine.dispose()
    app.state.review_writer.close()


@pytest.fixture
def page(browser, review_live):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    yield pg
    context.close()
    assert not errors, errors  # no script errors, no CSP violations


def _sign_in(page, base: str, next_path: str) -> None:
    page.goto(f"{base}/login?next={next_path}")
    page.fill("input[name=name]", rs.USER)
    page.fill("input[name=password]", rs.PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"**{next_path}")


def test_sign_in_confirm_a_case_and_see_the_badge(page, review_live):
    base, url, ids = review_live
    nid = ids["azure"]
    page.goto(f"{base}/notices/{nid}")
    assert page.locator(".review-form").count() == 0
    page.click("text=Sign in to review")
    page.wait_for_url("**/login?next=**")
    page.fill("input[name=name]", rs.USER)
    page.fill("input[name=password]", rs.PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"**/notices/{nid}")
    page.check("input[name=decision][value=confirmed]")
    page.fill("textarea[name=note]", "Azure OpenAI tokens through a reseller")
    page.click(".review-form button[type=submit]")
    page.wait_for_url(f"**/notices/{nid}#review")
    assert page.locator(".review-state .badge.review-confirmed").inner_text() == "Confirmed ✓"
    assert page.locator(".notice-head .badges .review-confirmed").count() == 1
    assert "Azure OpenAI tokens through a reseller" in page.locator(".review-note").inner_text()
    # The badge follows the case into the search results.
    page.goto(f"{base}/search?review=confirmed")
    assert page.locator(f".hit:has(a[href^='/notices/{nid}']) .badge.review-confirmed").count() == 1
    assert rs.reviews_of(url, nid)[0]["reviewer"] == rs.USER


def test_a_rejected_notice_leaves_the_case_list_and_stays_reachable(page, review_live):
    base, url, ids = review_live
    nid = ids["hpc"]
    link = f".hit h2 a[href^='/notices/{nid}']"
    page.goto(f"{base}/search")
    assert page.locator(link).count() == 1
    _sign_in(page, base, f"/notices/{nid}")
    page.check("input[name=decision][value=rejected]")
    page.fill("textarea[name=note]", "a weather model bought outright, no machine time")
    page.click(".review-form button[type=submit]")
    page.wait_for_url(f"**/notices/{nid}#review")
    assert page.locator(".review-state .badge.review-rejected").inner_text() == "Rejected"
    page.goto(f"{base}/search")
    assert page.locator(link).count() == 0
    # Reachable from the search form: the review choice shows rejected cases.
    page.select_option("select[name=review]", "rejected")
    page.wait_for_url("**review=rejected**")
    assert page.locator(link).count() == 1
    page.locator(link).click()
    page.wait_for_url(f"**/notices/{nid}*")
    assert "Rejected" in page.locator("#review").inner_text()


def test_the_review_queue_lists_pending_candidates_first(page, review_live):
    base, url, ids = review_live
    _sign_in(page, base, "/review")
    items = page.locator(".queue-item")
    n_candidates = page.locator(".queue-item:has(.badge.candidate)").count()
    assert n_candidates >= 2
    badges = [items.nth(i).locator(".badge").first.inner_text() for i in range(items.count())]
    assert badges[:n_candidates] == ["Possible case"] * n_candidates
    assert set(badges[n_candidates:]) == {"Case"}
    # Opening one leads to its review form.
    items.first.locator("a").click()
    page.wait_for_url("**/notices/*#review")
    assert page.locator(".review-form").count() == 1
