"""Date parsing (extract/fields/dates.py): every date and time form of the gold set's publication dates and
deadlines, and the forms dateparser returns None or wrong values for (nlp-and-pdf.md §3.2)."""

import datetime as dt

import pytest

from extract.fields.dates import find_dates, parse_date


@pytest.mark.parametrize(
    "raw, want",
    [
        ("2026年07月29日", dt.date(2026, 7, 29)),
        ("2026年08月20日 09:00", dt.datetime(2026, 8, 20, 9, 0)),
        ("2026年03月05日 09点30分", dt.datetime(2026, 3, 5, 9, 30)),
        ("2026-08-05", dt.date(2026, 8, 5)),
        ("2026年08月26日 10点00分（北京时间）", dt.datetime(2026, 8, 26, 10, 0)),
        ("2026-02-27 09:30", dt.datetime(2026, 2, 27, 9, 30)),
        ("2026年08月21日09点30分", dt.datetime(2026, 8, 21, 9, 30)),
        ("2026-08-14 09:30:00", dt.datetime(2026, 8, 14, 9, 30)),
        ("2026年8月21日09时00分", dt.datetime(2026, 8, 21, 9, 0)),
        ("2026年08月28日 09时30分00秒", dt.datetime(2026, 8, 28, 9, 30)),
        ("2026年08月14日09:30", dt.datetime(2026, 8, 14, 9, 30)),
        ("2026年8月18日9点00分（北京时间）", dt.datetime(2026, 8, 18, 9, 0)),
        ("2026年08月27日 09时00分", dt.datetime(2026, 8, 27, 9, 0)),
        ("2026年08月27日09:30分", dt.datetime(2026, 8, 27, 9, 30)),
        ("2026年8月24日9时30分（北京时间）", dt.datetime(2026, 8, 24, 9, 30)),
        ("2026年8月20日9点00分00秒", dt.datetime(2026, 8, 20, 9, 0)),
        ("2026年08月26日 10:00（北京时间）", dt.datetime(2026, 8, 26, 10, 0)),
        ("2026年8月21日 14：00", dt.datetime(2026, 8, 21, 14, 0)),  # full-width colon
        ("2026年8月7日下午14时30分", dt.datetime(2026, 8, 7, 14, 30)),  # 下午 with a 24-hour clock: no shift
        ("2026年7月1日（星期三）下午2时30分", dt.datetime(2026, 7, 1, 14, 30)),  # weekday, 下午 shift
        ("2026 年8月19日10：30（北京时间）", dt.datetime(2026, 8, 19, 10, 30)),
        ("2026年8月19日09时", dt.datetime(2026, 8, 19, 9, 0)),
        ("2026年08月03日14点00", dt.datetime(2026, 8, 3, 14, 0)),
        ("2026年8月13日9时", dt.datetime(2026, 8, 13, 9, 0)),
        ("2026年8月4日上午9点半", dt.datetime(2026, 8, 4, 9, 30)),
        ("二〇二六年八月五日", dt.date(2026, 8, 5)),
        ("2026.8.5", dt.date(2026, 8, 5)),
        ("2026/08/05", dt.date(2026, 8, 5)),
        ("2026年08月05日 24:00", dt.datetime(2026, 8, 6, 0, 0)),  # 24:00 is the next day
    ],
)
def test_dates_and_times(raw, want):
    assert parse_date(raw).value() == want


@pytest.mark.parametrize("raw, want", [("8月18日 9：00", dt.datetime(2026, 8, 18, 9, 0)), ("8月19日", dt.date(2026, 8, 19)),
                                      ("开标日期从8月12日变更至8月20日", dt.date(2026, 8, 12))])
def test_dates_without_a_year_take_the_given_year(raw, want):
    assert parse_date(raw, default_year=2026).value() == want


def test_dates_without_a_year_are_not_read_without_one():
    assert parse_date("8月18日 9：00") is None


def test_a_range_gives_both_ends():
    hits = find_dates("2026年08月05日至2026年08月12日")
    assert [h.value() for h in hits] == [dt.date(2026, 8, 5), dt.date(2026, 8, 12)]


def test_glued_cells_before_and_after():
    # a before/after table whose cells ran together: "14:30" then the next date
    hits = find_dates("开标时间的修改2026年08月04日 14:302026年08月07日 9:30")
    assert [h.value() for h in hits] == [dt.datetime(2026, 8, 4, 14, 30), dt.datetime(2026, 8, 7, 9, 30)]


def test_offsets_cover_the_date_and_its_time():
    s = "提交投标文件截止时间：２０２６年０８月２６日 ０９点３０分（北京时间）"
    h = parse_date(s)
    assert s[h.start:h.end] == "２０２６年０８月２６日 ０９点３０分"


@pytest.mark.parametrize("raw", ["2026年13月01日", "2026年02月30日", "第2026号", "合同签订之日起30日内"])
def test_impossible_or_absent_dates(raw):
    assert parse_date(raw) is None
