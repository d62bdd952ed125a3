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

import functools
import hashlib
import re
import unicodedata
from collections import Counter
from typing import TYPE_CHECKING, Callable

import sqlalchemy as sa

from models.tables import Notice, NoticeLink
from storage.normalise import normalise_code, normalise_name

if TYPE_CHECKING:
    from extract.types import DocumentText, NoticeExtraction
    from models.raw import RawNotice

NOTICE = Notice.__table__
LINK = NoticeLink.__table__

BITS = 64
# Largest Hamming distance between two renderings of one notice. Measured on the replicas: ccgp's page
# (with its 公告概要 table) and ggzy's copy of its body differ by 6 bits; a tender and its correction by 7
# to 15; short templated notices of one site by as little as 3. So SimHash alone cannot tell notices
# apart — the code, title and type gates above do most of the work, and the distance guards against a
# code shared by different texts. tests/sources/test_dedup.py pins these cases.
MAX_DISTANCE = 8
MIN_FEATURES = 20  # below this many bigrams (a metadata-only page) a SimHash says nothing: no matching
_KEEP = re.compile(r"[0-9a-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_MASK = (1 << BITS) - 1


def normalise_text(text: str) -> str:
    """NFKC, lower case, only letters, digits and CJK ideographs (spaces and punctuation dropped)."""
    return "".join(_KEEP.findall(unicodedata.normalize("NFKC", text or "").lower()))


def features(text: str) -> Counter:
    norm = normalise_text(text)
    return Counter(norm[i:i + 2] for i in range(len(norm) - 1))


@functools.lru_cache(maxsize=1 << 17)  # bigrams repeat across notices; a pure function of the feature
def _hash64(feature: str) -> int:
    return int.from_bytes(hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest(), "big")


def simhash(text: str) -> int | None:
    """The 64-bit SimHash of `text` as a signed integer (for a BIGINT column); None for too little text."""
    counts = features(text)
    if sum(counts.values()) < MIN_FEATURES:
        return None
    weights = [0] * BITS
    for feature, count in counts.items():
        h = _hash64(feature)
        for bit in range(BITS):
            weights[bit] += count if h >> bit & 1 else -count
    value = sum(1 << bit for bit in range(BITS) if weights[bit] > 0)
    return value - (1 << BITS) if value >> (BITS - 1) else value


def distance(a: int, b: int) -> int:
    """Hamming distance between two SimHashes (signed or unsigned)."""
    return bin((a & _MASK) ^ (b & _MASK)).count("1")


def notice_title(raw: "RawNotice", body: "DocumentText", extraction: "NoticeExtraction") -> str:
    """The title the store gives the notice (extraction first, then the list's, then the page's)."""
    return extraction.fields.title or (raw.list_meta or {}).get("title") or body.title or ""


def find_duplicate(conn: sa.Connection, raw: "RawNotice", body: "DocumentText", extraction: "NoticeExtraction",
                   *, max_distance: int = MAX_DISTANCE,
                   own_simhash: "int | None | Callable[[], int | None]" = None) -> tuple[int, bool] | None:
    """The stored notice `raw` duplicates, as (notice id, already linked), or None.

    "Already linked" means `raw.url` is a known NoticeLink (a re-crawl of the second place). Otherwise the
    nearest stored notice of another source that agrees on project code (or title) and is within
    `max_distance` bits.

    `own_simhash`: the SimHash of `body.text` if the caller has it (the store computes it with
    `fast_simhash` for the row anyway), or a callable returning it; by default `simhash(body.text)`. It is
    only computed when there are candidates to compare with (most new notices have none)."""
    linked = conn.execute(sa.select(LINK.c.notice_id).where(LINK.c.url == raw.url)).scalar()
    if linked is not None:
        return linked, True
    code = normalise_code(extraction.fields.project_codes[0]) if extraction.fields.project_codes else ""
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
