"""Issue 16 item 5 in the digest: labels where the site prints labels, the best evidence quoted, a link to
the tenderwatch page of each notice beside its source, weeks by publication date as well as by first seen,
and amounts in foreign currencies shown with their currency. Issue 10 item 3: one vocabulary for the site,
the digest and the exports."""

import json
import xml.etree.ElementTree as ET
from datetime import datetime

import sqlalchemy as sa
from click.testing import CliRunner
from sqlmodel import Session

from extract.compute import vocabulary
from storage.db import make_engine
from storage.digest import IsoWeek, build_digest, build_files
from storage.digest.data import Case
from storage.digest.render import case_facts, file_names, money_text
from sample_database import SAMPLE_WEEK, build_sample_database
from storage.exports.records import NoticeRecord
from tenderwatch.cli import main
from web import labels as site_labels

W47 = IsoWeek.parse(SAMPLE_WEEK)
A = "{http://www.w3.org/2005/Atom}"


def test_the_digest_prints_the_labels_the_site_prints_not_raw_ids(sample_engine):
    digest, files = build_files(sample_engine, W47)
    names = file_names(SAMPLE_WEEK)
    md = files[names["md"]].decode("utf-8")
    html = files[names["html"]].decode("utf-8")
    cases = digest.new_cases + [ch.case for ch in digest.changes]
    shown = {(f, v) for c in cases for f, vs in (("provider", c.providers), ("chip", c.chips), ("flag", c.flags))
             for v in vs}
    assert {f for f, _ in shown} == {"provider", "chip", "flag"}  # the sample names all three
    for facet, value in shown:
        label = vocabulary.label(facet, value)
        assert label == site_labels.value_label(facet, value) != value  # the site's label, not the id
        assert label in md and label in html, (facet, value)
    for raw in ("us_provider", "controlled_chip", "nvidia-a100", "Providers: aws", "### aws"):
        assert raw not in md
    # The feed's categories keep the ids as terms and carry the same labels.
    feed = ET.fromstring(files[names["atom"]])
    for cat in feed.iter(f"{A}category"):
        facet = cat.get("scheme").rsplit(":", 1)[1]
        assert cat.get("label") == site_labels.value_label(facet, cat.get("term"))


def test_each_notice_links_to_its_tenderwatch_page_beside_its_source(sample_engine, monkeypatch):
    monkeypatch.setenv("TENDERWATCH_PUBLIC_URL", "https://tw.example.org/")
    digest, files = build_files(sample_engine, W47)
    names = file_names(SAMPLE_WEEK)
    md = files[names["md"]].decode("utf-8")
    data = json.loads(files[names["json"]])
    case = digest.new_cases[0]
    page = f"https://tw.example.org/notices/{case.lead.id}"
    assert f"[on tenderwatch]({page})" in md and f'href="{page}"' in files[names["html"]].decode("utf-8")
    assert data["new_cases"][0]["tenderwatch_url"] == page
    assert all(n["tenderwatch_url"] == f"https://tw.example.org/notices/{n['notice_id']}"
               for c in data["new_cases"] for n in c["notices"])
    # An option overrides the setting.
    _, files = build_files(sample_engine, W47, public_url="https://other.example")
    assert "https://other.example/notices/" in files[names["md"]].decode("utf-8")


def test_a_fresh_crawl_of_older_notices_is_in_the_digest_of_their_publication_week(tmp_path):
    url = f"sqlite:///{tmp_path / 'tw.db'}"
    build_sample_database(url, tmp_path / "raw")
    engine = make_engine(url)
    with engine.begin() as conn:  # as if all of it had been crawled in one go, weeks after
        conn.execute(sa.text("UPDATE notice SET first_seen = :t"), {"t": datetime(2026, 12, 2, 3, 0)})
    with Session(engine) as session:
        by_seen = build_digest(session, W47)
        by_published = build_digest(session, W47, by="published")
    assert by_seen.is_empty
    assert by_published.new_cases and all(
        W47.start <= (c.lead.published_at or c.lead.first_seen) < W47.end for c in by_published.new_cases)
    result = CliRunner().invoke(main, ["digest", "--week", SAMPLE_WEEK, "--by", "published", "--database-url", url,
                                       "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "by publication date" in result.output and "new case" in result.output
    md = (tmp_path / "out" / file_names(SAMPLE_WEEK, "published")["md"]).read_text(encoding="utf-8")
    assert "cases published Monday 16" in md
    engine.dispose()


def test_an_amount_in_another_currency_is_shown_with_its_currency():
    r = NoticeRecord(
        id=1, source="hk", url="http://example.org/1", external_id=None, title="GPU cloud", notice_type="award",
        published_at=None, bid_deadline=None, region=None, project_code=None, procurement_key=None,
        first_seen=datetime(2026, 11, 16), last_changed=datetime(2026, 11, 16), content_hash="0" * 64,
        extractor_version="t", remote_compute=True, hardware_purchase=False,
        amounts=[{"kind": "award", "value_cny": None, "percent": None, "raw": "$3,860,000.00", "currency": "HKD",
                  "value": 3860000.0}],
    )
    case = Case(key="notice-1", first_seen=r.first_seen, notices=[r])
    assert case.award == (3860000.0, "HKD")
    assert ("Awarded", "HKD 3,860,000") in case_facts(case)
    assert money_text((198600.0, "CNY")) == "CNY 198,600"
