"""Dates as a list page, an API or a stored row hands them over (extract/fields/dates.py `read_when`, and
`read_datetime` for a stored datetime column): one reader for the extractor's hints and the storage columns,
so both read every form alike — compact ISO dates too, and an aware time converted to China local time (how
notice dates are stored: naive, as the notice prints them) rather than stripped of its zone."""

import datetime as dt

import pytest

from extract.fields.dates import read_datetime, read_when

UTC = dt.timezone.utc
NEW_YORK_WINTER = dt.timezone(dt.timedelta(hours=-5))


@pytest.mark.parametrize("value", [
    "2026-08-05", "20260805", " 2026-08-05 ", "2026/08/05", "2026.8.5", "2026年8月5日", "二〇二六年八月五日",
    "发布日期：2026-08-05", dt.date(2026, 8, 5),
])
def test_a_day_in_any_form_is_read_as_that_day(value):
    assert read_when(value) == dt.date(2026, 8, 5)


def test_a_compact_date_is_read_by_the_extractor_and_the_stored_column_alike():
    assert read_when("20260805") == dt.date(2026, 8, 5)
    assert read_datetime("20260805") == dt.datetime(2026, 8, 5, 0, 0)


@pytest.mark.parametrize("value", [
    "2026-08-05 09:30", "2026-08-05T09:30:45", "20260805T0930", "2026年8月5日 上午9时30分", "2026年08月05日 09点30分",
    dt.datetime(2026, 8, 5, 9, 30),
])
def test_a_time_of_day_gives_a_naive_china_local_time_to_the_minute(value):
    assert read_when(value) == dt.datetime(2026, 8, 5, 9, 30)


def test_a_naive_datetime_keeps_its_seconds_it_is_already_china_local():
    assert read_when(dt.datetime(2026, 8, 5, 9, 30, 15)) == dt.datetime(2026, 8, 5, 9, 30, 15)


@pytest.mark.parametrize("value", [
    "2026-08-05T01:30:00Z", "2026-08-05T01:30:00+00:00", "2026-08-05T09:30+08:00", "2026-08-04T20:30:00-05:00",
    dt.datetime(2026, 8, 5, 1, 30, tzinfo=UTC), dt.datetime(2026, 8, 4, 20, 30, tzinfo=NEW_YORK_WINTER),
])
def test_an_aware_time_is_converted_to_china_local_time_not_stripped_of_its_zone(value):
    assert read_when(value) == dt.datetime(2026, 8, 5, 9, 30)
    assert read_datetime(value) == dt.datetime(2026, 8, 5, 9, 30)


def test_an_aware_time_late_in_the_utc_day_falls_on_the_next_china_day():
    assert read_when("2026-08-05T18:00:00Z") == dt.datetime(2026, 8, 6, 2, 0)


def test_the_stored_column_is_the_same_reading_with_a_day_at_midnight():
    for value in ("2026-08-05", "2026-08-05 09:30", "2026-08-05T01:30:00Z", dt.date(2026, 8, 5)):
        when = read_when(value)
        as_datetime = when if isinstance(when, dt.datetime) else dt.datetime.combine(when, dt.time())
        assert read_datetime(value) == as_datetime
    assert read_datetime(dt.date(2026, 8, 5)) == dt.datetime(2026, 8, 5, 0, 0)


@pytest.mark.parametrize("value", [None, "", "   ", "待定", "2026", "20261305", 20260805, 3.5, ["2026-08-05"]])
def test_what_holds_no_date_reads_as_none(value):
    assert read_when(value) is None
    assert read_datetime(value) is None
