"""One cap on titles, decided once (extract.documents.textutil.cap_title): `tenderwatch extract` prints the
title that `ingest` stores, however long the line it comes from."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from extract.documents.textutil import TITLE_MAX_CHARS
from tenderwatch.cli import main

LINE = "某市政务云服务采购项目公告" * 300  # 3,900 characters and no line break


@pytest.mark.parametrize("name, content", [
    ("one-line.txt", LINE),
    ("long-title.html", f"<html><head><title>{LINE}</title></head><body><p>本项目采购云服务。</p></body></html>"),
])
def test_extract_prints_the_capped_title_that_ingest_stores(tmp_path, data_dir, name, content):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    extracted = CliRunner().invoke(main, ["extract", str(path), "--jsonl"])
    title = json.loads(extracted.stdout)["title"]
    assert len(title) == TITLE_MAX_CHARS and title.endswith("…") and LINE.startswith(title[:-1])

    url = f"sqlite:///{tmp_path / 'tw.db'}"
    assert CliRunner().invoke(main, ["ingest", str(path), "--database-url", url]).exit_code == 0
    shown = CliRunner().invoke(main, ["show", "1", "--json", "--database-url", url])
    assert json.loads(shown.stdout)["title"] == title


def test_a_title_within_the_cap_is_kept_whole(tmp_path):
    path = tmp_path / "notice.txt"
    path.write_text("某大学GPU算力租赁服务采购公告\n本项目采购GPU算力租赁服务。\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["extract", str(path), "--jsonl"])
    assert json.loads(result.stdout)["title"] == "某大学GPU算力租赁服务采购公告"
