"""The exports' and the digest's records say what the notice page says: one read model (storage/reading.py)
behind both, on SQLite and PostgreSQL, over the fixed sample."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session

from storage import db
from storage.exports.records import iter_notice_records, load_records
from storage.reading import read_notice


def test_a_record_agrees_with_the_notice_page(sample_url_any):
    engine = db.make_engine(sample_url_any)
    try:
        with engine.connect() as conn:
            records = list(iter_notice_records(conn, with_text=True, batch=7))  # several batches
            pages = {r.id: read_notice(conn, r.id) for r in records}
    finally:
        engine.dispose()
    assert len(records) > 7 and any(r.evidence for r in records) and any(r.vendors for r in records)
    assert [(r.first_seen, r.id) for r in records] == sorted((r.first_seen, r.id) for r in records)
    for r in records:
        page = pages[r.id]
        assert (r.title, r.url, r.text) == (page.notice["title"] or "", page.notice["url"], page.notice["text"])
        assert r.buyer == (page.buyer.name if page.buyer else None)
        assert r.agency == (page.agency.name if page.agency else None)
        assert sorted(r.vendors) == sorted((v.id, v.name) for v in page.vendors)
        assert r.amounts == page.amounts
        assert r.evidence == page.evidence  # the same extraction chosen (storage.evidence.stored_results)
        assert r.links == [{"source": lk["source"], "url": lk["url"]} for lk in page.links]
        assert [a["id"] for a in r.attachments] == [a["id"] for a in page.attachments]


def test_records_read_the_same_through_a_session_or_a_connection(sample_url_any):
    engine = db.make_engine(sample_url_any)
    try:
        with engine.connect() as conn:
            ids = list(conn.execute(sa.text("SELECT id FROM notice ORDER BY id DESC")).scalars())
            by_conn = load_records(conn, ids, with_text=True)
        with Session(engine) as session:
            by_session = load_records(session, ids, with_text=True)
    finally:
        engine.dispose()
    assert [r.id for r in by_conn] == ids  # in the order asked for
    assert by_conn == by_session


def test_without_a_buyer_column_the_buyer_is_the_first_buyer_party_by_name(sample_url_any):
    # As the notice page chooses it, whatever order the party rows were written in.
    from storage.reading import NOTICE, ORG, PARTY

    engine = db.make_engine(sample_url_any)
    try:
        with db.write_transaction(engine) as conn:
            nid = conn.execute(sa.select(sa.func.min(NOTICE.c.id))).scalar_one()
            conn.execute(NOTICE.update().where(NOTICE.c.id == nid).values(buyer_id=None))
            conn.execute(PARTY.delete().where(PARTY.c.notice_id == nid, PARTY.c.role == "buyer"))
            for name in ("B市大数据中心", "A市大数据中心"):  # the second written sorts first
                oid = conn.execute(ORG.insert().values(name=name, normalised_name=name).returning(ORG.c.id)).scalar_one()
                conn.execute(PARTY.insert().values(notice_id=nid, organisation_id=oid, role="buyer"))
        with engine.connect() as conn:
            (record,) = load_records(conn, [nid])
            page = read_notice(conn, nid)
    finally:
        engine.dispose()
    assert record.buyer == page.buyer.name == "A市大数据中心"
