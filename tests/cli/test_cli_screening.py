"""`tenderwatch screening import|matches|refresh|lists` on the command line, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from storage.store import Store
from storage_helpers import Spec, save
from tenderwatch.cli import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "screening"


@pytest.fixture
def url(database_url, tmp_path, data_dir):
    with Store.open(database_url, blob_dir=tmp_path / "raw") as store:
        save(store, Spec(key="a", title="算力租赁服务", body="采购人：国防科技大学。", buyer="国防科技大学",
                         vendors=["浪潮电子信息产业股份有限公司", "天津飞腾信息技术有限公司"]))
    return database_url


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_import_then_matches_as_json(url):
    out = run("screening", "import", str(FIXTURES / "consolidated.csv"), "--date", "2026-11-30", "--database-url", url)
    assert out.exit_code == 0, out.output
    assert out.output.strip() == ("US Consolidated Screening List (2026-11-30, Consolidated Screening List CSV): "
                                  "6 entries; 2 candidate matches")
    out = run("screening", "import", str(FIXTURES / "targets.simple.csv"), "--database-url", url)
    assert "OpenSanctions (2026-11-18, OpenSanctions targets.simple.csv): 6 entries; 0 candidate matches" in out.output
    data = json.loads(run("screening", "matches", "--json", "--database-url", url).output)
    hits = {o["name"]: [(h["list"]["name"], h["list"]["date"], h["entry"]["name"], h["reason"], h["score"])
                        for h in o["hits"]] for o in data["organisations"]}
    assert hits == {
        "国防科技大学": [("US Consolidated Screening List", "2026-11-30T00:00:00", "National University of Defense Technology",
                    "alias_file", 100.0)],
        "天津飞腾信息技术有限公司": [("US Consolidated Screening List", "2026-11-30T00:00:00",
                             "Tianjin Phytium Information Technology Co. Ltd.", "exact_alt_name", 100.0)],
    }  # and never 浪潮电子信息产业股份有限公司, though 浪潮集团有限公司 is listed
    assert [x["name"] for x in data["lists"]] == ["OpenSanctions", "US Consolidated Screening List"]
    assert all(h["list"]["source"] for o in data["organisations"] for h in o["hits"])


def test_matches_as_text_show_list_date_source_score_and_reason(url):
    run("screening", "import", str(FIXTURES / "consolidated.json"), "--database-url", url)
    out = run("screening", "matches", "--database-url", url).output
    assert "US Consolidated Screening List, 2026-11-20, International Trade Administration" in out
    assert "100.0  exact_alt_name Tianjin Phytium" not in out  # that entry is only in the CSV
    assert "0 organisations with candidate hits" in out
    run("screening", "import", str(FIXTURES / "consolidated.csv"), "--list-name", "CSL (csv)", "--database-url", url)
    out = run("screening", "matches", "--database-url", url).output
    assert "100.0  exact_alt_name Tianjin Phytium Information Technology Co. Ltd." in out
    assert "CSL (csv)" in out and "Entity List (EL) - Bureau of Industry and Security" in out


def test_a_file_of_another_kind_is_one_line_without_traceback(url, tmp_path):
    other = tmp_path / "sdn.csv"
    other.write_text("ent_num,SDN_Name,SDN_Type\n36,AEROCARIBBEAN AIRLINES,-0-\n", encoding="utf-8")
    out = run("screening", "import", str(other), "--database-url", url)
    assert out.exit_code == 1
    assert out.output.startswith("Error: ") and len(out.output.strip().splitlines()) == 1
    assert "not a Consolidated Screening List" in out.output and "Traceback" not in out.output


def test_an_older_version_is_refused_in_one_line(url):
    run("screening", "import", str(FIXTURES / "consolidated.csv"), "--date", "2026-12-01", "--database-url", url)
    out = run("screening", "import", str(FIXTURES / "consolidated.json"), "--database-url", url)
    assert out.exit_code == 1 and "newer than this file" in out.output and len(out.output.strip().splitlines()) == 1


def test_refresh_screens_organisations_added_since_the_import(url, tmp_path):
    run("screening", "import", str(FIXTURES / "consolidated.csv"), "--database-url", url)
    with Store.open(url, blob_dir=tmp_path / "raw") as store:
        save(store, Spec(key="b", title="云服务", body="采购人：某大学。", buyer="某大学", vendors=["华为技术有限公司"]))
    result = CliRunner().invoke(main, ["screening", "matches", "--database-url", url])
    assert "2 organisations were added since the lists were matched" in result.stderr
    assert run("screening", "refresh", "--database-url", url).output.strip() == "3 candidate matches"
    assert "华为技术有限公司" in run("screening", "matches", "--database-url", url).output
    lists = json.loads(run("screening", "lists", "--json", "--database-url", url).output)
    assert lists[0]["matches"] == 3 and lists[0]["entries"] == 6


def test_show_and_search_name_the_screened_party_with_its_list(url):
    run("screening", "import", str(FIXTURES / "consolidated.csv"), "--date", "2026-11-30", "--database-url", url)
    found = json.loads(run("search", "--screened", "--json", "--database-url", url).output)
    assert [r["screened"] for r in found] == [True]
    assert json.loads(run("search", "云服务", "--screened", "--json", "--database-url", url).output) == []
    notice = str(found[0]["id"])
    shown = json.loads(run("show", notice, "--json", "--database-url", url).output)
    assert {(h["role"], h["organisation_name"], h["list"]["name"], h["list"]["date"]) for h in shown["screening"]} == {
        ("buyer", "国防科技大学", "US Consolidated Screening List", "2026-11-30T00:00:00"),
        ("vendor", "天津飞腾信息技术有限公司", "US Consolidated Screening List", "2026-11-30T00:00:00")}
    text = run("show", notice, "--database-url", url).output
    assert ("SCREENED:     vendor 天津飞腾信息技术有限公司 ~ Tianjin Phytium Information Technology Co. Ltd. "
            "(score 100, exact_alt_name) — US Consolidated Screening List, 2026-11-30, International Trade "
            "Administration, trade.gov Consolidated Screening List (consolidated.csv)") in text
    assert "SCREENED: a party may be on a screening list" in run("search", "--screened", "--database-url", url).output


def test_weekly_matches_organisations_the_crawls_brought_in_before_the_digest(url, tmp_path):
    run("screening", "import", str(FIXTURES / "targets.simple.csv"), "--database-url", url)
    with Store.open(url, blob_dir=tmp_path / "raw") as store:  # a crawl after the import brings a listed buyer in
        save(store, Spec(key="b", title="智算中心算力服务", body="采购人：北京算能科技有限公司。", buyer="北京算能科技有限公司"))
    before = json.loads(run("screening", "matches", "--json", "--database-url", url).stdout)
    assert "北京算能科技有限公司" not in {o["name"] for o in before["organisations"]}
    out = run("weekly", "--skip-crawl", "--week", "2026-W47", "--out", str(tmp_path / "digests"), "--database-url", url)
    assert out.exit_code == 0, out.output
    assert "screening: lists matched again" in out.output
    after = json.loads(run("screening", "matches", "--json", "--database-url", url).stdout)
    assert "北京算能科技有限公司" in {o["name"] for o in after["organisations"]}
    again = run("weekly", "--skip-crawl", "--week", "2026-W47", "--out", str(tmp_path / "digests"), "--database-url", url)
    assert "screening:" not in again.output  # nothing new: nothing matched again
