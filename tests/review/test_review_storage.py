"""Decisions as data: they survive `reextract`, only the review tables can be written through the review
connection, and the digest marks confirmed cases and leaves rejected ones out."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from storage import db
from storage.review import ReviewWriter, guarded_engine, history
from review_fixtures import add_candidate, extracted  # noqa: F401  (the fixture)


def _history(url, notice_id):
    engine = db.make_engine(url, read_only=True)
    try:
        with engine.connect() as conn:
            return history(conn, notice_id)
    finally:
        engine.dispose()


def test_a_review_survives_reextract(extracted, monkeypatch):
    nid = extracted.ids["cloud"]
    with ReviewWriter.open(extracted.url) as writer:
        writer.record(nid, "confirmed", "anna", note="ECS by the month", providers=["alibaba-cloud"])
    before = _history(extracted.url, nid)
    # An older extractor's notice: reextract rebuilds its derived columns, tags and extraction.
    engine = db.make_engine(extracted.url)
    with db.write_transaction(engine) as conn:
        conn.execute(sa.text("UPDATE notice SET extractor_version = '0.0.1-old' WHERE id = :id"), {"id": nid})
    engine.dispose()
    monkeypatch.setenv("TENDERWATCH_DATABASE_URL", extracted.url)
    from click.testing import CliRunner

    from tenderwatch.cli import main

    r = CliRunner().invoke(main, ["reextract"], catch_exceptions=False)
    assert r.exit_code == 0 and "re-extracted 1 notices" in r.output, r.output
    after = _history(extracted.url, nid)
    assert after == before and after[0]["decision"] == "confirmed"
    from storage.store import Store

    with Store.open(extracted.url, read_only=True) as store:
        assert store.notice_detail(nid)["extractor_version"] != "0.0.1-old"


@pytest.mark.parametrize("statement", [
    "UPDATE notice SET title = 'changed'",
    "DELETE FROM noticetag",
    "INSERT INTO source (name, title) VALUES ('evil', '')",
    "WITH x AS (SELECT 1) UPDATE notice SET remote_compute = false",
    "CREATE TABLE evil (id integer)",
    "DROP TABLE review",
])
def test_the_review_connection_cannot_write_anything_but_reviews_and_users(extracted, statement):
    engine = guarded_engine(extracted.url)
    try:
        with pytest.raises((sa.exc.DatabaseError, db.DatabaseError)):
            with db.write_transaction(engine) as conn:
                conn.execute(sa.text(statement))
        # …while the review tables take writes through the same engine.
        with db.write_transaction(engine) as conn:
            conn.execute(sa.text("INSERT INTO app_user (name, password_hash, created_at) "
                                 "VALUES ('x', 'h', CURRENT_TIMESTAMP)"))
    finally:
        engine.dispose()
    reader = db.make_engine(extracted.url, read_only=True)
    with reader.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM notice WHERE title = 'changed'")).scalar_one() == 0
        assert conn.execute(sa.text("SELECT count(*) FROM noticetag")).scalar_one() > 0
    reader.dispose()


def test_the_digest_marks_confirmed_cases_and_leaves_rejected_ones_out(extracted):
    from models.tables import utcnow
    from storage.digest.data import build_digest
    from storage.digest.render import render_markdown
    from storage.digest.weeks import IsoWeek
    from review_corpus import NOTICES

    week = IsoWeek.of(utcnow().date())
    engine = db.make_engine(extracted.url, read_only=True)

    def markdown() -> str:
        with Session(engine) as session:
            return render_markdown(build_digest(session, week))

    candidate_title = "西岭学院智能计算服务采购公告"
    candidate = add_candidate(extracted.url, candidate_title, "2025-03-20")
    plain = markdown()
    assert NOTICES["cloud"]["title"] in plain and NOTICES["model_api"]["title"] in plain
    assert candidate_title in plain  # listed to check
    assert "confirmed ✓" not in plain
    with ReviewWriter.open(extracted.url) as writer:
        writer.record(extracted.ids["cloud"], "confirmed", "anna")
        writer.record(extracted.ids["model_api"], "rejected", "anna", note="a demo")
        writer.record(candidate, "rejected", "anna", note="checked: office software")
    reviewed = markdown()
    engine.dispose()
    block = reviewed.split(NOTICES["cloud"]["title"], 1)[1].split("####", 1)[0]
    assert "- Review: confirmed ✓" in block
    assert NOTICES["model_api"]["title"] not in reviewed and candidate_title not in reviewed
    assert "**1 new case" in reviewed
