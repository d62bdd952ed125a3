"""`tenderwatch export --format gold`: reviewed notices in the compute-cases gold format, texts beside."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from review_fixtures import extracted  # noqa: F401  (the fixture)


def _score(shared_dir: Path, predictions: Path, gold: Path) -> dict:
    res = subprocess.run([sys.executable, str(shared_dir / "benchmarks" / "score_compute.py"), str(predictions),
                          "--gold", str(gold), "--json"], capture_output=True, text=True, check=True)
    return json.loads(res.stdout)


def _review_all(db):
    ids = db.ids
    for args in (("cloud", "--confirm"), ("model_api", "--reject"), ("plain", "--confirm", "--kind", "hpc"),
                 ("hardware", "--reject")):
        assert db.cli("review", str(ids[args[0]]), *args[1:], "--by", "anna", "--note", "n").exit_code == 0


@pytest.mark.shared
def test_gold_export_round_trips_through_score_compute(extracted, tmp_path, shared_dir):
    _review_all(extracted)
    gold = tmp_path / "set" / "gold.jsonl"
    r = extracted.cli("export", "--format", "gold", "--out", str(gold))
    assert r.exit_code == 0, r.output
    records = [json.loads(line) for line in gold.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 4
    # The format of ../shared/benchmarks/compute-cases/gold.jsonl: its keys, and a text file per record.
    reference_file = shared_dir / "benchmarks" / "compute-cases" / "gold.jsonl"
    reference = json.loads(reference_file.read_text("utf-8").splitlines()[0])
    for rec in records:
        assert set(reference) - {"notes"} <= set(rec), set(reference) - set(rec)
        text = (gold.parent / rec["file"]).read_text(encoding="utf-8")
        assert rec["title"] in text
    by_id = {rec["notice_id"]: rec for rec in records}
    assert by_id[extracted.ids["plain"]]["remote_compute"] is True
    assert by_id[extracted.ids["plain"]]["compute_kinds"] == ["hpc"]
    assert by_id[extracted.ids["model_api"]]["remote_compute"] is False

    # Scored against itself the set is perfect: the scorer reads every record and its keys.
    itself = tmp_path / "itself.jsonl"
    itself.write_text("".join(json.dumps({**rec, "path": rec["file"]}, ensure_ascii=False) + "\n" for rec in records),
                      encoding="utf-8")
    m = _score(shared_dir, itself, gold)
    assert m["documents"] == 4 and m["without_prediction"] == 0
    assert m["remote_compute"]["f1"] == 1.0 and m["compute_kinds"]["f1"] == 1.0

    # The current extractor on the exported texts (no database) scores as `tenderwatch eval` does.
    docs = sorted((gold.parent / "docs").glob("*.txt"))
    from tenderwatch.cli import main
    from click.testing import CliRunner

    out = CliRunner().invoke(main, ["extract", *map(str, docs), "--jsonl"], catch_exceptions=False).output
    predictions = tmp_path / "predictions.jsonl"
    predictions.write_text(out, encoding="utf-8")
    m = _score(shared_dir, predictions, gold)
    evaluated = json.loads(extracted.cli("eval", "--json").output)
    for key in ("remote_compute", "hardware_purchase", "compute_kinds", "cloud_providers", "gpu_models"):
        assert {k: m[key][k] for k in ("tp", "fp", "fn")} == {k: evaluated[key][k] for k in ("tp", "fp", "fn")}, key


def test_gold_export_needs_a_file_for_the_texts_beside_it(extracted):
    r = extracted.cli("export", "--format", "gold", "--out", "-")
    assert r.exit_code != 0 and "give --out FILE" in r.output
