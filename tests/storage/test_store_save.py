"""Store.save_notice on both databases: new / unchanged / changed, versions, attachments, organisations,
derived rows, crawl runs, and all-or-nothing writes."""

import threading

import pytest
import sqlalchemy as sa
from storage_helpers import Spec, extraction, raw_notice, save

from extract.types import Amount, DocumentText
from models.tables import Attachment, Extraction, Notice, NoticeParty, NoticeTag, NoticeVersion, Organisation
from storage.normalise import content_hash
from storage.search import SearchQuery
from storage.store import Store
from storage.processing import RawAttachment


@pytest.fixture
def store(database_url, tmp_path):
    s = Store.open(database_url, blob_dir=tmp_path / "raw")
    yield s
    if s.dialect == "sqlite":  # every write path must leave the contentless FTS index consistent
        with s.engine.connect() as c:
            c.exec_driver_sql("INSERT INTO notice_fts(notice_fts, rank) VALUES('integrity-check', 0)")
    s.close()


def count(store, table, *where) -> int:
    stmt = sa.select(sa.func.count()).select_from(table.__table__)
    for w in where:
        stmt = stmt.where(w)
    with store.engine.connect() as c:
        return c.execute(stmt).scalar_one()


def row(store, notice_id):
    with store.engine.connect() as c:
        return c.execute(sa.select(Notice.__table__).where(Notice.id == notice_id)).one()


def tender(**kw) -> Spec:
    base = dict(
        key="t1",
        title="复旦大学GPU云服务器租赁服务采购公告",
        body="项目编号：FD-2024-056\n采购人：复旦大学\n采购内容：租赁GPU云服务器（A800）20台，服务期12个月。预算金额：150万元。",
        buyer="复旦大学",
        agency="上海市政府采购中心",
        project_code="FD-2024-056",
        region="上海市",
        amounts=[Amount("budget", 1_500_000.0, "150万元")],
        remote_compute=True,
        compute_kinds=["gpu_rental"],
        chips=["nvidia-a800"],
        flags=["controlled_chip"],
        attachments=[("采购需求.docx", "技术参数：GPU型号A800，显存80GB。")],
    )
    base.update(kw)
    return Spec(**base)


def test_a_new_notice_is_stored_with_everything_derived(store):
    result = save(store, tender())
    assert result.status == "new"
    n = row(store, result.notice_id)
    assert n.title == "复旦大学GPU云服务器租赁服务采购公告"
    assert n.notice_type == "tender" and n.region == "上海市" and n.project_code == "FD-2024-056"
    assert n.published_at.date().isoformat() == "2024-05-28"
    assert n.content_hash == content_hash(tender().body)
    assert n.remote_compute and not n.hardware_purchase
    assert n.extractor_version == "test-1"
    assert store.blobs.get(n.raw_sha256) == raw_notice(tender()).data
    assert count(store, NoticeVersion) == 1
    assert count(store, Attachment) == 1
    with store.engine.connect() as c:
        parties = c.execute(
            sa.select(NoticeParty.role, Organisation.name).join(
                Organisation, Organisation.id == NoticeParty.organisation_id
            )
        ).all()
        tags = set(c.execute(sa.select(NoticeTag.facet, NoticeTag.value)).all())
        att = c.execute(sa.select(Attachment.__table__)).one()
    assert sorted(parties) == [("agency", "上海市政府采购中心"), ("buyer", "复旦大学")]
    assert tags == {("kind", "gpu_rental"), ("chip", "nvidia-a800"), ("flag", "controlled_chip")}
    assert att.status == "ok" and att.name == "采购需求.docx" and "A800" in att.text
    assert store.blobs.get(att.sha256) == "技术参数：GPU型号A800，显存80GB。".encode()


def test_resaving_an_unchanged_notice_writes_only_last_seen(store):
    first = save(store, tender())
    before = row(store, first.notice_id)
    again = save(store, tender(title="标题由列表页改写"))  # same body text: not a change
    after = row(store, first.notice_id)
    assert again == type(again)(first.notice_id, "unchanged")
    assert after.last_seen > before.last_seen
    assert (after.first_seen, after.last_changed, after.title) == (
        before.first_seen,
        before.last_changed,
        before.title,
    )
    assert count(store, NoticeVersion) == 1 and count(store, Attachment) == 1 and count(store, Extraction) == 1


def test_whitespace_only_differences_are_not_changes(store):
    first = save(store, tender())
    spec = tender(body="  " + tender().body.replace("\n", "\n\n   ") + "\n")
    assert save(store, spec).status == "unchanged"
    assert count(store, NoticeVersion, NoticeVersion.notice_id == first.notice_id) == 1


def test_a_changed_notice_keeps_its_earlier_version(store):
    first = save(store, tender())
    changed = tender(
        body=tender().body.replace("20台", "30台").replace("150万元", "210万元"),
        amounts=[Amount("budget", 2_100_000.0, "210万元")],
    )
    result = save(store, changed)
    assert result == type(result)(first.notice_id, "changed")
    n = row(store, first.notice_id)
    assert "30台" in n.text and n.last_changed >= n.first_seen
    with store.engine.connect() as c:
        versions = c.execute(sa.select(NoticeVersion.text).order_by(NoticeVersion.id)).scalars().all()
        amounts = c.execute(sa.text("SELECT value_cny FROM noticeamount")).scalars().all()
    assert "20台" in versions[0] and versions[1] == ""  # the newest version's text is the notice's own
    assert amounts == [2_100_000.0]
    assert store.search(SearchQuery(text="30台")).total == 1
    assert store.search(SearchQuery(text="20台")).total == 0
    assert len(store.notice_detail(first.notice_id)["versions"]) == 2


def test_one_row_per_url_and_known_urls(store):
    a = save(store, tender())
    b = save(store, tender(key="t2", body="另一个公告。"))
    assert a.notice_id != b.notice_id
    assert store.known_urls("ccgp") == {raw_notice(tender()).url, raw_notice(tender(key="t2")).url}
    assert store.known_urls("ggzy") == set()


def test_organisations_are_upserted_by_normalised_name(store):
    save(store, tender())
    save(store, tender(key="t2", body="采购人：复 旦 大 学（全角）", buyer="复 旦 大 学", agency="上海市政府采购中心"))
    save(store, tender(key="t3", body="x", buyer="ＡＢＣ科技有限公司", agency=None))
    save(store, tender(key="t4", body="y", buyer="ABC科技有限公司", agency=None))
    with store.engine.connect() as c:
        names = c.execute(sa.select(Organisation.normalised_name).order_by(Organisation.id)).scalars().all()
    assert names == ["复旦大学", "上海市政府采购中心", "ABC科技有限公司"]


def test_an_attachment_fetched_later_is_added_without_a_new_version(store):
    spec = tender()
    raw = raw_notice(spec)
    failed = RawAttachment(url=raw.attachments[0].url, name="采购需求.docx", data=None, error="timeout")
    body = DocumentText(text=spec.body, kind="html")
    first = store.save_notice(raw, body, [(failed, DocumentText(text="", kind="empty"))], extraction(spec))
    with store.engine.connect() as c:
        assert c.execute(sa.select(Attachment.status, Attachment.error)).one() == ("fetch_error", "timeout")
    assert store.search(SearchQuery(text="显存")).total == 0
    assert save(store, spec).status == "unchanged"
    with store.engine.connect() as c:
        assert c.execute(sa.select(Attachment.status)).scalar_one() == "ok"
    assert store.search(SearchQuery(text="显存")).total == 1
    assert count(store, NoticeVersion, NoticeVersion.notice_id == first.notice_id) == 1
    # and a flaky refetch never overwrites the good copy
    store.save_notice(raw, body, [(failed, DocumentText(text="", kind="empty"))], extraction(spec))
    with store.engine.connect() as c:
        assert c.execute(sa.select(Attachment.status)).scalar_one() == "ok"


def test_attachment_status_follows_the_document_reader(store):
    spec = tender(attachments=[])
    raw = raw_notice(spec)
    raw.attachments = [
        RawAttachment(url="http://x/enc.pdf", name="enc.pdf", data=b"%PDF-1.7 encrypted"),
        RawAttachment(url="http://x/scan.pdf", name="scan.pdf", data=b"%PDF-1.4 scan"),
        RawAttachment(url="http://x/big.zip", name="big.zip", data=None, error="too_large"),
    ]
    docs = [
        DocumentText(text="", kind="pdf", errors=["encrypted: needs a password"]),
        DocumentText(text="", kind="pdf", needs_ocr=True),
        DocumentText(text="", kind="empty"),
    ]
    store.save_notice(
        raw, DocumentText(text=spec.body, kind="html"), list(zip(raw.attachments, docs)), extraction(spec)
    )
    with store.engine.connect() as c:
        statuses = dict(c.execute(sa.select(Attachment.name, Attachment.status)).all())
    assert statuses == {"enc.pdf": "encrypted", "scan.pdf": "needs_ocr", "big.zip": "too_large"}
    assert store.stats()["attachments_by_status"] == {"encrypted": 1, "needs_ocr": 1, "too_large": 1}


def test_one_extraction_row_per_extractor_version(store):
    save(store, tender())
    spec = tender(body=tender().body + "（更正）", extractor_version="test-2")
    save(store, spec)
    with store.engine.connect() as c:
        versions = c.execute(sa.select(Extraction.extractor_version).order_by(Extraction.id)).scalars().all()
    assert versions == ["test-1", "test-2"]


def test_a_failed_write_leaves_nothing_behind(store, monkeypatch):
    """A crawl killed (or crashing) in the middle of a notice: the transaction rolls back whole."""
    from storage.search import index as search_index

    def die(conn, notice_id):
        raise KeyboardInterrupt("killed")

    monkeypatch.setattr(search_index, "index", die)
    with pytest.raises(KeyboardInterrupt):
        save(store, tender())
    monkeypatch.undo()
    for table in (Notice, NoticeVersion, Attachment, NoticeParty, NoticeTag, Extraction, Organisation):
        assert count(store, table) == 0, table.__name__
    assert save(store, tender()).status == "new"  # and the rerun stores it completely
    assert store.search(SearchQuery(text="A800")).total == 1


def test_concurrent_saves_of_the_same_url_make_one_notice(database_url, tmp_path):
    stores = [Store.open(database_url, blob_dir=tmp_path / "raw") for _ in range(4)]
    results, errors = [], []
    barrier = threading.Barrier(len(stores))

    def work(s):
        try:
            barrier.wait()
            results.append(save(s, tender()).status)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(results) == ["new", "unchanged", "unchanged", "unchanged"]
    assert count(stores[0], Notice) == 1 and count(stores[0], NoticeVersion) == 1
    assert stores[0].search(SearchQuery(text="A800")).total == 1
    for s in stores:
        s.close()


def test_crawl_runs_and_errors(store):
    run = store.start_run("ccgp", {"since": "2024-05-01", "keywords": ["算力", "GPU"]})
    store.record_error(run, "http://www.ccgp.gov.cn/x.htm", "blocked", "频繁访问")
    store.record_error(run, "http://www.ccgp.gov.cn/y.htm", "timeout")
    store.record_error(None, "http://www.ccgp.gov.cn/z.htm", "timeout")
    store.finish_run(run, "blocked", {"stored": 3})
    stats = store.stats()
    assert stats["crawl_runs"] == 1 and stats["crawl_runs_by_status"] == {"blocked": 1}
    assert stats["crawl_errors_by_reason"] == {"timeout": 2, "blocked": 1}


def test_stats_counts(store):
    save(store, tender())
    save(
        store,
        tender(
            key="t2",
            body="硬件采购",
            notice_type="award",
            remote_compute=False,
            hardware_purchase=True,
            vendors=["华为技术有限公司"],
            source="ggzy",
        ),
    )
    s = store.stats()
    assert s["notices"] == 2 and s["notices_by_source"] == {"ccgp": 1, "ggzy": 1}
    assert s["notices_by_type"] == {"award": 1, "tender": 1}
    assert s["cases"] == 1 and s["hardware_purchases"] == 1
    assert s["organisations"] == 3 and s["organisation_roles"] == {"agency": 2, "buyer": 2, "vendor": 1}


def test_read_only_store_refuses_writes(database_url, tmp_path):
    Store.open(database_url, blob_dir=tmp_path / "raw").close()
    with Store.open(database_url, read_only=True, blob_dir=tmp_path / "raw") as ro:
        assert ro.search(SearchQuery(text="云")).total == 0
        with pytest.raises(Exception):
            save(ro, tender())


def test_other_places_a_notice_was_published_are_linked_once(store):
    n = save(store, tender()).notice_id
    store.add_link(n, "ggzy", "http://www.ggzy.gov.cn/information/html/b/330000/0101/202405/28/00331.shtml")
    store.add_link(n, "ggzy", "http://www.ggzy.gov.cn/information/html/b/330000/0101/202405/28/00331.shtml")
    assert [link["source"] for link in store.notice_detail(n)["links"]] == ["ggzy"]


def test_readers_do_not_wait_for_a_writer(sqlite_url, tmp_path):
    """WAL: while a crawler holds the write lock, opening the database and searching still work."""
    from storage import db

    writer = Store.open(sqlite_url, blob_dir=tmp_path / "raw")
    save(writer, tender())
    with db.write_transaction(writer.engine) as conn:
        conn.execute(sa.text("UPDATE notice SET last_seen = last_seen"))
        with Store.open(sqlite_url, blob_dir=tmp_path / "raw") as reader:
            assert reader.search(SearchQuery(text="A800")).total == 1
            assert reader.stats()["notices"] == 1
        with Store.open(sqlite_url, read_only=True, blob_dir=tmp_path / "raw") as ro:
            assert ro.notice_detail(1)["title"].startswith("复旦")
    writer.close()


def test_bad_input_is_refused_clearly_and_stores_nothing(store):
    spec = tender()
    raw = raw_notice(spec)
    raw.data = None
    with pytest.raises(TypeError, match="raw page must be bytes"):
        store.save_notice(raw, DocumentText(text=spec.body, kind="html"), [], extraction(spec))
    raw = raw_notice(spec)
    raw.url = ""
    with pytest.raises(ValueError, match="canonical URL"):
        store.save_notice(raw, DocumentText(text=spec.body, kind="html"), [], extraction(spec))
    assert count(store, Notice) == 0


def test_list_meta_is_kept_as_json(store):
    from datetime import datetime

    spec = tender()
    raw = raw_notice(spec)
    raw.list_meta = {"title": spec.title, "published_at": datetime(2024, 5, 28, 9, 30), "channels": ("zygg", "gkzb")}
    n = store.save_notice(raw, DocumentText(text=spec.body, kind="html"), [], extraction(spec)).notice_id
    assert store.notice_detail(n)["list_meta"] == {
        "title": spec.title,
        "published_at": "2024-05-28T09:30:00",
        "channels": ["zygg", "gkzb"],
    }
