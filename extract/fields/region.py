"""The notice's region, in the one form data/labels.toml [region] describes: the 行政区域 as stated, a district
completed with its city, and a placeholder such as 市辖区 (city districts, no city named) replaced by the city that
the buyer's address, the buyer's name or the title names."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Optional

from .base import Hit, L, _Doc
from .names import contact_blocks
from .text import fold

@lru_cache(maxsize=None)
def _spec() -> dict:
    return L["region"]


# a city at the start of an address or a name, after an optional province ("湖北省武汉市江岸区…", "云南临沧市…")
_CITY = re.compile(
    rf"(?:(?:{'|'.join(_spec()['provinces'])})(?:省|壮族自治区|回族自治区|维吾尔自治区|自治区)?)?[ \t]*"
    r"(?P<city>[\u4e00-\u9fff]{2,5}?(?:市|自治州|地区|盟))"
)


def _city_at(d: _Doc, start: int, end: int) -> Optional[Hit]:
    """The city a text opens with (after national prefixes such as 国家税务总局), with its offsets."""
    s = start
    while s < end and d.f[s] in " \t#:：":
        s += 1
    for p in _spec()["name_prefixes"]:
        if d.f.startswith(fold(p), s, end):
            s += len(p)
            break
    m = _CITY.match(d.f, s, end)
    if m:
        return Hit(d.f[m.start("city"):m.end("city")], m.start("city"), m.end("city"))
    return None


def _buyer_address(d: _Doc, summary: dict[str, Hit]) -> list[Hit]:
    """Addresses of the buyer: the summary table's 采购单位地址, then the 地址 of the buyer's contact block."""
    out = [summary[lab] for lab in ("采购单位地址",) if lab in summary]
    for m, _, end in contact_blocks(d, L["buyer"]["block"]):
        out += d.labelled(_spec()["address_labels"], m.end(), end, anywhere=True)
        break
    return out


def _city(d: _Doc, summary: dict[str, Hit], buyer: Optional[Hit], title: Optional[Hit]) -> Optional[Hit]:
    for h in _buyer_address(d, summary) + [x for x in (buyer, title) if x is not None and x.start >= 0]:
        c = _city_at(d, h.start, h.end)
        if c:
            return c
    return None


def find_region(d: _Doc, summary: dict[str, Hit], meta_summary: dict[str, str], buyer: Optional[Hit],
                title: Optional[Hit]) -> tuple[Optional[str], list[Hit]]:
    """(region, the hits it rests on). See the module's docstring for the form."""
    spec = _spec()
    stated = summary.get("行政区域")
    if stated is None:
        hits = d.labelled(("行政区域",), anywhere=True)
        stated = hits[0] if hits and hits[0].value else None
    if stated is not None:
        value, hits = d.verbatim(stated), [stated]
    elif meta_summary.get("行政区域"):
        value, hits = meta_summary["行政区域"], []
    else:
        return None, []
    key = fold(value).strip()
    if key in spec["placeholders"]:
        city = _city(d, summary, buyer, title)
        return (d.verbatim(city), [city]) if city else (None, [])
    if key.endswith(tuple(spec["district_ends"])) and not _CITY.match(key) and not key.endswith(("省", "自治区")):
        city = _city(d, summary, buyer, title)
        if city and not key.startswith(city.value[:-1]):  # "扬州蜀冈-瘦西湖景区" names its city already
            return d.verbatim(city) + value, [city] + hits
    return value, hits
