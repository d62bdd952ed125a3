"""`tenderwatch ingest --bulk`: a folder of notices extracted in several processes and written through the bulk
loader stores what a plain `ingest` stores, and reports the same summary."""

from __future__ import annotations

import json

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


def test_bulk_ingest_stores_what_ingest_stores(tmp_path, monkeypatch):
    monkeypatch.setenv("TENDERWATCH_DATA_DIR", str(tmp_path / "data"))
    folder = tmp_path / "in"
    for name, text in NOTICES.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
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
