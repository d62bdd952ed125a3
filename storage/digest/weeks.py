"""ISO weeks ("2026-W47") as half-open UTC intervals [Monday 00:00, next Monday 00:00).

The stored times (`Notice.first_seen`, `NoticeVersion.fetched_at`) are naive UTC, so the weeks are UTC
weeks too: a notice first seen at 23:30 UTC on Sunday belongs to that week. A digest by publication date reads
the same naive bounds as China local time, the time notices are dated in (storage/digest/data.py `before`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Optional

WEEK_RE = re.compile(r"^(\d{4})-?W(\d{2})$")


@dataclass(frozen=True, order=True)
class IsoWeek:
    year: int
    week: int

    @classmethod
    def parse(cls, text: str) -> "IsoWeek":
        m = WEEK_RE.match(text.strip().upper())
        if not m:
            raise ValueError(f"not an ISO week: {text!r} (expected e.g. 2026-W47)")
        year, week = int(m.group(1)), int(m.group(2))
        try:
            date.fromisocalendar(year, week, 1)
        except ValueError:
            raise ValueError(f"{year} has no ISO week {week}") from None
        return cls(year, week)

    @classmethod
    def of(cls, moment: date) -> "IsoWeek":
        iso = moment.isocalendar()
        return cls(iso.year, iso.week)

    @classmethod
    def last_complete(cls, now: Optional[datetime] = None) -> "IsoWeek":
        """The latest week that has ended (in UTC) at `now`."""
        now = now or datetime.now(timezone.utc)
        return cls.of((now - timedelta(days=7)).date())

    def __str__(self) -> str:
        return f"{self.year}-W{self.week:02d}"

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.week, 1)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    @property
    def start(self) -> datetime:
        return datetime.combine(self.monday, datetime.min.time())

    @property
    def end(self) -> datetime:
        return self.start + timedelta(days=7)

    def shift(self, weeks: int) -> "IsoWeek":
        return IsoWeek.of(self.monday + timedelta(weeks=weeks))

    def is_complete(self, now: Optional[datetime] = None) -> bool:
        now = now or datetime.now(timezone.utc)
        return self.end <= now.astimezone(timezone.utc).replace(tzinfo=None)
