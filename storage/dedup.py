"""Cross-source near-duplicates: the same notice published on two sites (ccgp.gov.cn and ggzy.gov.cn both
republish provincial notices) is stored once; the second place becomes a `NoticeLink` of the first.

Two notices are the same when
  * they come from different sources (one site's distinct URLs are distinct notices: a correction can
    repeat most of its tender's text under the same project code),
  * their project codes agree — or, when either has none, their titles agree —,
  * their notice types agree where both are known (a tender and its correction share code and most text),
  * the SimHash of their normalised body text is within `MAX_DISTANCE` bits.

SimHash (Charikar 2002) over character bigrams of the text with everything but letters, digits and CJK
removed and full-width forms folded: page chrome, whitespace and punctuation differences between the two
sites' renderings move few bits, while two different notices of one buyer (same template, other
numbers and items) land far apart. The value is stored in `Notice.simhash` as a signed 64-bit integer
(PostgreSQL has no unsigned BIGINT).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from typing import TYPE_CHECKING, Callable

import numpy as np
import sqlalchemy as sa

from models.tables import LINK, NOTICE
from storage.normalise import nfkc, normalise_name
from storage.rows import notice_title, primary_code

if TYPE_CHECKING:
    from extract.types import DocumentText, NoticeExtraction
    from models.raw import RawNotice


BITS = 64
# Largest Hamming distance between two renderings of one notice. Measured on the replicas: ccgp's page
# (with its 公告概要 table) and ggzy's copy of its body differ by 6 bits; a tender and its correction by 7
# to 15; short templated notices of one site by as little as 3. So SimHash alone cannot tell notices
# apart — the code, title and type gates above do most of the work, and the distance guards against a
# code shared by different texts. tests/storage/test_dedup.py pins these cases.
MAX_DISTANCE = 8
MIN_FEATURES = 20  # below this many bigrams (a metadata-only page) a SimHash says nothing: no matching
_KEEP = re.compile(r"[0-9a-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_MASK = (1 << BITS) - 1
_BMP = 0x10000  # every character _KEEP keeps is in it


def _kept() -> np.ndarray:
    """By code point: does _KEEP keep it."""
    table = np.zeros(_BMP, dtype=bool)
    for m in _KEEP.finditer("".join(map(chr, range(_BMP)))):
        table[m.start():m.end()] = True
    return table


_KEPT = _kept()


def normalise_text(text: str) -> str:
    """NFKC, lower case, only letters, digits and CJK ideographs (spaces and punctuation dropped)."""
    return "".join(_KEEP.findall(nfkc(text or "").lower()))


def features(text: str) -> Counter:
    norm = normalise_text(text)
    return Counter(map(str.__add__, norm, norm[1:]))  # the character bigrams, built in C


def _hash64(feature: str) -> int:
    return int.from_bytes(hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest(), "big")


def simhash(text: str) -> int | None:
    """The 64-bit SimHash of `text` as a signed integer (for a BIGINT column); None for too little text.
    Computed with numpy (every new or changed notice is hashed): the normalised text as code points, each
    bigram the integer (first << 16 | second), counted once each (a sort and its run starts), its hash looked up in `_HASHES`.
    tests/storage/test_store_batch.py compares it with Charikar's definition written out bit by bit."""
    lowered = nfkc(text or "").lower()
    points = np.frombuffer(lowered.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    points = points[_KEPT[np.minimum(points, _BMP - 1)]]  # normalise_text; U+FFFF is not kept
    if len(points) - 1 < MIN_FEATURES:
        return None
    pairs = np.sort((points[:-1] << 16) | points[1:])
    starts = np.flatnonzero(np.concatenate(([True], pairs[1:] != pairs[:-1])))  # np.unique's work, less its cost
    bigrams, weights = pairs[starts], np.diff(np.append(starts, len(pairs)))
    hashes = _HASHES.lookup(bigrams)
    # Per bit i of the hashes, the weight of the bigrams whose hash has it: the weights summed by the value of each
    # of a hash's 8 bytes (one bincount), then per byte value its 8 bits (a 256 × 8 table).
    by_byte = hashes.view(np.uint8).reshape(-1, 8) + _BYTE_OFFSETS
    sums = np.bincount(by_byte.ravel(), weights=np.repeat(weights.astype(np.float64), 8), minlength=8 * 256)
    totals = 2 * (sums.reshape(8, 256) @ _BYTE_BITS).ravel() - weights.sum()  # exact: integers far below 2**53
    value = int(np.packbits(totals[::-1] > 0).view(">u8")[0])
    return value - (1 << BITS) if value >> (BITS - 1) else value


# bit k of byte value v (rows v, columns k), and where byte j of a hash counts in the byte sums (j × 256). Byte j of
# the little-endian view holds bits 8j … 8j+7, so the (8, 8) product read row by row is bit 0 … 63.
_BYTE_BITS = ((np.arange(256)[:, None] >> np.arange(8)) & 1).astype(np.float64)
_BYTE_OFFSETS = np.arange(8, dtype=np.intp) * 256


class _BigramHashes:
    """`_hash64` of bigrams (first << 16 | second), remembered: bigrams repeat across notices, and a
    notice has hundreds. Known ones sit in sorted arrays searched all at once; new ones are hashed in Python
    and merged into the arrays when they are MERGE_AT plus an eighth of the known ones (so merging costs a few
    copies per bigram), up to MAX (then it starts afresh)."""

    MERGE_AT = 1024
    MAX = 1 << 21  # 24 MB

    def __init__(self):
        # (keys, hashes): one tuple, replaced whole, so a thread reading never pairs old keys with new hashes
        self.table = (np.empty(0, dtype=np.uint32), np.empty(0, dtype=np.uint64))
        self.new: dict[int, int] = {}

    def lookup(self, bigrams: np.ndarray) -> np.ndarray:
        """The hashes of `bigrams` (sorted, distinct, uint32)."""
        keys, hashes = self.table
        out = np.empty(len(bigrams), dtype=np.uint64)
        if len(keys):
            at = np.minimum(np.searchsorted(keys, bigrams), len(keys) - 1)
            hit = keys[at] == bigrams
            out[hit] = hashes[at[hit]]
            missing = np.flatnonzero(~hit)
        else:
            missing = np.arange(len(bigrams))
        if len(missing):
            out[missing] = np.fromiter(map(self._hash, bigrams[missing].tolist()), dtype=np.uint64,
                                       count=len(missing))
            if len(self.new) >= self.MERGE_AT + len(keys) // 8:
                self._merge()
        return out

    def _hash(self, code: int) -> int:
        h = self.new.get(code)
        if h is None:
            h = self.new[code] = _hash64(chr(code >> 16) + chr(code & 0xFFFF))
        return h

    def _merge(self) -> None:
        new, self.new = self.new, {}
        keys, hashes = self.table
        if len(keys) + len(new) > self.MAX:
            keys, hashes = self.table = (np.empty(0, dtype=np.uint32), np.empty(0, dtype=np.uint64))
        add = np.fromiter(new, dtype=np.uint32, count=len(new))
        order = np.argsort(add)
        add, values = add[order], np.fromiter(new.values(), dtype=np.uint64, count=len(new))[order]
        at = np.searchsorted(keys, add)
        self.table = (np.insert(keys, at, add), np.insert(hashes, at, values))


_HASHES = _BigramHashes()


class Lazy:
    """A value computed on first call and remembered (a SimHash is needed only when there is something to
    compare it with, or a row to write)."""

    def __init__(self, fn):
        self._fn, self._done, self._value = fn, False, None

    def __call__(self):
        if not self._done:
            self._value, self._done = self._fn(), True
        return self._value


def distance(a: int, b: int) -> int:
    """Hamming distance between two SimHashes (signed or unsigned)."""
    return bin((a & _MASK) ^ (b & _MASK)).count("1")


def find_duplicate(conn: sa.Connection, raw: "RawNotice", body: "DocumentText", extraction: "NoticeExtraction",
                   *, max_distance: int = MAX_DISTANCE,
                   own_simhash: "int | None | Callable[[], int | None]" = None) -> tuple[int, bool] | None:
    """The stored notice `raw` duplicates, as (notice id, already linked), or None.

    "Already linked" means `raw.url` is a known NoticeLink (a re-crawl of the second place). Otherwise the
    nearest stored notice of another source that agrees on project code (or title) and is within
    `max_distance` bits.

    `own_simhash`: the SimHash of `body.text` if the caller has it (the store computes it with
    `simhash` for the row anyway), or a callable returning it; by default `simhash(body.text)`. It is
    only computed when there are candidates to compare with (most new notices have none)."""
    linked = conn.execute(sa.select(LINK.c.notice_id).where(LINK.c.url == raw.url)).scalar()
    if linked is not None:
        return linked, True
    code = primary_code(extraction)
    title = normalise_name(notice_title(raw, body, extraction))
    kind = extraction.fields.notice_type or (raw.list_meta or {}).get("notice_type")
    columns = (NOTICE.c.id, NOTICE.c.simhash, NOTICE.c.project_code, NOTICE.c.title, NOTICE.c.notice_type)
    base = sa.select(*columns).where(NOTICE.c.source != raw.source, NOTICE.c.simhash.is_not(None))
    if code:
        # By code (indexed). Stored notices without a code could still match by title; finding them would
        # scan the table on every save, and a republished notice keeps its code, so they are left out.
        rows = conn.execute(base.where(NOTICE.c.project_code == code)).all()
    elif title:
        rows = conn.execute(base.where(NOTICE.c.title == notice_title(raw, body, extraction))).all()
    else:
        return None
    if not rows:
        return None
    if own_simhash is None:
        own = simhash(body.text)
    elif callable(own_simhash):
        own = own_simhash()
    else:
        own = own_simhash
    if own is None:
        return None
    best: tuple[int, int] | None = None
    for row in rows:
        if not code and (row.project_code or normalise_name(row.title) != title):
            continue
        if kind and row.notice_type and kind != row.notice_type:
            continue
        d = distance(own, row.simhash)
        if d <= max_distance and (best is None or d < best[0]):
            best = (d, row.id)
    return (best[1], False) if best else None
