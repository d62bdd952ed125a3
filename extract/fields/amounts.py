"""Money and rates as notices write them, normalised to yuan.

Forms handled: 1,234,500.00元 · ¥82,137,436.00 · 人民币177.449000 万元 · 147.2920000（万元） · 120 万元（人民币） ·
壹佰贰拾万元整 · 肆拾伍万陆仟柒佰捌拾玖元零壹分 · 5.000000(%) · 下浮率 3% · 1.5（万元/年） (a per-unit price) ·
HK$12.5 million · MOP 3,280,000.00 · 新臺幣 1,250萬元 · 120万港元 · US$745,800.00 (value and currency kept).
A bare number takes the unit its label or table column gives (`default_factor`). cn2an and dateparser fail on
several of these (../shared/reference/nlp-and-pdf.md §3), hence this module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from ._data import load
from .numerals import DIGITS, cn_int
from .text import fold

_A = load("amounts")
UNITS: dict[str, int] = _A["units"]
_UNIT_ALT = "|".join(re.escape(u) for u in sorted(UNITS, key=len, reverse=True))
# currency mark (folded) -> ISO code; "$" alone is a dollar of a kind the notice decides (see money.py)
CURRENCY_MARKS: dict[str, str] = {fold(m): code for code, marks in _A["currencies"].items() for m in marks}
CURRENCY_MARKS.update({fold(m): "$" for m in _A["dollar"]["marks"]})
_MARKS = sorted(CURRENCY_MARKS, key=len, reverse=True)
_PREFIX_ALT = "|".join(re.escape(p) for p in sorted({fold(p) for p in _A["prefixes"]} | set(_MARKS), key=len, reverse=True))
_SUFFIX_RE = re.compile(r"[ \t]*(?:" + "|".join(re.escape(m) for m in _MARKS if m != "$") + ")")
_MARK_RE = re.compile("|".join(re.escape(m) for m in _MARKS))
_MARK_BEFORE_RE = re.compile("(?:" + "|".join(re.escape(m) for m in _MARKS if m != "$") + r")[ \t]*$")

_NUM = r"\d{1,3}(?:[,，]\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
# a digit amount: optional currency prefix, number, optional bracketed unit / percent / per-unit suffix
MONEY_RE = re.compile(
    rf"(?P<pre>(?:(?:{_PREFIX_ALT})\s*[:：]?\s*)*)"
    rf"(?<![\d.])(?P<num>{_NUM})(?![\d.])"
    rf"(?P<tail>\s*(?P<open>[(（\[])?\s*(?:(?P<pct>%|％|个百分点)|(?P<unit>{_UNIT_ALT})(?P<per>\s*/\s*[^\s)）\]，,;；。]{{1,6}})?)"
    r"\s*(?(open)[)）\]]?))?"
)
_COUNTERS = tuple(_A["counters"])
_CAP_DIGITS = "零壹贰貳叁參肆伍陆陸柒捌玖"
_CAP_ALL = _CAP_DIGITS + "拾佰仟万萬亿億"
# a 大写 amount: 壹佰贰拾万元整, 玖仟陆佰陆拾伍圆壹角捌分, 伍角
CAPITAL_RE = re.compile(
    rf"(?P<int>[{_CAP_DIGITS}拾][{_CAP_ALL}]*)(?P<yuan>[元圆])(?:(?P<jiao>[{_CAP_DIGITS}])角)?(?:零?(?P<fen>[{_CAP_DIGITS}])分)?[整正]?"
    rf"|(?P<jiao2>[{_CAP_DIGITS}])角(?:零?(?P<fen2>[{_CAP_DIGITS}])分)?[整正]?"
    # written in plain numerals with a multiplier: 八百万元, 三十五万元 (港幣八百萬元 folds to this)
    r"|(?P<int2>[一二三四五六七八九两十][一二三四五六七八九两十百千万亿〇零]*[十百千万亿][一二三四五六七八九两十百千万亿〇零]*)[元圆][整正]?"
)


@dataclass
class Money:
    """One amount found in a string. `value_cny` for money, `percent` for rates."""

    value_cny: float | None
    percent: float | None
    start: int
    end: int
    per_unit: bool = False  # "万元/年", "元/台": a rate per period or item
    explicit_unit: bool = False  # the text itself said 元/万元/% (not a default from a label)
    capital: bool = False  # written in 大写
    foreign: bool = False  # in another currency (US$745,800.00, 10万美元): value_cny is None
    # ISO 4217 code the text states (CNY for 人民币/RMB/¥), "$" for a dollar of unstated kind, None when unstated
    # (a bare number, or 元 alone: Taiwan's and Macau's notices write 元 for their own dollars and patacas)
    currency: str | None = None
    value: float | None = None  # the amount in `currency` (in yuan when that is CNY or unstated)


def _dec(num: str) -> Decimal | None:
    try:
        return Decimal(num.replace(",", "").replace("，", ""))
    except InvalidOperation:
        return None


def _capital_value(m: re.Match) -> Decimal | None:
    if m.group("int2") is not None:
        whole = cn_int(m.group("int2"))
        return None if whole is None else Decimal(whole)
    if m.group("int") is not None:
        whole = cn_int(m.group("int"))
        if whole is None:
            return None
        jiao, fen = m.group("jiao"), m.group("fen")
    else:
        whole, jiao, fen = 0, m.group("jiao2"), m.group("fen2")
    v = Decimal(whole)
    if jiao:
        v += Decimal(DIGITS[jiao]) / 10
    if fen:
        v += Decimal(DIGITS[fen]) / 100
    return v


def find_money(s: str, default_factor: int | None = 1, default_percent: bool = False) -> list[Money]:
    """Every amount in `s`, in order. `default_factor` applies to a bare number (1 = 元, 10000 = 万元, None =
    a bare number is no amount); `default_percent` reads a bare number as a percentage (a 下浮率 column)."""
    f = fold(s)
    out: list[Money] = []
    taken: list[tuple[int, int]] = []
    for m in CAPITAL_RE.finditer(f):
        v = _capital_value(m)
        if v is not None:
            out.append(Money(float(v), None, m.start(), m.end(), explicit_unit=True, capital=True))
            taken.append((m.start(), m.end()))
    for m in MONEY_RE.finditer(f):
        if any(a <= m.start("num") < b for a, b in taken):
            continue
        v = _dec(m.group("num"))
        if v is None:
            continue
        if not m.group("pre").strip() and m.start("num") > 0 and f[m.start("num") - 1].isascii() and f[m.start("num") - 1].isalpha():
            continue  # part of a model or code ("A100", "p5"), not money
        start = m.start("pre") if m.group("pre") else m.start("num")
        end = m.end("tail") if m.group("tail") and m.group("tail").strip() else m.end("num")
        if m.group("pct"):
            out.append(Money(None, float(v), start, end, explicit_unit=True))
        elif m.group("unit"):
            factor = UNITS[m.group("unit")]
            out.append(Money(float(v * factor), None, start, end, per_unit=bool(m.group("per")), explicit_unit=True))
        elif f[m.end("num"):m.end("num") + 3].lstrip().startswith(_COUNTERS) and not m.group("pre").strip():
            continue  # "6个月", "98.5分": a count or a score, not money
        elif default_percent:
            out.append(Money(None, float(v), start, end))
        elif default_factor is not None or m.group("pre").strip():
            out.append(Money(float(v * (default_factor or 1)), None, start, end, explicit_unit=bool(m.group("pre").strip())))
    for m in out:
        if m.percent is None:
            _set_currency(f, m)
    out.sort(key=lambda x: x.start)
    return out


def _set_currency(f: str, m: Money) -> None:
    """The currency a money's own text states: a mark before the number (HK$, 新台币, MOP), else one right after it
    (万港元, 澳门元, patacas; the span then covers it), else CNY for 人民币/RMB/¥, else unstated."""
    in_span = {CURRENCY_MARKS[x.group()] for x in _MARK_RE.finditer(f, m.start, m.end)}
    code = next((c for c in sorted(in_span - {"CNY"}, key=lambda c: c == "$")), None)
    after = _SUFFIX_RE.match(f, m.end)
    if after and (code is None or code == "$"):
        code = CURRENCY_MARKS[after.group().strip()]
        m.end = after.end()
    elif code is None:  # a mark just before a number the money pattern did not take it with (港币八百万元)
        before = _MARK_BEFORE_RE.search(f, max(0, m.start - 12), m.start)
        if before:
            code, m.start = CURRENCY_MARKS[before.group().strip()], before.start()
    if code is None and "CNY" in in_span:
        code = "CNY"
    m.currency, m.value = code, m.value_cny
    if code not in (None, "CNY"):
        m.foreign, m.value_cny = True, None


@lru_cache(maxsize=4096)
def currency_named(text: str) -> str | None:
    """The currency a label or a column header names: "Contract Value (HK$)" -> HKD, "金额（澳门元）" -> MOP."""
    f = fold(text)
    return next((CURRENCY_MARKS[x] for x in _MARKS if x != "$" and x in f), None)


def parse_amount(raw: str, default_factor: int | None = 1) -> Money | None:
    """The first amount in `raw` ('人民币壹佰贰拾万元整' -> 1200000.0), or None."""
    found = find_money(raw, default_factor)
    return found[0] if found else None


@lru_cache(maxsize=4096)
def unit_factor(label: str) -> int | None:
    """The unit a label or column header states: '预算金额（万元）' -> 10000, '金额(元)' -> 1, else None."""
    f = fold(label)
    m = re.search(rf"[(\[]\s*(?:人民币)?\s*({_UNIT_ALT})\s*[)\]]|单位\s*[:：]?\s*(?:人民币)?\s*({_UNIT_ALT})|人民币({_UNIT_ALT})", f)
    if not m:
        return None
    return UNITS[next(g for g in m.groups() if g)]
