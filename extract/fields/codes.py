"""Project numbers: the primary 项目编号 first, then plan and buyer numbers; never 合同编号."""

from __future__ import annotations

import re

from .base import Hit, L, _Doc, _NUMBERING, _WS, _f, _label_order, label_key

_CODE_OK = re.compile(r"[A-Za-z0-9]")


_CODE_CUT = re.compile(
    r"\((?=[^()]{0,12}编号)"  # "(招标文件编号：…)" restates the number
    r"|[ \t]+(?:\d{1,2}|[一二三四五六七八九十]{1,2})[、.]"  # the next numbered item on the same line
    r"|[ \t]*[\u4e00-\u9fff]{2,10}[:：]"  # the next label glued on ("…-GXZJ信息来源：…")
    r"|[ \t]{2,}|\t"
)
_CODE_SPLIT = re.compile(r"[、;；，,]")


def _clean_codes(v: str) -> list[tuple[str, int]]:
    """A code value -> the codes it holds, with offsets: "X（Y）" stays whole (Y is the same project's second
    number), "X、Y" / "X;Y" are two codes, trailing restatements and glued labels are cut."""
    m = _CODE_CUT.search(v)
    if m:
        v = v[: m.start()]
    # a closing bracket never opened ends the value: "（项目编号：WXD-ZFCG-004）竞争性磋商…"
    depth = 0
    for i, c in enumerate(v):
        if c in "([":
            depth += 1
        elif c in ")]":
            if depth == 0:
                v = v[:i]
                break
            depth -= 1
    parts = _CODE_SPLIT.split(v)
    if any(len(p.strip()) < 6 for p in parts):  # "BJJQ-2026-670-01、02、03": lot suffixes of one number
        parts = [v]
    out = []
    pos = 0
    for part in parts:
        code = part.strip().strip("。.")
        if code and _CODE_OK.search(code) and len(code) <= 80:
            out.append((code, pos + part.find(code)))
        pos += len(part) + 1
    return out


def _codes(d: _Doc) -> list[Hit]:
    spec = L["codes"]
    out: list[Hit] = []
    seen = set()
    excluded = _f(spec["excluded"])
    for group in (spec["primary"], spec["secondary"]):
        hits = d.labelled(group, anywhere=True, next_line=True)
        # "一、项目编号" as a heading with the number on the next line
        head = re.compile(rf"(?m)^{_NUMBERING}(?P<label>{d.alt(group)})[ \t]*$")
        for m in head.finditer(d.f, d.start, d.end):
            nm = re.compile(r"[^\n]*\S[^\n]*").search(d.f, m.end())
            if nm and nm.start() - m.end() < 20 and not re.search(r"[:：]", nm.group()):
                v = nm.group()
                lead = len(v) - len(v.lstrip())
                hits.append(Hit(v.strip(), nm.start() + lead, nm.start() + lead + len(v.strip()), label_key(m.group("label"))))
        # label order in the data file is the priority order within a group; the body before the title
        order = _label_order(tuple(group))
        hits.sort(key=lambda h: (order.get(h.label, 99), h.start))
        for h in hits:
            ls = d.f.rfind("\n", 0, h.start) + 1
            if any(x in d.f[max(ls, h.start - 20):h.start] for x in excluded):
                continue
            for code, off in _clean_codes(h.value):
                if code in ("无", "/"):
                    continue
                key = _WS.sub("", code).upper()
                if key not in seen:
                    seen.add(key)
                    out.append(Hit(code, h.start + off, h.start + off + len(code), h.label))
    return out


_TITLE_CODE = re.compile(r"\((?=[A-Za-z0-9_-]*\d)([A-Za-z0-9][A-Za-z0-9_-]{5,40})\)")


def _title_codes(d: _Doc, title: Hit) -> list[Hit]:
    """A number given only in the title: "…试点技术服务项目（第二次）(QJQ26C00050)公开招标公告"."""
    return [Hit(m.group(1), m.start(1), m.end(1)) for m in _TITLE_CODE.finditer(d.f, title.start, title.end)]
