"""`tenderwatch extract PATH... [--jsonl]`: one object per file, keys of NoticeExtraction.to_json, a file it
cannot read gives an object with errors and the run goes on.

The first tests replace extract.pipeline with a stand-in built on read_document, so they specify the
command alone; the last ones run the real pipeline (fields and compute extraction)."""

from __future__ import annotations

import json
import shutil
import types
from pathlib import Path

import pytest
from click.testing import CliRunner

from extract.documents import read_document
from extract.types import ComputeFindings, NoticeExtraction, NoticeFields
from tenderwatch.cli import main

DOCS = Path(__file__).resolve().parents[1] / "fixtures" / "documents"
KEYS = ["path", "notice_type", "title", "project_codes", "buyer", "agency", "vendors", "amounts", "published_at",
        "bid_deadline", "region", "remote_compute", "compute_kinds", "hardware_purchase", "cloud_providers",
        "gpu_models", "flags", "compute_candidate", "candidate_score", "candidate_reasons", "evidence",
        "extractor_version", "errors"]


@pytest.fixture
def stand_in(monkeypatch):
    """extract.pipeline replaced: title from the document, errors from the document; 'boom' in a file
    name makes it raise."""

    def extract_path(path: Path) -> NoticeExtraction:
        if "boom" in path.name:
            raise ValueError("extractor bug")
        doc = read_document(path.read_bytes(), name=path.name)
        return NoticeExtraction(fields=NoticeFields(title=doc.title), compute=ComputeFindings(),
                                extractor_version="test", errors=list(doc.errors))

    monkeypatch.setitem(__import__("sys").modules, "extract.pipeline",
                        types.SimpleNamespace(extract_path=extract_path))


def run(*args: str):
    result = CliRunner().invoke(main, ["extract", *args])
    return result


def jsonl(result) -> list[dict]:
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_one_object_per_file_with_the_contract_keys(stand_in):
    result = run(str(DOCS / "notice.pdf"), str(DOCS / "ccgp_utf8.html"), "--jsonl")
    assert result.exit_code == 0, result.output
    objs = jsonl(result)
    assert [list(o) for o in objs] == [KEYS, KEYS]
    assert [o["path"] for o in objs] == [str(DOCS / "notice.pdf"), str(DOCS / "ccgp_utf8.html")]
    assert objs[1]["title"] == "蜀江大学高性能计算集群GPU算力租赁服务采购项目中标结果公告"


def test_a_directory_means_every_file_under_it_sorted(stand_in, tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / ".hidden").mkdir()
    for rel in ("z.txt", "b/a.html", "a.pdf", ".hidden/x.txt", ".DS_Store"):
        shutil.copy(DOCS / "notice_header.txt", tmp_path / rel)
    objs = jsonl(run(str(tmp_path), "--jsonl"))
    assert [Path(o["path"]).relative_to(tmp_path).as_posix() for o in objs] == ["a.pdf", "b/a.html", "z.txt"]


def test_bad_files_get_errors_and_the_run_goes_on(stand_in, tmp_path, monkeypatch):
    monkeypatch.setenv("TENDERWATCH_OCR", "0")  # the scan's reason as detected; OCR itself: test_ocr.py
    for name in ("empty.pdf", "encrypted_password.pdf", "truncated.pdf", "garbage.bin", "scanned.pdf",
                 "notice.docx"):
        shutil.copy(DOCS / name, tmp_path / name)
    (tmp_path / "boom.txt").write_text("采购公告", encoding="utf-8")
    result = run(str(tmp_path), "--jsonl")
    assert result.exit_code == 1
    errors = {Path(o["path"]).name: [e.split(":")[0] for e in o["errors"]] for o in jsonl(result)}
    assert errors == {
        "boom.txt": ["failed"], "empty.pdf": ["empty"], "encrypted_password.pdf": ["encrypted"],
        "garbage.bin": ["unsupported"], "notice.docx": [], "scanned.pdf": ["needs_ocr"], "truncated.pdf": ["corrupt"],
    }
    assert "6 with errors" in result.stderr


def test_extractor_crash_still_reports_the_file_problem(stand_in, tmp_path):
    shutil.copy(DOCS / "encrypted_password.pdf", tmp_path / "boom.pdf")
    (obj,) = jsonl(run(str(tmp_path / "boom.pdf"), "--jsonl"))
    assert [e.split(":")[0] for e in obj["errors"]] == ["encrypted", "failed"]
    assert list(obj) == KEYS


def test_readable_summary_without_jsonl(stand_in):
    result = run(str(DOCS / "ccgp_utf8.html"), str(DOCS / "encrypted_password.pdf"))
    assert result.exit_code == 1
    blocks = result.stdout.strip().split("\n\n")
    assert blocks[0].split("\n")[0] == str(DOCS / "ccgp_utf8.html")
    assert "  title: 蜀江大学高性能计算集群GPU算力租赁服务采购项目中标结果公告" in blocks[0]
    assert "  error: encrypted: a password is needed" in blocks[1]


def test_progress_on_stderr_for_long_runs_only(stand_in, tmp_path):
    for i in range(25):
        shutil.copy(DOCS / "notice_header.txt", tmp_path / f"{i:02}.txt")
    long = run(str(tmp_path), "--jsonl")
    assert len(jsonl(long)) == 25
    assert "extract: 25/25 files" in long.stderr and "25 files in" in long.stderr
    short = run(str(tmp_path / "00.txt"), "--jsonl")
    assert short.stderr == ""


def test_exit_status_is_1_when_any_input_could_not_be_read_after_every_result(stand_in, tmp_path):
    names = ["a_truncated.pdf", "b_notice.html", "c_garbage.bin", "d_encrypted.pdf"]
    for name, src in zip(names, ["truncated.pdf", "ccgp_utf8.html", "garbage.bin", "encrypted_password.pdf"]):
        shutil.copy(DOCS / src, tmp_path / name)
    result = run(str(tmp_path), "--jsonl")
    assert result.exit_code == 1
    assert [Path(o["path"]).name for o in jsonl(result)] == names  # every result printed, in order
    assert "3 with errors" in result.stderr


def test_exit_status_is_0_when_every_input_was_read(stand_in):
    result = run(str(DOCS / "ccgp_utf8.html"), str(DOCS / "notice.pdf"), "--jsonl")
    assert result.exit_code == 0 and len(jsonl(result)) == 2


def test_missing_path_is_a_usage_error(stand_in, tmp_path):
    result = run(str(tmp_path / "nope.html"))
    assert result.exit_code == 2 and "does not exist" in result.stderr


# ---------------------------------------------------------------------------- the real pipeline


def test_real_pipeline_on_fixtures(tmp_path):
    for name in ("ccgp_utf8.html", "notice.pdf", "encrypted_password.pdf", "garbage.bin"):
        shutil.copy(DOCS / name, tmp_path / name)
    result = run(str(tmp_path), "--jsonl")
    assert result.exit_code == 1  # two of the four could not be read
    objs = {Path(o["path"]).name: o for o in jsonl(result)}
    assert all(list(o) == KEYS for o in objs.values())
    assert [e.split(":")[0] for e in objs["encrypted_password.pdf"]["errors"]] == ["encrypted"]
    assert [e.split(":")[0] for e in objs["garbage.bin"]["errors"]] == ["unsupported"]
    assert objs["ccgp_utf8.html"]["errors"] == []
    text = read_document((DOCS / "ccgp_utf8.html").read_bytes(), "ccgp_utf8.html").text
    for ev in objs["ccgp_utf8.html"]["evidence"]:  # evidence offsets point into DocumentText.text
        assert text[ev["start"]:ev["end"]] == ev["text"]
