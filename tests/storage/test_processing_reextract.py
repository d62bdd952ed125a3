"""process_notice (raw bytes → documents → extraction → store) and `tenderwatch reextract`, which rebuilds
every derived field from the stored raw blobs alone."""

import json

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from extract.version import EXTRACTOR_VERSION
from models.tables import Attachment, Notice, NoticeParty, NoticeTag
from storage.db import head_revision
from storage.search import SearchQuery
from storage.store import Store
from tenderwatch.cli import main
from storage.processing import RawAttachment, RawNotice, process_notice

PAGE = """<html><head><meta charset="utf-8"><title>中国政府采购网</title>
<meta name="ArticleTitle" content="北京大学人工智能研究院云计算资源租用服务采购公告"></head>
<body><div class="vF_detail_header"><h2 class="tc">北京大学人工智能研究院云计算资源租用服务采购公告</h2></div>
<div class="vF_detail_content">
<p>项目编号：PKU-AI-2024-021</p>
<p>项目名称：人工智能研究院云计算资源租用服务</p>
<p>采购人名称：北京大学</p>
<p>采购需求：租用阿里云GPU云服务器（gn7e，NVIDIA A100 80GB）不少于16卡，按卡时计费，服务期一年。</p>
<p>预算金额：120.00万元（人民币）</p>
<p>获取招标文件时间：2024年05月28日至2024年06月04日</p>
</div></body></html>"""


@pytest.fixture
def env(database_url, data_dir, monkeypatch):
    monkeypatch.setenv("TENDERWATCH_DATABASE_URL", database_url)
    return {"TENDERWATCH_DATABASE_URL": database_url, "TENDERWATCH_DATA_DIR": str(data_dir)}


def raw() -> RawNotice:
    return RawNotice(
        source="ccgp",
        url="http://www.ccgp.gov.cn/cggg/zygg/gkzb/202405/t20240528_22061234.htm",
        data=PAGE.encode("utf-8"),
        content_type="text/html",
        name="t20240528_22061234.htm",
        list_meta={
            "title": "北京大学人工智能研究院云计算资源租用服务采购公告",
            "published_at": "2024-05-28",
            "buyer": "北京大学",
        },
        attachments=[
            RawAttachment(
                url="http://www.ccgp.gov.cn/oss/download?uuid=abc",
                name="技术需求.txt",
                data="技术要求：GPU显存不低于80GB，支持NVLink互联。".encode("utf-8"),
                content_type="text/plain",
            ),
            RawAttachment(
                url="http://www.ccgp.gov.cn/oss/download?uuid=def", name="合同.pdf", data=None, error="http_404"
            ),
        ],
    )


def derived(store: Store, notice_id: int) -> dict:
    d = store.notice_detail(notice_id)
    keep = (
        "title",
        "notice_type",
        "published_at",
        "project_code",
        "buyer",
        "amounts",
        "remote_compute",
        "compute_kinds",
        "cloud_providers",
        "gpu_models",
        "flags",
        "text",
        "extractor_version",
        "procurement_key",
    )
    return {k: d[k] for k in keep} | {"attachments": [(a["name"], a["status"], a["text"]) for a in d["attachments"]]}


def test_process_notice_stores_page_attachments_and_extraction(env):
    with Store.open() as store:
        run = store.start_run("ccgp", {})
        result = process_notice(store, raw(), run_id=run)
        assert result.status == "new"
        d = store.notice_detail(result.notice_id)
        assert "阿里云" in d["text"] and d["title"].startswith("北京大学")
        assert d["extractor_version"] == EXTRACTOR_VERSION
        assert [(a["name"], a["status"]) for a in d["attachments"]] == [
            ("技术需求.txt", "ok"),
            ("合同.pdf", "fetch_error"),
        ]
        assert store.search(SearchQuery(text="NVLink")).total == 1  # attachment text is searchable
        assert store.stats()["crawl_errors_by_reason"] == {"attachment_http_404": 1}
        assert process_notice(store, raw(), run_id=run).status == "unchanged"
        assert store.stats()["crawl_errors"] == 1  # an unchanged page adds nothing, errors included


def test_an_unchanged_page_is_not_extracted_again(env, monkeypatch):
    import storage.processing as processing

    with Store.open() as store:
        first = process_notice(store, raw())
        before = store.notice_detail(first.notice_id)["last_seen"]

        def no_extraction(*args, **kwargs):
            raise AssertionError("an unchanged page must not be extracted again")

        monkeypatch.setattr(processing, "extract_notice", no_extraction)
        again = process_notice(store, raw())
        assert again.status == "unchanged" and again.notice_id == first.notice_id
        assert store.notice_detail(first.notice_id)["last_seen"] >= before
        monkeypatch.undo()
        changed = raw()
        changed.attachments[0].data = "技术要求：GPU显存不低于96GB。".encode("utf-8")  # new attachment bytes
        assert process_notice(store, changed).status == "unchanged"  # same body text: no new version…
        assert store.search(SearchQuery(text="96GB")).total == 1  # …but the new attachment text is stored
        assert store.search(SearchQuery(text="NVLink")).total == 0  # and the old one is gone from the index


def test_reextract_rebuilds_every_derived_field_from_the_blobs(env):
    with Store.open() as store:
        notice_id = process_notice(store, raw()).notice_id
        expected = derived(store, notice_id)
        # Wreck everything derived, as an old extractor (or a bug) might have left it.
        with store.engine.begin() as c:
            c.execute(
                sa.update(Notice).values(
                    title="",
                    text="",
                    notice_type=None,
                    remote_compute=False,
                    extractor_version="0.0.1",
                    procurement_key=None,
                )
            )
            c.execute(sa.update(Attachment).where(Attachment.sha256.is_not(None)).values(text="", status="corrupt"))
            c.execute(sa.delete(NoticeTag))
            c.execute(sa.delete(NoticeParty))
    result = CliRunner().invoke(main, ["reextract"], env=env)
    assert result.exit_code == 0, result.output
    assert "re-extracted 1 notices" in result.output
    with Store.open() as store:
        assert derived(store, notice_id) == expected
        assert store.search(SearchQuery(text="阿里云")).total == 1
    again = CliRunner().invoke(main, ["reextract"], env=env)
    assert "nothing to do" in again.output
    forced = CliRunner().invoke(main, ["reextract", "--all"], env=env)
    assert forced.exit_code == 0 and "re-extracted 1 notices" in forced.output


def test_reextract_reports_a_missing_blob_and_keeps_the_notice(env, data_dir):
    with Store.open() as store:
        notice_id = process_notice(store, raw()).notice_id
        sha = store.notice_detail(notice_id)["raw_sha256"]
        store.blobs.path(sha).unlink()
    result = CliRunner().invoke(main, ["reextract", "--all"], env=env)
    assert result.exit_code == 1
    assert f"notice {notice_id} kept as it was" in result.output
    with Store.open() as store:
        assert store.notice_detail(notice_id)["title"].startswith("北京大学")


def test_cli_search_show_stats(env):
    with Store.open() as store:
        notice_id = process_notice(store, raw()).notice_id
    runner = CliRunner()
    out = runner.invoke(main, ["search", "阿里云", "--json"], env=env)
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)
    assert [r["id"] for r in rows] == [notice_id]
    assert {
        "id",
        "title",
        "url",
        "published_at",
        "notice_type",
        "buyer",
        "snippet",
        "cloud_providers",
        "gpu_models",
        "flags",
        "compute_kinds",
        "remote_compute",
    } <= set(rows[0])
    assert "阿里云" in rows[0]["snippet"]
    text = runner.invoke(main, ["search", "阿里云", "--since", "2024-01-01", "--type", "tender"], env=env)
    assert text.exit_code == 0 and "1 notices" in text.output
    none = runner.invoke(main, ["search", "阿里云", "--until", "2023-12-31", "--json"], env=env)
    assert json.loads(none.output) == []
    bad = runner.invoke(main, ["search", '"unclosed'], env=env)
    assert bad.exit_code == 2 and "bad query" in bad.output
    show = runner.invoke(main, ["show", str(notice_id)], env=env)
    assert (
        show.exit_code == 0
        and "北京大学" in show.output
        and "技术需求.txt" in show.output
        and "versions: 1" in show.output
    )
    shown = json.loads(runner.invoke(main, ["show", str(notice_id), "--json"], env=env).output)
    assert shown["id"] == notice_id and len(shown["attachments"]) == 2
    missing = runner.invoke(main, ["show", "999999"], env=env)
    assert missing.exit_code == 1 and "no notice" in missing.output
    stats = json.loads(runner.invoke(main, ["stats", "--json"], env=env).output)
    assert stats["notices"] == 1 and stats["notices_by_source"] == {"ccgp": 1}
    assert stats["attachments_by_status"] == {"fetch_error": 1, "ok": 1}
    plain = runner.invoke(main, ["stats"], env=env)
    assert plain.exit_code == 0 and "notices: 1" in plain.output


def test_db_upgrade_is_idempotent(env):
    runner = CliRunner()
    first = runner.invoke(main, ["db", "upgrade"], env=env)
    assert first.exit_code == 0, first.output
    second = runner.invoke(main, ["db", "upgrade"], env=env)
    assert "already at" in second.output
    current = runner.invoke(main, ["db", "current"], env=env)
    assert current.output.count(head_revision()) == 2
