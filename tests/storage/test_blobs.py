"""The blob store on a real folder: a blob is written whole under its hash, its folders made by its first blob,
the same bytes twice are one file written once, and a write leaves no temporary file behind."""

from __future__ import annotations

import hashlib
import os

from storage.blobs import BlobStore


def files_under(root) -> list[str]:
    return sorted(os.path.relpath(os.path.join(d, f), root) for d, _, names in os.walk(root) for f in names)


def test_a_blob_is_written_whole_under_its_hash_in_folders_its_first_write_makes(tmp_path):
    blobs = BlobStore(tmp_path / "raw")
    data = "招标公告".encode() * 1000
    sha = blobs.put(data)
    assert sha == hashlib.sha256(data).hexdigest()
    assert files_under(tmp_path / "raw") == [f"{sha[:2]}/{sha[2:4]}/{sha}"]
    assert blobs.get(sha) == data


def test_the_same_bytes_stored_twice_are_one_file_written_once(tmp_path):
    blobs = BlobStore(tmp_path)
    sha = blobs.put(b"notice")
    before = os.stat(blobs.path(sha))
    assert blobs.put(b"notice") == sha
    after = os.stat(blobs.path(sha))
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert files_under(tmp_path) == [f"{sha[:2]}/{sha[2:4]}/{sha}"]


def test_a_blob_cut_short_on_disk_is_written_again(tmp_path):
    blobs = BlobStore(tmp_path)
    sha = blobs.put(b"a whole page")
    blobs.path(sha).write_bytes(b"a who")  # as a power cut could leave it
    assert blobs.put(b"a whole page") == sha
    assert blobs.get(sha) == b"a whole page"


def test_many_blobs_in_shared_folders_leave_no_temporary_file(tmp_path):
    blobs = BlobStore(tmp_path)
    shas = {blobs.put(str(i).encode()) for i in range(600)}  # 600 blobs over 256 first-level folders
    assert files_under(tmp_path) == sorted(f"{s[:2]}/{s[2:4]}/{s}" for s in shas)
