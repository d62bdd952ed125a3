"""Disk per notice: what a notice is made of is stored once, and compactly. The newest version's text is the
notice row's (models.tables.NoticeVersion), earlier versions keep theirs; JSON columns keep Chinese as UTF-8;
migration 0017 drops the second copy an older release wrote and its downgrade puts it back."""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa
from alembic import command
from storage_helpers import Spec, save

from models.tables import EXTRACTION, NOTICE, VERSION
from storage import db
from storage.store import Store


@pytest.fixture
def store(database_url, tmp_path):
    s = Store.open(database_url, blob_dir=tmp_path / "raw")
    yield s
    s.close()


def notice(body: str) -> Spec:
    return Spec(key="v1", title="北京大学算力服务采购公告", body=body, buyer="北京大学")


def texts(store: Store, notice_id: int) -> tuple[str, list[str]]:
    with store.engine.connect() as c:
        text = c.execute(sa.select(NOTICE.c.text).where(NOTICE.c.id == notice_id)).scalar_one()
        versions = c.execute(sa.select(VERSION.c.text).where(VERSION.c.notice_id == notice_id)
                             .order_by(VERSION.c.id)).scalars().all()
    return text, versions


def test_a_new_notice_stores_its_text_once_in_the_notice_row(store):
    saved = save(store, notice("采购内容：GPU算力租赁服务，预算100万元。"))
    assert texts(store, saved.notice_id) == ("采购内容：GPU算力租赁服务，预算100万元。", [""])


def test_each_change_moves_the_replaced_text_into_the_version_that_held_it(store):
    bodies = ["第一版：预算100万元。", "第二版：预算120万元。", "第三版：预算150万元。"]
    for body in bodies:
        saved = save(store, notice(body))
    assert texts(store, saved.notice_id) == (bodies[2], [bodies[0], bodies[1], ""])
    assert len(store.notice_detail(saved.notice_id)["versions"]) == 3


def test_saving_an_unchanged_notice_again_keeps_the_text_once(store):
    save(store, notice("采购内容：云服务器租赁。"))
    saved = save(store, notice("采购内容：云服务器租赁。"))
    assert saved.status == "unchanged"
    assert texts(store, saved.notice_id) == ("采购内容：云服务器租赁。", [""])


def test_json_columns_keep_chinese_as_utf8_not_escapes(store):
    saved = save(store, notice("采购人：北京大学。"))
    with store.engine.connect() as c:
        result = c.execute(sa.select(sa.cast(EXTRACTION.c.result, sa.Text))
                           .where(EXTRACTION.c.notice_id == saved.notice_id)).scalar_one()
        meta = c.execute(sa.select(sa.cast(NOTICE.c.list_meta, sa.Text))
                         .where(NOTICE.c.id == saved.notice_id)).scalar_one()
    assert '"buyer": "北京大学"' in result and "\\u" not in result
    assert '"title": "北京大学算力服务采购公告"' in meta


def _old_release_notice(conn: sa.Connection, texts: list[str]) -> int:
    """A notice as releases before 0017 wrote it: every version with its text, the newest's equal to the row's."""
    now = datetime(2024, 5, 28, 10, 0)
    nid = conn.execute(NOTICE.insert().values(
        source="ccgp", url="http://example.test/n1", title="t", text=texts[-1], content_hash="h", raw_name="",
        list_meta={}, first_seen=now, last_seen=now, last_changed=now, remote_compute=False,
        hardware_purchase=False, compute_candidate=False, candidate_reasons=[],
    ).returning(NOTICE.c.id)).scalar_one()
    for i, text in enumerate(texts):
        conn.execute(VERSION.insert().values(notice_id=nid, content_hash=f"h{i}", title="t", text=text,
                                             fetched_at=now))
    return nid


def test_migration_0017_drops_the_newest_versions_copy_and_its_downgrade_restores_it(database_url):
    engine = db.make_engine(database_url)
    try:
        db.upgrade(engine, "0016")
        with engine.begin() as conn:
            changed = _old_release_notice(conn, ["旧文本", "新文本"])
        db.upgrade(engine, "0017")

        def versions() -> list[str]:
            with engine.connect() as conn:
                return conn.execute(sa.select(VERSION.c.text).where(VERSION.c.notice_id == changed)
                                    .order_by(VERSION.c.id)).scalars().all()

        assert versions() == ["旧文本", ""]
        with engine.begin() as conn:
            command.downgrade(db.alembic_config(conn), "0016")
        assert versions() == ["旧文本", "新文本"]
    finally:
        engine.dispose()
