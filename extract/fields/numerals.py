"""Chinese numerals: 大写 (壹佰贰拾万) and plain (一百二十 / 二〇二六) forms, as integers."""

from __future__ import annotations

from ._data import load

_N = load("numerals")
DIGITS: dict[str, int] = _N["digits"]
SMALL: dict[str, int] = _N["small_units"]
SECTION: dict[str, int] = _N["section_units"]
NUMERAL_CHARS = "".join(DIGITS) + "".join(SMALL) + "".join(SECTION)


def cn_int(s: str) -> int | None:
    """'壹佰贰拾万' -> 1200000, '陆拾捌亿陆仟贰佰玖拾玖' -> 6800006299 (亿 without 零), '十五' -> 15,
    '二〇二六' (digit by digit) -> 2026. None when `s` holds anything else."""
    if not s:
        return None
    if all(c in DIGITS for c in s):  # digit-by-digit form: 二〇二六
        v = 0
        for c in s:
            v = v * 10 + DIGITS[c]
        return v
    total = 0  # finished 亿 sections
    section = 0  # the current 万/亿 section
    digit = None
    for c in s:
        if c in DIGITS:
            digit = DIGITS[c]
        elif c in SMALL:
            section += (1 if digit is None else digit) * SMALL[c]
            digit = None
        elif c in SECTION:
            unit = SECTION[c]
            section += digit or 0
            digit = None
            if unit == 100000000:
                total = (total + section) * unit
            else:
                total += section * unit
            section = 0
        else:
            return None
    return total + section + (digit or 0)
