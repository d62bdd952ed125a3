"""Title and notice type (breadcrumb, title, body sections, list-page hints)."""

from __future__ import annotations

import re
from typing import Optional

from .base import Hit, L, _Doc, _NUMBERING, _alt
from .text import fold


def _title(d: _Doc, meta: dict, hints: dict) -> Optional[Hit]:
    t = meta.get("ArticleTitle") or d.doc.title
    m = re.compile(r"(?m)^##[ \t]+(?!公告概要|项目概况|[一二三四五六七八九十]、)(?P<t>[^\n]{4,})$").search(d.f)
    if m and (not t or (t.rstrip(".…").rstrip() and m.group("t").strip().startswith(t.rstrip(".…").rstrip()))):
        v = m.group("t").strip()
        return Hit(d.text[m.start("t"):m.start("t") + len(v)], m.start("t"), m.start("t") + len(v))
    if t:
        i = d.text.find(t)
        return Hit(t, i, i + len(t)) if i >= 0 else Hit(t, -1, -1)
    if hints.get("title"):
        return Hit(hints["title"], -1, -1)
    for line in d.text.splitlines():
        if line.strip():
            i = d.text.find(line.strip())
            return Hit(line.strip(), i, i + len(line.strip()))
    return None


def _breadcrumb(d: _Doc, meta: dict) -> str:
    if meta.get("breadcrumb"):
        b = meta["breadcrumb"]
        return " » ".join(b) if isinstance(b, list) else str(b)
    m = re.search(r"当前位置[:：][^\n]*(?:\n[^\n]*»[^\n]*)?", d.f)
    return m.group() if m else ""


def _notice_type(title: str, crumb: str, hints: dict, meta: dict, d: _Doc) -> Optional[str]:
    """Breadcrumb, then a complete title, then the body's own sections, then what the list page said, then a
    truncated title ("…公开招标-2026-HCGK…" cut before 中标公告 would read as a tender)."""
    spec = L["notice_type"]
    order = ("correction", "cancellation", "contract", "intention", "award", "other", "tender")

    def by_words(src: str) -> Optional[str]:
        f = fold(src or "")
        if "候选人" in f and not any(w in f for w in spec["correction"] + spec["cancellation"]):
            return "award"
        for kind in order:
            if any(w in f for w in spec[kind]):
                return kind
        return None

    truncated = bool(re.search(r"(?:\.\.\.|…)\s*$", title or ""))
    leaf = (crumb.split("»")[-1] if crumb else "").strip()
    found = None if leaf in spec["generic_crumbs"] else by_words(leaf)
    if found is None and not truncated:
        found = by_words(title)
    if found is None:
        for kind, words in spec["body_cues"].items():
            if re.compile(rf"(?m)^{_NUMBERING}(?:{_alt(tuple(words))})").search(d.f, d.start, d.end):
                found = kind
                break
    if found is None:
        for v in (hints.get("notice_type"), meta.get("type"), meta.get("Type")):
            if v and str(v).lower() in spec["hint"]["map"]:
                return spec["hint"]["map"][str(v).lower()]
    return found or by_words(title) or (by_words(leaf) if leaf else None)


def _is_candidate_notice(title: str, notice_type: str | None) -> bool:
    """A 中标候选人公示: its names are candidates, not winners (a correction that promotes one is not)."""
    return (notice_type == "award" and "候选人" in fold(title or "")
            and not any(w in title for w in ("结果", "中标公告", "成交公告")))
