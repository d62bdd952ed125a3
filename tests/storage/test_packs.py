"""Pack files (storage/packs.py) on a real folder, read through BlobStore as every reader reads blobs: what a pack
writer puts is found once flushed, compressed where that pays, stored once whether loose or packed; a writer
killed with SIGKILL loses nothing it flushed; a damaged, cut or missing pack is a BlobNotFound saying why; two
processes packing into one root at once each get a pack of their own and one index."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import zipfile
import zlib
from contextlib import closing
from io import BytesIO
from pathlib import Path

import pytest

from storage.blobs import BlobNotFound, BlobStore
from storage import packs as packs_module
from storage.packs import FILE_MAGIC, RAW, RECORD, RECORD_MAGIC, ZLIB, scan

ROOT = Path(__file__).resolve().parents[2]


def page(i: int) -> bytes:
    return f"<html><body>采购公告 {i}：云服务器租赁，GPU A100 共 {i % 7} 台。</body></html>".encode() * 40


def noise(i: int, size: int = 300_000) -> bytes:
    """Bytes that do not compress (a seeded stream: the same for the same i in every process)."""
    out, block = bytearray(), hashlib.sha256(f"noise {i}".encode()).digest()
    while len(out) < size:
        block = hashlib.sha256(block).digest()
        out += block
    return bytes(out[:size])


def loose_files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and "packs" not in p.parts)


def packs_of(root: Path) -> list[Path]:
    return sorted((root / "packs").glob("*.pack"))


def index_rows(root: Path) -> list[str]:
    with closing(sqlite3.connect(root / "packs" / "index.sqlite")) as conn:
        return [sha.hex() for (sha,) in conn.execute("SELECT sha FROM blob")]


def indexed(root: Path) -> int:
    return len(index_rows(root))


def edit_index(root: Path, sql: str, *params) -> None:
    """Change the index as damage or a hostile hand could."""
    with closing(sqlite3.connect(root / "packs" / "index.sqlite")) as conn, conn:
        conn.execute(sql, params)


def test_packed_blobs_are_read_back_whole_by_a_fresh_store_once_flushed(tmp_path):
    archive = BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("a.txt", "附件" * 500)
    datas = [page(1), page(2), noise(3, 5000), archive.getvalue(), b"", b"x"]
    blobs = BlobStore(tmp_path)
    with blobs.pack_writer() as writer:
        shas = [writer.put(d) for d in datas]
        assert not BlobStore(tmp_path).exists(shas[0]), "findable only once flushed"
        writer.flush()
        reader = BlobStore(tmp_path)
        assert [reader.get(s) for s in shas] == datas
    assert shas == [hashlib.sha256(d).hexdigest() for d in datas]
    assert loose_files(tmp_path) == [] and len(packs_of(tmp_path)) == 1
    reader = BlobStore(tmp_path)
    assert all(reader.exists(s) for s in shas)
    assert reader.stored_size(shas[0]) < len(datas[0]) / 3, "a page is compressed"
    assert reader.stored_size(shas[2]) == 5000, "random bytes are stored as they are"
    assert reader.stored_size(shas[3]) == len(datas[3]), "a ZIP is not compressed again"


def test_the_same_bytes_are_stored_once_whether_loose_or_packed(tmp_path):
    blobs = BlobStore(tmp_path)
    loose = blobs.put(page(1))
    with blobs.pack_writer() as writer:
        assert writer.put(page(1)) == loose  # loose already: nothing packed
        packed = writer.put(page(2))
        assert writer.put(page(2)) == packed  # twice before a flush: one record
    with blobs.pack_writer() as writer:
        writer.put(page(2))  # packed already by the first writer
    assert blobs.put(page(2)) == packed  # the crawler's put of packed bytes writes no loose file
    assert loose_files(tmp_path) == [f"{loose[:2]}/{loose[2:4]}/{loose}"]
    assert [len(list(scan(p))) for p in packs_of(tmp_path)] == [1]
    assert BlobStore(tmp_path).get(packed) == page(2)


CHILD = """
import sys
sys.path.insert(0, sys.argv[1])
from storage.blobs import BlobStore
from tests.storage.test_packs import noise, page
root, role = sys.argv[2], sys.argv[3]
blobs = BlobStore(root)
writer = blobs.pack_writer()
if role == "killed":
    for i in range(20):
        writer.put(page(i))
    writer.flush()
    for i in range(9):  # 2.7 MB: past the writer's 1 MiB buffer, so part of it reaches the file unflushed
        writer.put(noise(i))
    print("written", flush=True)
    sys.stdin.read()  # killed here
else:  # one of two writers at once: "go" read, then its blobs flushed every 25
    sys.stdin.readline()
    start = int(role)
    for n, i in enumerate(range(start, start + 150), start=1):
        writer.put(page(i))
        if n % 25 == 0:
            writer.flush()
    writer.close()
    print("done", flush=True)
"""


def child(tmp_path: Path, role: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", CHILD, str(ROOT), str(tmp_path), role], cwd=ROOT,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def test_a_writer_killed_mid_pack_loses_nothing_it_flushed(tmp_path):
    proc = child(tmp_path, "killed")
    assert proc.stdout.readline() == "written\n"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    blobs = BlobStore(tmp_path)
    assert [blobs.get(hashlib.sha256(page(i)).hexdigest()) for i in range(20)] == [page(i) for i in range(20)]
    unflushed = [hashlib.sha256(noise(i)).hexdigest() for i in range(9)]
    assert not any(blobs.exists(s) for s in unflushed), "written past the last flush: named by nothing"
    (pack,) = packs_of(tmp_path)
    on_disk = len(list(scan(pack)))
    assert 20 < on_disk < 29, "the dead writer's pack holds whole records it never indexed, the rest was in its buffer"
    with blobs.pack_writer() as writer:  # the next writer goes on, in a pack of its own
        after = writer.put(page(100))
    assert len(packs_of(tmp_path)) == 2 and BlobStore(tmp_path).get(after) == page(100)
    # Recovery: the dead writer's whole records are indexed after their hashes are checked; the torn one is not.
    assert blobs.packs.reindex() == on_disk - 20
    found = [s for s in unflushed if BlobStore(tmp_path).exists(s)]
    assert found == unflushed[:on_disk - 20]
    assert [BlobStore(tmp_path).get(s) for s in found] == [noise(i) for i in range(len(found))]


def test_two_processes_packing_into_one_root_at_once_keep_every_blob(tmp_path):
    procs = [child(tmp_path, "0"), child(tmp_path, "100")]  # pages 100–149 are put by both
    for proc in procs:
        proc.stdin.write("go\n")
        proc.stdin.flush()
    for proc in procs:
        assert proc.stdout.readline() == "done\n"
        assert proc.wait() == 0
    blobs = BlobStore(tmp_path)
    assert all(blobs.get(hashlib.sha256(page(i)).hexdigest()) == page(i) for i in range(250))
    assert len(packs_of(tmp_path)) == 2
    assert indexed(tmp_path) == 250
    # Every indexed place reads back, and nothing whole in either pack is missing from the index (a blob both
    # packed at once is in both packs: the index keeps one copy, the other is dead bytes).
    assert all(blobs.packs.read(sha, blobs.packs.find(sha)) for sha in index_rows(tmp_path))
    assert blobs.packs.reindex() == 0


@pytest.fixture
def packed(tmp_path):
    blobs = BlobStore(tmp_path)
    with blobs.pack_writer() as writer:
        shas = [writer.put(page(i)) for i in range(3)]
    return tmp_path, shas, packs_of(tmp_path)[0]


def reason(root: Path, sha: str) -> str:
    with pytest.raises(BlobNotFound) as caught:
        BlobStore(root).get(sha)
    return str(caught.value)


def test_a_damaged_pack_is_blob_not_found_saying_so(packed):
    root, shas, pack = packed
    data = bytearray(pack.read_bytes())
    data[-5] ^= 0xFF  # inside the last blob's compressed bytes
    pack.write_bytes(bytes(data))
    assert "damaged" in reason(root, shas[2]) and pack.stem in reason(root, shas[2])
    assert BlobStore(root).get(shas[0]) == page(0), "the other blobs of the pack are read as before"


def test_a_cut_pack_is_blob_not_found_saying_where_it_ends(packed):
    root, shas, pack = packed
    os.truncate(pack, pack.stat().st_size - 10)
    assert "truncated" in reason(root, shas[2])
    assert BlobStore(root).get(shas[1]) == page(1)


def test_a_missing_pack_or_an_unreadable_index_is_blob_not_found(packed):
    root, shas, pack = packed
    pack.unlink()
    assert "missing" in reason(root, shas[0])
    (root / "packs" / "index.sqlite").write_bytes(b"not a database" * 100)
    for suffix in ("-wal", "-shm"):
        (root / "packs" / f"index.sqlite{suffix}").unlink(missing_ok=True)
    assert "cannot be read" in reason(root, shas[0])
    assert not BlobStore(root).exists(shas[0])


def test_an_index_lost_is_rebuilt_from_the_packs(packed):
    root, shas, _ = packed
    for name in ("index.sqlite", "index.sqlite-wal", "index.sqlite-shm"):
        (root / "packs" / name).unlink(missing_ok=True)
    blobs = BlobStore(root)
    assert not blobs.exists(shas[0])
    assert blobs.packs.reindex() == 3
    assert [BlobStore(root).get(s) for s in shas] == [page(i) for i in range(3)]


# ---------------------------------------------------------------- readers without write access
READER = """
import sys
sys.path.insert(0, sys.argv[1])
from storage.blobs import BlobStore
blobs = BlobStore(sys.argv[2])
for sha in sys.argv[3].split(","):
    sys.stdout.write(blobs.get(sha).decode())
"""
# Root may write anywhere: run the reader as root without the capabilities that let it ignore file modes.
WITHOUT_OVERRIDE = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search,-fowner",
                    "--inh-caps", "-dac_override,-dac_read_search,-fowner"]


LOADER = """
import sys
sys.path.insert(0, sys.argv[1])
from storage.blobs import BlobStore
from tests.storage.test_packs import page
with BlobStore(sys.argv[2]).pack_writer() as writer:
    print(",".join(writer.put(page(i)) for i in range(3)))
"""


@pytest.mark.skipif(os.geteuid() == 0 and not shutil.which("setpriv"), reason="root without setpriv ignores modes")
def test_a_reader_without_write_access_reads_packed_blobs(tmp_path):
    root = tmp_path / "raw"
    loaded = subprocess.run([sys.executable, "-c", LOADER, str(ROOT), str(root)], cwd=ROOT, capture_output=True,
                            text=True, check=True)  # a bulk load that has ended, as another user's would have
    left = sorted(p.name for p in (root / "packs").iterdir())
    paths = [root, *root.rglob("*")]
    try:
        for path in paths:  # readable by all, writable by no one
            path.chmod(0o555 if path.is_dir() else 0o444)
        done = subprocess.run([*(WITHOUT_OVERRIDE if os.geteuid() == 0 else []), sys.executable, "-c", READER,
                               str(ROOT), str(root), loaded.stdout.strip()], cwd=ROOT, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        assert done.stdout == "".join(page(i).decode() for i in range(3))
        assert sorted(p.name for p in (root / "packs").iterdir()) == left, "the reader wrote nothing"
    finally:
        for path in paths:
            path.chmod(0o755)


def test_the_index_is_in_rollback_journal_mode_for_network_file_systems(packed):
    root, _, _ = packed
    with closing(sqlite3.connect(root / "packs" / "index.sqlite")) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"


# ---------------------------------------------------------------- writers racing on a fresh root
RACER = """
import sys
sys.path.insert(0, sys.argv[1])
from storage.blobs import BlobStore
writer = BlobStore(sys.argv[2]).pack_writer()
sha = writer.put(("racer " + sys.argv[3]).encode() * 50)  # opens its pack; the index is made at the flush
print("ready", flush=True)
sys.stdin.readline()
writer.close()
print(sha, flush=True)
"""


def test_writers_creating_the_index_of_a_fresh_root_at_once_all_succeed(tmp_path):
    for round_ in range(6):
        root = tmp_path / str(round_)
        procs = [subprocess.Popen([sys.executable, "-c", RACER, str(ROOT), str(root), str(n)], cwd=ROOT,
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for n in range(8)]
        for proc in procs:
            assert proc.stdout.readline() == "ready\n"
        for proc in procs:  # all released at once
            proc.stdin.write("go\n")
            proc.stdin.flush()
        shas = []
        for proc in procs:
            out, err = proc.communicate()
            assert proc.returncode == 0, err
            shas.append(out.strip())
        assert sorted(index_rows(root)) == sorted(shas)


# ---------------------------------------------------------------- a writer whose write fails
FAILING = """
import os, resource, signal, sys
sys.path.insert(0, sys.argv[1])
from storage.blobs import BlobStore
from tests.storage.test_packs import noise, page
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # past the limit a write fails with EFBIG instead
blobs = BlobStore(sys.argv[2])
writer = blobs.pack_writer()
for i in range(5):
    writer.put(page(i))
writer.flush()
resource.setrlimit(resource.RLIMIT_FSIZE, (1_500_000, resource.RLIM_INFINITY))
try:
    for i in range(8):  # 2.4 MB: the file cannot hold it
        writer.put(noise(i))
    writer.flush()
except OSError as exc:
    print("failed:", exc.errno, flush=True)
for attempt in (lambda: writer.put(page(99)), writer.flush):
    try:
        attempt()
        print("used again", flush=True)
    except OSError as exc:
        print("refused:", exc, flush=True)
writer.close()  # writes nothing
print("size", os.path.getsize(writer._name and blobs.packs.folder / (writer._name + ".pack")), flush=True)
"""


def test_a_writer_whose_write_fails_stops_for_good_and_indexes_nothing_more(tmp_path):
    done = subprocess.run([sys.executable, "-c", FAILING, str(ROOT), str(tmp_path)], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "failed: 27"  # EFBIG
    assert all(line.startswith("refused: this pack writer stopped after a failed write") for line in lines[1:3])
    (pack,) = packs_of(tmp_path)
    assert lines[3] == f"size {pack.stat().st_size}" and pack.stat().st_size <= 1_500_000
    blobs = BlobStore(tmp_path)
    assert sorted(index_rows(tmp_path)) == sorted(hashlib.sha256(page(i)).hexdigest() for i in range(5))
    assert [blobs.get(hashlib.sha256(page(i)).hexdigest()) for i in range(5)] == [page(i) for i in range(5)]
    assert not blobs.exists(hashlib.sha256(page(99)).hexdigest())


FORKED = """
import os, sys
sys.path.insert(0, sys.argv[1])
from storage.blobs import BlobStore
from tests.storage.test_packs import page
writer = BlobStore(sys.argv[2]).pack_writer()
writer.put(page(1))  # buffered, not yet written
pid = os.fork()
if pid == 0:
    try:
        writer.put(page(2))
        print("child used it", flush=True)
    except OSError as exc:
        print("child refused:", exc, flush=True)
    writer.close()
    sys.exit(0)  # a normal exit: nothing of the parent's buffer may reach the parent's pack
os.waitpid(pid, 0)
writer.put(page(3))
writer.close()
print("parent done", flush=True)
"""


def test_a_forked_child_neither_uses_nor_writes_its_parents_pack_writer(tmp_path):
    done = subprocess.run([sys.executable, "-c", FORKED, str(ROOT), str(tmp_path)], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "child refused: a pack writer is used only by the process that made it (this one was forked)", "parent done"]
    (pack,) = packs_of(tmp_path)
    assert [digest.hex() for digest, *_ in scan(pack)] == [hashlib.sha256(page(i)).hexdigest() for i in (1, 3)]
    assert BlobStore(tmp_path).get(hashlib.sha256(page(3)).hexdigest()) == page(3)


# ---------------------------------------------------------------- damage and odd indexes: BlobNotFound
def test_an_index_row_naming_a_pack_it_does_not_list_is_blob_not_found(packed):
    root, shas, _ = packed
    edit_index(root, "UPDATE blob SET pack = 999 WHERE sha = ?", bytes.fromhex(shas[0]))
    assert "pack id 999 that it does not list" in reason(root, shas[0])
    blobs = BlobStore(root)
    assert not blobs.exists(shas[0])
    assert blobs.put(page(0)) == shas[0] and blobs.get(shas[0]) == page(0), "stored again, loose"


@pytest.mark.parametrize("column, value, says", [
    ("length", 1 << 40, "truncated"), ("length", 1 << 62, "truncated"), ("offset", 3, "damaged"),
    ("offset", -(1 << 40), "malformed"), ("size", 10, "damaged"), ("size", -1, "malformed"), ("codec", 7, "damaged"),
    ("offset", "text", "malformed"),
])
def test_an_index_row_with_impossible_numbers_is_blob_not_found(packed, column, value, says):
    root, shas, _ = packed
    edit_index(root, f"UPDATE blob SET {column} = ? WHERE sha = ?", value, bytes.fromhex(shas[1]))
    assert says in reason(root, shas[1])


@pytest.mark.parametrize("name", ["../elsewhere/x", "/tmp/x", "a.pack", ""])
def test_a_pack_name_outside_what_writers_name_is_never_opened(packed, name):
    root, shas, pack = packed
    outside = root / "elsewhere"
    outside.mkdir()
    shutil.copy(pack, outside / "x.pack")  # the right bytes, outside packs/
    edit_index(root, "UPDATE pack SET name = ?", name)
    assert "no pack writer would name" in reason(root, shas[0])


@pytest.mark.parametrize("kind", ["directory", "fifo", "symlink"])
def test_a_pack_that_is_not_a_regular_file_is_blob_not_found_at_once(packed, kind):
    root, shas, pack = packed
    target = root / "real.pack"
    pack.rename(target)
    {"directory": lambda: pack.mkdir(), "fifo": lambda: os.mkfifo(pack),
     "symlink": lambda: pack.symlink_to(target)}[kind]()
    assert BlobStore(root).exists(shas[0]) is False  # its pack is not there to read: stored again when met
    message = reason(root, shas[0])  # a FIFO must not block the reader
    assert pack.stem in message and ("not a regular file" in message or "cannot be opened" in message)


def test_a_record_that_inflates_beyond_its_size_is_damaged_without_inflating_it_all(tmp_path):
    bomb = zlib.compress(b"\0" * 50_000_000, 9)  # 50 MB from ~50 KB
    digest = hashlib.sha256(b"small").digest()
    folder = tmp_path / "packs"
    folder.mkdir()
    name = "1-1-00000000"
    (folder / f"{name}.pack").write_bytes(FILE_MAGIC + RECORD.pack(RECORD_MAGIC, digest, ZLIB, len(bomb), 5) + bomb)
    blobs = BlobStore(tmp_path)
    blobs.packs.add(name, [(digest, len(FILE_MAGIC) + RECORD.size, len(bomb), 5, ZLIB)])
    assert "decompresses to another size" in reason(tmp_path, digest.hex())
    assert blobs.packs.reindex() == 0


def test_a_torn_or_garbage_record_header_ends_a_scan_without_reading_it(packed):
    root, shas, pack = packed
    whole = pack.stat().st_size
    stored = zlib.compress(b"x" * 1000)
    for tail in (RECORD.pack(RECORD_MAGIC, b"\1" * 32, RAW, 1 << 62, 1 << 62),  # claims 2^62 bytes, has none
                 RECORD.pack(RECORD_MAGIC, b"\1" * 32, ZLIB, len(stored), (1 << 64) - 1) + stored,  # size 2^64 - 1
                 b"garbage" * 20):
        os.truncate(pack, whole)
        with open(pack, "ab") as f:
            f.write(tail)
        assert [d.hex() for d, *_ in scan(pack)] == shas
        assert BlobStore(root).packs.reindex() == 0


# ---------------------------------------------------------------- storing again what cannot be read
def test_a_loose_file_cut_short_is_replaced_by_a_bulk_load_and_read_from_the_pack(tmp_path):
    blobs = BlobStore(tmp_path)
    sha = blobs.put(page(1))
    blobs.path(sha).write_bytes(page(1)[:100])  # as a power cut could leave it
    with blobs.pack_writer() as writer:
        assert writer.put(page(1)) == sha
    assert indexed(tmp_path) == 1
    assert BlobStore(tmp_path).get(sha) == page(1), "the loose file fails its hash: the packed copy is read"


def test_blobs_indexed_in_a_missing_pack_are_stored_again_by_either_writer(packed):
    root, shas, pack = packed
    pack.unlink()
    blobs = BlobStore(root)
    assert not blobs.exists(shas[0])
    with blobs.pack_writer() as writer:  # a bulk load of the same bytes: the index now points at the new copy
        writer.put(page(0))
    assert BlobStore(root).get(shas[0]) == page(0) and loose_files(root) == []
    assert blobs.put(page(1)) == shas[1]  # a crawl of the same bytes: a loose copy
    assert BlobStore(root).get(shas[1]) == page(1) and loose_files(root) == [f"{shas[1][:2]}/{shas[1][2:4]}/{shas[1]}"]


def test_reindex_moves_a_blob_to_an_intact_copy_and_leaves_a_live_writers_pack_alone(packed):
    root, shas, pack = packed
    other = root.parent / "other"
    with BlobStore(other).pack_writer() as writer:  # the same bytes in a second pack …
        writer.put(page(0))
    (copy,) = packs_of(other)
    shutil.copy(copy, root / "packs" / copy.name)
    data = bytearray(pack.read_bytes())
    data[len(FILE_MAGIC) + RECORD.size + 10] ^= 0xFF  # … and the indexed copy damaged
    pack.write_bytes(bytes(data))
    assert "damaged" in reason(root, shas[0])
    blobs = BlobStore(root)
    live = blobs.pack_writer()
    for i in range(5):
        live.put(noise(i))  # 1.5 MB: part of it on disk, none of it fsynced or indexed
    assert blobs.packs.reindex() == 1, "page 0 moved to the intact copy; the live writer's pack skipped"
    assert BlobStore(root).get(shas[0]) == page(0)
    live.close()  # flushed and indexed by its own writer
    assert all(BlobStore(root).exists(hashlib.sha256(noise(i)).hexdigest()) for i in range(5))


# ---------------------------------------------------------------- long-running readers
def test_a_reader_keeps_a_bounded_number_of_packs_open_and_closes_them(tmp_path, monkeypatch):
    monkeypatch.setattr(packs_module, "OPEN_PACKS", 4)
    writer_side = BlobStore(tmp_path)
    shas = []
    for i in range(10):  # ten loads, a pack each
        with writer_side.pack_writer() as writer:
            shas.append(writer.put(page(i)))
    reader = BlobStore(tmp_path)

    def open_packs() -> int:
        return sum(os.readlink(f"/proc/self/fd/{fd}").endswith(".pack") for fd in os.listdir("/proc/self/fd")
                   if os.path.exists(f"/proc/self/fd/{fd}"))

    before = open_packs()
    for _ in range(2):
        assert [reader.get(s) for s in shas] == [page(i) for i in range(10)]
    assert open_packs() - before == 4
    reader.close()
    assert open_packs() == before
    assert reader.get(shas[0]) == page(0), "usable after close: reopened as needed"
    reader.close()
