"""The same answers whatever the format (issue 11): a few real notices from ../shared rendered as legacy .doc,
.wps, and .docx inside 7z, RAR 4, RAR 5 and a GBK-named ZIP give exactly the answers of the .docx they were
made from — fields and compute findings — and, for the bundles, the title of the source text (a member's
file name is never taken for the title). The full figures: bench/bench_renditions.py."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.shared

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import renditions as r  # noqa: E402

ARCHIVES = ["7z", "rar4", "rar5", "gbk_zip"]


@pytest.fixture(scope="module")
def sources(shared_dir):
    return r.load_sources(3, 2, shared=shared_dir / "benchmarks")


def _assert_same(results: dict[str, r.RenditionResult]) -> None:
    for res in results.values():
        assert res.read_ok == res.files, (res.kind, res.errors)
        assert res.fields_agreeing == res.fields_answered, (res.kind, res.mismatches)
        assert res.compute_identical == res.files, (res.kind, res.mismatches)


def test_archived_documents_answer_like_the_docx_inside(sources, tmp_path):
    _assert_same(r.compare(sources, ARCHIVES, tmp_path, baseline="docx"))


def test_bundled_notices_keep_the_source_title(sources, tmp_path):
    results = r.compare(sources, ["gbk_zip", "rar5"], tmp_path)
    assert not [m for res in results.values() for m in res.mismatches if " title: " in m]


def test_doc_and_wps_answer_like_the_docx(sources, tmp_path):
    from extract.documents.legacy import soffice_path

    if soffice_path() is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("LibreOffice (soffice) is missing but CI=true")
        pytest.skip("LibreOffice is not installed (apt-get install libreoffice-writer-nogui)")
    _assert_same(r.compare(sources, ["doc", "wps"], tmp_path, baseline="docx"))
