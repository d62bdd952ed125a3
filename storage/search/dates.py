"""Date filters as people type them: YYYY, YYYY-MM or YYYY-MM-DD, each naming a period (a year, a month, a
day). `since` starts with the period's first day, `until` ends with its last, so `--until 2026-09` keeps
notices of 30 September. Used by the CLI and the search site alike."""

from __future__ import annotations

import calendar
import re
from datetime import date

FORMS = "YYYY-MM-DD, YYYY-MM or YYYY"
_PERIOD_RE = re.compile(r"([0-9]{4})(?:-([0-9]{1,2})(?:-([0-9]{1,2}))?)?")


def period(text: str) -> tuple[date, date]:
    """The first and last day of the period `text` names; ValueError when it names none."""
    m = _PERIOD_RE.fullmatch(text.strip())
    if not m:
        raise ValueError(f"{text!r} is not a date: use {FORMS}")
    year, month, day = (int(g) if g else None for g in m.groups())
    try:
        if month is None:
            return date(year, 1, 1), date(year, 12, 31)
        if day is None:
            return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
        return (d := date(year, month, day)), d
    except ValueError:
        raise ValueError(f"{text!r} is not a date: use {FORMS}") from None


def since_date(text: str) -> date:
    return period(text)[0]


def until_date(text: str) -> date:
    return period(text)[1]
