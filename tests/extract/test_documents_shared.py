"""read_document on the real and benchmark documents in ../shared: every one is read without an error and
its gold title is in the extracted text (evidence offsets point into that text)."""

from __future__ import annotations

import json

import pytest

from extract.documents import read_document

pytestmark = pytest.mark.shared


def _gold(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_compute_cases_documents(shared_dir):
    base = shared_dir / "benchmarks" / "compute-cases"
    gold = _gold(base / "gold.jsonl")
    assert len(gold) == 40
    problems = []
    kinds = {"html": "html", "txt": "text", "pdf": "pdf"}
    for g in gold:
        path = base / g["file"]
        doc = read_document(path.read_bytes(), path.name)
        if doc.errors or doc.kind != kinds[g["format"]] or g["title"] not in doc.text:
            problems.append((g["file"], doc.kind, doc.errors, g["title"]))
    assert not problems


def test_compute_cases_gb18030_pages_declaring_gb2312(shared_dir):
    docs = shared_dir / "benchmarks" / "compute-cases" / "docs"
    gb = [p for p in sorted(docs.glob("*.html")) if b"gb2312" in p.read_bytes()[:2048].lower()]
    assert len(gb) == 2
    for p in gb:
        doc = read_document(p.read_bytes(), p.name)
        assert doc.encoding == "gb18030" and "\ufffd" not in doc.text
        assert doc.meta["summary"]["采购单位"] in doc.text


def test_bidagent_texts(shared_dir):
    base = shared_dir / "benchmarks" / "bidagent-gold"
    gold = _gold(base / "gold.jsonl")
    assert len(gold) == 598
    problems = []
    for g in gold:
        path = base / g["file"]
        doc = read_document(path.read_bytes(), path.name)
        if doc.errors or doc.kind != "text" or (g["title"] and g["title"] not in doc.text):
            problems.append((g["file"], doc.errors, g["title"]))
    assert not problems


def test_real_ccgp_page(shared_dir):
    path = shared_dir / "samples" / "real" / "ccgp_detail_zbgg_shenzhen_2025-05-27.html"
    doc = read_document(path.read_bytes(), path.name)
    assert not doc.errors and doc.kind == "html" and doc.meta["template"] == "ccgp"
    assert doc.title == "深圳市龙华科技实验高级中学空调采购中标（成交）结果公告"
    assert doc.meta["PubDate"] == "2025-05-27 20:20"
    assert doc.meta["breadcrumb"] == ["首页", "政采公告", "地方公告", "中标公告"]
    summary = doc.meta["summary"]
    assert summary["采购单位"] == "深圳市龙华科技实验高级中学"
    assert summary["总中标金额"] == "￥668.790000 万元（人民币）"
    assert summary["代理机构名称"] == "深圳交易集团有限公司龙华分公司"
    lines = doc.text.split("\n")
    # The Shenzhen exchange template: display:block spans are lines, result tables are tab rows.
    assert "一、项目编号：LHACG2025000057" in lines
    assert "供应商名称：深圳市金龙空调电器有限公司" in lines
    assert "中标（成交）金额：6687920.0元" in lines
    assert "A\t深圳市金龙空调电器有限公司\t6687920.0" in lines
    assert lines[-1] == "2025年05月27日"  # the body's last line: nothing after the end marker
    for chrome in ("HOY_TR", "政采法规", "相关公告", "主办单位", "document.cookie"):
        assert chrome not in doc.text
