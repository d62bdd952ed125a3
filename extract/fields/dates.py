"""Dates and times as notices write them: 2026年08月26日 09点30分 · 2026-08-05 13:17 · 2026.8.5 · 2026年8月21日 14：00
（北京时间） · 2026年7月1日（星期三）下午2时30分 · 二〇二六年八月五日 · 8月18日 9:00 (no year: the caller supplies it).
Taiwan's era: 民國114年9月15日 · 114/09/15 (= 2025). English: 15 September 2025 (Monday) 12:00 noon · September 15,
2025 at 5:00 p.m. · 5:00 p.m. on 2 October 2025 · 15/09/2025 14:30 (day first). Vocabulary in data/dates.toml.
dateparser returns None or wrong values on most of these (../shared/reference/nlp-and-pdf.md §3.2)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from ._data import load
from .numerals import cn_int
from .text import fold

_D = load("dates")

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

    def value(self) -> dt.date | dt.datetime:
        """The day, or a naive datetime when a time was given (a stated day never becomes 00:00)."""
        if self.time is None:
            return self.date
        return dt.datetime.combine(self.date, dt.time(*self.time))


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


# ---------------------------------------------------------------------------------------------- ROC and English

_ERA = "|".join(re.escape(fold(e)) for e in _D["roc"]["era"])
# 民國114年9月15日 下午2時 · 114年09月15日 · 114/09/15 · 民國99年1月5日
ROC_RE = re.compile(
    rf"(?:(?P<era>{_ERA})\s*(?P<ey>\d{{2,3}})\s*年|(?<![\d./-])(?P<y3>1[0-4]\d)\s*年|(?<![\d./-])(?P<ys>1[01]\d)(?=[/.]\d{{1,2}}[/.]\d))"
    rf"\s*[/.]?\s*(?P<m>\d{{1,2}})\s*(?:月|[/.])\s*(?P<d>\d{{1,2}})(?!\d)\s*[日号]?{_TIME}"
)
_MONTHS: dict[str, int] = _D["months"]
_MON_ALT = "|".join(sorted(_MONTHS, key=len, reverse=True))
_WEEKDAY = r"(?:\s*,?\s*\(?(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?\.?\)?)?"
_ETIME = (r"(?P<eh>\d{1,2})(?:\s*[:.]\s*(?P<emi>\d{2}))?\s*(?P<ap>a\.?\s?m\.?|p\.?\s?m\.?|noon|midnight|hours|hrs)?")
_E_DATE = (rf"(?:(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?(?:\s+|-)(?P<mon1>{_MON_ALT})\.?,?(?:\s+|-)(?P<y1>(?:19|20)\d{{2}})"
           rf"|(?P<mon2>{_MON_ALT})\.?\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y2>(?:19|20)\d{{2}})"
           rf"|(?<![\d/.-])(?P<n1>\d{{1,2}})[/.-](?P<n2>\d{{1,2}})[/.-](?P<y3>(?:19|20)\d{{2}})(?![\d/.-]))")
# a time before the date ("12:00 noon on 15 September 2025") or after it ("15 September 2025 (Monday), 5:00 p.m.")
ENGLISH_RE = re.compile(
    rf"(?i:(?:{_ETIME.replace('?P<', '?P<b')}\s*(?:on|,)?\s*(?=\d|[a-z]))?\b{_E_DATE}"
    rf"(?:{_WEEKDAY}\s*(?:,|at|-)?\s*(?P<after>{_ETIME}))?)"
)


def _english_time(h: str | None, mi: str | None, ap: str | None) -> tuple[int, int] | None:
    """"5:00 p.m." -> (17, 0), "12 noon" -> (12, 0), "14:30" -> (14, 30); a bare hour without a.m./p.m. or minutes
    is no time (it may be the next number of the text)."""
    if h is None or (mi is None and not ap) or (ap or "").lower() in ("hours", "hrs") and mi is None and len(h) < 3:
        return None
    hour, minute = int(h), int(mi or 0)
    ap = (ap or "").lower().replace(".", "").replace(" ", "")
    if ap == "pm" and hour < 12:
        hour += 12
    elif ap == "am" and hour == 12:
        hour = 0
    elif ap in _D["english"]["midnight"]:
        hour, minute = 23, 59
    if hour > 23 or minute > 59:
        return None
    return hour, minute


def _english_hits(f: str) -> list[DateHit]:
    out = []
    for m in ENGLISH_RE.finditer(f):
        g = m.groupdict()
        if g["y3"]:
            a, b = int(g["n1"]), int(g["n2"])
            day_first = _D["english"]["day_first"]
            if a > 12 or (day_first and b <= 12):
                day, mon = a, b
            else:
                mon, day = a, b
            year = int(g["y3"])
        else:
            day = int(g["d1"] or g["d2"])
            mon = _MONTHS[(g["mon1"] or g["mon2"]).lower()]
            year = int(g["y1"] or g["y2"])
        try:
            date = dt.date(year, mon, day)
        except ValueError:
            continue
        t_after = _english_time(g["eh"], g["emi"], g["ap"]) if g["after"] else None
        t_before = _english_time(g["beh"], g["bemi"], g["bap"])
        t = t_after or t_before
        start = m.start() if t_before and not t_after else m.start("d1") if g["d1"] else m.start("mon2") if g["mon2"] else m.start("n1")
        end = m.end() if t_after else max(x for x in (m.end("y1"), m.end("y2"), m.end("y3")) if x >= 0)
        if t_before and not t_after:
            start = m.start()
        out.append(DateHit(start, end, date, t))
    return out


def _roc_hits(f: str) -> list[DateHit]:
    out = []
    for m in ROC_RE.finditer(f):
        y = int(m.group("ey") or m.group("y3") or m.group("ys")) + _D["roc"]["offset"]
        try:
            day = dt.date(y, int(m.group("m")), int(m.group("d")))
        except ValueError:
            continue
        t = _time(m)
        end = m.end() if t is not None else m.start("time") if m.group("time") is not None else m.end()
        out.append(DateHit(m.start(), end, day, t))
    return out


def find_dates(s: str, default_year: int | None = None) -> list[DateHit]:
    """All dates in `s`, in order. Year-less dates are read only when `default_year` is given."""
    f = fold(s)
    out = [h for m in DATE_RE.finditer(f) if (h := _hit(m, None))]
    # the era and English forms, where no Gregorian Chinese date was read
    more = (_roc_hits(f) if "年" in f or "/" in f or "." in f else []) + (_english_hits(f) if _HAS_LATIN.search(f) or "/" in f else [])
    if more:
        covered = [(h.start, h.end) for h in out]
        out += [h for h in more if not any(a < h.end and h.start < b for a, b in covered)]
        out.sort(key=lambda h: h.start)
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


_HAS_LATIN = re.compile(r"[A-Za-z]{3}")


def parse_date(s: str, default_year: int | None = None) -> DateHit | None:
    """The first date in `s`, or None."""
    found = find_dates(s, default_year)
    return found[0] if found else None


CHINA = dt.timezone(dt.timedelta(hours=8))  # the time notices are printed in (China has no daylight saving)


def china_local(moment: dt.datetime) -> dt.datetime:
    """A moment as a naive China local time: an aware datetime converted, a naive one taken as China local."""
    if moment.tzinfo is None:
        return moment
    try:
        return moment.astimezone(CHINA).replace(tzinfo=None)
    except OverflowError:  # a sentinel at the calendar's edge (9999-12-31T23:59Z): its wall time, unconverted
        return moment.replace(tzinfo=None)


def read_when(value: object) -> dt.date | dt.datetime | None:
    """A date as a list page, an API or a stored row hands it over — a date, a datetime, or text: ISO 8601
    (2026-08-05, 20260805, 2026-08-05T09:30+08:00 …) or any form `find_dates` reads — as a date field's value:
    a day stays a day; a time of day gives a naive datetime in China local time (how notice dates are stored),
    an aware one converted to it. None when no date can be read. The one reader of such dates: the extractor's
    list-page hints and the stored columns (`read_datetime`) alike."""
    if isinstance(value, dt.datetime):
        return china_local(value)
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:  # ISO 8601, as stored JSON gives dates back, extended or compact
        return dt.date.fromisoformat(text)
    except ValueError:
        pass
    try:
        # to the minute, as `find_dates` reads a time (and storage stored such strings before)
        return china_local(dt.datetime.fromisoformat(text).replace(second=0, microsecond=0))
    except ValueError:
        hit = parse_date(text)
        return hit.value() if hit else None


def read_datetime(value: object) -> dt.datetime | None:
    """`read_when` as a datetime column holds it: a day at 00:00."""
    when = read_when(value)
    if when is None or isinstance(when, dt.datetime):
        return when
    return dt.datetime.combine(when, dt.time())
