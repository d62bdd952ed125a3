"""Text clean-up shared by every reader: whitespace, control characters, CJK spacing, line layout."""

from __future__ import annotations

import re

# Han ideographs (BMP blocks, Ext. A) and the CJK / full-width punctuation that sits between them.
CJK_CHARS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK_PUNCT = "\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65\u2018-\u201f\u2026\u00b7"
HAN_RE = re.compile(f"[{CJK_CHARS}]")

# NBSP, the full-width (ideographic) space, the typographic spaces, BOM/zero-width marks.
_SPACES_RE = re.compile("[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
_ZERO_WIDTH_RE = re.compile("[\u200b-\u200d\u2060\ufeff]")
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
_RUNS_RE = re.compile(r"[ \t\r\f\v]+")
# Three or more single Han characters each followed by one space: letter-spaced layout (`招 标 文 件`).
_SPACED_RUN_RE = re.compile(f"(?:[{CJK_CHARS}{CJK_PUNCT}] ){{2,}}[{CJK_CHARS}{CJK_PUNCT}](?![{CJK_CHARS}])")

# "项目编号：" alone on a line, its value on the next one.
_LABEL_ONLY_RE = re.compile(r"^[^\t：:]{1,30}[：:]$")
_LABEL_START_RE = re.compile(r"^[^\t：:]{1,30}[：:]")  # the next line is a label of its own: no join


# A title is one line that lists, the digest and exports can show. Real titles are under 100 characters
# (80 at most in the 598 gold notices); a longer one is body text that had no line break.
TITLE_MAX_CHARS = 200


def cap_title(title: str | None) -> str | None:
    """The title as every caller stores and prints it: at most TITLE_MAX_CHARS, a cut one ending in "…"."""
    if title is None or len(title) <= TITLE_MAX_CHARS:
        return title
    return title[: TITLE_MAX_CHARS - 1].rstrip() + "…"


def clean_inline(s: str) -> str:
    """One line of text: odd spaces become plain spaces, runs collapse, control characters go."""
    s = _ZERO_WIDTH_RE.sub("", s)
    s = _SPACES_RE.sub(" ", s)
    s = _CONTROL_RE.sub("", s)
    return _RUNS_RE.sub(" ", s).strip()


def drop_cjk_gaps(s: str) -> str:
    """`招 标 文 件` → `招标文件`: letter-spaced (分散对齐) text reaches us with a space after every
    character. A space between words (`蜀江大学 地址：…`) is a real gap and stays."""
    if " " not in s:
        return s
    return _SPACED_RUN_RE.sub(lambda m: m.group(0).replace(" ", ""), s)


def control_share(s: str) -> float:
    return len(_CONTROL_RE.findall(s)) / max(len(s), 1)


def tidy_lines(lines, *, merge_labels: bool = True, keep_blank: bool = False) -> str:
    """Cleans each line, drops empty ones (or keeps a single blank between paragraphs), and joins a bare
    `label：` line with the value on the next line so label and value stay on one line."""
    out: list[str] = []
    for raw in lines:
        if "\t" in raw:  # a table row: clean each cell, keep the tabs
            line = "\t".join(clean_inline(c) for c in raw.split("\t"))
            if not line.strip("\t"):
                line = ""
        else:
            line = clean_inline(raw)
        if not line:
            if keep_blank and out and out[-1] != "":
                out.append("")
            continue
        if merge_labels and "\t" not in line and not _LABEL_START_RE.match(line) and len(line) <= 200:
            # the label may be separated from its value by one blank line
            k = len(out) - 1 if out and out[-1] else len(out) - 2
            if k >= 0 and _LABEL_ONLY_RE.match(out[k]):
                del out[k + 1:]
                out[k] = out[k] + line
                continue
        out.append(line)
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out)


def join_cell_lines(s: str) -> str:
    """A wrapped table cell (`深圳华为…中科曙光信息\\n产业股份有限公司`): CJK wraps join with nothing,
    Latin words with a space."""
    parts = [p.strip() for p in s.splitlines() if p.strip()]
    if not parts:
        return ""
    out = parts[0]
    for p in parts[1:]:
        if out[-1].isascii() and out[-1].isalnum() and p[0].isascii() and p[0].isalnum():
            out += " " + p
        else:
            out += p
    return out
