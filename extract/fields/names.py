"""Organisations: the buyer and agency (contact blocks, labels, the summary table) and the winners (result
sections, tables whose cells ran together, consortium members, corrected results)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Optional

from .base import Hit, L, _Doc, _NUMBERING, _WS, _alt, _body_rows, _f, _tab_tables
from .text import fold

_ORG_TAIL = re.compile(
    r"(?:[ \t]{2,}|\t|[（(]盖章[)）]|(?:地\s*址|联系方式|联系人|电\s*话|地址)[:：]|(?:评审|综合)?总?得分[:：]?\s*\d|报价[:：]).*$"
)
# what runs on after a name when a page lost its separators: contact words (with or without a colon), a telephone
# number, money, an amount's label ("溪山县人民医院0571-63451234", "…有限公司￥1,280,000.00元", "…公司 中标金额：96.5万元")
_GLUED_TAIL = re.compile(
    r"[ \t]*[,，;；]?[ \t]*[(（]?[ \t]*(?:"
    r"(?:联系|办公)?(?:电\s*话|手\s*机|传\s*真|邮\s*编|联系人|联系方式|地\s*址)(?=[:：\s\d(（])"
    r"|(?i:tel|fax|phone|address|e-?mail)\b"
    r"|\(?0\d{2,3}\)?[-—－ ]?\d{7,8}(?!\d)|(?<!\d)1[3-9]\d{9}(?!\d)|\d{4}[ -]\d{4}(?!\d)"
    r"|[¥$]|(?:人民币|RMB|HK\$|US\$|NT\$|MOP)[ \t]*\d|\d[\d,]*(?:\.\d+)?[ \t]*(?:万元|元|万)(?![\u4e00-\u9fff]{2,}(?:公司|中心))"
    r"|(?:中标|成交|合同|决标|判给)?(?:金额|价格|总价|报价)[ \t]*(?:\([^)]{0,8}\))?[ \t]*[:：]"
    r").*$"
)


def _clean_name(v: str) -> str:
    v = _ORG_TAIL.sub("", v).strip()
    v = _GLUED_TAIL.sub("", v).strip()
    if v.count("(") > v.count(")"):  # a bracket opened by what was cut: "…有限公司（联系"
        v = v[:v.rfind("(")]
    v = v.strip(" \t:：;；,，。、")
    # a final dot ends a sentence, except after a Latin abbreviation ("Co., Ltd.")
    return v if not v.endswith(".") or re.search(r"[A-Za-z]{2,}\.$", v) else v.rstrip(".").rstrip()


_NOT_NAME_START = tuple(L["vendors"]["not_name_start"])


def _is_name(v: str) -> bool:
    """Could `v` be an organisation's name (not "详见附件", "/", an address fragment or a bare number)?"""
    if not v or len(v) < 2 or len(v) > 80:
        return False
    if v in L["vendors"]["not_a_name"] or v.startswith(_NOT_NAME_START):
        return False
    if not re.search(r"[\u4e00-\u9fff]", v) and not re.search(r"[A-Za-z]{3,}", v):
        return False
    return True


@lru_cache(maxsize=None)
def _block_re(block_labels: tuple[str, ...]) -> re.Pattern:
    return re.compile(rf"(?:{_alt(block_labels)})[ \t]*[:：]?")


# what may precede a block heading on its line: numbering at the line start, or numbering after the sentence
# that announces the contacts when the page lost its line breaks ("…请按以下方式联系：1、采购人信息")
_BLOCK_LEAD = re.compile(rf"[ \t]*{_NUMBERING}")
_BLOCK_AFTER_SENTENCE = re.compile(rf"[:：。][ \t]*{_NUMBERING}$")


def _block_lead_ok(f: str, pos: int) -> bool:
    ls = f.rfind("\n", 0, pos) + 1
    if _BLOCK_LEAD.fullmatch(f, ls, pos):
        return True
    return _BLOCK_AFTER_SENTENCE.search(f[max(ls, pos - 24):pos]) is not None  # the tail only: lines can be long


_NEXT_BLOCK = re.compile(rf"(?m)^{_NUMBERING}[^\n:：]{{0,12}}信息")


def contact_blocks(d: _Doc, block_labels: list[str]):
    """(heading match, end of its line, end of the block) of each contact block such as "1.采购人信息": its lines up
    to the next numbered block."""
    for m in _block_re(tuple(block_labels)).finditer(d.f, d.start, d.end):
        if not _block_lead_ok(d.f, m.start()):
            continue
        line_end = d.f.find("\n", m.end())
        line_end = len(d.f) if line_end < 0 else line_end
        # the lines of the block
        stop = m.end()
        for _ in range(L["block"]["max_lines"]):
            nxt = d.f.find("\n", stop + 1)
            stop = len(d.f) if nxt < 0 else nxt
        region_end = min(stop, d.end)
        # a following numbered block ends this one
        nb = _NEXT_BLOCK.search(d.f, line_end, region_end)
        if nb:
            region_end = nb.start()
        yield m, line_end, region_end


def _block_name(d: _Doc, block_labels: list[str]) -> Optional[Hit]:
    """The 名称 of a contact block such as "1.采购人信息 / 名 称：X" (the name may also follow the heading)."""
    for m, line_end, region_end in contact_blocks(d, block_labels):
        hits = d.labelled(L["block"]["name_labels"], m.end(), region_end, anywhere=True, next_line=True)
        for h in hits:
            name = _clean_name(h.value)
            if _is_name(name):
                return Hit(name, h.start, h.start + len(name), h.label)
        # "采购人信息：X" with the name on the heading line itself
        rest = d.f[m.end():line_end]
        name = _clean_name(rest)
        if _is_name(name) and "名称" not in name:
            s = m.end() + (len(rest) - len(rest.lstrip(" \t:：")))
            return Hit(name, s, s + len(name))
    return None


@lru_cache(maxsize=None)
def _actual_re(phrases: tuple[str, ...]) -> re.Pattern:
    alt = "|".join(re.escape(fold(p)) for p in phrases)
    return re.compile(rf"(?:{alt})[ \t]*[\"“']?(?P<n>[^\"”'，。,;；\n]{{2,60}})")


def _org(d: _Doc, summary: dict[str, Hit], meta_summary: dict[str, str], key: str) -> Optional[Hit]:
    """The buyer or the agency (`key`): a stated correction of it, the contact block, a label, the summary."""
    spec = L[key]
    if spec.get("actual"):  # "本项目实际采购人为X" overrides the generated fields
        m = _actual_re(tuple(spec["actual"])).search(d.f, d.start, d.end)
        if m and _is_name(_clean_name(m.group("n"))):
            name = _clean_name(m.group("n"))
            return Hit(name, m.start("n"), m.start("n") + len(name))
    hit = _block_name(d, spec["block"])
    if hit:
        return hit
    for h in d.labelled(spec["labels"], anywhere=True, next_line=True):
        name = _clean_name(h.value)
        if _is_name(name):
            return Hit(name, h.start, h.start + len(name), h.label)
    for lab in spec["summary"]:
        if lab in summary:
            h = summary[lab]
            name = _clean_name(h.value)
            if _is_name(name):
                return Hit(name, h.start, h.start + len(name), lab)
        if lab in meta_summary and _is_name(_clean_name(meta_summary[lab])):
            return Hit(_clean_name(meta_summary[lab]), -1, -1, lab)
    return None


# --------------------------------------------------------------------------------------------- buyer, unlabelled


@lru_cache(maxsize=None)
def _fallback_res() -> tuple[re.Pattern, re.Pattern, re.Pattern]:
    spec = L["buyer"]["fallback"]
    inst = "|".join(re.escape(x) for x in sorted(spec["institutions"], key=len, reverse=True))
    offices = "|".join(re.escape(x) for x in sorted(spec["offices"], key=len, reverse=True))
    name = r"[\u4e00-\u9fff()（）·A-Za-z]{2,40}?"
    office_line = re.compile(rf"(?m)^[ \t]*(?P<n>{name}(?:{inst}))(?:{offices})[ \t]*$")
    signed = re.compile(rf"(?m)^[ \t]*(?P<n>{name}(?:{inst}))(?:{offices})?[ \t]*\n(?:[ \t]*\n)?[ \t]*"
                        r"(?:19|20)\d{2}[ \t]*[年./-][ \t]*\d{1,2}[ \t]*[月./-][ \t]*\d{1,2}[ \t]*日?[ \t]*$")
    opening = re.compile(rf"(?P<n>{name}(?:{inst}))")
    return office_line, signed, opening


_NOTICE_TITLE = re.compile(r"(?:公告|公示|(?i:notice))[)）]?[ \t]*$")


@lru_cache(maxsize=None)
def _sentence_res() -> tuple[re.Pattern, re.Pattern]:
    spec = L["buyer"]["fallback"]
    ob = spec["on_behalf"]
    after = "|".join(re.escape(x) for x in ob["after"])
    then = "|".join(re.escape(x) for x in ob["then"])
    on_behalf = re.compile(rf"{re.escape(ob['before'])}(?P<n>[^，,。；;、:：\n]{{2,40}}?)(?:{after})[，,]?[^，,。；;\n]{{2,40}}?(?:{then})")
    invites = "|".join(re.escape(x) for x in spec["invites"])
    english = re.compile(rf"(?m)^[ \t]*(?:The[ \t]+)?(?P<n>[A-Z][A-Za-z&'.()-]*(?:[ \t]+[A-Za-z&'.()-]+){{0,8}}?)[ \t]+(?i:{invites})")
    return on_behalf, english


def _unlabelled_buyer(d: _Doc, title: Optional[Hit]) -> Optional[Hit]:
    """The buyer of a page that names none by label: the one an agency says it acts for ("受X委托，…对…") or that
    invites tenders ("The X invites tenders for …"), the institution whose procurement office heads or signs the page
    ("江城理工大学采购与招标管理中心" -> 江城理工大学), the organisation signing above the date at the end, or the
    institution the title opens with ("江州师范学院计算机学院GPU服务器租用服务询价公告")."""
    office_line, signed, opening = _fallback_res()
    for rx in _sentence_res():
        m = rx.search(d.f, d.start, d.end)
        if m and _is_name(_clean_name(m.group("n"))):
            name = _clean_name(m.group("n"))
            return Hit(name, m.start("n"), m.start("n") + len(name))
    head_end = d.f.find("\n", title.end) if title and title.start >= 0 else min(len(d.f), 300)
    found = [m for m in office_line.finditer(d.f, 0, max(head_end, 0))]
    tail = max(d.start, d.end - 400)
    found += [m for m in signed.finditer(d.f, tail, d.end)][-1:]
    found += [m for m in office_line.finditer(d.f, tail, d.end)]
    for m in found:
        name = m.group("n")
        if _is_name(name) and not name.endswith(("公司", "集团")):  # a company signing is the agency
            return Hit(name, m.start("n"), m.end("n"))
    # the title's opening name, only in a notice's title (a news page's headline opens with its subject)
    if title and title.start >= 0 and _NOTICE_TITLE.search(d.f, title.start, title.end):
        spec = L["buyer"]["fallback"]
        t = d.f[title.start:title.end].lstrip("# \t")
        base = title.end - len(t)
        stop = min([i for i in (t.find(w) for w in spec["title_stops"]) if i > 0] or [len(t)])
        # the longest opening that is a name: up to the last institution word before the first stop word
        ends = [i + len(w) for w in spec["title_institutions"] for i in [t.rfind(w, 0, stop)] if i >= 0]
        name = t[:max(ends)] if ends else ""
        if opening.fullmatch(name) and _is_name(name) and len(name) >= 4:
            return Hit(name, base, base + len(name))
    return None


# --------------------------------------------------------------------------------------------- vendors

_LOT_PREFIX = re.compile(r"^(?:第?[0-9一二三四五六七八九十A-Za-z]{1,3}(?:包|标段|标项|分标|包组)|(?:包|标段|标项|包组|分包)[0-9一二三四五六七八九十A-Za-z]{1,3})[:：、.\s]*")
_LOT_SUFFIX = re.compile(r"[(（\[](?:第?[0-9一二三四五六七八九十A-Za-z]{1,3}(?:包|标段|标项)|(?:包|标段|标项|包组)[0-9一二三四五六七八九十A-Za-z]{1,3})[)）\]]$")
_ROLE = re.compile(r"[(（](?:联合体)?(?:牵头人|成员|成员单位|牵头单位|主体)[)）]|^(?:联合体)?(?:牵头人|成员|成员单位|牵头单位)[:：]")


def _split_vendors(v: str) -> list[tuple[str, int]]:
    """A winner value -> names with their offsets in `v`. Consortium values are split into their members, lead
    first: "联合体：A（牵头人）、B（成员）", "A(联合体：B,C)", "牵头人：A 成员：B"; a single name is kept whole."""
    cons = L["vendors"]["consortium"]
    v2 = _LOT_PREFIX.sub("", v)
    off = len(v) - len(v2)
    if any(mk in v2 for mk in cons["markers"]) or _ROLE.search(v2) or ("、" in v2 and v2.count("公司") > 1):
        # blank out the consortium wording, keeping offsets: "(联合体:", "联合体成员:", "（牵头人）" …
        body = re.sub(r"[(（]?(?:投标)?联合体(?:成员|牵头人)?[)）]?[:：]?|[(（](?:联合体)?(?:牵头人|成员|成员单位|牵头单位|主体)[)）]"
                      r"|(?:牵头人|成员)[:：]", lambda m: "、" * len(m.group()), v2)
        seps = "".join(re.escape(s) for s in cons["separators"])
        out = []
        for part in re.finditer(rf"[^{seps}()（）]+", body):
            name = part.group().strip()
            if _is_name(name) and len(name) >= 4:
                out.append((name, off + part.start() + part.group().find(name)))
        if out:
            return out
    name = _LOT_SUFFIX.sub("", v2).strip()
    return [(name, off)] if _is_name(name) else []


@lru_cache(maxsize=None)
def _winner_section_res() -> tuple[re.Pattern, re.Pattern]:
    spec = L["vendors"]
    sec = re.compile(rf"(?m)^{_NUMBERING}(?:{_alt(tuple(spec['sections']))})")
    ends = re.compile(rf"(?m)^{_NUMBERING}[^\n]{{0,6}}(?:{_alt(tuple(spec['section_ends']))})|^[ \t#]*[一二三四五六七八九十]{{1,2}}、")
    return sec, ends


def _winner_regions(d: _Doc) -> list[tuple[int, int]]:
    """The sections that report winners: from a 中标（成交）信息 heading to the next section that is not about them."""
    if "winner_regions" in d.cache:
        return list(d.cache["winner_regions"])
    sec, ends = _winner_section_res()
    out = []
    for m in sec.finditer(d.f, d.start, d.end):
        e = ends.search(d.f, m.end(), d.end)
        out.append((m.start(), e.start() if e else d.end))
    d.cache["winner_regions"] = out
    return list(out)


@lru_cache(maxsize=None)
def _org_re() -> re.Pattern:
    spec = L["org"]
    suf = "|".join(re.escape(x) for x in sorted(spec["suffixes"], key=len, reverse=True))
    branch = "|".join(re.escape(x) for x in sorted(spec["branch_suffixes"], key=len, reverse=True))
    legal = "|".join(re.escape(x) for x in sorted(spec["legal_forms"], key=len, reverse=True))
    # no digits in a name: addresses, scores and amounts around it have them
    return re.compile(
        rf"[\u4e00-\u9fffA-Za-z][\u4e00-\u9fffA-Za-z()·]{{1,40}}?(?:{suf})(?:{legal})?(?:[\u4e00-\u9fff]{{2,10}}?(?:{branch}))?"
    )


def _org_names(s: str) -> list[tuple[str, int]]:
    """Organisation names in a table row rendered without separators, with their offsets in `s`."""
    out = []
    for m in _org_re().finditer(s):
        name, off = m.group(), m.start()
        # a closing bracket without its opening one belongs to the cell before ("（元）东阳市…")
        while True:
            depth, cut = 0, -1
            for i, c in enumerate(name):
                depth += c == "("
                if c == ")":
                    if depth == 0:
                        cut = i
                        break
                    depth -= 1
            if cut < 0:
                break
            name, off = name[cut + 1:], off + cut + 1
        for w in L["org"]["role_words"]:
            i = name.rfind(w)
            if i >= 0:
                name, off = name[i + len(w):], off + i + len(w)
        # an opening bracket never closed belongs to a cell label before the name ("货物类(X公司")
        if name.count("(") > name.count(")"):
            i = name.rfind("(")
            name, off = name[i + 1:], off + i + 1
        if _is_name(name) and len(name) >= 4:
            out.append((name, off))
    return out


def _winner_table_rows(d: _Doc, regions: list[tuple[int, int]]):
    """(line, offset in `d.f`) of each row after a vendor column header within `regions` (the header itself cut
    off), except rows of candidates and losing bids. The rows both the winners and their amounts are read from."""
    head = re.compile(rf"(?:{d.alt(L['vendors']['labels'])})(?![ \t]*[:：])")
    for a, b in regions:
        in_table = False
        for line_m in re.finditer(r"[^\n]+", d.f[a:b]):
            line, base = line_m.group(), a + line_m.start()
            hs = list(head.finditer(line))
            if hs:
                in_table = True
                line, base = line[hs[-1].end():], base + hs[-1].end()
            if not in_table or any(w in line for w in ("候选人", "未中标", "未成交")):
                continue
            yield line, base


def _vendors_in_tables(d: _Doc, regions: list[tuple[int, int]], blank: list[str]) -> list[Hit]:
    """Winners in tables whose cells ran together. After a vendor column header, an organisation name that
    starts a cell (after a row number, a price, a bracket, a colon or a blank) is a winner; one glued to the name
    before it is that winner's address. A 联合体 row names every member. `blank`: texts such as the project name
    that fill columns before the winner and are masked first."""
    markers = _f(L["vendors"]["consortium"]["markers"])
    out = []
    for line, base in _winner_table_rows(d, regions):
        for t in blank:
            if len(t) >= 4:
                line = line.replace(t, " " * len(t))
        cons = next((line.find(mk) for mk in markers if mk in line), -1)
        last_end = -1
        for name, off in _org_names(line):
            prev = line[off - 1] if off > 0 else " "
            gap = line[last_end:off] if last_end >= 0 else None
            starts_cell = not re.match(r"[\u4e00-\u9fffA-Za-z]", prev)
            glued_to_name = gap is not None and gap.strip() == ""
            if (0 <= cons < off) or (starts_cell and not glued_to_name):
                out.append(Hit(name, base + off, base + off + len(name)))
                last_end = off + len(name)
    return out


def _vendors_in_tab_tables(d: _Doc, regions: list[tuple[int, int]]) -> list[Hit]:
    """Winners from a tab-separated result table whose header names a supplier column ("供应商名称")."""
    spec = L["vendors"]
    head = re.compile(rf"(?:{d.alt(spec['labels'])})")
    out = []
    for table in _tab_tables(d):
        start = table[0][0][1]
        if regions and not any(a <= start < b for a, b in regions):
            continue
        ls = d.f.rfind("\n", 0, max(0, d.f.rfind("\n", 0, start))) + 1
        if any(w in d.f[ls:start] + "".join(c[0] for c in table[0]) for w in ("候选", "未中标", "未成交")):
            continue
        cols = [i for i, c in enumerate(table[0]) if head.search(c[0]) and "地址" not in c[0] and "联系" not in c[0]]
        for row in _body_rows(table):
            for i in cols[:1]:
                text, cs, _ = row[i]
                for name, off in _split_vendors(_clean_name(text)):
                    out.append(Hit(name, cs + off, cs + off + len(name)))
    return out


def _successors(d: _Doc, out: list[Hit], seen: set[str]) -> None:
    """A corrected result names the new winner in a sentence: "现顺延至原第二名中标候选人X", "中标供应商：A，更正为：B".
    The superseded winner (on a "原…" line, before the marker) is dropped."""
    spec = L["vendors"]
    sec = re.compile(r"更正信息|更正内容").search(d.f, d.start, d.end)
    if not sec:
        return
    end_m = re.compile(r"更正日期|其他补充事宜|其它补充事宜|凡对本次").search(d.f, sec.end(), d.end)
    sec_end = end_m.start() if end_m else min(d.end, sec.end() + 3000)
    words = re.compile("|".join(re.escape(fold(w)) for w in spec["succession"]))
    vendor_words = tuple(L["org"]["role_words"])
    for m in words.finditer(d.f, sec.end(), sec_end):
        ls = d.f.rfind("\n", 0, m.start()) + 1
        before = d.f[max(ls, m.start() - 60):m.start()]
        if not before.strip():  # "更正：X" opening its line: the line above says what is corrected
            before = d.f[max(sec.end(), ls - 80):ls]
        after = d.f[m.end():min(sec_end, m.end() + 80)].split("\n", 1)[0]
        if not any(w in before + after[:20] for w in vendor_words):
            continue
        names = _org_names(after)
        if names:
            name, off = names[0]
            key = _WS.sub("", name)
            # the winner it replaces, if it was read from the line before the marker
            out[:] = [h for h in out if not (ls <= h.start < m.start())]
            if key not in seen:
                seen.add(key)
                out.append(Hit(name, m.end() + off, m.end() + off + len(name)))


def _vendors(d: _Doc, notice_type: str | None) -> list[Hit]:
    spec = L["vendors"]
    if notice_type not in ("award", "contract", "correction", None, "other"):
        return []
    regions = _winner_regions(d)
    if notice_type == "correction":
        # a corrected result names the winner in the 更正信息 section
        regions += [(m.start(), m.end() + 2000) for m in re.finditer(r"更正信息|更正内容", d.f[: d.end])]
        regions = [(a, min(b, d.end)) for a, b in regions]
    if not regions:
        if notice_type not in ("award", "contract"):
            return []
        regions = [(d.start, d.end)]
    not_winner = _f(spec["not_winner"])
    out: list[Hit] = []
    seen = set()
    for a, b in regions:
        for h in d.labelled(spec["labels"], a, b, anywhere=True):
            ls = d.f.rfind("\n", 0, h.start) + 1
            prefix = d.f[ls:h.start]
            if any(w in prefix for w in not_winner):
                continue
            for name, off in _split_vendors(_clean_name(h.value)):
                key = _WS.sub("", name)
                if key not in seen:
                    seen.add(key)
                    s = h.start + off
                    out.append(Hit(name, s, s + len(name), h.label))
    if notice_type == "correction":
        _successors(d, out, seen)
    if not out and notice_type in ("award", "contract"):
        for h in _vendors_in_tab_tables(d, regions):
            key = _WS.sub("", h.value)
            if key not in seen:
                seen.add(key)
                out.append(h)
    if not out and notice_type in ("award", "contract"):
        blank = [h.value for h in d.labelled(("项目名称", "采购项目名称", "标项名称"), anywhere=True)]
        for h in _vendors_in_tables(d, regions, blank):
            key = _WS.sub("", h.value)
            if key not in seen:
                seen.add(key)
                out.append(h)
    return out
