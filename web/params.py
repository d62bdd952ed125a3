"""Search parameters as they travel in URLs.

One parser serves the HTML page, the JSON API, the exports and the Atom feed, so a search copied from any of
them means the same thing everywhere (a permalink is just the canonical query string). Bad input raises
`ParamError`, which the app turns into a 400 with a readable message.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Iterable
from urllib.parse import urlencode

from storage.search.query import MAX_QUERY_CHARS  # one limit for the whole project: the storage parser's
MAX_FILTER_CHARS = 200
MAX_FILTER_VALUES = 20
PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_PAGE = 500  # deep offset paging is useless to a reader and costly; exports give the whole set

MULTI = ("provider", "chip", "kind", "flag", "buyer", "vendor", "type", "region", "year", "review", "screened")
SINGLE = ("region", "year")  # one value at a time: a facet click replaces it rather than adding
SORTS = ("relevance", "date")
EXPORT_FORMATS = ("csv", "json", "jsonl")


ON = ("1", "on", "true", "yes")  # what a checkbox or a hand-typed URL sends for "yes"


class ParamError(ValueError):
    """A search parameter the server will not run (shown to the reader as is)."""


@dataclass(frozen=True)
class SearchParams:
    q: str = ""
    provider: tuple[str, ...] = ()
    chip: tuple[str, ...] = ()
    kind: tuple[str, ...] = ()
    flag: tuple[str, ...] = ()
    buyer: tuple[str, ...] = ()
    vendor: tuple[str, ...] = ()
    type: tuple[str, ...] = ()
    region: tuple[str, ...] = ()
    year: tuple[str, ...] = ()
    review: tuple[str, ...] = ()  # review states (storage.review.STATES); any of them
    screened: tuple[str, ...] = ()  # ("screened",): only notices with a screening-list candidate (storage/screening.py)
    since: date | None = None
    until: date | None = None
    amount_min: float | None = None
    amount_max: float | None = None
    cases_only: bool = True
    # Possible cases only (compute evidence short of a case): shown apart from cases, so it turns cases_only off.
    candidates_only: bool = False
    sort: str = ""  # "" = relevance with a query, date without
    page: int = 1
    size: int = PAGE_SIZE
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def effective_sort(self) -> str:
        return self.sort or ("relevance" if self.q.strip() else "date")

    def filters(self) -> list[tuple[str, str]]:
        """(name, value) of every active filter except the query: what the page shows as removable chips."""
        out: list[tuple[str, str]] = []
        for name in MULTI:
            out.extend((name, v) for v in getattr(self, name))
        if self.since:
            out.append(("since", self.since.isoformat()))
        if self.until:
            out.append(("until", self.until.isoformat()))
        if self.amount_min is not None:
            out.append(("amount_min", _num(self.amount_min)))
        if self.amount_max is not None:
            out.append(("amount_max", _num(self.amount_max)))
        return out

    def query_items(self, *, page: bool = True, sort: bool = True) -> list[tuple[str, str]]:
        """Canonical (name, value) pairs: defaults left out, order fixed, so equal searches have equal URLs."""
        items: list[tuple[str, str]] = []
        if self.q:
            items.append(("q", self.q))
        items.extend(self.filters())
        if self.candidates_only:
            items.append(("candidates", "1"))
        elif not self.cases_only:
            items.append(("cases", "0"))
        if sort and self.sort:
            items.append(("sort", self.sort))
        if page and self.page != 1:
            items.append(("page", str(self.page)))
        if page and self.size != PAGE_SIZE:
            items.append(("size", str(self.size)))
        return items

    def qs(self, **changes) -> str:
        """Query string of this search with some fields changed (page resets to 1 unless given)."""
        changes.setdefault("page", 1)
        return urlencode(replace(self, **changes).query_items())

    def toggle(self, name: str, value: str) -> str:
        """Query string with one facet value added or removed: every facet click is a URL."""
        current = getattr(self, name)
        if value in current:
            new = tuple(v for v in current if v != value)
        else:
            new = (value,) if name in SINGLE else current + (value,)
        return self.qs(**{name: new})

    def without(self, name: str, value: str) -> str:
        if name in MULTI:
            return self.qs(**{name: tuple(v for v in getattr(self, name) if v != value)})
        return self.qs(**{name: None})

    def is_active(self, name: str, value: str) -> bool:
        return value in getattr(self, name)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _clean(value: str, name: str, limit: int = MAX_FILTER_CHARS) -> str:
    value = value.strip()
    if len(value) > limit:
        raise ParamError(f"The {name} parameter is too long ({len(value)} characters; the limit is {limit}).")
    if any(ord(c) < 32 and c not in "\t" for c in value):
        raise ParamError(f"The {name} parameter contains control characters.")
    return value


def _date(value: str, name: str) -> date | None:
    from storage.search.dates import period

    value = value.strip()
    if not value:
        return None
    # A year or a month, as people type dates: `since` from its first day, `until` to its last (as the CLI).
    try:
        first, last = period(value)
    except ValueError:
        raise ParamError(f"{name}={value!r} is not a date; use YYYY-MM-DD (or YYYY-MM, YYYY).") from None
    return last if name == "until" else first


def _amount(value: str, name: str) -> float | None:
    raw = value.strip().replace(",", "").replace("，", "")
    if not raw:
        return None
    scale = 1.0
    # Journalists think in 万 (10k) and 亿 (100m) yuan, as the notices write them.
    for suffix, factor in (("亿", 1e8), ("万", 1e4), ("元", 1.0)):
        if raw.endswith(suffix):
            raw, scale = raw[: -len(suffix)].strip(), scale * factor
    try:
        number = float(raw) * scale
    except ValueError:
        raise ParamError(f"{name}={value!r} is not an amount; use a number of yuan such as 500000 or 50万.") from None
    if number < 0 or number != number or number in (float("inf"),):
        raise ParamError(f"{name}={value!r} is not a usable amount.")
    return number


def _int(value: str, name: str, lo: int, hi: int, default: int) -> int:
    value = value.strip()
    if not value:
        return default
    try:
        n = int(value)
    except ValueError:
        raise ParamError(f"{name}={value!r} is not a whole number.") from None
    if not lo <= n <= hi:
        raise ParamError(f"{name} must be between {lo} and {hi}.")
    return n


def _last(values: list[str]) -> str:
    return values[-1] if values else ""


def parse_params(multi: Iterable[tuple[str, str]]) -> SearchParams:
    """Parse query-string pairs (repeated names allowed) into SearchParams, or raise ParamError."""
    got: dict[str, list[str]] = {}
    for k, v in multi:
        got.setdefault(k, []).append(v)

    q = _last(got.get("q", []))
    if len(q) > MAX_QUERY_CHARS:
        raise ParamError(
            f"The query is too long ({len(q)} characters; the limit is {MAX_QUERY_CHARS}). "
            "Use fewer terms, or filters for buyer, vendor, provider or chip."
        )
    q = _clean(q, "q", MAX_QUERY_CHARS)

    kwargs: dict = {"q": q}
    for name in MULTI:
        values: list[str] = []
        for raw in got.get(name, []):
            # A comma-separated list is accepted too (handy in hand-typed API calls); names never contain ','.
            parts = raw.split(",") if name not in ("buyer", "vendor") else [raw]
            for part in parts:
                part = _clean(part, name)
                if part and part not in values:
                    values.append(part)
        if name in SINGLE and len(values) > 1:
            values = values[-1:]
        if len(values) > MAX_FILTER_VALUES:
            raise ParamError(f"Too many {name} values (the limit is {MAX_FILTER_VALUES}).")
        if name == "screened" and any(v != "screened" for v in values):
            raise ParamError("screened takes one value: screened")
        if name == "year":
            for v in values:
                if not (len(v) == 4 and v.isdigit()):
                    raise ParamError(f"year={v!r} is not a year.")
        kwargs[name] = tuple(values)

    kwargs["since"] = _date(_last(got.get("since", [])), "since")
    kwargs["until"] = _date(_last(got.get("until", [])), "until")
    if kwargs["since"] and kwargs["until"] and kwargs["since"] > kwargs["until"]:
        raise ParamError("since is after until: the date range is empty.")
    kwargs["amount_min"] = _amount(_last(got.get("amount_min", [])), "amount_min")
    kwargs["amount_max"] = _amount(_last(got.get("amount_max", [])), "amount_max")
    if kwargs["amount_min"] is not None and kwargs["amount_max"] is not None and kwargs["amount_min"] > kwargs["amount_max"]:
        raise ParamError("amount_min is larger than amount_max: the amount range is empty.")

    # The form sends a hidden cases=0 followed by the checkbox's cases=1 when ticked, so any "on" value wins;
    # with no parameter at all the switch is on (cases only), as the issue asks.
    cases = [v.strip().lower() for v in got.get("cases", [])]
    kwargs["cases_only"] = True if not cases else any(v in ON for v in cases)
    # The "possible cases" switch works the same way; on, it shows possible cases instead of cases.
    kwargs["candidates_only"] = any(v.strip().lower() in ON for v in got.get("candidates", []))
    if kwargs["candidates_only"]:
        kwargs["cases_only"] = False

    sort = _last(got.get("sort", [])).strip()
    if sort and sort not in SORTS:
        raise ParamError(f"sort={sort!r} is not one of {', '.join(SORTS)}.")
    kwargs["sort"] = sort
    kwargs["page"] = _int(_last(got.get("page", [])), "page", 1, MAX_PAGE, 1)
    kwargs["size"] = _int(_last(got.get("size", [])), "size", 1, MAX_PAGE_SIZE, PAGE_SIZE)
    return SearchParams(**kwargs)
