"""`tenderwatch ingest --bulk`: a folder of notices extracted in several processes and written through the bulk
loader stores what a plain `ingest` stores, and reports the same summary."""

from __future__ import annotations

import json
import sqlite3

import sqlalchemy as sa
from click.testing import CliRunner

from tenderwatch.cli import main

NOTICES = {
    "a/云服务.txt": "某某大学云服务器租赁项目公开招标公告\n项目编号：DX-2024-001\n采购人：某某大学\n预算金额：120万元\n"
                   "采购内容：租用阿里云 ECS 云服务器及 GPU 算力，服务期一年。",
    "a/家具.txt": "某某中学办公家具采购项目中标公告\n项目编号：ZX-2024-017\n采购人：某某中学\n中标供应商：某某家具有限公司\n"
                 "中标金额：35.6万元",
    "b/copy.txt": "某某中学办公家具采购项目中标公告\n项目编号：ZX-2024-017\n采购人：某某中学\n中标供应商：某某家具有限公司\n"
                  "中标金额：35.6万元",  # the same content again: stored once
    "b/empty.txt": "",
}

COLUMNS = "url, title, text, notice_type, published_at, project_code, procurement_key, remote_compute, extractor_version"


def ingest(folder, url, *extra):
    result = CliRunner().invoke(main, ["ingest", str(folder), "--database-url", url, "--json", *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.output[result.output.index("{"):])


def stored(url):
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        notices = conn.execute(sa.text(f"SELECT {COLUMNS} FROM notice ORDER BY url")).all()
        tags = conn.execute(sa.text("SELECT facet, value FROM noticetag ORDER BY 1, 2")).all()
    engine.dispose()
    return notices, tags


def notice_folder(folder):
    """A folder holding NOTICES, as files at their relative paths."""
    for name, text in NOTICES.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_bulk_ingest_stores_what_ingest_stores(tmp_path, monkeypatch):
    monkeypatch.setenv("TENDERWATCH_DATA_DIR", str(tmp_path / "data"))
    folder = notice_folder(tmp_path / "in")
    plain, bulk = f"sqlite:///{tmp_path / 'plain.db'}", f"sqlite:///{tmp_path / 'bulk.db'}"
    a = ingest(folder, plain)
    b = ingest(folder, bulk, "--bulk", "--workers", "2")
    for summary in (a, b):
        summary.pop("seconds"), summary.pop("run_id")
    assert a == b
    assert a["notices"]["new"] == 2 and a["skipped_known"] == 1 and a["errors"] == {"empty_file": 1}
    assert stored(plain) == stored(bulk)
    again = ingest(folder, bulk, "--bulk")
    assert again["skipped_known"] == 3 and again["notices"]["new"] == 0


def test_a_pack_index_that_cannot_be_written_is_a_one_line_error_and_stores_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("TENDERWATCH_DATA_DIR", str(tmp_path / "data"))
    packs = tmp_path / "data" / "raw" / "packs"
    packs.mkdir(parents=True)
    (packs / "index.sqlite").write_bytes(b"not a database" * 100)
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text(NOTICES["a/云服务.txt"], encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'bulk.db'}"
    result = CliRunner().invoke(main, ["ingest", str(folder), "--database-url", url, "--bulk"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    (line,) = [x for x in result.output.splitlines() if x.startswith("Error:")]
    assert "pack index" in line and "cannot be written: file is not a database" in line
    assert stored(url)[0] == []


def test_a_lost_pack_index_is_rebuilt_by_db_reindex_packs(tmp_path, monkeypatch):
    monkeypatch.setenv("TENDERWATCH_DATA_DIR", str(tmp_path / "data"))
    folder = notice_folder(tmp_path / "in")
    url = f"sqlite:///{tmp_path / 'bulk.db'}"
    ingest(folder, url, "--bulk")
    index = tmp_path / "data" / "raw" / "packs" / "index.sqlite"
    with sqlite3.connect(index) as conn:
        packed = conn.execute("SELECT count(*) FROM blob").fetchone()[0]
    index.unlink()
    result = CliRunner().invoke(main, ["db", "reindex-packs"])
    assert result.exit_code == 0, result.output
    assert result.output == f"indexed {packed} raw files\n" and packed >= 2
    from storage.store import Store

    with Store.open(url, blob_dir=tmp_path / "data" / "raw") as store:
        assert [store.raw_notice(i).data.decode() for i in store.notice_ids()] == [
            NOTICES[name] for name in ("a/云服务.txt", "a/家具.txt")]
