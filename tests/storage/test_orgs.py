"""Organisations: name resolution (variant names are one organisation, explained and reversible), the
directory, and one organisation's totals — each procurement's money counted once."""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa

from extract.types import Amount
from storage import db, org_directory
from storage.org_directory import DirectoryQuery, directory
from storage.orgs import (
    OrgError, canonical_id, forget_decision, merge, organisation, resolution_key, resolve_all, unmerge,
)
from storage.store import Store
from storage_helpers import Spec, save


# ---------------------------------------------------------------------- the rules, on names alone
@pytest.mark.parametrize("variant, canonical, rule", [
    # 有限责任公司 is the full form of 有限公司; full-width brackets fold too
    ("北京（中关村）云桥科技有限责任公司", "北京(中关村)云桥科技有限公司", "legal_form"),
    # a telephone number glued on: landline, full-width digits, a mobile with its label
    ("北京云桥科技有限公司 010-62345678", "北京云桥科技有限公司", "phone"),
    ("北京云桥科技有限公司０１０－６２３４５６７８", "北京云桥科技有限公司", "phone"),
    ("北京云桥科技有限公司联系电话：13912345678", "北京云桥科技有限公司", "phone"),
    # an address glued on after the name's ending
    ("北京云桥科技有限公司地址：北京市海淀区中关村大街1号", "北京云桥科技有限公司", "address"),
    ("蜀江大学四川省蜀江市科技路88号", "蜀江大学", "address"),
    # a branch is its parent company (no legal personality of its own), banks' 分行/支行 too
    ("中国电信股份有限公司北京分公司", "中国电信股份有限公司", "branch"),
    ("中国工商银行股份有限公司北京分行中关村支行", "中国工商银行股份有限公司", "branch"),
])
def test_a_variant_name_reduces_to_the_organisation_it_names(variant, canonical, rule):
    res = resolution_key(variant)
    assert res.key == resolution_key(canonical).key
    assert rule in res.rules


def test_two_branches_of_one_parent_are_one_organisation():
    # Decided: a 分公司 is not a legal person, so both branches are the parent; each stays listed as an alias.
    assert resolution_key("中国电信股份有限公司北京分公司").key == resolution_key("中国电信股份有限公司上海分公司").key


@pytest.mark.parametrize("a, b", [
    ("浪潮电子信息产业股份有限公司", "浪潮集团有限公司"),  # a listed company and its group: two legal persons
    ("浪潮电子信息产业股份有限公司", "浪潮电子信息产业有限公司"),  # joint-stock vs limited liability: two forms
    ("北京大学", "北京大学第三医院"),
    ("中国科学院", "中国科学院计算技术研究所"),
    ("中国电信股份有限公司", "中国电信集团有限公司"),
    ("北京分公司", "上海分公司"),  # a branch word without a parent names nobody in particular
])
def test_different_legal_entities_are_not_merged(a, b):
    assert resolution_key(a).key != resolution_key(b).key


@pytest.mark.parametrize("name", [
    "北京大学北京国际数学研究中心",  # a place name after 大学 without a house number is not an address
    "第五十四研究所2024",  # four digits are not a telephone number
    "第五十四研究所12345678901",  # nor the last eight digits of a longer number (no mobile starts 12)
    "中国电子科技集团公司第十五研究所",
])
def test_names_that_only_look_like_variants_are_kept_whole(name):
    res = resolution_key(name)
    assert res.steps == ()
    assert res.key == name


# ---------------------------------------------------------------------- resolution in the database
def _notice(key: str, buyer: str, **kw) -> Spec:
    return Spec(key=key, title=f"{buyer}云服务租用项目", body=f"采购人：{buyer}。租用云服务器。", buyer=buyer, **kw)


@pytest.fixture
def store(database_url, tmp_path):
    s = Store.open(database_url, blob_dir=tmp_path / "raw")
    yield s
    s.close()


def _ids(store, *keys) -> dict[str, int]:
    with store.engine.connect() as conn:
        rows = dict(conn.execute(sa.text("SELECT name, id FROM organisation")).all())
    return {k: rows[k] for k in keys}


def test_variant_names_saved_as_notices_are_one_organisation_with_aliases_explained(store):
    save(store, _notice("a", "蜀江大学"))
    save(store, _notice("b", "蜀江大学 028-86501234"))
    save(store, _notice("c", "蜀江大学四川省蜀江市科技路88号", remote_compute=True, compute_kinds=["cloud"]))
    save(store, _notice("d", "蜀江理工大学"))
    ids = _ids(store, "蜀江大学", "蜀江大学 028-86501234", "蜀江大学四川省蜀江市科技路88号", "蜀江理工大学")
    with store.engine.connect() as conn:
        org = organisation(conn, ids["蜀江大学 028-86501234"])
        listing = directory(conn, DirectoryQuery(q="蜀江"))
    assert org["id"] == ids["蜀江大学"] and org["alias_of"] == ids["蜀江大学"]
    assert org["notices_total"] == 3 and org["cases_total"] == 1
    aliases = {a["name"]: a for a in org["aliases"]}
    assert set(aliases) == {"蜀江大学 028-86501234", "蜀江大学四川省蜀江市科技路88号"}
    assert aliases["蜀江大学 028-86501234"]["rule"] == "phone"
    assert "028-86501234" in aliases["蜀江大学 028-86501234"]["detail"]
    assert aliases["蜀江大学四川省蜀江市科技路88号"]["rule"] == "address"
    assert all(a["notices"] == 1 and not a["by_hand"] for a in aliases.values())
    # The directory lists the organisation once (found by an alias's words too), beside 蜀江理工大学.
    assert [(o["name"], o["notices"], o["aliases"]) for o in listing["items"]] == [
        ("蜀江大学", 3, 2), ("蜀江理工大学", 1, 0)]
    assert directory_names(store, q="科技路88号") == ["蜀江大学"]


def directory_names(store, **kw) -> list[str]:
    with store.engine.connect() as conn:
        return [o["name"] for o in directory(conn, DirectoryQuery(**kw))["items"]]


def test_the_cleanest_name_becomes_the_organisation_whichever_arrives_first(store):
    save(store, _notice("a", "华信云服信息技术有限责任公司"))
    save(store, _notice("b", "华信云服信息技术有限公司 13912345678"))
    save(store, _notice("c", "华信云服信息技术有限公司"))
    ids = _ids(store, "华信云服信息技术有限责任公司", "华信云服信息技术有限公司")
    with store.engine.connect() as conn:
        assert canonical_id(conn, ids["华信云服信息技术有限责任公司"]) == ids["华信云服信息技术有限公司"]
        org = organisation(conn, ids["华信云服信息技术有限公司"])
    assert sorted(a["rule"] for a in org["aliases"]) == ["legal_form", "phone"]


def test_unmerge_and_merge_round_trip_survives_re_resolution(store):
    save(store, _notice("a", "中国电信股份有限公司北京分公司"))
    save(store, _notice("b", "中国电信股份有限公司上海分公司"))
    save(store, _notice("c", "中国电信股份有限公司"))
    ids = _ids(store, "中国电信股份有限公司北京分公司", "中国电信股份有限公司上海分公司", "中国电信股份有限公司")
    parent, beijing, shanghai = ids["中国电信股份有限公司"], ids["中国电信股份有限公司北京分公司"], ids["中国电信股份有限公司上海分公司"]
    with store.engine.connect() as conn:
        assert {a["id"] for a in organisation(conn, parent)["aliases"]} == {beijing, shanghai}

    with db.write_transaction(store.engine) as conn:
        unmerge(conn, beijing, by="anna", note="the Beijing branch signs its own contracts")
        resolve_all(conn)  # the rules would merge it again: a decision by hand stands
    with store.engine.connect() as conn:
        assert canonical_id(conn, beijing) == beijing
        org = organisation(conn, parent)
        assert [a["id"] for a in org["aliases"]] == [shanghai]
        assert org["kept_apart"][0]["id"] == beijing and "anna" in org["kept_apart"][0]["detail"]
        assert organisation(conn, beijing)["notices_total"] == 1

    with db.write_transaction(store.engine) as conn:
        merge(conn, beijing, parent, by="ben", note="same legal person after all")
        resolve_all(conn)
    with store.engine.connect() as conn:
        alias = {a["id"]: a for a in organisation(conn, parent)["aliases"]}[beijing]
    assert alias["rule"] == "manual" and alias["by_hand"] and alias["decided_by"] == "ben"
    assert "same legal person after all" in alias["detail"]

    with db.write_transaction(store.engine) as conn:
        unmerge(conn, beijing, by="anna")
        forget_decision(conn, beijing)  # back to the rules
    with store.engine.connect() as conn:
        alias = {a["id"]: a for a in organisation(conn, parent)["aliases"]}[beijing]
    assert alias["rule"] == "branch" and not alias["by_hand"]


def test_merging_by_hand_takes_the_aliases_along_and_refuses_nonsense(store):
    save(store, _notice("a", "云桥数据科技有限公司"))
    save(store, _notice("b", "云桥数据科技有限责任公司"))
    save(store, _notice("c", "北京云桥数据服务有限公司"))
    ids = _ids(store, "云桥数据科技有限公司", "云桥数据科技有限责任公司", "北京云桥数据服务有限公司")
    with db.write_transaction(store.engine) as conn:
        done = merge(conn, ids["云桥数据科技有限公司"], ids["北京云桥数据服务有限公司"], by="anna")
        assert set(done["merged"]) == {ids["云桥数据科技有限公司"], ids["云桥数据科技有限责任公司"]}
        with pytest.raises(OrgError, match="already"):
            merge(conn, ids["云桥数据科技有限责任公司"], ids["北京云桥数据服务有限公司"], by="anna")
        with pytest.raises(OrgError, match="no organisation"):
            merge(conn, ids["云桥数据科技有限公司"], 999_999, by="anna")
    with store.engine.connect() as conn:
        org = organisation(conn, ids["云桥数据科技有限责任公司"])
    assert org["id"] == ids["北京云桥数据服务有限公司"] and org["notices_total"] == 3


def test_resolve_all_decides_organisations_written_without_the_store(store):
    # A bulk load writes organisation rows directly: they stand alone until `tenderwatch orgs resolve`.
    with db.write_transaction(store.engine) as conn:
        conn.execute(sa.text("INSERT INTO organisation (name, normalised_name) VALUES "
                             "('东江理工大学', '东江理工大学'), ('东江理工大学 0769-22861234', '东江理工大学0769-22861234')"))
    ids = _ids(store, "东江理工大学", "东江理工大学 0769-22861234")
    with store.engine.connect() as conn:
        assert canonical_id(conn, ids["东江理工大学 0769-22861234"]) == ids["东江理工大学 0769-22861234"]
    with db.write_transaction(store.engine) as conn:
        first = resolve_all(conn)
        again = resolve_all(conn)
    assert first["aliases"] == 1 and again["changed"] == 0
    with store.engine.connect() as conn:
        assert canonical_id(conn, ids["东江理工大学 0769-22861234"]) == ids["东江理工大学"]


# ---------------------------------------------------------------------- money and totals
def _money_corpus(store) -> None:
    buyer = "海澄大学"
    save(store, _notice("t1", buyer, project_code="HC-1", notice_type="tender", published_at="2025-03-01",
                        amounts=[Amount(kind="budget", value_cny=1_000_000.0, raw="100万元")]))
    # The correction restates the budget: it supersedes the tender's, it is not added to it.
    save(store, _notice("c1", buyer, project_code="HC-1", notice_type="correction", published_at="2025-03-10",
                        amounts=[Amount(kind="budget", value_cny=1_200_000.0, raw="120万元")]))
    save(store, _notice("a1", buyer, project_code="HC-1", notice_type="award", published_at="2025-04-20",
                        vendors=["雪岭数智科技有限公司"], remote_compute=True, compute_kinds=["cloud"],
                        amounts=[Amount(kind="award", value_cny=1_100_000.0, raw="110万元")]))
    save(store, _notice("t2", buyer, project_code="HC-2", published_at="2026-01-05",
                        amounts=[Amount(kind="budget", value_cny=500_000.0, raw="50万元")]))
    # No project code: a procurement of its own. A foreign-currency amount has no yuan figure and is left out.
    save(store, _notice("t3", buyer, published_at="2026-02-05",
                        amounts=[Amount(kind="budget", value_cny=100_000.0, raw="10万元"),
                                 Amount(kind="award", value_cny=None, raw="HK$5,000", currency="HKD", value=5000.0)]))


def test_totals_count_each_procurement_once_newest_amount_by_kind(store):
    _money_corpus(store)
    buyer = _ids(store, "海澄大学")["海澄大学"]
    with store.engine.connect() as conn:
        org = organisation(conn, buyer)
        listed = directory(conn, DirectoryQuery(sort="money"))["items"]
    assert org["notices_total"] == 5 and org["procurements"] == 3 and org["cases_total"] == 1
    assert org["budget_cny"] == 1_200_000 + 500_000 + 100_000
    assert org["award_cny"] == 1_100_000
    assert org["value_cny"] == 1_100_000 + 500_000 + 100_000  # the award where there is one, else the budget
    assert org["by_year"]["2025"] == {"notices": 3, "cases": 1, "budget_cny": 1_200_000, "award_cny": 1_100_000}
    assert org["by_year"]["2026"] == {"notices": 2, "cases": 0, "budget_cny": 600_000, "award_cny": 0}
    assert sum(y["budget_cny"] for y in org["by_year"].values()) == org["budget_cny"]
    top = listed[0]
    assert (top["name"], top["value_cny"], top["budget_cny"], top["award_cny"]) == (
        "海澄大学", org["value_cny"], org["budget_cny"], org["award_cny"])
    vendor = next(o for o in listed if o["name"] == "雪岭数智科技有限公司")
    assert vendor["roles"] == ["vendor"] and vendor["value_cny"] == 1_100_000  # the procurement it won


def test_a_notice_stating_lots_and_their_total_counts_the_total_once(store):
    # A notice states the project's budget and each lot's (包1, 包2): the total is not added to its lots.
    save(store, _notice("lots", "汇川大学", published_at="2025-05-01",
                        amounts=[Amount(kind="budget", value_cny=800_000.0, raw="80万元"),
                                 Amount(kind="budget", value_cny=500_000.0, raw="包1：50万元"),
                                 Amount(kind="budget", value_cny=300_000.0, raw="包2：30万元")]))
    # Lots alone add up to the procurement's budget.
    save(store, _notice("lots-only", "汇川大学", published_at="2025-06-01",
                        amounts=[Amount(kind="budget", value_cny=200_000.0, raw="包1：20万元"),
                                 Amount(kind="budget", value_cny=100_000.0, raw="包2：10万元")]))
    buyer = _ids(store, "汇川大学")["汇川大学"]
    with store.engine.connect() as conn:
        org = organisation(conn, buyer)
        [listed] = directory(conn, DirectoryQuery(q="汇川大学"))["items"]
    assert org["budget_cny"] == 800_000 + 300_000
    assert listed["budget_cny"] == org["budget_cny"]


def test_directory_filters_by_role_sorts_and_pages(store):
    _money_corpus(store)
    save(store, _notice("x", "青禾市人民医院", agency="岚峰项目管理有限公司", remote_compute=True, compute_kinds=["cloud"]))
    save(store, _notice("y", "青禾市人民医院", remote_compute=True, compute_kinds=["cloud"]))
    with store.engine.connect() as conn:
        by_cases = directory(conn, DirectoryQuery(sort="cases", size=1))
        page2 = directory(conn, DirectoryQuery(sort="cases", size=1, page=2))
        agencies = directory(conn, DirectoryQuery(role="agency"))
        vendors = directory(conn, DirectoryQuery(role="vendor"))
        with_cases = directory(conn, DirectoryQuery(cases_only=True))
        beyond = directory(conn, DirectoryQuery(page=99))
        with pytest.raises(OrgError, match="role"):
            directory(conn, DirectoryQuery(role="owner"))
    assert by_cases["total"] == 4 and by_cases["items"][0]["name"] == "青禾市人民医院"
    assert page2["items"][0]["name"] != "青禾市人民医院"
    assert (beyond["total"], beyond["items"]) == (4, [])
    assert [o["name"] for o in agencies["items"]] == ["岚峰项目管理有限公司"]
    assert [o["name"] for o in vendors["items"]] == ["雪岭数智科技有限公司"]
    assert {o["name"] for o in with_cases["items"]} == {"青禾市人民医院", "海澄大学", "雪岭数智科技有限公司", "岚峰项目管理有限公司"}


def test_a_case_a_reviewer_rejected_is_not_counted(store, database_url):
    from storage.review import ReviewWriter

    a = save(store, _notice("a", "石湾区教育局", remote_compute=True, compute_kinds=["cloud"])).notice_id
    save(store, _notice("b", "石湾区教育局", remote_compute=True, compute_kinds=["cloud"]))
    with ReviewWriter.open(database_url) as w:
        w.record(a, "rejected", "anna", note="a meeting room called 云")
    with store.engine.connect() as conn:
        org = organisation(conn, _ids(store, "石湾区教育局")["石湾区教育局"])
    assert org["cases_total"] == 1 and org["notices_total"] == 2


def test_a_hand_merge_follows_when_a_cleaner_name_becomes_the_organisation(store):
    save(store, _notice("a", "海澄大学 0755-12345678"))
    save(store, _notice("b", "海澄市第一人民医院"))
    ids = _ids(store, "海澄大学 0755-12345678", "海澄市第一人民医院")
    with db.write_transaction(store.engine) as conn:
        merge(conn, ids["海澄市第一人民医院"], ids["海澄大学 0755-12345678"], by="anna", note="its teaching hospital")
    save(store, _notice("c", "海澄大学"))  # the clean name arrives: it becomes the organisation
    clean = _ids(store, "海澄大学")["海澄大学"]
    with store.engine.connect() as conn:
        assert canonical_id(conn, ids["海澄市第一人民医院"]) == clean
        assert organisation(conn, clean)["notices_total"] == 3


# ---------------------------------------------------------------------- the directory's summary
def _rounded(rows: dict) -> dict:
    return {e: {k: round(v, 2) if isinstance(v, float) else v for k, v in r.items()} for e, r in rows.items()}


def _shown(conn, role) -> dict:
    """The directory's numbers as it reads them (summary rows, marked organisations recounted)."""
    view = org_directory.rows(conn, role)
    return _rounded({r["entity"]: dict(r) for r in conn.execute(sa.select(view)).mappings()})


def _stored(conn, role) -> dict:
    s = org_directory.SUMMARY
    stmt = sa.select(*(s.c[c] for c in org_directory.COLUMNS)).where(s.c.role == (role or org_directory.ALL))
    return _rounded({r["entity"]: dict(r) for r in conn.execute(stmt).mappings()})


# The directory's rules written out again in Python over the raw rows, as a reference independent of the SQL
# that counts them (storage.org_directory._statement): slow, and short enough to read against storage/orgs.py's
# docstring. Cases are storage.review's rule (`is_case`), not the directory's.
def reference_money(conn) -> dict[str, dict[str, float]]:
    """procurement (its key, or "#id" for a notice without one) → {kind: yuan} for budget and award: the
    amount stated by its newest notice stating that kind (date, then id; undated last); a notice's lots add
    up, unless one of them is their total (the largest equals the sum of the others), then the total alone."""
    from models.tables import AMOUNT, NOTICE

    notices = {i: (key or f"#{i}", (at is not None, at or datetime.min, i))
               for i, key, at in conn.execute(sa.select(NOTICE.c.id, NOTICE.c.procurement_key, NOTICE.c.published_at))}
    lots: dict[tuple[int, str], list[float]] = {}
    for nid, kind, value in conn.execute(sa.select(AMOUNT.c.notice_id, AMOUNT.c.kind, AMOUNT.c.value_cny)):
        if kind in ("budget", "award") and value is not None:
            lots.setdefault((nid, kind), []).append(value)
    newest: dict[tuple[str, str], tuple] = {}
    for (nid, kind), values in lots.items():
        total, largest = sum(values), max(values)
        stated = largest if abs(total - 2 * largest) <= 0.005 * largest else total
        pk, rank = notices[nid]
        if (pk, kind) not in newest or rank > newest[pk, kind][0]:
            newest[pk, kind] = (rank, stated)
    money: dict[str, dict[str, float]] = {}
    for (pk, kind), (_, stated) in newest.items():
        money.setdefault(pk, {})[kind] = stated
    return money


def reference_parties(conn) -> list[tuple[int, int, str, str, bool]]:
    """(organisation as shown, notice, role, procurement, is a case) per party row."""
    from models.tables import NOTICE, PARTY, RES
    from storage.review import decisions, is_case

    shown_as = dict(conn.execute(sa.select(RES.c.organisation_id, RES.c.into_id).where(RES.c.into_id.is_not(None))).all())
    decided = decisions(conn)
    notices = {i: (key or f"#{i}", is_case(rc, decided.get(i)))
               for i, key, rc in conn.execute(sa.select(NOTICE.c.id, NOTICE.c.procurement_key, NOTICE.c.remote_compute))}
    return [(shown_as.get(org, org), nid, role, *notices[nid])
            for org, nid, role in conn.execute(sa.select(PARTY.c.organisation_id, PARTY.c.notice_id, PARTY.c.role))]


def reference_directory(conn, role=None) -> dict:
    """entity → the directory's numbers in `role` (None: every role), by the rules above: its notices, its
    cases, the roles it has, and the money of its procurements, each once (value: award, else budget)."""
    money = reference_money(conn)
    mine: dict[int, list] = {}
    for entity, nid, r, pk, case in reference_parties(conn):
        if role in (None, r):
            mine.setdefault(entity, []).append((nid, r, pk, case))
    out = {}
    for entity, rows in mine.items():
        pks = {pk for _, _, pk, _ in rows}

        def total(values):
            values = [v for v in values if v is not None]
            return sum(values) if values else None

        out[entity] = {
            "entity": entity, "notices": len({n for n, *_ in rows}), "cases": len({n for n, _, _, c in rows if c}),
            **{f"is_{r}": int(any(x == r for _, x, _, _ in rows)) for r in ("buyer", "vendor", "agency")},
            "budget": total(money.get(pk, {}).get("budget") for pk in pks),
            "award": total(money.get(pk, {}).get("award") for pk in pks),
            "value": total(money.get(pk, {}).get("award", money.get(pk, {}).get("budget")) for pk in pks),
        }
    return _rounded(out)


def assert_summary_is_the_counted_truth(store) -> None:
    """What the directory reads equals the reference count in every role and the SQL count over every notice:
    first as read right after the write (so the write marked what it changed), then as stored once the marks
    are folded."""
    roles = (None, "buyer", "vendor", "agency")
    with store.engine.connect() as conn:
        truth = {role: reference_directory(conn, role) for role in roles}
        assert truth[None], "the corpus should list organisations"
        assert {role: _rounded(org_directory.counted(conn, role)) for role in roles} == truth
        assert {role: _shown(conn, role) for role in roles} == truth
        # "" is every role, as None
        assert {r: _rounded(v) for r, v in org_directory.recount(conn, list(truth[None]), ("", "buyer")).items()} \
            == {None: truth[None], "buyer": truth["buyer"]}
    with db.write_transaction(store.engine) as conn:
        org_directory.fold(conn)
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(org_directory.DIRTY)).scalar_one() == 0
        assert {role: _stored(conn, role) for role in roles} == truth


@pytest.fixture(params=[10_000, 0], ids=["folded-by-readers", "folded-every-write"])
def summary_store(request, store, monkeypatch):
    monkeypatch.setattr(org_directory, "FOLD_AT", request.param)
    return store


def test_the_directory_summary_equals_the_counted_truth_through_every_kind_of_write(summary_store, database_url):
    from storage.review import ReviewWriter
    from storage_helpers import extraction, raw_notice

    from extract.types import DocumentText

    store = summary_store
    _money_corpus(store)  # procurements restating amounts, a vendor, a case
    save(store, _notice("x", "青禾市人民医院", agency="岚峰项目管理有限公司", remote_compute=True, compute_kinds=["cloud"]))
    save(store, _notice("v", "青禾市人民医院 0571-88886666", agency="青禾市人民医院"))  # an alias; buyer and agency
    assert_summary_is_the_counted_truth(store)

    # A new version of a notice: another date (the procurement's newest budget changes), no longer a case.
    changed = save(store, _notice("c1", "海澄大学", project_code="HC-1", notice_type="correction",
                                  published_at="2025-05-01", amounts=[Amount(kind="budget", value_cny=900_000.0, raw="90万元")]))
    assert_summary_is_the_counted_truth(store)

    # Re-extraction: the award notice gets another vendor, and stops being a case.
    award = _notice("a1", "海澄大学", project_code="HC-1", notice_type="award", published_at="2025-04-20",
                    vendors=["岭南算力服务有限公司"], amounts=[Amount(kind="award", value_cny=1_300_000.0, raw="130万元")])
    with store.engine.connect() as conn:
        award_id = conn.execute(sa.text("SELECT notice_id FROM noticeparty p JOIN organisation o ON o.id = "
                                        "p.organisation_id WHERE o.name = '雪岭数智科技有限公司'")).scalar_one()
    store.replace_extraction(award_id, DocumentText(text=award.body, kind="html", title=award.title), [],
                             extraction(award))
    assert_summary_is_the_counted_truth(store)

    # A bulk load: a procurement's award for a known buyer, by a known vendor under a variant name.
    with store.bulk_loader(batch_size=2) as loader:
        for spec in (_notice("b1", "青禾市人民医院", project_code="QH-9", notice_type="award", published_at="2026-03-01",
                             vendors=["岭南算力服务有限责任公司"], remote_compute=True, compute_kinds=["cloud"],
                             amounts=[Amount(kind="award", value_cny=70_000.0, raw="7万元")]),
                     _notice("b2", "青禾市人民医院", project_code="QH-9", notice_type="tender", published_at="2026-02-01",
                             amounts=[Amount(kind="budget", value_cny=80_000.0, raw="8万元")]),
                     _notice("b3", "石湾区教育局", agency="岚峰项目管理有限公司")):
            loader.add(raw_notice(spec), DocumentText(text=spec.body, kind="html", title=spec.title), [],
                       extraction(spec))
    assert_summary_is_the_counted_truth(store)

    # Merges and splits by hand, and the rules deciding again.
    ids = _ids(store, "海澄大学", "青禾市人民医院", "青禾市人民医院 0571-88886666", "岚峰项目管理有限公司")
    with db.write_transaction(store.engine) as conn:
        merge(conn, ids["青禾市人民医院"], ids["海澄大学"], by="anna", note="one hospital of the university")
    assert_summary_is_the_counted_truth(store)
    with db.write_transaction(store.engine) as conn:
        unmerge(conn, ids["青禾市人民医院 0571-88886666"], by="anna")
    assert_summary_is_the_counted_truth(store)
    with db.write_transaction(store.engine) as conn:
        forget_decision(conn, ids["青禾市人民医院"])
        forget_decision(conn, ids["青禾市人民医院 0571-88886666"])
        resolve_all(conn)
    assert_summary_is_the_counted_truth(store)

    # Reviews: a case rejected, a notice confirmed.
    with store.engine.connect() as conn:
        case_id = conn.execute(sa.text("SELECT min(id) FROM notice WHERE remote_compute")).scalar_one()
        plain_id = conn.execute(sa.text("SELECT min(id) FROM notice WHERE NOT remote_compute")).scalar_one()
    with ReviewWriter.open(database_url) as w:
        w.record(case_id, "rejected", "anna", note="not compute")
        w.record(plain_id, "confirmed", "anna", note="cloud after all")
    assert_summary_is_the_counted_truth(store)

    # A notice deleted with its rows (as a merge of duplicates does).
    gone = changed.notice_id
    with store.engine.begin() as conn:
        for table in ("notice_search" if store.dialect != "sqlite" else None, "noticetag", "noticeparty",
                      "noticeamount", "extraction", "noticeversion", "attachment", "noticelink", "review"):
            if table:
                conn.execute(sa.text(f"DELETE FROM {table} WHERE notice_id = :i"), {"i": gone})
        if store.dialect == "sqlite":
            from storage.search import index

            index.unindex(conn, gone)
        conn.execute(sa.text("DELETE FROM notice WHERE id = :i"), {"i": gone})
    assert_summary_is_the_counted_truth(store)

    with db.write_transaction(store.engine) as conn:  # a full recount agrees with what the writers kept
        org_directory.refresh(conn)
    assert_summary_is_the_counted_truth(store)


def test_a_database_upgraded_past_the_summary_migration_has_it_filled_once_a_writer_opens_it(tmp_path):
    from alembic import command

    url = f"sqlite:///{tmp_path / 'older.db'}"
    store = Store.open(url, blob_dir=tmp_path / "raw")
    _money_corpus(store)
    store.close()
    engine = db.make_engine(url)
    with db.write_transaction(engine) as conn:  # as a release before the summary left it
        command.downgrade(db.alembic_config(conn), "0013")
    with engine.connect() as conn:
        assert "org_summary" not in sa.inspect(conn).get_table_names()
    engine.dispose()

    store = Store.open(url, blob_dir=tmp_path / "raw")  # migrates (SQLite), then fills what the migration marked
    try:
        roles = (None, "buyer", "vendor", "agency")
        with store.engine.connect() as conn:
            assert not org_directory.unfilled(conn)
            assert conn.execute(sa.select(sa.func.count()).select_from(org_directory.DIRTY)).scalar_one() == 0
            assert {role: _stored(conn, role) for role in roles} == {
                role: _rounded(org_directory.counted(conn, role)) for role in roles}
    finally:
        store.close()


# ---------------------------------------------------------------------- one directory, however it was written
def _directory_by_name(store) -> dict:
    """The directory as a reader pages through it, in every role, keyed by name (ids differ between databases)."""
    out = {}
    with store.engine.connect() as conn:
        for role in (None, "buyer", "vendor", "agency"):
            items: list[dict] = []
            while True:
                page = directory(conn, DirectoryQuery(role=role, sort="name", size=200, page=len(items) // 200 + 1))
                items += page["items"]
                if len(items) >= page["total"]:
                    break
            out[role] = {i["name"]: {k: round(v, 2) if isinstance(v, float) else v for k, v in i.items() if k != "id"}
                         for i in items}
    return out


def assert_reference(store) -> None:
    """The directory as read (summary rows) equals the reference count, in every role."""
    with store.engine.connect() as conn:
        for role in (None, "buyer", "vendor", "agency"):
            assert _shown(conn, role) == reference_directory(conn, role)


def _generated(count: int = 150):
    """Generated notices (procurements of a tender and its award, cases), for aliases a buyer's name with a
    telephone number glued on and a vendor's with the long legal form on later notices, and a correction."""
    import copy
    import sys
    from datetime import date
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    import make_corpus

    gen = make_corpus.Generator(seed=11, case_rate=0.3)
    items = [gen.notice(i) for i in range(count)]
    for g, change in ((items[3], "buyer"), (items[-4], "vendors")):
        variant = copy.deepcopy(g)
        variant.raw.url += "?variant"
        variant.body.text += "\n（联系方式已更新）"
        fields = variant.extraction.fields
        if change == "buyer":
            fields.buyer = variant.raw.list_meta["buyer"] = f"{fields.buyer} 0571-88886666"
        else:
            fields.vendors = [v.replace("有限公司", "有限责任公司") for v in fields.vendors] or ["岭南算力服务有限责任公司"]
        items.append(variant)
    # The generator states budgets only: awards state what was awarded (value: the award, else the budget), and
    # some tenders their lots and the lots' total (the total counts once).
    for i, g in enumerate(items):
        fields = g.extraction.fields
        budget = next((a.value_cny for a in fields.amounts if a.kind == "budget" and a.value_cny), None)
        if budget and fields.notice_type == "award":
            fields.amounts.append(Amount(kind="award", value_cny=round(budget * 0.93, 2), raw="中标金额"))
        elif budget and i % 4 == 0:
            fields.amounts += [Amount(kind="budget", value_cny=round(budget * f, 2), raw=f"包{n}")
                               for n, f in ((1, 0.4), (2, 0.6))]
    # A correction restating an awarded procurement's budget (lower than the award notice's) names no vendor: the
    # vendor's money changes all the same (each procurement's newest budget), though it is no party to the notice.
    award = next(g for g in items if g.extraction.fields.notice_type == "award" and g.extraction.fields.vendors)
    award.extraction.fields.amounts = [Amount(kind="budget", value_cny=3_210_000.0, raw="321万元"),
                                       Amount(kind="award", value_cny=2_900_000.0, raw="290万元")]
    correction = copy.deepcopy(award)
    correction.raw.url += "?correction"
    correction.body.text += "\n更正：预算金额调整。"
    fields = correction.extraction.fields
    fields.notice_type, fields.vendors = "correction", []
    fields.published_at, correction.raw.list_meta["published_at"] = date(2026, 6, 30), "2026-06-30"
    fields.amounts = [Amount(kind="budget", value_cny=987_654.0, raw="98.7654万元")]
    items.append(correction)
    return items


def test_the_directory_is_one_whether_crawled_or_bulk_loaded_reviewed_or_reextracted_or_recounted(
        database_url, second_database_url, tmp_path, monkeypatch):
    """Saving notice by notice (the crawl) and the bulk loader fold the organisations they touch; a review, a
    re-extraction and a merge fold theirs; a refresh counts every organisation from scratch. All give one
    directory."""
    import copy

    from storage.review import ReviewWriter

    monkeypatch.setattr(org_directory, "FOLD_AT", 0)  # every write folds: the summary rows are what is read
    monkeypatch.setattr(org_directory, "SLICE_NOTICES", 10)  # recounts cut between organisations, as at scale
    items = _generated()
    crawled = Store.open(database_url, blob_dir=tmp_path / "crawled")
    bulk = Store.open(second_database_url, blob_dir=tmp_path / "bulk")
    try:
        for g in items:
            crawled.save_notice(g.raw, g.body, g.attachments, g.extraction)
        with bulk.bulk_loader(batch_size=25) as loader:  # batches cut through procurements
            for g in items:
                loader.add(g.raw, g.body, g.attachments, g.extraction)
        shown = _directory_by_name(crawled)
        assert any(o["aliases"] for o in shown[None].values()), "the corpus should merge a variant name"
        assert any(o["cases"] for o in shown[None].values()) and any(o["value_cny"] for o in shown[None].values())
        assert _directory_by_name(bulk) == shown
        assert_reference(crawled)

        # The same review decision and re-extraction in both: a case rejected, an award given to another vendor.
        award = next(g for g in items if g.extraction.fields.notice_type == "award" and g.extraction.fields.vendors)
        case = next(g for g in items if g.extraction.compute.remote_compute and g is not award)
        again = copy.deepcopy(award.extraction)
        again.fields.vendors = ["岭南算力服务有限公司"]
        for store, url in ((crawled, database_url), (bulk, second_database_url)):
            with store.engine.connect() as conn:
                ids = dict(conn.execute(sa.text("SELECT url, id FROM notice")).all())
            with ReviewWriter.open(url) as w:
                w.record(ids[case.raw.url], "rejected", "anna", note="not compute")
            store.replace_extraction(ids[award.raw.url], award.body, [], again)
        reviewed = _directory_by_name(crawled)
        assert reviewed != shown and reviewed[None]["岭南算力服务有限公司"]["notices"] >= 1
        assert _directory_by_name(bulk) == reviewed
        assert_reference(crawled)

        # A merge by hand recounts the two vendors alone: the merged vendor has the notices of both, and the
        # money of their procurements each once — including the correction it is no party to.
        other = next(g for g in items if g.extraction.fields.notice_type == "award" and g is not award
                     and g.extraction.fields.vendors).extraction.fields.vendors[0]
        ids = _ids(crawled, other, "岭南算力服务有限公司")
        with crawled.engine.connect() as conn:
            both = [(nid, pk) for entity, nid, _, pk, _ in reference_parties(conn) if entity in ids.values()]
            money = reference_money(conn)
        budgets = [money[pk]["budget"] for pk in {pk for _, pk in both} if "budget" in money.get(pk, {})]
        assert 987_654.0 in budgets, "the correction should restate a budget of the merged vendors"
        for store in (crawled, bulk):
            ids = _ids(store, other, "岭南算力服务有限公司")
            with db.write_transaction(store.engine) as conn:
                merge(conn, ids[other], ids["岭南算力服务有限公司"], by="anna", note="one company")
        merged = _directory_by_name(crawled)
        assert other not in merged[None]
        assert merged[None]["岭南算力服务有限公司"]["notices"] == len({nid for nid, _ in both})
        assert merged[None]["岭南算力服务有限公司"]["budget_cny"] == round(sum(budgets), 2)
        assert _directory_by_name(bulk) == merged
        assert_reference(crawled)

        for store in (crawled, bulk):  # counted from scratch: what the folds kept
            with db.write_transaction(store.engine) as conn:
                org_directory.refresh(conn)
            assert _directory_by_name(store) == merged
    finally:
        crawled.close()
        bulk.close()
