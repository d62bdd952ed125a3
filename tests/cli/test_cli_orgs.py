"""`tenderwatch orgs`: the directory, one organisation, and merges by hand — round trip on the command line."""

from __future__ import annotations

import json

import sqlalchemy as sa
from click.testing import CliRunner

from storage.store import Store
from storage_helpers import Spec, save
from tenderwatch.cli import main


def _db(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'orgs.db'}"
    with Store.open(url, blob_dir=tmp_path / "raw") as store:
        for key, buyer in (("a", "蜀江大学"), ("b", "蜀江大学 028-86501234"), ("c", "江东师范大学")):
            save(store, Spec(key=key, title="云服务", body=f"采购人：{buyer}。", buyer=buyer, remote_compute=key != "c",
                             compute_kinds=["cloud"] if key != "c" else []))
    return url


def run(*args):
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result


def _id(url, name):
    e = sa.create_engine(url)
    with e.connect() as c:
        return c.execute(sa.text("SELECT id FROM organisation WHERE name = :n"), {"n": name}).scalar_one()


def test_orgs_lists_resolved_organisations_as_text_and_json(tmp_path, data_dir):
    url = _db(tmp_path)
    out = run("orgs", "--database-url", url)
    assert out.exit_code == 0
    assert "2 organisations" in out.output and "蜀江大学  (+1 alias)" in out.output
    data = json.loads(run("orgs", "--json", "--role", "buyer", "--sort", "name", "--database-url", url).output)
    assert [(o["name"], o["notices"], o["cases"]) for o in data["items"]] == [("江东师范大学", 1, 0), ("蜀江大学", 2, 2)]


def test_orgs_show_merge_unmerge_round_trip(tmp_path, data_dir):
    url = _db(tmp_path)
    alias, shujiang, jiangdong = _id(url, "蜀江大学 028-86501234"), _id(url, "蜀江大学"), _id(url, "江东师范大学")
    shown = run("orgs", "show", str(alias), "--database-url", url).output
    assert f"({alias} is an alias of {shujiang})" in shown and "a telephone number glued to the end" in shown

    assert run("orgs", "unmerge", str(alias), "--database-url", url).exit_code == 2  # --by is required
    out = run("orgs", "unmerge", str(alias), "--by", "anna", "--note", "two campuses", "--database-url", url)
    assert out.exit_code == 0 and f"kept apart: {alias}" in out.output
    assert "3 organisations" in run("orgs", "--database-url", url).output
    assert "kept apart" in run("orgs", "show", str(shujiang), "--database-url", url).output

    out = run("orgs", "merge", str(jiangdong), str(alias), "--by", "anna", "--database-url", url)
    assert out.exit_code == 0 and f"merged {jiangdong} into {alias}" in out.output
    data = json.loads(run("orgs", "show", str(jiangdong), "--json", "--database-url", url).output)
    assert data["id"] == alias and data["aliases"][0]["rule"] == "manual" and data["aliases"][0]["decided_by"] == "anna"
    # The directory's summary was recounted with the decision: nothing is left for readers to recount.
    listed = json.loads(run("orgs", "--json", "--database-url", url).output)["items"]
    assert {o["name"]: o["notices"] for o in listed} == {"蜀江大学 028-86501234": 2, "蜀江大学": 1}
    with sa.create_engine(url).connect() as c:
        assert c.execute(sa.text("SELECT count(*) FROM org_summary_dirty")).scalar_one() == 0

    out = run("orgs", "auto", str(alias), "--database-url", url)
    assert out.exit_code == 0 and f"is shown as {shujiang}" in out.output
    assert "decisions changed" in run("orgs", "resolve", "--database-url", url).output


def test_orgs_errors_are_one_line(tmp_path, data_dir):
    url = _db(tmp_path)
    out = run("orgs", "show", "999999", "--database-url", url)
    assert out.exit_code == 1 and out.output.strip() == "Error: no organisation with id 999999"
    out = run("orgs", "merge", "1", "999999", "--by", "anna", "--database-url", url)
    assert out.exit_code == 1 and "there is no organisation 999999" in out.output and "Traceback" not in out.output


def test_an_id_too_large_for_the_database_is_no_organisation_not_a_traceback(tmp_path, data_dir):
    url = _db(tmp_path)
    huge = str(2**64)  # larger than any row id: binding it would overflow the driver
    for args in (("show", huge), ("merge", huge, "1", "--by", "anna"), ("merge", "1", huge, "--by", "anna"),
                 ("unmerge", huge, "--by", "anna"), ("auto", huge)):
        out = CliRunner().invoke(main, ["orgs", *args, "--database-url", url])
        assert out.exit_code == 1, (args, out.output, out.exception)
        assert out.output.startswith("Error: ") and f"{huge}" in out.output and len(out.output.strip().splitlines()) == 1
