"""Spider arguments (``-a name=value``, the same names as ``tenderwatch crawl`` options): each parsed once,
here, and refused with a one-line ``SpiderArgumentError`` naming the argument. ``ProcurementSpider``
(base.py) parses the shared ones; a spider parses its own with these helpers."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

TRUE_WORDS = {"1", "true", "yes", "on", "y"}
FALSE_WORDS = {"0", "false", "no", "off", "n", ""}


class SpiderArgumentError(ValueError):
    """Raised when a spider argument's value is invalid, from a spider's __init__."""


def parse_date(name: str, value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return datetime.strptime(str(value), "%Y-%m-%d").date()
    except ValueError:
        raise SpiderArgumentError(f"spider argument `{name}`: invalid date {value!r} (use YYYY-MM-DD)") from None


def parse_bool(name: str, value: Any, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise SpiderArgumentError(f"spider argument `{name}`: expected true/false, got {value!r}")


def parse_number(name: str, value: Any, kind: type, minimum: float = 0) -> Any:
    if value is None or value == "":
        return None
    try:
        number = kind(value)
    except (TypeError, ValueError):
        raise SpiderArgumentError(f"spider argument `{name}`: not a number: {value!r}") from None
    if number < minimum:
        raise SpiderArgumentError(f"spider argument `{name}`: must be at least {minimum}, got {value!r}")
    return number


def delay_settings(delay: float) -> dict[str, Any]:
    """The settings a `delay` argument (seconds between requests to a host) sets, for every crawl and fetch."""
    if delay == 0:  # a local mirror: no throttling, a few requests in parallel
        return {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_START_DELAY": 0.1, "AUTOTHROTTLE_ENABLED": False,
                "CONCURRENT_REQUESTS_PER_DOMAIN": 8}
    return {"DOWNLOAD_DELAY": delay, "AUTOTHROTTLE_START_DELAY": max(delay, 0.1)}


def split_list(value: Any) -> list[str]:
    """A comma-separated argument (also accepts a list, as Python callers pass)."""
    if isinstance(value, (list, tuple)):
        items = value
    else:
        items = re.split(r"[,，]", str(value))
    return [item.strip() for item in items if item and item.strip()]
