"""Screening lists: the published formats are read as they are, organisations are matched by exact names,
the alias file and whole-name fuzzy scores — every hit a candidate with its score, reason and list — and a
group is never its listed subsidiary's match (the measured trap)."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from storage import db
from storage.screening import (
    ScreeningError, exact_key, fuzzy_key, import_list, matches, notice_hits, organisation_hits, read_list, refresh,
    rules,
)
from storage.store import Store
from storage_helpers import Spec, save

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "screening"
CSL_CSV, CSL_JSON, TARGETS = FIXTURES / "consolidated.csv", FIXTURES / "consolidated.json", FIXTURES / "targets.simple.csv"

ORGS = {
    "a": ("国防科技大学", ["华为技术有限公司北京分公司"]),
    "b": ("江东师范大学", ["浪潮电子信息产业股份有限公司"]),
    "c": ("蜀江大学", ["浪潮集团有限公司", "天津飞腾信息技术有限公司", "National University of Defence Technology", "王磊"]),
}


@pytest.fixture
def store(database_url, tmp_path, data_dir):
    s = Store.open(database_url, blob_dir=tmp_path / "raw")
    for key, (buyer, vendors) in ORGS.items():
        save(s, Spec(key=key, title=f"{buyer}算力租赁服务", body=f"采购人：{buyer}。", buyer=buyer, vendors=vendors))
    yield s
    s.close()


def _import(store, path, **kw):
    with db.write_transaction(store.engine) as conn:
        return import_list(conn, read_list(path), file_name=path.name, **kw)


def _matches(store) -> dict[str, list[tuple]]:
    """organisation name → [(list, entry, reason, score)]."""
    with store.engine.connect() as conn:
        data = matches(conn)
    return {o["name"]: [(h["list"]["name"], h["entry"]["name"], h["reason"], h["score"]) for h in o["hits"]]
            for o in data["organisations"]}


# ---------------------------------------------------------------------- reading the formats
def test_each_published_format_is_told_by_its_content_not_its_name(tmp_path):
    for path, fmt in ((CSL_CSV, "csl-csv"), (CSL_JSON, "csl-json"), (TARGETS, "opensanctions-csv")):
        renamed = tmp_path / "download.dat"
        renamed.write_bytes(path.read_bytes())
        assert read_list(renamed).format == fmt


def test_csl_alt_names_programs_and_addresses_are_read_from_csv_strings_and_json_arrays():
    csv_huawei = read_list(CSL_CSV).entries[0]
    json_huawei = read_list(CSL_JSON).entries[0]
    for e in (csv_huawei, json_huawei):
        assert e["name"] == "Huawei Technologies Co. Ltd."
        assert e["alt_names"] == ["Huawei", "Shenzhen Huawei Technologies"]
        assert e["sublist"] == "Entity List (EL) - Bureau of Industry and Security"
        assert e["start_date"] == "2019-05-16"
        assert "Shenzhen" in e["addresses"]
    assert json_huawei["countries"] == "CN"
    sdn = read_list(CSL_CSV).entries[4]
    assert sdn["entity_type"] == "Individual" and sdn["programs"] == "CYBER2; CYBER4"


def test_a_list_states_its_own_date_when_it_has_one():
    assert read_list(CSL_JSON).list_date == datetime(2026, 11, 20, 14, 0)  # sources_used[].source_last_updated, UTC
    assert read_list(TARGETS).list_date == datetime(2026, 11, 18, 8, 30)  # the newest last_change
    assert read_list(CSL_CSV).list_date is None  # the CSV does not say: --date, else the import day


def test_opensanctions_aliases_and_datasets_are_split_on_semicolons():
    inspur = read_list(TARGETS).entries[0]
    assert inspur["alt_names"] == ["Inspur Group", "浪潮集团有限公司", "Langchao Group"]
    assert inspur["sublist"] == "US Trade Consolidated Screening List; US BIS Entity List"
    assert inspur["entity_type"] == "Company"


@pytest.mark.parametrize("content", [
    "a,b\n1,2\n",  # a CSV of something else
    "# notes\nsome text\n",
    '{"total": 0, "hits": []}',  # JSON without results[]
    "[not json",
    "",
])
def test_anything_else_is_one_clear_error(tmp_path, content):
    path = tmp_path / "list.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ScreeningError, match="not a Consolidated Screening List .* or OpenSanctions targets.simple.csv"):
        read_list(path)


def test_a_binary_file_is_one_clear_error(tmp_path):
    path = tmp_path / "list.xlsx"
    path.write_bytes(b"PK\x03\x04\xff\xfe\x00")
    with pytest.raises(ScreeningError, match="not UTF-8"):
        read_list(path)


# ---------------------------------------------------------------------- names and scores
def test_exact_names_ignore_case_punctuation_spacing_and_width():
    assert exact_key("Huawei Technologies Co., Ltd.") == exact_key("HUAWEI TECHNOLOGIES CO LTD")
    assert exact_key("天津飞腾信息技术有限公司") == exact_key("天津飞腾信息技术 有限公司")
    assert exact_key("ＮＵＤＴ") == exact_key("nudt")


@pytest.mark.parametrize("org, listed", [
    ("浪潮电子信息产业股份有限公司", "浪潮集团有限公司"),  # measured: partial_ratio scored 100 — two legal entities
    ("浪潮电子信息", "浪潮集团"),
    ("浪潮 电子 信息", "浪潮 集团"),  # word-segmented: partial_token_set_ratio says 100 (one shared word)
    ("Inspur Electronic Information Industry Co., Ltd.", "Inspur Group Co., Ltd."),
    ("Inspur Group Electronic Information Co., Ltd.", "Inspur Group Co., Ltd."),  # a subset is not the same name
    ("华为技术有限公司北京分公司", "华为技术有限公司"),  # the branch reaches its parent by resolution, not by score
    ("hua wei ji shu", "Shenzhen Huawei Technologies"),  # pinyin does not bridge
])
def test_a_name_inside_another_name_scores_below_the_threshold(org, listed):
    from rapidfuzz import fuzz

    (script_a, a), (script_b, b) = fuzzy_key(org), fuzzy_key(listed)
    assert script_a == script_b
    assert fuzz.token_sort_ratio(a, b) < rules().threshold


# ---------------------------------------------------------------------- matching in the database
def test_every_kind_of_hit_is_a_candidate_with_its_reason_score_and_list(store):
    _import(store, CSL_CSV, list_date=date(2026, 11, 30))
    _import(store, TARGETS)
    got = _matches(store)
    csl, os_ = "US Consolidated Screening List", "OpenSanctions"
    # an alt_name equal to the organisation's name
    assert got["天津飞腾信息技术有限公司"] == [(csl, "Tianjin Phytium Information Technology Co. Ltd.", "exact_alt_name", 100.0)]
    # the alias file: a Chinese name to the English entry, for the branch too (it resolves to its parent)
    assert got["国防科技大学"] == [(csl, "National University of Defense Technology", "alias_file", 100.0)]
    assert got["华为技术有限公司北京分公司"] == [(csl, "Huawei Technologies Co. Ltd.", "alias_file", 100.0)]
    # one organisation, one hit per list
    assert sorted(got["浪潮集团有限公司"]) == [(os_, "Inspur Group Co. Ltd.", "exact_alt_name", 100.0),
                                           (csl, "Inspur Group Co. Ltd.", "alias_file", 100.0)]
    # an English name spelled a little differently: a fuzzy candidate with its score
    (exact, fuzzy) = got["National University of Defence Technology"]
    assert exact == (os_, "National University of Defence Technology", "exact_name", 100.0)
    assert fuzzy[:3] == (csl, "National University of Defense Technology", "fuzzy") and 90 <= fuzzy[3] < 100


def test_a_group_on_the_list_is_no_hit_for_its_listed_subsidiary(store):
    # The measured trap: 浪潮集团 is listed (also under its Chinese name); 浪潮电子信息 is another legal entity.
    _import(store, CSL_CSV)
    _import(store, TARGETS)
    assert "浪潮电子信息产业股份有限公司" not in _matches(store)


def test_people_on_a_list_are_not_matched_against_organisations(store):
    # 王磊 is listed (an SDN individual, alt_name 王磊) and is also a vendor's name here: one of the most common
    # names in China, so a name alone says nothing.
    _import(store, CSL_CSV)
    assert "王磊" not in _matches(store)


def test_each_hit_carries_the_list_name_date_source_and_the_entry(store):
    _import(store, CSL_JSON)
    with store.engine.connect() as conn:
        data = matches(conn)
    (org,) = data["organisations"]
    (hit,) = org["hits"]
    assert hit["list"] == {"name": "US Consolidated Screening List", "date": datetime(2026, 11, 20, 14, 0),
                           "source": "International Trade Administration, trade.gov Consolidated Screening List "
                                     "(consolidated.json)"}
    assert hit["entry"]["sublist"] == "Entity List (EL) - Bureau of Industry and Security"
    assert hit["status"] == "candidate" and hit["reason_text"]
    assert "华为技术有限公司 → Huawei Technologies Co., Ltd." in hit["detail"]
    assert data["lists"][0]["matches"] == 1 and data["unscreened"] == 0


def test_reimporting_a_newer_version_replaces_the_lists_entries_and_matches(store, tmp_path):
    _import(store, CSL_CSV, list_date=date(2026, 11, 1))
    assert "天津飞腾信息技术有限公司" in _matches(store)
    newer = tmp_path / "csl.csv"
    lines = CSL_CSV.read_text(encoding="utf-8").splitlines()
    newer.write_text("\n".join(line for line in lines if "Phytium" not in line) + "\n", encoding="utf-8")
    out = _import(store, newer, list_date=date(2026, 12, 1))
    assert out["replaced"] == 6 and out["entries"] == 5
    assert "天津飞腾信息技术有限公司" not in _matches(store)
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM screening_entry")).scalar_one() == 5
        assert conn.execute(sa.text("SELECT count(*) FROM screening_list")).scalar_one() == 1


def test_an_older_version_does_not_replace_a_newer_one_unless_forced(store):
    _import(store, CSL_CSV, list_date=date(2026, 12, 1))
    with pytest.raises(ScreeningError, match="newer than this file"):
        _import(store, CSL_JSON)  # dated 2026-11-20, same list name
    assert _import(store, CSL_JSON, force=True)["replaced"] == 6


def test_a_users_alias_file_adds_mappings_and_refresh_applies_them(store, data_dir, tmp_path):
    _import(store, CSL_CSV)
    assert "江东师范大学" not in _matches(store)
    (data_dir / "screening_aliases.toml").write_text(
        '[aliases]\n"江东师范大学" = ["Jiangdong Aero Computing Research Institute"]\n', encoding="utf-8")
    with db.write_transaction(store.engine) as conn:
        refresh(conn)
    assert _matches(store)["江东师范大学"][0][2] == "alias_file"
    extra = tmp_path / "mine.toml"
    extra.write_text('[aliases]\n"蜀江大学" = "Sugon Information Industry Co. Ltd."\n', encoding="utf-8")
    _import(store, CSL_JSON, name="CSL JSON", aliases=[extra])
    assert _matches(store)["蜀江大学"][0][1:3] == ("Sugon Information Industry Co. Ltd.", "alias_file")


def test_a_broken_alias_file_changes_nothing(store, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[aliases]\n"华为" = [1, 2]\n', encoding="utf-8")
    with pytest.raises(ScreeningError, match="must map to a name"):
        _import(store, CSL_CSV, aliases=[bad])
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM screening_list")).scalar_one() == 0


def test_new_organisations_are_counted_as_unscreened_until_refresh(store):
    _import(store, CSL_CSV)
    save(store, Spec(key="d", title="云服务", body="采购人：北京理工大学。", buyer="北京理工大学"))
    with store.engine.connect() as conn:
        assert matches(conn)["unscreened"] == 1
    with db.write_transaction(store.engine) as conn:
        refresh(conn)
    with store.engine.connect() as conn:
        assert matches(conn)["unscreened"] == 0


def test_an_organisation_shows_its_aliases_hits_and_a_notice_its_parties_hits(store):
    _import(store, CSL_CSV)
    save(store, Spec(key="e", title="云服务", body="采购人：某单位。", buyer="某单位", vendors=["华为技术有限公司"]))
    with db.write_transaction(store.engine) as conn:
        refresh(conn)
    with store.engine.connect() as conn:
        parent = conn.execute(sa.text("SELECT id FROM organisation WHERE name = '华为技术有限公司'")).scalar_one()
        branch = conn.execute(sa.text("SELECT id FROM organisation WHERE name = '华为技术有限公司北京分公司'")).scalar_one()
        hits = organisation_hits(conn, parent)
        assert {h["organisation_id"] for h in hits} == {parent, branch}
        notices = dict(conn.execute(sa.text("SELECT n.id, n.title FROM notice n")).all())
        by_notice = notice_hits(conn, notices)
    screened = {notices[nid]: sorted({(h["role"], h["organisation_name"]) for h in hs}) for nid, hs in by_notice.items()}
    assert screened["国防科技大学算力租赁服务"] == [("buyer", "国防科技大学"), ("vendor", "华为技术有限公司北京分公司")]
    assert "江东师范大学算力租赁服务" not in screened
    json.dumps(by_notice, default=str)  # plain data
