"""Publication date and bid deadline, including the new deadline of a correction."""

from __future__ import annotations

import re
from typing import Optional

from .base import Hit, changed_re, L, _Doc, _NUMBERING, _f, _label_order
from .dates import DateHit, find_dates
from .text import fold

# the line under a ccgp page title: "2026年07月29日 09:07 来源：…" (a bare date line may be any date); after
# 日 the time may follow without a space, and spaces may stand inside the date ("12日11:54来源", "2026年03月 18日
# 14:26": as typed, or as OCR reads the line)
_TIME_LINE = re.compile(
    r"(?m)^[ \t]*(?P<d>(?:19|20)\d{2}[ \t]*[-年./][ \t]*\d{1,2}[ \t]*[-月./][ \t]*\d{1,2}[ \t]*日?(?:(?:[ \t]+|(?<=日))\d{1,2}[:：]\d{2}(?::\d{2})?[ \t]*(?:来源|$)|[ \t]*来源))"
)


def _published(d: _Doc, summary: dict[str, Hit], meta: dict) -> Optional[tuple[DateHit, int]]:
    for lab in ("公告时间",):
        if lab in summary:
            h = summary[lab]
            hits = find_dates(h.value)
            if hits:
                return hits[0], h.start
    # "2026年07月29日 09:07 来源：" under the page title
    m = _TIME_LINE.search(d.f, 0, min(d.end, len(d.f)))
    if m:
        hits = find_dates(m.group("d"))
        if hits:
            return hits[0], m.start("d")
    for h in d.labelled(L["dates"]["published"], anywhere=True):
        hits = find_dates(h.value)
        if hits:
            return hits[0], h.start
    for h in d.labelled(L["dates"]["signed"], anywhere=True):
        hits = find_dates(h.value)
        if hits:
            return hits[0], h.start
    # portal pages list the notice itself with its date: "- 宣汉县…结果公告2026-08-05"
    title = (d.doc.title or "").rstrip(".… ")
    if len(title) >= 6:
        for m in re.finditer(re.escape(fold(title)), d.f):
            hits = find_dates(d.f[m.end():m.end() + 40].split("\n", 1)[0])
            if hits and hits[0].start <= 3:
                return hits[0], m.end()
    # a document signed off with a date on its own line (an attachment's issue date): the last such line
    last = None
    for m in re.finditer(r"(?m)^[ \t]*(?P<d>(?:19|20)\d{2}[ \t]*年[ \t]*\d{1,2}[ \t]*月[ \t]*\d{1,2}[ \t]*日)[ \t]*$", d.f):
        prev = d.f[max(0, m.start() - 12):m.start()]
        if not re.search(r"[:：][ \t]*\n?[ \t]*$", prev):  # not the value of a label on the line above
            last = m
    if last:
        hits = find_dates(last.group("d"))
        if hits:
            return hits[0], last.start("d")
    return None


def _deadline(d: _Doc, notice_type: str | None, year: int | None, summary: dict[str, Hit]) -> Optional[tuple[DateHit, int]]:
    spec = L["dates"]
    if notice_type in ("award", "contract", "cancellation", "intention"):
        return None
    if notice_type == "correction":
        return _changed_deadline(d, year)
    hits = d.labelled(spec["deadline"], anywhere=True, wei=True)
    order = _label_order(tuple(spec["deadline"]))
    hits.sort(key=lambda h: (order.get(h.label, 99), h.start))
    for h in hits:
        found = [x for x in find_dates(h.value, year) if x.time is not None] or find_dates(h.value, year)
        if found:
            return found[0], h.start
    # "四、提交投标文件截止时间、开标时间和地点" heading with the date on the next line
    head = re.compile(rf"(?m)^{_NUMBERING}(?:{d.alt(spec['deadline'])})[^\n:：]*$")
    for m in head.finditer(d.f, d.start, d.end):
        nxt = d.f[m.end():m.end() + 200].lstrip("\n").split("\n", 1)[0]
        found = [x for x in find_dates(nxt, year) if x.time is not None]
        if found:
            base = d.f.find(nxt, m.end())
            return found[0], base
    # "并于2026年08月26日 09点30分（北京时间）前递交投标文件"
    for phrase in spec["deadline_phrase_after"]:
        for m in re.compile(re.escape(phrase)).finditer(d.f, d.start, d.end):
            s = m.start()
            window = d.f[max(d.start, s - 60):s]
            found = find_dates(window, year)
            if found:
                return found[-1], max(d.start, s - 60)
    if "开标时间" in summary:
        h = summary["开标时间"]
        found = find_dates(h.value, year)
        if found:
            return found[0], h.start
    return None


def _changed_deadline(d: _Doc, year: int | None) -> Optional[tuple[DateHit, int]]:
    """In a correction: the new deadline ("截止时间…更正为：2026年8月21日 14：00", or "现更改为：" followed by
    `提交投标文件截止时间：…` lines). Deadlines for obtaining documents, comments or site visits do not count."""
    spec = L["dates"]
    topics = _f(spec["deadline_topics"])
    excluded = _f(spec["not_deadline"])
    changed = changed_re()
    changes: list[tuple[DateHit, int]] = []

    def about_deadline(s: str) -> bool:
        # a topic word counts unless what it is the deadline of is named just before it ("获取招标文件截止时间")
        for t in topics:
            i = s.find(t)
            while i >= 0:
                if not any(x in s[max(0, i - 8):i] for x in excluded):
                    return True
                i = s.find(t, i + 1)
        return False

    for m in changed.finditer(d.f, d.start, d.end):
        ls = d.f.rfind("\n", 0, m.start()) + 1
        before = d.f[ls:m.start()]
        if len(before.strip(" \t现:：#")) < 2:  # the marker opens its line: what changes is on the line(s) above
            above = d.f[max(d.start, ls - 300):ls].rstrip().split("\n")
            # "2、提交投标文件截止时间：⏎原内容：…⏎更正为：…": the topic is above the original
            before = above[-1] if not re.match(r"[ \t]*原", above[-1]) or len(above) < 2 else above[-2] + above[-1]
        before = before[-40:]
        window_end = m.end()
        for _ in range(4):
            nxt = d.f.find("\n", window_end + 1)
            window_end = d.end if nxt < 0 else min(nxt, d.end)
        # the window stops where the next original ("原…") item or the next change starts
        stop = re.compile(r"(?m)^[ \t#]*(?:\d+[.、])?[ \t]*原|" + changed.pattern).search(d.f, m.end(), window_end)
        if stop:
            window_end = stop.start()
        # deadline labels after the marker: "更正为：\n投标截止时间：2026年8月13日14点00分"
        hit = None
        for lh in d.labelled(spec["deadline"], m.end(), window_end, anywhere=True):
            if any(x in lh.label for x in excluded):
                continue
            found = find_dates(lh.value, year)
            if found:
                hit = (found[0], lh.start)
                break
        if hit is None and about_deadline(before):
            line_end = d.f.find("\n", m.end())
            line_end = d.end if line_end < 0 else line_end
            found = find_dates(d.f[m.end():line_end], year)
            if found:
                hit = (found[0], m.end())
            else:  # "…修改后时间地点如下：⏎时间：2026年8月19日9点30分": the new time on the next line
                found = [x for x in find_dates(d.f[line_end:window_end], year) if x.time is not None]
                if found:
                    hit = (found[0], line_end)
        if hit:
            changes.append(hit)
    if changes:  # several changes: the last one stands
        return changes[-1]
    # no "更正为": the section restates the deadline ("报价截止时间延期：…"), or a before/after table row
    # ("提交投标文件截止时间、开标时间 2026年8月10日9时30分 2026年8月24日9时30分") — the last date is the new one
    sec = re.compile(r"更正信息|更正内容|变更内容|更正事项").search(d.f, d.start, d.end)
    if not sec:
        return None
    end_m = re.compile(r"更正日期|其他补充事宜|其它补充事宜|凡对本次").search(d.f, sec.end(), d.end)
    sec_end = end_m.start() if end_m else min(d.end, sec.end() + 4000)
    best = None
    for line_m in re.compile(r"[^\n]+").finditer(d.f, sec.start(), sec_end):
        line = line_m.group()
        if not about_deadline(line) or re.match(r"[ \t#]*原", line):
            continue
        found = [h for h in find_dates(line, year) if h.time is not None]
        if found:
            # a line naming the 截止 (deadline) outranks one naming only the opening
            rank = 1 if "截止" in line or "截至" in line else 0
            if best is None or rank >= best[0]:
                best = (rank, found[-1], line_m.start())
    return best[1:] if best else None
