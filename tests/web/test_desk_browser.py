"""The journalist's desk in a real headless Chromium, on a realistic generated corpus (bench/make_corpus.py,
with cases at a rate that gives a network worth drawing, and a reseller under three spellings of its name):
the overview, the organisations directory, a reseller's page with its network — read, clicked through with
JavaScript off (the SVG is plain links), and photographed.

The PNGs go to $TENDERWATCH_SCREENSHOTS when set (the lead looks at them), else to the test's tmp folder."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from storage import db
from storage.orgs import resolve_all
from storage.store import Store
from web_site import LiveServer

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
RESELLER = "云桥数据科技有限公司"
VARIANTS = ["云桥数据科技有限责任公司", "云桥数据科技有限公司 010-82345678"]


def _corpus(url: str, blob_dir: Path) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    import make_corpus

    make_corpus.build(url, 1500, blob_dir=blob_dir, progress=False, case_rate=0.08)
    gen = make_corpus.Generator(7, case_rate=1.0)
    with Store.open(url, blob_dir=blob_dir) as store:
        # Awards naming the reseller under variant spellings, as notices do.
        made = 0
        for i in range(10_000, 10_400):
            g = gen.notice(i)
            if g.extraction.fields.notice_type != "award" or not g.extraction.compute.remote_compute:
                continue
            g.extraction.fields.vendors = [VARIANTS[made % len(VARIANTS)]]
            g.raw.url = g.raw.url.replace(".htm", f"-v{i}.htm")
            store.save_notice(g.raw, g.body, g.attachments, g.extraction)
            made += 1
            if made == 4:
                break
        run = store.start_run("ccgp", {"since": "2021-01-01"})
        store.finish_run(run, "finished", {"pages": 1500})
    engine = db.make_engine(url)
    with db.write_transaction(engine) as conn:
        resolve_all(conn)  # what `tenderwatch orgs resolve` does; the loaders resolved each new name already
    engine.dispose()


@pytest.fixture(scope="module")
def desk(tmp_path_factory):
    from web.app import create_app

    tmp = tmp_path_factory.mktemp("desk")
    url = f"sqlite:///{tmp / 'desk.db'}"
    _corpus(url, tmp / "raw")
    app = create_app(url, blob_root=tmp / "raw")
    with LiveServer(app) as base:
        yield base
    app.state.engine.dispose()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    out = Path(os.environ.get("TENDERWATCH_SCREENSHOTS") or tmp_path_factory.mktemp("shots"))
    out.mkdir(parents=True, exist_ok=True)
    return out


def _page(browser, *, javascript: bool = True):
    context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="zh-CN", java_script_enabled=javascript)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)  # CSP violations too
    return context, page, errors


def test_overview_shows_the_chart_the_recurring_names_and_the_data_date(browser, desk, shots):
    context, page, errors = _page(browser)
    page.goto(desk + "/stats")
    chart = page.locator("svg.month-chart")
    assert chart.is_visible() and chart.bounding_box()["width"] > 600
    assert page.locator("svg.month-chart rect").count() > 20
    intermediaries = page.locator("#int-h + p + table tbody tr")
    assert intermediaries.count() >= 5
    assert page.locator("tr.reseller").count() >= 1
    assert RESELLER in page.locator("#int-h ~ table").inner_text()
    assert "ccgp" in page.locator("footer.site").inner_text() and "as of" in page.locator("footer.site").inner_text()
    page.screenshot(path=str(shots / "desk-overview.png"), full_page=True)
    context.close()
    assert not errors, errors


def test_directory_lists_the_reseller_once_with_its_other_names(browser, desk, shots):
    context, page, errors = _page(browser)
    page.goto(desk + "/orgs?role=vendor&sort=cases")
    first = page.locator("table.orgs tbody tr").first
    assert page.locator("table.orgs tbody tr").count() == 50
    page.screenshot(path=str(shots / "desk-orgs.png"), full_page=False)
    page.fill(".orgs-form input[name=q]", "云桥数据")
    with page.expect_navigation():
        page.locator(".orgs-form button").click()
    rows = page.locator("table.orgs tbody tr")
    mine = [rows.nth(i).inner_text() for i in range(rows.count()) if rows.nth(i).locator("a").first.inner_text() == RESELLER]
    assert len(mine) == 1 and "+2 other names" in mine[0]  # one row for its three spellings
    assert first.is_visible()
    context.close()
    assert not errors, errors


def test_reseller_page_draws_its_network_and_works_without_javascript(browser, desk, shots):
    context, page, errors = _page(browser, javascript=False)
    page.goto(desk + "/orgs?q=" + RESELLER)
    page.locator("table.orgs tbody tr a").first.click()
    page.wait_for_url("**/orgs/*")
    assert page.locator("h1").inner_text() == RESELLER
    assert page.locator(".aliases li").count() == 2
    svg = page.locator("svg.network")
    assert svg.is_visible()
    buyers = page.locator("svg.network a.node.buyer")
    assert buyers.count() >= 3  # a reseller serving several buyers
    assert page.locator("svg.network a.node.focus.reseller").count() == 1
    page.screenshot(path=str(shots / "desk-org-network.png"), full_page=True)
    # A buyer in the drawing is a plain link to its page.
    name = buyers.first.locator("title").text_content().split(" — ")[0]
    buyers.first.click()
    page.wait_for_url("**/orgs/*")
    assert page.locator("h1").inner_text() == name
    context.close()
    assert not errors, errors


def test_the_whole_network_stays_readable(browser, desk, shots):
    context, page, errors = _page(browser)
    page.goto(desk + "/network")
    nodes = page.locator("svg.network a.node")
    assert nodes.count() >= 50
    # No two nodes overlap: each column is a list of rows.
    boxes = [nodes.nth(i).locator("rect").bounding_box() for i in range(nodes.count())]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            overlap_x = min(a["x"] + a["width"], b["x"] + b["width"]) - max(a["x"], b["x"])
            overlap_y = min(a["y"] + a["height"], b["y"] + b["height"]) - max(a["y"], b["y"])
            assert overlap_x <= 0 or overlap_y <= 0
    assert page.locator("svg.network a.node.reseller").count() >= 3
    page.set_viewport_size({"width": 1360, "height": 1400})
    page.screenshot(path=str(shots / "desk-network.png"), full_page=False)
    context.close()
    assert not errors, errors
