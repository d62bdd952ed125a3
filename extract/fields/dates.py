"""Dates and times as notices write them: 2026年08月26日 09点30分 · 2026-08-05 13:17 · 2026.8.5 · 2026年8月21日 14：00
（北京时间） · 2026年7月1日（星期三）下午2时30分 · 二〇二六年八月五日 · 8月18日 9:00 (no year: the caller supplies it).
dateparser returns None or wrong values on most of these (../shared/reference/nlp-and-pdf.md §3.2)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from .numerals import cn_int
from .text import fold

_CN = "〇零○一二三四五六七八九十"
_YEAR = rf"(?P<y>(?:19|20)\d{{2}}|[{_CN}]{{4}})"
_MON = rf"(?P<m>\d{{1,2}}|[{_CN}]{{1,2}})"
_DAY = rf"(?P<d>\d{{1,2}}|[{_CN}]{{1,3}})"
# weekday / 北京时间 decorations that may sit between the day and the time
_DECOR = r"(?:\s*[(\[]?\s*(?:星期|周)[一二三四五六日天]\s*[)\]]?|\s*[(\[]?\s*北京时间\s*[)\]]?)*"
_TIME = (
    rf"(?P<time>{_DECOR}\s*(?P<ampm>上午|下午|晚上|中午|早上|凌晨)?\s*"
    r"(?P<h>\d{1,2})\s*(?:(?P<sep>[:：])\s*(?P<mi>\d{2})(?:\s*[:：]\s*\d{2})?|[时点]\s*(?:(?P<mi2>\d{1,2})\s*分?|整|半)?))?"
)
DATE_RE = re.compile(
    rf"(?:(?<!\d)|(?<=[:：]\d\d)){_YEAR}\s*(?:年|[-/.])\s*{_MON}\s*(?:月|[-/.])\s*{_DAY}(?!\d)\s*[日号]?{_TIME}"
)
# no year: 8月18日 9:00 (the year comes from the notice's publication date)
MONTH_DAY_RE = re.compile(rf"(?<![\d年./-]){_MON}\s*月\s*{_DAY}\s*[日号]{_TIME}")


@dataclass
class DateHit:
    start: int
    end: int
    date: dt.date
    time: tuple[int, int] | None  # (hour, minute)
    has_year: bool = True

    def iso(self) -> str:
        """YYYY-MM-DD, or YYYY-MM-DDTHH:MM when a time was given."""
        if self.time is None:
            return self.date.isoformat()
        return f"{self.date.isoformat()}T{self.time[0]:02d}:{self.time[1]:02d}"


def _num(s: str) -> int | None:
    return int(s) if s.isdigit() else cn_int(s)


def _time(m: re.Match) -> tuple[int, int] | None:
    if not m.group("h"):
        return None
    h = int(m.group("h"))
    mi_s = m.group("mi") or m.group("mi2")
    mi = int(mi_s) if mi_s else (30 if m.group("time") and m.group("time").rstrip().endswith("半") else 0)
    if m.group("ampm") in ("下午", "晚上") and h < 12:
        h += 12
    if h > 24 or mi > 59:
        return None
    return h, mi


def _hit(m: re.Match, year: int | None) -> DateHit | None:
    y = year if year is not None else _num(m.group("y"))
    mo, d = _num(m.group("m")), _num(m.group("d"))
    if y is None or mo is None or d is None:
        return None
    try:
        day = dt.date(y, mo, d)
    except ValueError:
        return None
    t = _time(m)
    end = m.end() if t is not None else m.start("time") if m.group("time") is not None else m.end()
    if t is not None and t[0] == 24:  # 24:00 is the next day's 00:00
        day, t = day + dt.timedelta(days=1), (0, t[1])
    # a trailing 日 belongs to the date even when no time follows
    return DateHit(m.start(), end, day, t, has_year=year is None)


def find_dates(s: str, default_year: int | None = None) -> list[DateHit]:
    """All dates in `s`, in order. Year-less dates are read only when `default_year` is given."""
    f = fold(s)
    out = [h for m in DATE_RE.finditer(f) if (h := _hit(m, None))]
    if default_year is not None:
        covered = [(h.start, h.end) for h in out]
        for m in MONTH_DAY_RE.finditer(f):
            if any(a <= m.start() < b for a, b in covered):
                continue
            h = _hit(m, default_year)
            if h:
                out.append(h)
        out.sort(key=lambda h: h.start)
    return out


def parse_date(s: str, default_year: int | None = None) -> DateHit | None:
    """The first date in `s`, or None."""
    found = find_dates(s, default_year)
    return found[0] if found else None
