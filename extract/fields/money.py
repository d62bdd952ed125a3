"""Amounts of a notice: budgets, maximum prices, awards, unit prices and rates, from labels, result tables,
one-cell-per-line and tab-separated tables, and corrected values."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ._data import load
from .amounts import CURRENCY_MARKS, currency_named, find_money, unit_factor
from .base import Hit, changed_re, L, _Doc, _LOT, _WS, _alt, _body_rows, _f, _tab_tables, label_key
from .names import _clean_name, _org_names, _winner_regions, _winner_table_rows
from .text import fold, traditional_chars

L_AMOUNTS = load("amounts")


@dataclass
class _Am:
    kind: str
    value: float | None  # in `currency`
    percent: float | None
    start: int
    end: int
    currency: str | None = None  # as find_money states it; decided for the notice in `_currencies`
    cny: float | None = None  # the value in yuan: CNY amounts, or another currency at the notice's own stated rate


@lru_cache(maxsize=4096)
def _kind_of(label: str) -> str | None:
    label = re.sub(rf"(?<=包|项){_LOT}(?=预算)", "#", label_key(label))
    best = None
    for kind, lab in _amount_labels():
        if lab in label and (best is None or len(lab) > len(best[1])):
            best = (kind, lab)
    return best[0] if best else None


@lru_cache(maxsize=None)
def _amount_labels() -> tuple[tuple[str, str], ...]:
    spec = L["amounts"]
    return tuple((k, label_key(lab)) for k in ("budget", "max_price", "award", "unit_price", "rate") for lab in spec[k])


def _won_on_a_rate(d: _Doc) -> bool:
    """`中标（成交）金额（元）\（%）：66.50` names both units: it is a rate when the notice says it was won on a
    rate (中标类型：折扣率中标 / 费率 / 下浮率), else money."""
    body = d.f[d.start:d.end]
    return any(w + "中标" in body or "中标类型:" + w in body for w in _f(L["amounts"]["rate"]))


@lru_cache(maxsize=None)
def _glued_re(labels: tuple[str, ...]) -> re.Pattern:
    """`label：value` anywhere, the value running up to the next label (cells that ran together)."""
    alt = _alt(labels)
    return re.compile(
        rf"(?P<label>{alt})[ \t]*(?P<suffix>\([^)\n:：]{{0,16}}\))?[ \t]*[:：][ \t]*(?P<value>(?:(?!{alt})[^\n]){{0,60}})"
    )


@lru_cache(maxsize=None)
def _label_money_re(labels: tuple[str, ...]) -> re.Pattern:
    """A label with its amount right after it and no colon: "预算金额28,560.00元", "中标折扣  77.98%"."""
    return re.compile(
        rf"(?P<label>{_alt(labels)})[ \t]*(?P<suffix>\([^)\n:：]{{0,16}}\))?[ \t]*(?P<value>(?:¥|人民币)?[ \t]*\d[^\n]{{0,30}})"
    )


def _labelled_amounts(d: _Doc, start: int | None = None, end: int | None = None, glued: bool = False,
                      correction: bool = False) -> list[_Am]:
    """Amounts after their labels ("预算金额：120万元", "预算金额为140万元"), kind from the label, unit from the
    value, the label's bracket or the text before it. `glued`: also labels inside cells that ran together;
    `correction`: also labels followed directly by money ("预算金额28,560.00元"). Fees, scores and the
    superseded values of a correction are left out."""
    spec = L["amounts"]
    labels = [x for k in ("budget", "max_price", "award", "unit_price", "rate") for x in spec[k]]
    not_amount = _f(spec["not_amount"])
    out: list[_Am] = []
    hits = d.labelled(labels, start, end, anywhere=True, wei=True)
    if glued:  # table rows whose cells ran together: "…得分1磋商报价：667113（元）…"
        rx = _glued_re(tuple(labels))
        seen = {h.start for h in hits}
        for m in rx.finditer(d.f, start if start is not None else d.start, end if end is not None else d.end):
            if m.start("value") not in seen:
                v = m.group("value")
                hits.append(Hit(v, m.start("value"), m.end("value"), label_key(m.group("label")), m.group("suffix") or ""))
    seen = {h.start for h in hits}
    # corrections restate amounts in before/after tables without colons ("预算金额28,560.00元")
    loose = _label_money_re(tuple(labels)).finditer(d.f, start if start is not None else d.start,
                                                    end if end is not None else d.end) if correction else ()
    for m in loose:
        if m.start("value") in seen:
            continue
        monies = find_money(m.group("value"), default_factor=None)
        lab_kind = _kind_of(label_key(m.group("label")))
        # "合同总价30%": a share of the contract (payment terms), not a rate, unless the label names a rate
        if monies and monies[0].start <= 2 and monies[0].explicit_unit and (
                monies[0].percent is None or lab_kind == "rate"):
            hits.append(Hit(m.group("value"), m.start("value"), m.end("value"), label_key(m.group("label")),
                            m.group("suffix") or ""))
    changed = changed_re()
    near = _f(spec["not_amount_near"])
    for h in hits:
        kind = _kind_of(h.label)
        if kind is None:
            continue
        ls = d.f.rfind("\n", 0, h.start) + 1
        # the sentence the label sits in: fee scales ("代理费收费标准：（中标金额：100万元及以下部分，费率：1.5%…") are no
        # award amounts
        context = d.f[max(ls, h.start - 300):h.start].rsplit("。", 1)[-1]
        if any(w in context for w in not_amount) or any(w in context[-12:] for w in near):
            continue
        if _is_original(d.f[ls:h.start], changed):  # "原公告：中标金额…" was replaced by the correction
            continue
        suffix = h.suffix
        if "%" in suffix and re.search(r"元", suffix):  # both units named: decide from the notice
            suffix = "(%)" if _won_on_a_rate(d) else "(元)"
        factor = unit_factor(h.label + suffix) or unit_factor(d.f[max(ls, h.start - 40):h.start]) or 1
        is_rate = kind == "rate" or "%" in suffix
        value = h.value.split("。", 1)[0]
        if not value.strip():
            # "成交金额：⏎人民币大写：壹拾壹万玖仟柒佰捌拾玖元⏎人民币小写：￥119789.00元": the value on the next lines
            after = d.f[h.end:min(d.end, h.end + 160)]
            base = h.end + len(after) - len(after.lstrip("\n"))
            below = [m for m in find_money("\n".join(after.lstrip("\n").split("\n")[:2]), default_factor=None)
                     if m.explicit_unit]
            if below:
                m = below[0]
                out.append(_Am("rate" if m.percent is not None else kind, m.value, m.percent,
                               base + m.start, base + m.end, m.currency))
            continue
        monies = find_money(value, default_factor=factor, default_percent=is_rate)
        if not monies or (h.sep.startswith("为") and monies[0].start > 8):
            continue  # "预算为一年期餐饮服务费…（约2万元/年）": a sentence about the budget, not its value
        # a list "2097600,400000,1350000" gives several lots; unit prices may be listed ("1068元/台；48000元/批");
        # otherwise the first amount is the value
        if re.fullmatch(r"[\d.,，\s元万]+", value):
            take = monies
        elif kind == "unit_price":
            take = monies[:1] + [m for m in monies[1:] if m.explicit_unit]
        else:
            take = monies[:1]
        named = currency_named(h.label + suffix) if h.sep != "为" else None
        for m in take:
            m.currency = m.currency or named
            k = kind
            if m.percent is not None and kind != "max_price":  # a capped rate stays a max_price, in percent
                k = "rate"
            elif m.per_unit and kind in ("award", "budget"):
                k = "unit_price"
            out.append(_Am(k, m.value, m.percent, h.start + m.start, h.start + m.end, m.currency))
    return out


def _glued_to_winner(d: _Doc) -> list[_Am]:
    """"成交供应商：蓝湾云计算有限公司￥1,280,000.00元": money glued to the winner's name on its line, with no label
    of its own, is the award."""
    out = []
    for h in d.labelled(L["vendors"]["labels"], anywhere=True):
        name = _clean_name(h.value)
        if not name or not h.value.startswith(name):
            continue
        rest = h.value[len(name):]
        for m in find_money(rest, default_factor=None)[:1]:
            if m.explicit_unit and m.percent is None and not re.search(r"[:：]", rest[:m.start]):
                s = h.start + len(name)
                out.append(_Am("award", m.value, None, s + m.start, s + m.end, m.currency))
    return out


def _is_original(line_before: str, changed: re.Pattern) -> bool:
    """Text before a value on its line says it is the superseded one ("原公告的…金额：X，更正为：Y" -> X)."""
    if changed.search(line_before) or ("更正前" in line_before and "更正后" in line_before):
        return False  # after the marker, or in a before/after table whose row ran on after its header
    return bool(re.match(r"[ \t#]*(?:[(]?[0-9一二三四五六七八九十]{1,3}[)]?[ \t]*[.、]?[ \t]*)?原", line_before)) or any(
        w in line_before for w in L["amounts"]["original_markers"])


def _changed_amounts(d: _Doc) -> list[_Am]:
    """Corrections: "…中标金额(第1候选人)：2,308,220.00元,更正为：2,250,000.00元" -> the new amount, of the kind the
    label before the marker names."""
    spec = L["amounts"]
    labels = [x for k in ("budget", "max_price", "award", "unit_price", "rate") for x in spec[k]]
    lab_rx = re.compile(d.alt(labels))
    out = []
    for m in changed_re().finditer(d.f, d.start, d.end):
        ls = d.f.rfind("\n", 0, m.start()) + 1
        labs = list(lab_rx.finditer(d.f, max(ls, m.start() - 80), m.start()))
        if not labs:
            continue
        kind = _kind_of(_WS.sub("", labs[-1].group()))
        after = d.f[m.end():m.end() + 40]
        lead = len(after) - len(after.lstrip(" \t:：\"“"))
        monies = find_money(after[lead:], default_factor=None)
        if kind and monies and monies[0].start == 0 and monies[0].explicit_unit and (
                monies[0].percent is None or kind == "rate"):
            mo = monies[0]
            k = "rate" if mo.percent is not None else kind
            s = m.end() + lead
            out.append(_Am(k, mo.value, mo.percent, s + mo.start, s + mo.end, mo.currency))
    return out


def _row_amounts(d: _Doc, regions: list[tuple[int, int]]) -> list[_Am]:
    """Amounts in winner tables without `label：` pairs ("… 哈尔滨迅泽生物科技有限公司 哈尔滨市… 332,200.00元 91.5"):
    money with an explicit unit after a vendor / amount column header. Bare numbers there are scores."""
    not_amount = _f(L["amounts"]["not_amount"] + L["amounts"]["not_amount_near"])
    out = []
    for line, base in _winner_table_rows(d, regions):
        # one amount per winner: the first money after each name (a row may go on with unit prices)
        names = [off for _, off in _org_names(line)] or [0]
        taken = set()
        for m in find_money(line, default_factor=None):
            if not m.explicit_unit or m.capital:
                continue
            owner = max([o for o in names if o <= m.start], default=-1)
            if owner in taken:
                continue
            # the cell's own label: the text just before the money, back to the previous blank
            before = re.split(r"\s", line[:m.start].rstrip() or " ")[-1][-8:]
            if any(w in before for w in not_amount):
                continue
            taken.add(owner)
            if m.percent is not None:
                kind = "rate"
            elif m.per_unit or any(fold(w) in before for w in L["amounts"]["unit_price"]):
                kind = "unit_price"
            else:
                kind = "award"
            out.append(_Am(kind, m.value, m.percent, base + m.start, base + m.end, m.currency))
    return out


@lru_cache(maxsize=None)
def _column_head_re() -> re.Pattern:
    spec = L["amounts"]
    return re.compile(rf"(?m)^[ \t]*(?P<label>{_alt(tuple(spec['budget'] + spec['max_price']))})[ \t]*(?P<unit>\([^)\n]{{0,10}}\))?[ \t]*$")


_LONE_MONEY = re.compile(r"(?m)^[ \t]*(?:¥|人民币)?[ \t]*\d[\d,]*(?:\.\d+)?[ \t]*(?:万元|元)[ \t]*$")


def _column_amounts(d: _Doc) -> list[_Am]:
    """A table rendered one cell per line: header cells ("采购预算", "（人民币）", "最高限价" …) and, further down, cells
    that hold nothing but money ("85万元"). With several money columns the values are theirs in turn. Read until
    the next numbered section."""
    out = []
    heads = list(_column_head_re().finditer(d.f, d.start, d.end))
    used = set()
    for i, m in enumerate(heads):
        if m.start() in used:
            continue
        stop = re.compile(r"(?m)^[ \t#]*(?:[一二三四五六七八九十]{1,2}、|合同履行期限|合同履约期限|本项目)").search(d.f, m.end(), d.end)
        seg_end = min(stop.start() if stop else d.end, m.end() + 6000)
        cells = list(_LONE_MONEY.finditer(d.f, m.end(), seg_end))
        if not cells:
            continue
        # the money columns of this header row: header cells before the first value
        kinds = [_kind_of(label_key(m.group("label"))) or "budget"]
        for h in heads[i + 1:]:
            if h.start() >= cells[0].start():
                break
            used.add(h.start())
            kinds.append(_kind_of(_WS.sub("", h.group("label"))) or "budget")
        for k, lm in enumerate(cells):
            for money in find_money(lm.group())[:1]:
                out.append(_Am(kinds[k % len(kinds)], money.value, None, lm.start() + money.start, lm.start() + money.end, money.currency))
    return out


@lru_cache(maxsize=None)
def _space_head_re() -> re.Pattern:
    spec = L["amounts"]
    return re.compile(rf"(?:{_alt(tuple(spec['budget'] + spec['max_price']))})[ \t]*\([^)\n]{{0,10}}\)")


@dataclass
class _Span:
    s: int
    e: int

    def end(self) -> int:
        return self.e


def _space_table_amounts(d: _Doc) -> list[_Am]:
    """A table rendered with single spaces between cells ("序号 采购项目名称 采购需求概况 预算金额（万元） 预计采购时间 备注"
    then "1 … 320 2026年10月 —"). Free-text cells may hold spaces, so cells are aligned from the right."""
    out = []
    for am in _space_head_re().finditer(d.f, d.start, d.end):
        ls = d.f.rfind("\n", 0, am.start()) + 1
        le = d.f.find("\n", am.end())
        le = d.end if le < 0 else min(le, d.end)
        line = d.f[ls:le]
        if "\t" in line or line.count(" ") < 3:
            continue
        hm = _Span(ls, le)
        heads = line.split()
        idx = next((i for i, t in enumerate(heads) if _space_head_re().search(t)), None)
        if idx is None:
            continue
        from_right = len(heads) - idx
        kind = _kind_of(_WS.sub("", heads[idx])) or "budget"
        factor = unit_factor(heads[idx]) or 1
        pos = hm.end() + 1
        while pos < d.end:
            row_end = d.f.find("\n", pos, d.end)
            row = d.f[pos:row_end if row_end >= 0 else d.end]
            toks = row.split()
            if not toks or not toks[0].isdigit() or len(toks) < len(heads):
                break
            tok = toks[-from_right]
            tok_start = pos + row.rfind(tok)
            for m in find_money(tok, default_factor=factor)[:1]:
                if m.start == 0 and m.end == len(tok):
                    out.append(_Am(kind, m.value, None, tok_start + m.start, tok_start + m.end, m.currency))
            pos += len(row) + 1
    return out


def _table_amounts(d: _Doc) -> list[_Am]:
    """Money columns of tab-separated tables: "预算金额（万元）" 6.5 -> budget 65000; "单价（元）" 3.20元/万tokens ->
    unit_price 3.2; "中标（成交）金额" 总价形式报价:47800.00(元) -> award. Total rows are skipped."""
    not_amount = _f(L["amounts"]["not_amount"])
    not_winner = _f(L["amounts"]["not_winner_tables"])
    regions = _winner_regions(d)
    out = []
    for table in _tab_tables(d):
        start = table[0][0][1]
        above = d.f[max(d.start, d.f.rfind("\n", 0, max(0, d.f.rfind("\n", 0, start)))):start]
        header = "".join(c[0] for c in table[0])
        bidders = any(w in above or w in header for w in not_winner)
        for i, (head, _, _) in enumerate(table[0]):
            h = _WS.sub("", head)
            kind = _kind_of(h)
            if kind is None or any(w in h for w in not_amount):
                continue
            if kind in ("award", "rate") and (bidders or (regions and not any(a <= start < b for a, b in regions))):
                continue  # every bidder's price, or a price outside the result section
            factor = unit_factor(h) or 1
            is_rate = kind == "rate" or "%" in h
            named = currency_named(head)
            for row in _body_rows(table):
                text, cs, _ = row[i]
                for m in find_money(text, default_factor=factor, default_percent=is_rate)[:1]:
                    m.currency = m.currency or named
                    k = "rate" if m.percent is not None and kind != "max_price" else kind
                    if m.per_unit and k in ("award", "budget"):
                        k = "unit_price"
                    out.append(_Am(k, m.value, m.percent, cs + m.start, cs + m.end, m.currency))
    return out


def _amounts(d: _Doc, notice_type: str | None, summary: dict[str, Hit]) -> list[_Am]:
    """Every amount the notice states, each (kind, value) once, in text order. Labelled values first; then the
    result section's tables, one-cell-per-line and tab-separated tables; the summary table where the body is
    silent. A tender or intention has no award yet: "报价：" there is a bidding rule, not a result."""
    out = _labelled_amounts(d, correction=notice_type == "correction")
    if notice_type == "correction":
        got = {(a.start, a.end) for a in out}
        out += [a for a in _changed_amounts(d) if (a.start, a.end) not in got]
    if notice_type in ("award", "contract", "correction", "other", None):
        regions = _winner_regions(d)
        got = {(a.start, a.end) for a in out}
        extra: list[_Am] = []
        for r in regions:
            extra += [a for a in _labelled_amounts(d, r[0], r[1], glued=True) if (a.start, a.end) not in got]
        if not any(a.kind in ("award", "rate", "unit_price") for a in out + extra):
            extra += _row_amounts(d, regions)
        if notice_type in ("award", "contract") and not any(a.kind in ("award", "rate") for a in out + extra):
            extra += _glued_to_winner(d)
        out += extra
    got = {(a.kind, a.value) for a in out}
    out += [a for a in _column_amounts(d) + _table_amounts(d) + _space_table_amounts(d) if (a.kind, a.value) not in got]
    # the summary table's budget / total award, when the body states none of that kind
    body_kinds = {a.kind for a in out}
    for lab, kind in (("预算金额", "budget"), ("总中标金额", "award"), ("总成交金额", "award")):
        if lab in summary and kind not in body_kinds and not (kind == "award" and body_kinds & {"rate", "unit_price"}):
            h = summary[lab]
            # the summary always writes a unit (￥550.000000万元); a bare number there is a misread cell
            for m in [x for x in find_money(h.value.split("\n", 1)[0], default_factor=None) if x.explicit_unit][:1]:
                out.append(_Am(kind, m.value, m.percent, h.start + m.start, h.start + m.end, m.currency))
    if notice_type in ("tender", "intention"):
        out = [a for a in out if a.kind != "award"]
    _currencies(d, out)
    out.sort(key=lambda a: a.start)
    # dedupe on (kind, value)
    seen, uniq = set(), []
    for a in out:
        key = (a.kind, round(a.value, 2) if a.value is not None else None, a.percent, a.currency)
        if key not in seen:
            seen.add(key)
            uniq.append(a)
    return uniq


@lru_cache(maxsize=None)
def _exchange_re() -> re.Pattern:
    marks = "|".join(re.escape(m) for m in sorted(CURRENCY_MARKS, key=len, reverse=True) if CURRENCY_MARKS[m] != "CNY")
    cny = "|".join(re.escape(m) for m in sorted(CURRENCY_MARKS, key=len, reverse=True) if CURRENCY_MARKS[m] == "CNY")
    conn = "|".join(re.escape(fold(c)) for c in L_AMOUNTS["exchange"]["connectors"])
    return re.compile(
        rf"(?:(?P<m1>{marks})[ \t]*1(?:\.0+)?|1(?:\.0+)?[ \t]*(?P<m2>{marks}))[ \t]*(?:{conn})[ \t]*(?:{cny})?[ \t]*"
        rf"(?P<rate>\d+(?:\.\d+)?)(?![\d.])[ \t]*(?:元|{cny})?"
    )


def _stated_rates(d: _Doc) -> dict[str, float]:
    """Exchange rates the notice itself states: "汇率1USD=6.7731RMB", "HK$1 = RMB0.92", "1美元兑换7.1元人民币"."""
    out = {}
    for m in _exchange_re().finditer(d.f):
        code = CURRENCY_MARKS[m.group("m1") or m.group("m2")]
        if code != "$" and 0 < float(m.group("rate")) < 10000:
            out.setdefault(code, float(m.group("rate")))
    return out


def _notice_dollar(d: _Doc, stated: set[str]) -> str:
    """What a bare "$" means in this notice: the one kind of dollar it names elsewhere (HK$, NT$, US$, MOP$), else
    the place it names (香港, Taiwan …), else the default."""
    spec = L_AMOUNTS["dollar"]
    dollars = stated & {*spec["places"], spec["default"]}
    if len(dollars) == 1:
        return dollars.pop()
    for code, places in spec["places"].items():
        if any(fold(p) in d.f for p in places):
            return code
    return spec["default"]


def _mainland(d: _Doc) -> bool:
    """Written in Simplified Chinese (a mainland notice), not in Traditional characters or in English."""
    head = d.text[:4000]
    cjk = sum(1 for c in head if "\u4e00" <= c <= "\u9fff")
    return cjk >= 40 and len(traditional_chars(head)) < cjk * 0.03


def _currencies(d: _Doc, out: list[_Am]) -> None:
    """Decide each amount's currency for the notice, and its value in yuan. A number with no currency of its own
    ("決標金額：1,180,000元", "Contract Sum: 1,234,000.00") is in yuan in a mainland notice; in a Traditional or English
    notice it is in the one currency the notice's other amounts state (新臺幣, HK$ …), when they state just one.
    Another currency gets a yuan value only at a rate the notice states."""
    money = [a for a in out if a.percent is None and a.value is not None]
    stated = {a.currency for a in money if a.currency not in (None, "$")}
    dollar = _notice_dollar(d, stated) if any(a.currency == "$" for a in money) else None
    if dollar:
        stated.add(dollar)
    default = next(iter(stated)) if len(stated) == 1 and stated != {"CNY"} and not _mainland(d) else "CNY"
    rates = _stated_rates(d) if stated - {"CNY"} else {}
    for a in money:
        a.currency = dollar if a.currency == "$" else a.currency or default
        a.cny = a.value if a.currency == "CNY" else (round(a.value * rates[a.currency], 2) if a.currency in rates else None)
