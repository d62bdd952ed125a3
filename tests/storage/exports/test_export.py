"""`tenderwatch export`: OCDS 1.1 release and record packages validated against the OCDS 1.1.5 schemas (read
offline from ../shared/reference/ocds, and schemas/record-package-schema.json) with the schema patched by our
extension, CSV that spreadsheets open cleanly, and JSONL."""

import copy
import csv
import io
import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4
from sqlmodel import Session

from extract.compute import vocabulary
from storage.exports.ocds import EXTENSION_DIR, EXTENSION_METADATA, EXTENSION_SCHEMA, merge_releases
from storage.exports.records import iter_notice_records
from storage.exports.tabular import NOTICE_COLUMNS, cell, notice_row
from tenderwatch.cli import main

RELEASE_SCHEMA_URL = "https://standard.open-contracting.org/schema/1__1__5/release-schema.json"
HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
SAMPLE_NOTICES = 17  # two of them possible cases (not cases)
SAMPLE_CASE_NOTICES = 13  # all but the hardware purchase and the property-management look-alike


def run_export(url, out, *args):
    result = CliRunner().invoke(main, ["export", "--database-url", url, "--out", str(out), *args])
    assert result.exit_code == 0, result.output
    return result


def merge_patch(target, patch):
    """RFC 7386 JSON Merge Patch: how an OCDS extension's release-schema.json applies to the release schema."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


@pytest.fixture(scope="module")
def ocds_schemas(shared_dir):
    folder = shared_dir / "reference" / "ocds"
    load = lambda name: json.loads((folder / name).read_text(encoding="utf-8"))  # noqa: E731
    release = load("release-schema.json")
    extension = json.loads(EXTENSION_SCHEMA.read_text(encoding="utf-8"))
    extended = merge_patch(release, extension)
    jsonschema.Draft4Validator.check_schema(extended)
    package = load("release-package-schema.json")
    # The package refers to the release schema by URL: serve the (extended) local copy under that URL.
    registry = Registry().with_resource(RELEASE_SCHEMA_URL, Resource.from_contents(extended, default_specification=DRAFT4))
    checker = jsonschema.Draft4Validator.FORMAT_CHECKER
    # jsonschema[format-nongpl] checks "uri" with rfc3986-validator (the GPL rfc3987 is not installed).
    assert {"date-time", "uri"} <= set(checker.checkers), "install jsonschema[format-nongpl]"
    records = json.loads((HERE / "schemas" / "record-package-schema.json").read_text(encoding="utf-8"))
    return {
        "package": jsonschema.Draft4Validator(package, registry=registry, format_checker=checker),
        "records": jsonschema.Draft4Validator(records, registry=registry, format_checker=checker),
        "dereferenced": jsonschema.Draft4Validator(load("dereferenced-release-schema.json"), format_checker=checker),
        "extended": jsonschema.Draft4Validator(extended, format_checker=checker),
    }


def errors(validator, instance):
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(instance)]


@pytest.mark.shared
def test_ocds_export_validates_against_the_ocds_1_1_5_schemas(sample_url_any, tmp_path, ocds_schemas):
    out = tmp_path / "releases.json"
    run_export(sample_url_any, out, "--format", "ocds", "--extension-url", "https://example.org/ext/extension.json",
               "--license", "https://creativecommons.org/licenses/by/4.0/", "--publisher-scheme", "XI-EORI",
               "--publisher-uid", "TW1", "--publication-policy", "https://tenderwatch.example/policy")
    package = json.loads(out.read_text(encoding="utf-8"))
    assert errors(ocds_schemas["package"], package) == []
    assert len(package["releases"]) == SAMPLE_NOTICES
    for release in package["releases"]:
        assert errors(ocds_schemas["dereferenced"], release) == []  # plain OCDS 1.1.5 (extensions are extra fields)
        assert errors(ocds_schemas["extended"], release) == []  # and our extension's own rules
    assert package["version"] == "1.1"
    assert package["extensions"] == ["https://example.org/ext/extension.json"]
    assert package["publishedDate"] == "2026-11-24T02:00:00Z"  # the data's newest change, not the clock
    # No public URL given: no publisher uri is claimed (it would be this machine's address).
    assert package["publisher"] == {"name": "tenderwatch", "scheme": "XI-EORI", "uid": "TW1"}
    assert package["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert package["publicationPolicy"] == "https://tenderwatch.example/policy"


@pytest.mark.shared
def test_ocds_record_package_has_a_record_per_procurement_with_its_compiled_release(
        sample_url_any, tmp_path, ocds_schemas):
    out = tmp_path / "records.json"
    result = run_export(sample_url_any, out, "--format", "ocds-records")
    package = json.loads(out.read_text(encoding="utf-8"))
    assert errors(ocds_schemas["records"], package) == []
    records = {r["ocid"]: r for r in package["records"]}
    assert f"{len(records)} records" in result.output
    assert sum(len(r["releases"]) for r in records.values()) == SAMPLE_NOTICES  # every release, once
    for record in records.values():
        for release in record["releases"] + [record["compiledRelease"]]:
            assert errors(ocds_schemas["extended"], release) == []
        assert record["compiledRelease"]["tag"] == ["compiled"]
    # The tender and its award: one record, the releases in date order, the compiled release the latest state.
    record = records["ocds-twatch-ccgp-4"]
    assert [r["tag"] for r in record["releases"]] == [["tender"], ["award"]]
    compiled = record["compiledRelease"]
    assert compiled["tender"]["status"] == "complete" and compiled["tender"]["value"]["amount"] == 200000
    assert compiled["awards"][0]["value"] == {"amount": 198600, "currency": "CNY"}
    assert {p["name"] for p in compiled["parties"]} >= {"东江理工大学", "蓉拓云联信息技术有限公司"}


def test_the_package_declares_the_extension_the_site_serves(sample_url, tmp_path, monkeypatch):
    monkeypatch.setenv("TENDERWATCH_PUBLIC_URL", "https://tenderwatch.example/")
    out = tmp_path / "releases.json"
    run_export(sample_url, out, "--format", "ocds")
    package = json.loads(out.read_text(encoding="utf-8"))
    assert package["extensions"] == ["https://tenderwatch.example/ocds/extension/extension.json"]
    assert package["publisher"] == {"name": "tenderwatch", "uri": "https://tenderwatch.example"}
    assert "license" not in package  # nobody decided one: none is claimed


@pytest.mark.shared
def test_without_a_public_url_the_extension_is_published_beside_the_package(
        sample_url, tmp_path, monkeypatch, ocds_schemas):
    monkeypatch.delenv("TENDERWATCH_PUBLIC_URL", raising=False)
    out = tmp_path / "site" / "releases.json"
    run_export(sample_url, out, "--format", "ocds")
    package = json.loads(out.read_text(encoding="utf-8"))
    assert errors(ocds_schemas["package"], package) == []
    [url] = package["extensions"]
    assert url == (out.parent / "ocds-extension" / "extension.json").resolve().as_uri()
    assert "127.0.0.1" not in out.read_text(encoding="utf-8") and "uri" not in package["publisher"]
    # The declared URL resolves: the copy names its schema beside it and documents itself with its README.
    copy = out.parent / "ocds-extension"
    meta = json.loads((copy / "extension.json").read_text(encoding="utf-8"))
    assert meta["documentationUrl"]["en"] == (copy / "README.md").as_uri() and (copy / "README.md").exists()
    assert json.loads((copy / meta["schemas"][0]).read_text(encoding="utf-8")) == \
        json.loads(EXTENSION_SCHEMA.read_text(encoding="utf-8"))

    # Published on a web server: the extension is declared relative to the package's uri.
    run_export(sample_url, out, "--format", "ocds", "--package-uri", "https://data.example.org/tw/releases.json")
    assert json.loads(out.read_text(encoding="utf-8"))["extensions"] == [
        "https://data.example.org/tw/ocds-extension/extension.json"]


def test_on_standard_output_without_a_public_url_the_extension_is_a_documented_placeholder(sample_url, monkeypatch):
    monkeypatch.delenv("TENDERWATCH_PUBLIC_URL", raising=False)
    result = CliRunner().invoke(main, ["export", "--database-url", sample_url, "--out", "-", "--format", "ocds"])
    assert result.exit_code == 0, result.output
    package = json.loads(result.stdout[result.stdout.index("{"):])
    assert package["extensions"] == ["https://tenderwatch.invalid/ocds/extension/extension.json"]
    assert "--public-url" in result.stderr


def test_merging_releases_follows_the_ocds_merge_rules():
    tender = {"ocid": "o", "id": "1", "date": "2026-11-03T00:00:00+08:00", "tag": ["tender"],
              "tender": {"status": "active", "value": {"amount": 1, "currency": "CNY"}},
              "parties": [{"id": "A", "name": "buyer", "roles": ["buyer"]}]}
    award = {"ocid": "o", "id": "2", "date": "2026-11-17T09:00:00Z", "tag": ["award"],
             "tender": {"status": "complete"},
             "parties": [{"id": "B", "name": "supplier", "roles": ["supplier"]}]}
    compiled = merge_releases([award, tender])  # any input order: merged in date order
    assert compiled["tender"] == {"status": "complete", "value": {"amount": 1, "currency": "CNY"}}
    assert [p["id"] for p in compiled["parties"]] == ["A", "B"]  # objects with ids merge by id
    assert compiled["tag"] == ["compiled"] and compiled["date"] == award["date"]


@pytest.mark.shared
def test_ocds_validation_catches_a_bad_extension_value(sample_url, tmp_path, ocds_schemas):
    """The validator is not a rubber stamp: a compute kind outside the codelist fails."""
    out = tmp_path / "releases.json"
    run_export(sample_url, out, "--format", "ocds")
    release = json.loads(out.read_text(encoding="utf-8"))["releases"][0]
    release["computeFindings"]["kinds"] = ["quantum"]
    assert any("quantum" in e for e in errors(ocds_schemas["extended"], release))
    del release["computeFindings"]
    release["date"] = "last tuesday"
    assert any("date-time" in e for e in errors(ocds_schemas["dereferenced"], release))
    # Format "uri" is checked too (by rfc3986-validator, without the GPL rfc3987).
    release["date"] = "2026-11-03T00:00:00+08:00"
    release["tender"]["documents"][0]["url"] = "http://例子.测试/公告 1.htm"
    assert any("uri" in e for e in errors(ocds_schemas["dereferenced"], release))


def test_ocds_mapping_of_a_procurement(sample_url, tmp_path):
    out = tmp_path / "releases.json"
    run_export(sample_url, out, "--format", "ocds", "--ocid-prefix", "ocds-abc123")
    releases = json.loads(out.read_text(encoding="utf-8"))["releases"]
    by_title = {r["tender"]["title"]: r for r in releases}
    tender = by_title["东江理工大学科研云计算资源（境外）服务采购项目竞争性磋商公告"]
    award = by_title["东江理工大学科研云计算资源（境外）服务采购项目成交结果公告"]

    # One contracting process: the tender's source and notice id name it, and the award shares it.
    assert tender["ocid"] == award["ocid"] == "ocds-abc123-ccgp-4"
    assert len({r["id"] for r in releases}) == len(releases)
    assert (tender["tag"], award["tag"]) == (["tender"], ["award"])
    assert tender["date"] == "2026-11-03T00:00:00+08:00"

    roles = {p["name"]: p["roles"] for p in award["parties"]}
    assert roles == {"东江理工大学": ["buyer"], "栖岩招标代理有限公司": ["procuringEntity"],
                     "蓉拓云联信息技术有限公司": ["supplier"]}
    party_ids = {p["id"] for p in award["parties"]}
    assert award["buyer"]["id"] in party_ids and award["tender"]["procuringEntity"]["id"] in party_ids

    assert tender["tender"]["value"] == {"amount": 200000, "currency": "CNY"}
    assert tender["tender"]["tenderPeriod"] == {"endDate": "2026-11-13T09:00:00+08:00"}
    assert [i["id"] for i in tender["tender"]["items"]] == ["cloud", "gpu_rental"]
    # Described as the site and the digest name them (extract/compute/data/kinds.toml, providers.toml).
    assert tender["tender"]["items"][0]["description"] == "Cloud computing resources (AWS 亚马逊云科技)"
    assert tender["tender"]["mainProcurementCategory"] == "services"
    [aw] = award["awards"]
    assert aw["value"] == {"amount": 198600, "currency": "CNY"}
    assert [s["name"] for s in aw["suppliers"]] == ["蓉拓云联信息技术有限公司"]
    assert aw["suppliers"][0]["id"] in party_ids
    docs = {d["id"]: d for d in aw["documents"]}
    assert docs["notice-9"]["url"].endswith("t20261118_0009.htm") and docs["notice-9"]["documentType"] == "awardNotice"
    [pdf] = [d for d in aw["documents"] if d["id"].startswith("attachment-")]
    # The Chinese file name is percent-encoded: OCDS wants a URI, not an IRI.
    assert pdf["url"].endswith("/%E6%88%90%E4%BA%A4%E7%BB%93%E6%9E%9C.pdf") and pdf["format"] == "application/pdf"

    findings = award["computeFindings"]
    assert findings["remoteCompute"] is True and findings["kinds"] == ["cloud", "gpu_rental"]
    assert findings["cloudProviders"] == ["aws"] and findings["accelerators"] == ["nvidia-a100", "nvidia-h100"]
    assert "us_provider" in findings["flags"]
    [ev] = [e for e in findings["evidence"] if e["field"] == "remote_compute"]
    assert ev["text"] == "AWS境外账号及p4d、p5 GPU实例资源" and ev["end"] > ev["start"]

    # A buyer without an agency runs the procurement itself; a hardware purchase says so in its findings.
    hardware = by_title["江东师范大学GPU服务器采购项目公开招标公告"]
    assert [p["roles"] for p in hardware["parties"]] == [["buyer", "procuringEntity"]]
    assert hardware["computeFindings"]["remoteCompute"] is False
    assert hardware["computeFindings"]["hardwarePurchase"] is True
    assert hardware["tender"]["mainProcurementCategory"] == "goods"
    cancelled = by_title["禾溪市数据资源局城市大脑云平台租赁服务废标公告"]
    assert cancelled["tag"] == ["tenderCancellation"] and cancelled["tender"]["status"] == "cancelled"


def test_ocds_extension_files_are_consistent():
    meta = json.loads(EXTENSION_METADATA.read_text(encoding="utf-8"))
    assert meta["schemas"] == [EXTENSION_SCHEMA.name] and meta["compatibility"] == ["1.1"]
    assert meta["documentationUrl"]["en"].startswith("http")  # a URL, as the extension metadata schema wants
    schema = json.loads(EXTENSION_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator.check_schema(schema)
    doc = (EXTENSION_DIR / "README.md").read_text(encoding="utf-8")
    properties = schema["definitions"]["ComputeFindings"]["properties"]
    for name in properties:
        assert f"`{name}`" in doc, f"the extension's README.md does not document {name}"
    # The closed codelists are the vocabulary's (extract/compute/data/kinds.toml, flags.toml), in its order.
    assert properties["kinds"]["items"]["enum"] == list(vocabulary.KINDS)
    assert properties["flags"]["items"]["enum"] == list(vocabulary.FLAGS)


def test_ocds_export_of_nothing_is_an_error_and_leaves_no_file(sample_url, tmp_path):
    out = tmp_path / "none.json"
    result = CliRunner().invoke(main, ["export", "--database-url", sample_url, "--out", str(out), "--format", "ocds",
                                       "--since", "2030-01-01"])
    assert result.exit_code == 1 and "at least one release" in result.output
    assert list(tmp_path.iterdir()) == []


def test_csv_export_opens_cleanly_and_round_trips(sample_url, tmp_path):
    from storage.db import make_engine

    out = tmp_path / "notices.csv"
    run_export(sample_url, out, "--format", "csv")
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0] == list(NOTICE_COLUMNS)
    engine = make_engine(sample_url, read_only=True)
    with Session(engine) as session:
        expected = [[cell(notice_row(r)[c]) for c in NOTICE_COLUMNS]
                    for r in iter_notice_records(session, with_text=True)]
    engine.dispose()
    assert rows[1:] == expected and len(expected) == SAMPLE_NOTICES
    title = dict(zip(rows[0], rows[11]))["title"]
    assert title == '北川市气象局数值天气预报超算中心机时服务采购公告（"高分辨率"模式, 含存储&备份）'


def test_cases_only_and_the_first_seen_window(sample_url, tmp_path):
    out = tmp_path / "cases.jsonl"
    run_export(sample_url, out, "--format", "jsonl", "--cases-only")
    objs = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(objs) == SAMPLE_CASE_NOTICES and all(o["remote_compute"] for o in objs)
    assert objs[0]["amounts"] == [{"kind": "budget", "value_cny": 2400000.0, "percent": None, "raw": "240万元",
                                  "currency": None, "value": None}]

    # --until with a day includes that whole day (UTC); W47 is Monday 16 to Sunday 22 November.
    run_export(sample_url, out, "--format", "jsonl", "--since", "2026-11-16", "--until", "2026-11-22")
    week = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(week) == 9  # 8 notices of cases and the like, and one possible case
    assert all("2026-11-16" <= o["first_seen"] < "2026-11-23" for o in week)
    # With a time of day, --until is exclusive.
    run_export(sample_url, out, "--format", "jsonl", "--since", "2026-11-16", "--until", "2026-11-21T06:00")
    assert len(out.read_text(encoding="utf-8").splitlines()) == 8


def test_export_to_standard_output(sample_url):
    result = CliRunner().invoke(main, ["export", "--database-url", sample_url, "--out", "-", "--format", "jsonl",
                                       "--since", "2026-11-24"])
    assert result.exit_code == 0, result.output
    [line] = [l for l in result.stdout.splitlines() if l.startswith("{")]
    assert json.loads(line)["notice_type"] == "award"


def test_an_award_stated_in_another_currency_is_exported_in_that_currency(tmp_path):
    """A Hong Kong award in HK$ is not converted (no rate is stated): OCDS carries the amount as stated, in HKD."""
    url = f"sqlite:///{tmp_path / 'tw.db'}"
    notice = ROOT / "tests" / "fixtures" / "notices" / "hk_award_en.txt"
    result = CliRunner().invoke(main, ["ingest", str(notice), "--database-url", url])
    assert result.exit_code == 0, result.output
    out = tmp_path / "all.json"
    run_export(url, out, "--format", "ocds")
    (release,) = json.loads(out.read_text(encoding="utf-8"))["releases"]
    assert release["awards"][0]["value"] == {"amount": 3860000.0, "currency": "HKD"}
    # The CSV shows it too, with its currency (a "CNY only" column would leave it blank).
    csv_out = tmp_path / "all.csv"
    run_export(url, csv_out, "--format", "csv")
    (row,) = csv.DictReader(io.StringIO(csv_out.read_text(encoding="utf-8-sig"), newline=""))
    assert (row["award"], row["award_currency"]) == ("3860000", "HKD")
