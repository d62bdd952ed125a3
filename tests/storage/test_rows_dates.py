"""The stored date columns (storage/rows.py `derive`): a notice's publication date and deadline are read by the
extractor's one date reader (`extract.fields.dates.read_datetime`), so a list page's date is stored as the
extractor reads it — a compact date as its day, an aware time in China local time, naive."""

from datetime import date, datetime

import pytest

from extract.types import ComputeFindings, DocumentText, NoticeExtraction, NoticeFields
from storage.rows import derive


def stored_columns(fields: NoticeFields, list_meta: dict) -> dict:
    extraction = NoticeExtraction(fields=fields, compute=ComputeFindings(), extractor_version="test")
    return derive(extraction, list_meta, DocumentText(text="", kind="html"), lambda name: None).columns


@pytest.mark.parametrize("listed, stored", [
    ("20260805", datetime(2026, 8, 5, 0, 0)),
    ("2026-08-05T01:30:00Z", datetime(2026, 8, 5, 9, 30)),
    ("2026-08-05T09:30:00+08:00", datetime(2026, 8, 5, 9, 30)),
    ("2026年8月5日 下午2时", datetime(2026, 8, 5, 14, 0)),
])
def test_a_list_pages_date_is_stored_as_the_extractor_reads_it(listed, stored):
    assert stored_columns(NoticeFields(), {"published_at": listed})["published_at"] == stored


def test_the_notices_own_dates_come_first_and_a_day_is_stored_at_midnight():
    fields = NoticeFields(published_at=date(2026, 8, 4), bid_deadline=datetime(2026, 8, 20, 9, 30))
    columns = stored_columns(fields, {"published_at": "2026-08-05"})
    assert columns["published_at"] == datetime(2026, 8, 4, 0, 0)
    assert columns["bid_deadline"] == datetime(2026, 8, 20, 9, 30)
