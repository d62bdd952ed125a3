"""`--shard K/N` splits re-extraction and ingestion between N machines that share only the database (and the
raw blobs or the input folder): every notice, file or URL falls in exactly one shard, shards run at the same
time without stepping on each other, and a bad K/N is one line with exit status 1."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import sqlalchemy as sa
from storage_corpus import CORPUS
from storage_helpers import raw_notice

from extract.version import EXTRACTOR_VERSION
from storage.processing import process_notice
from storage.store import Store
from tenderwatch.shards import parse_shard


def tenderwatch(*args: str, data_dir) -> subprocess.Popen:
    env = dict(os.environ, TENDERWATCH_DATA_DIR=str(data_dir))
    env.pop("TENDERWATCH_DATABASE_URL", None)
    return subprocess.Popen([sys.executable, "-m", "tenderwatch.cli", *args], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def finish(proc: subprocess.Popen) -> str:
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    return out


@pytest.fixture
def archive(database_url, data_dir):
    """The storage corpus crawled and extracted: (database URL, notice ids)."""
    with Store.open(database_url) as store:
        ids = sorted(process_notice(store, raw_notice(spec)).notice_id for spec in CORPUS)
    return database_url, ids


def extraction_rows(url: str) -> dict[int, int]:
    """notice id → id of its current extraction row (a re-extraction replaces the row: a new id)."""
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = dict(conn.execute(sa.text("SELECT notice_id, max(id) FROM extraction GROUP BY notice_id")).all())
    engine.dispose()
    return rows


def test_two_shards_reextract_every_notice_exactly_once(archive, data_dir):
    url, ids = archive
    touched = []
    for shard in ("1/2", "2/2"):
        before = extraction_rows(url)
        out = finish(tenderwatch("reextract", "--all", "--shard", shard, "--database-url", url, data_dir=data_dir))
        after = extraction_rows(url)
        done = {i for i in ids if after[i] != before[i]}
        assert f"re-extracted {len(done)} notices of shard {shard}" in out
        touched.append(done)
    first, second = touched
    assert first and second
    assert not first & second
    assert first | second == set(ids)


def test_the_database_hands_a_shard_exactly_the_ids_it_holds(archive):
    url, ids = archive
    with Store.open(url) as store:
        for n in (1, 2, 3):
            for k in range(1, n + 1):
                shard = parse_shard(f"{k}/{n}")
                assert store.notice_ids(id_mod=shard.id_mod) == [i for i in ids if shard.holds_id(i)]


def test_shards_run_at_the_same_time_on_one_database(archive, data_dir):
    url, ids = archive
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE notice SET extractor_version = 'an older extractor'"))
    runs = [tenderwatch("reextract", "--shard", f"{k}/3", "--database-url", url, data_dir=data_dir)
            for k in (1, 2, 3)]
    outputs = [finish(run) for run in runs]
    counts = [int(out.split("re-extracted ")[1].split()[0]) for out in outputs]
    assert sum(counts) == len(ids)
    with engine.connect() as conn:
        versions = set(conn.execute(sa.text("SELECT extractor_version FROM notice")).scalars())
    engine.dispose()
    assert versions == {EXTRACTOR_VERSION}


def test_shards_of_a_shared_folder_ingest_every_file_once(tmp_path, data_dir, sqlite_url):
    folder = tmp_path / "shared" / "notices"
    for i, spec in enumerate(CORPUS):
        (folder / f"batch{i % 3}").mkdir(parents=True, exist_ok=True)
        (folder / f"batch{i % 3}" / f"{spec.key}.txt").write_text(f"{spec.title}\n{spec.body}", encoding="utf-8")
    summaries = []
    for k in (1, 2, 3):
        out = finish(tenderwatch("ingest", str(folder), "--shard", f"{k}/3", "--json", "--database-url", sqlite_url,
                                 data_dir=data_dir))
        summaries.append(json.loads(out))
    assert sum(s["inputs"] for s in summaries) == len(CORPUS)
    assert sum(s["notices"]["new"] for s in summaries) == len(CORPUS)
    assert all(s["skipped_known"] == 0 for s in summaries)
    with Store.open(sqlite_url) as store:
        assert len(store.notice_ids()) == len(CORPUS)


def test_a_file_falls_in_the_same_shard_wherever_the_folder_is_mounted(tmp_path):
    from tenderwatch.commands.ingest import shard_key

    here, there = tmp_path / "mnt" / "archive", tmp_path / "srv" / "nfs" / "archive"
    key_here = shard_key(here, here / "2024" / "a.pdf")
    key_there = shard_key(there, there / "2024" / "a.pdf")
    assert key_here == key_there == "2024/a.pdf"
    assert [parse_shard(f"{k}/4").holds_key(key_here) for k in range(1, 5)].count(True) == 1


@pytest.mark.parametrize("n", [1, 2, 3, 7])
def test_every_id_and_key_belongs_to_exactly_one_shard(n):
    shards = [parse_shard(f"{k}/{n}") for k in range(1, n + 1)]
    for i in range(1, 200):
        assert sum(s.holds_id(i) for s in shards) == 1
        assert sum(s.holds_key(f"http://www.ccgp.gov.cn/{i}.htm") for s in shards) == 1
    if n > 1:  # the keys spread over every shard
        assert all(any(s.holds_key(f"notices/{i}.pdf") for i in range(200)) for s in shards)


@pytest.mark.parametrize("value, why", [
    ("0/2", "K must be between 1 and N"),
    ("3/2", "K must be between 1 and N"),
    ("1/0", "N must be at least 1"),
    ("2", "expected K/N"),
    ("a/b", "expected K/N"),
    ("1/2/3", "expected K/N"),
])
@pytest.mark.parametrize("command", ["reextract", "ingest"])
def test_a_bad_shard_is_one_line_and_exit_status_1(value, why, command, tmp_path, data_dir):
    args = [command, *([str(tmp_path)] if command == "ingest" else []), "--shard", value]
    proc = tenderwatch(*args, data_dir=data_dir)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1
    (line,) = err.strip().splitlines()
    assert line.startswith("Error: --shard: ") and why in line and repr(value) in line
