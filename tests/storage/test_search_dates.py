"""storage.search.dates: the period a typed date names, shared by the CLI and the site."""

from datetime import date

import pytest

from storage.search.dates import period


@pytest.mark.parametrize("text, first, last", [
    ("2026", date(2026, 1, 1), date(2026, 12, 31)),
    ("2026-09", date(2026, 9, 1), date(2026, 9, 30)),
    ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),
    ("2026-02", date(2026, 2, 1), date(2026, 2, 28)),
    ("2026-9-3", date(2026, 9, 3), date(2026, 9, 3)),
    (" 2026-09-30 ", date(2026, 9, 30), date(2026, 9, 30)),
])
def test_a_date_names_a_year_a_month_or_a_day(text, first, last):
    assert period(text) == (first, last)


@pytest.mark.parametrize("text", ["", "2026-00", "2026-13", "2026-02-29", "0000", "２０２６", "2026-09-01T10:00"])
def test_anything_else_is_refused_with_the_forms_it_takes(text):
    with pytest.raises(ValueError, match="YYYY-MM-DD, YYYY-MM or YYYY"):
        period(text)
