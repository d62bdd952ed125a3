"""Issue 18 item 14: the evidence sentence shown for a case is chosen once (storage.evidence.case_sentence),
so the search list and API, the CSV export and the weekly digest show the same sentence — here for cases
ingested through the real extractor from the replica's PDF and DOCX files."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import httpx
from sqlmodel import Session
from web_site import LiveServer, _serve

ROOT = Path(__file__).resolve().parents[2]
REPLICA_FILES = ROOT / "crawler" / "replica" / "content" / "files"


def _ingest_documents(url: str, blob_dir: Path) -> None:
    from storage.store import Store
    from storage.processing import RawNotice, process_notice

    files = sorted(p for p in REPLICA_FILES.iterdir() if p.suffix in (".pdf", ".docx") and p.name != "corrupt.pdf")
    assert len(files) >= 10
    with Store.open(url, blob_dir=blob_dir) as store:
        for path in files:
            process_notice(store, RawNotice(source="local", url=f"file:///replica/{path.name}", data=path.read_bytes(),
                                            name=path.name))


def test_search_list_export_and_digest_show_the_same_evidence_sentence_for_pdf_and_docx_cases(tmp_path):
    from storage.digest.data import build_digest
    from storage.digest.weeks import IsoWeek
    from storage.exports.records import iter_notice_records, notice_filter
    from storage.exports.tabular import write_notices_csv
    from storage.store import Store, utcnow

    url = f"sqlite:///{tmp_path / 'tenderwatch.db'}"
    _ingest_documents(url, tmp_path / "raw")
    store = Store.open(url, read_only=True, blob_dir=tmp_path / "raw")
    try:
        with Session(store.engine) as session:
            records = {r.id: r for r in iter_notice_records(session, notice_filter(cases_only=True), with_text=True)}
            buf = io.StringIO()
            write_notices_csv(records.values(), buf)
            exported = {int(row["notice_id"]): row["evidence"] for row in csv.DictReader(io.StringIO(buf.getvalue()))}
            digest = build_digest(session, IsoWeek.of(utcnow().date()))
    finally:
        store.close()
    assert len(records) >= 3, "the replica's documents should give several cases"
    digested = {c.lead.id: c.evidence for c in digest.new_cases if len(c.notices) == 1}

    app = _serve(url, tmp_path / "raw")
    with LiveServer(app) as base, httpx.Client(base_url=base, timeout=60) as http:
        listed = {h["id"]: h["evidence"] for h in http.get("/api/search", params={"size": 100}).json()["results"]}
    app.state.engine.dispose()

    assert set(listed) == set(exported) == set(records)
    for notice_id, record in records.items():
        sentence = record.evidence_sentence()
        assert sentence, record.title
        assert listed[notice_id] == exported[notice_id] == sentence, record.title
        if notice_id in digested:
            assert digested[notice_id] == sentence, record.title
    assert digested, "single-notice cases reach the digest"
    # The title is shown anyway: the sentence shown is one from the documents wherever they have one.
    assert any(listed[i] != " ".join(records[i].title.split()) for i in records)
