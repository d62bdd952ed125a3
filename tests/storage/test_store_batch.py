"""Store batches (several notices per transaction, as the crawler's storing worker writes them) and the
SimHash, on both databases."""

import pytest
import sqlalchemy as sa
from storage_helpers import Spec, save

from models.tables import Notice, Organisation
from storage import dedup
from storage.search import SearchQuery
from storage.store import Store


@pytest.fixture
def store(database_url, tmp_path):
    s = Store.open(database_url, blob_dir=tmp_path / "raw")
    yield s
    s.rollback_batch()
    if s.dialect == "sqlite":
        with s.engine.connect() as c:
            c.exec_driver_sql("INSERT INTO notice_fts(notice_fts, rank) VALUES('integrity-check', 0)")
    s.close()


def spec(key: str, **kw) -> Spec:
    base = dict(
        key=key,
        title=f"{key} GPU云服务器租赁服务采购公告",
        body=f"项目编号：{key.upper()}-2024\n采购人：复旦大学\n采购内容：租赁GPU云服务器（A800）20台，服务期12个月。",
        buyer="复旦大学",
        project_code=f"{key.upper()}-2024",
    )
    base.update(kw)
    return Spec(**base)


def committed(store, table=Notice) -> int:
    with store.engine.connect() as c:  # another connection: sees committed rows only
        return c.execute(sa.select(sa.func.count()).select_from(table.__table__)).scalar_one()


def test_a_batch_is_committed_whole(store):
    store.begin_batch()
    results = [save(store, spec(k)) for k in ("a", "b", "c")]
    assert [r.status for r in results] == ["new"] * 3
    assert save(store, spec("a")).status == "unchanged"  # the batch sees its own writes
    assert committed(store) == 0
    store.commit_batch()
    assert committed(store) == 3
    assert committed(store, Organisation) == 1
    assert store.search(SearchQuery(text="A800")).total == 3


def test_an_uncommitted_batch_is_lost_whole_and_stored_again(store):
    save(store, spec("a"))
    store.begin_batch()
    save(store, spec("b"))
    save(store, spec("c", buyer="上海交通大学"))
    store.rollback_batch()  # what a kill does
    assert committed(store) == 1
    assert committed(store, Organisation) == 1
    store.begin_batch()
    assert [save(store, spec(k, buyer="上海交通大学")).status for k in ("b", "c")] == ["new", "new"]
    store.commit_batch()
    assert committed(store) == 3
    assert committed(store, Organisation) == 2  # the organisation cache did not keep a rolled-back id
    assert store.search(SearchQuery(text="A800")).total == 3


def test_a_failing_notice_in_a_batch_is_rolled_back_alone(store, monkeypatch):
    from storage.search import index as search_index

    store.begin_batch()
    save(store, spec("a"))
    real = search_index.index

    def die(conn, notice_id):
        raise RuntimeError("bad notice")

    monkeypatch.setattr(search_index, "index", die)
    with pytest.raises(RuntimeError):
        save(store, spec("b"))
    monkeypatch.setattr(search_index, "index", real)
    save(store, spec("c"))
    store.commit_batch()
    with store.engine.connect() as c:
        titles = sorted(c.execute(sa.select(Notice.title)).scalars())
    assert [t.split()[0] for t in titles] == ["a", "c"]
    assert store.search(SearchQuery(text="A800")).total == 2


def reference_simhash(text: str) -> int | None:
    """Charikar's SimHash written out bit by bit over dedup's features (what the numpy version computes)."""
    counts = dedup.features(text)
    if sum(counts.values()) < dedup.MIN_FEATURES:
        return None
    weights = [0] * 64
    for feature, count in counts.items():
        h = dedup._hash64(feature)
        for bit in range(64):
            weights[bit] += count if h >> bit & 1 else -count
    value = sum(1 << bit for bit in range(64) if weights[bit] > 0)
    return value - (1 << 64) if value >> 63 else value


@pytest.mark.parametrize(
    "text",
    ["", "短文本", "A100 " * 30, "项目编号：FD-2024-056\n采购人：复旦大学\n租赁GPU云服务器（A800）20台" * 20, "云" * 300,
     "𠀀𠀁汉字 Ａ１００ café naïve" * 5],
)
def test_the_stored_simhash_is_charikars_over_character_bigrams(text):
    assert dedup.simhash(text) == reference_simhash(text)


def test_the_simhash_of_many_texts_is_charikars_while_its_hash_cache_fills():
    """Random texts of common and rare ideographs, letters and full-width forms: thousands of new bigrams,
    so the remembered hashes are merged many times along the way."""
    import random

    rng = random.Random(4)
    alphabet = [chr(c) for c in [*range(0x4E00, 0x4F00), *range(0x9F00, 0x9FA0), *range(0xFF10, 0xFF5B),
                                 *range(0x30, 0x7B), 0x3000, 0xFF0C, 0x3002, 0x1D400, 0x20000]]
    texts = ["".join(rng.choices(alphabet[:rng.randint(30, len(alphabet))], k=rng.randint(5, 800)))
             for _ in range(600)]
    merges = []
    merge = dedup._HASHES._merge
    dedup._HASHES._merge = lambda: (merges.append(1), merge())
    try:
        assert [dedup.simhash(t) for t in texts] == [reference_simhash(t) for t in texts]
    finally:
        del dedup._HASHES._merge
    assert len(merges) > 3
