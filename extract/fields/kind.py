"""Title and notice type (breadcrumb, title, body sections, list-page hints)."""

from __future__ import annotations

import re
from typing import Optional

from .base import Hit, L, _Doc, _NUMBERING, _alt
from .text import fold


def _title(d: _Doc, meta: dict, hints: dict) -> Optional[Hit]:
    t = meta.get("ArticleTitle") or d.doc.title
    if t and t.startswith("#"):  # a text file's Markdown heading: the title is what follows the marks
        t = t.lstrip("#").strip() or None
    m = re.compile(r"(?m)^##[ \t]+(?!公告概要|项目概况|[一二三四五六七八九十]、)(?P<t>[^\n]{4,})$").search(d.f)
    if m and (not t or (t.rstrip(".…").rstrip() and m.group("t").strip().startswith(t.rstrip(".…").rstrip()))):
        v = m.group("t").strip()
        return Hit(d.text[m.start("t"):m.start("t") + len(v)], m.start("t"), m.start("t") + len(v))
    # a page whose only title is its first line or its <title> (a portal's or a government's name above the
    # notice): the first line among the first few that names a notice ("…招标公告", "TENDER NOTICE") is the title
    if not meta.get("ArticleTitle") and d.doc.kind in ("text", "html") and not _NOTICE_LINE.search(fold(t or "").strip()):
        named = _notice_line(d)
        if named:
            return named
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


_LINE = re.compile(r"[^\n]+")
_NOTICE_LINE = re.compile(r"(?:公告|公示|通知|(?i:notice|award of contract|corrigendum))[)）]?$")


def _notice_line(d: _Doc) -> Optional[Hit]:
    for k, m in enumerate(_LINE.finditer(d.f, 0, min(len(d.f), 1500))):
        v = m.group().strip()
        if k > 8:
            break
        v = v.lstrip("# \t")
        if v and len(v) <= 120 and _NOTICE_LINE.search(v) and not re.search(r"[:：]|\s>\s|»", v):
            s = m.start() + m.group().find(v)
            return Hit(d.text[s:s + len(v)], s, s + len(v))
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
        f = fold(src or "").lower()
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
        found = by_words(title) or _contract_title(title)
    if found is None:
        for kind, words in spec["body_cues"].items():
            # a party may be named after its role: "采购人（甲方）：", "供应商(乙方)："
            cues = [re.compile(rf"(?m)^{_NUMBERING}(?:[^\n:：]{{0,8}}[(])?(?:{_alt((w,))})") for w in words] \
                if kind == "contract" else \
                [re.compile(rf"(?m)^{_NUMBERING}(?:{d.alt(words)})")]
            # a contract names both its parties; any one cue of the other kinds will do
            if all(c.search(d.f, d.start, d.end) for c in cues):
                found = kind
                break
    if found is None:
        for v in (hints.get("notice_type"), meta.get("type"), meta.get("Type")):
            if v and str(v).lower() in spec["hint"]["map"]:
                return spec["hint"]["map"][str(v).lower()]
    return found or by_words(title) or (by_words(leaf) if leaf else None)


_TITLE_TAIL = re.compile(r"[\s()\[\]（）《》<>\"“”'.。,，:：_-]+$|[(（][^()（）]{0,12}[)）]$")


def _contract_title(title: str) -> Optional[str]:
    """"…政务云服务续期合同", "…采购协议书", "Service Contract": a contract document (brackets and marks after it
    dropped: "…合同（盖章版）")."""
    t = fold(title or "").lower()
    for _ in range(3):
        t2 = _TITLE_TAIL.sub("", t)
        if t2 == t:
            break
        t = t2
    return "contract" if t.endswith(tuple(L["notice_type"]["contract_title_ends"])) else None


def _is_candidate_notice(title: str, notice_type: str | None) -> bool:
    """A 中标候选人公示: its names are candidates, not winners (a correction that promotes one is not)."""
    return (notice_type == "award" and "候选人" in fold(title or "")
            and not any(w in title for w in ("结果", "中标公告", "成交公告")))
