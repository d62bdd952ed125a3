"""The site reads since/until as the CLI does (storage.search.dates): a year or a month names a period,
`until` reaching its last day."""

from datetime import date

import pytest

from web.params import ParamError, parse_params


@pytest.mark.parametrize("since, until, first, last", [
    ("2026-09", "2026-09", date(2026, 9, 1), date(2026, 9, 30)),
    ("2026", "2026", date(2026, 1, 1), date(2026, 12, 31)),
    ("2026-09-15", "2026-09-15", date(2026, 9, 15), date(2026, 9, 15)),
])
def test_since_and_until_on_the_site_span_the_whole_period(since, until, first, last):
    p = parse_params([("since", since), ("until", until)])
    assert (p.since, p.until) == (first, last)


def test_a_date_that_names_no_period_is_refused():
    with pytest.raises(ParamError, match="YYYY-MM"):
        parse_params([("until", "2026-13")])
