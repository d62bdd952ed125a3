"""PostgreSQL's text index by year (migration 0016): which bucket a notice's parts go in, and making a bucket's
partition before its first rows are written.

A bucket is the year of the notice's publication date (China time, as stored), 0 for an undated notice; each
has its own partition of `notice_search`, made and named by the database function `notice_search_ensure_bucket`
(migration 0016) when the writer first indexes a notice of that year, or a notice's date changes to it. Searches
walk the buckets newest first (storage/search/engine.py), undated last, as the date order puts undated notices
last.
"""

from __future__ import annotations

from datetime import datetime
from typing import Iterable

import sqlalchemy as sa

UNDATED = 0
# The bucket of a date column in SQL (the same rule as `bucket_of`).
BUCKET_SQL = "coalesce(extract(year FROM {column})::int, 0)"


def bucket_of(published_at: datetime | None) -> int:
    return published_at.year if published_at is not None else UNDATED


def ensure(conn: sa.Connection, buckets: Iterable[int]) -> None:
    """Make the partitions of `buckets` that do not exist yet, before rows of them are written (the database
    function names them, and returns at once for one that exists)."""
    conn.execute(sa.text("SELECT notice_search_ensure_bucket(b) FROM unnest(CAST(:buckets AS int[])) AS b"),
                 {"buckets": sorted(set(buckets))})
