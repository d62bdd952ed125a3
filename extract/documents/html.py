"""HTML → text: the ccgp.gov.cn page shell (title, time, breadcrumb, 公告概要 summary table, body) and, for
other sites, the page's main content. One line per block element; a table row is one line with its cells
separated by tabs (and kept in `tables`); a bare `label：` line is joined with its value."""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import lxml.html
from lxml import etree
from lxml.cssselect import CSSSelector

from extract.types import DocumentText

from .encoding import Decoded
from .textutil import clean_inline, join_cell_lines, tidy_lines

DATA = Path(__file__).with_name("data") / "html.toml"
_MAX_DEPTH = 300  # deeper nesting is rendered flat (itertext) rather than recursed into
_WS_RE = re.compile(r"\s+")
# Inline elements styled as blocks (the Shenzhen exchange template lays out its body in display:block spans).
_BLOCK_STYLE_RE = re.compile(r"display\s*:\s*(block|flex|list-item|table)\b", re.I)
_TITLE_SEL, _H1_SEL = CSSSelector("title"), CSSSelector("h1")


@dataclass
class _Shell:
    name: str
    detect: CSSSelector
    selectors: dict[str, CSSSelector]
    conf: dict[str, Any]
    body_start: Optional[re.Pattern] = None


@dataclass
class _Config:
    shells: list[_Shell]
    meta_names: set[str]
    attach_classes: set[str]
    attach_ext_re: re.Pattern
    drop: frozenset[str]
    blocks: frozenset[str]
    chrome: CSSSelector
    chrome_words: frozenset[str]
    candidates: list[CSSSelector] = field(default_factory=list)


@functools.lru_cache(maxsize=1)
def config() -> _Config:
    raw = tomllib.loads(DATA.read_text(encoding="utf-8"))
    shells = []
    for s in raw["shells"]:
        sels = {k: CSSSelector(s[k]) for k in ("title", "pub_time", "source", "breadcrumb", "summary", "body")}
        shells.append(_Shell(s["name"], CSSSelector(s["detect"]), sels, s,
                             re.compile(s["body_start"], re.I) if s.get("body_start") else None))
    exts = "|".join(map(re.escape, raw["attachments"]["extensions"]))
    g = raw["generic"]
    return _Config(
        shells=shells,
        meta_names={n.lower() for n in raw["meta"]["names"]},
        attach_classes=set(raw["attachments"]["classes"]),
        attach_ext_re=re.compile(rf"\.({exts})(?:$|[?#])", re.I),
        drop=frozenset(raw["render"]["drop"]),
        blocks=frozenset(raw["render"]["blocks"]),
        chrome=CSSSelector(", ".join(g["chrome"])),
        chrome_words=frozenset(g["chrome_words"]),
        candidates=[CSSSelector(c) for c in g["candidates"]],
    )


# ---------------------------------------------------------------------------- rendering


class _Renderer:
    """Walks an element tree and lays it out as lines."""

    def __init__(self, cfg: _Config):
        self.cfg = cfg
        self.lines: list[str] = []
        self.tables: list[list[list[str]]] = []
        self._cur: list[str] = []

    def flush(self) -> None:
        if self._cur:
            self.lines.append("".join(self._cur))
            self._cur = []

    def _text(self, s: Optional[str]) -> None:
        if s:
            self._cur.append(_WS_RE.sub(" ", s))  # source line breaks are spaces, as in a browser

    def render(self, el, depth: int = 0) -> None:
        tag = el.tag
        if not isinstance(tag, str):  # comment or processing instruction
            self._text(el.tail)
            return
        tag = tag.lower().rpartition("}")[2]
        if tag in self.cfg.drop:
            self._text(el.tail)
            return
        if depth > _MAX_DEPTH:
            self._text(" ".join(el.itertext()))
            self._text(el.tail)
            return
        if tag == "br":
            self.flush()
        elif tag == "table":
            self.flush()
            self._table(el, depth)
            self.flush()
        elif tag in self.cfg.blocks or _BLOCK_STYLE_RE.search(el.get("style") or ""):
            self.flush()
            self._text(el.text)
            for child in el:
                self.render(child, depth + 1)
            self.flush()
        else:
            if tag in ("td", "th"):  # a cell outside a table: keep cells apart
                self._cur.append(" ")
            self._text(el.text)
            for child in el:
                self.render(child, depth + 1)
        self._text(el.tail)

    def _rows(self, table) -> list[list]:
        rows = table.xpath("./tr|./thead/tr|./tbody/tr|./tfoot/tr")
        return [r.xpath("./td|./th") for r in rows]

    def _cell_text(self, cell, depth: int) -> str:
        sub = _Renderer(self.cfg)
        sub._text(cell.text)
        for child in cell:
            sub.render(child, depth + 1)
        sub.flush()
        return join_cell_lines("\n".join(clean_inline(x) for x in sub.lines))

    def _table(self, table, depth: int) -> None:
        rows = self._rows(table)
        # A layout table (page laid out in one cell, or tables nested in cells) is read as blocks.
        if table.xpath(".//td//table|.//th//table") or all(len(r) <= 1 for r in rows):
            for cells in rows:
                for cell in cells:
                    self.flush()
                    self._text(cell.text)
                    for child in cell:
                        self.render(child, depth + 1)
                    self.flush()
            return
        grid = []
        for cells in rows:
            row = [self._cell_text(c, depth) for c in cells]
            if not any(row):
                continue
            grid.append(row)
            self.lines.append("\t".join(row) if len(row) > 1 else row[0])
        if grid:
            self.tables.append(grid)


def _render(cfg: _Config, elements) -> _Renderer:
    r = _Renderer(cfg)
    for el in elements:
        r.render(el)
        r.flush()
    return r


# ---------------------------------------------------------------------------- page parts


# libxml2 stops building the tree below a fixed depth (256 elements, 2048 with huge_tree) and drops the rest
# of the page without failing: its error log is the only sign.
_PARSER_CUT_RE = re.compile(r"Excessive depth in document: (\d+)")


def _parse(text: str):
    """(root or None, the nesting limit the parser stopped at or None)."""
    # lxml refuses str input that carries an XML encoding declaration.
    if text.lstrip().startswith("<?xml"):
        text = re.sub(r"^\s*<\?xml[^>]*>", "", text, count=1)
    parser = lxml.html.HTMLParser(huge_tree=True)  # deep nesting and long text nodes kept up to libxml2's hard limits
    try:
        root = lxml.html.document_fromstring(text, parser=parser)
    except (etree.ParserError, ValueError):
        return None, None
    for entry in parser.error_log:
        m = _PARSER_CUT_RE.search(entry.message)
        if m:
            return root, int(m.group(1))
    return root, None


_FLAT_DROP_RE = re.compile(r"<(script|style|template)\b.*?</\1\s*>|<!--.*?-->", re.I | re.S)
_FLAT_BREAK_RE = re.compile(r"<(?:br|/?(?:p|div|li|tr|h[1-6]|table|section|article|dd|dt|blockquote|pre))\b[^>]*>",
                            re.I)
_FLAT_CELL_RE = re.compile(r"</t[dh]\s*>", re.I)
_FLAT_TAG_RE = re.compile(r"<[^>]*>")


def _flat_text(text: str) -> str:
    """The page's text from its source, tags stripped: for a page the parser could not build whole."""
    import html as html_lib

    text = _FLAT_DROP_RE.sub("", text)
    text = _FLAT_CELL_RE.sub(" ", _FLAT_BREAK_RE.sub("\n", text))
    return tidy_lines(html_lib.unescape(_FLAT_TAG_RE.sub("", text)).split("\n"))


def _meta_tags(cfg: _Config, root) -> dict[str, str]:
    out = {}
    for m in root.iter("meta"):
        name = (m.get("name") or m.get("property") or "").strip()
        content = m.get("content")
        if name and content and name.lower() in cfg.meta_names:
            out[name] = clean_inline(content)
    return out


def _attachments(cfg: _Config, root) -> list[dict[str, str]]:
    out, seen = [], set()
    for a in root.iter("a"):
        classes = set((a.get("class") or "").split())
        href = (a.get("href") or "").strip()
        name = clean_inline(a.text_content())
        if not (classes & cfg.attach_classes or cfg.attach_ext_re.search(href) or cfg.attach_ext_re.search(name)):
            continue
        key = (name, href, a.get("id"))
        if key in seen:
            continue
        seen.add(key)
        item = {"name": name, "href": href}
        if classes & cfg.attach_classes and a.get("id"):
            item["id"] = a.get("id")  # ccgp's bizDownload: the id is the download uuid
        out.append(item)
    return out


def _first_text(sel: CSSSelector, root) -> Optional[str]:
    for el in sel(root):
        t = clean_inline(el.text_content())
        if t:
            return t
    return None


def _summary(shell: _Shell, root) -> tuple[dict[str, str], list[str]]:
    """The 公告概要 table: `td.title` label cells, each followed by its value cell."""
    label_class = shell.conf["summary_label"]
    pairs: dict[str, str] = {}
    lines: list[str] = []
    for table in shell.selectors["summary"](root):
        for row in table.xpath(".//tr"):
            cells = row.xpath("./td|./th")
            i = 0
            while i < len(cells):
                cell = cells[i]
                if label_class in (cell.get("class") or "").split() and i + 1 < len(cells):
                    label = clean_inline(cell.text_content()).rstrip("：:")
                    value_cell = cells[i + 1]
                    anchors = [clean_inline(a.text_content()) for a in value_cell.iter("a")]
                    value = " ".join(a for a in anchors if a) if anchors else clean_inline(value_cell.text_content())
                    if label:
                        pairs.setdefault(label, value)
                        if value:  # a bare "label：" line would be joined with whatever follows
                            lines.append(f"{label}：{value}")
                    i += 2
                else:
                    i += 1
        break  # one summary table per page
    return pairs, lines


def _body_elements(shell: _Shell, text: str, root):
    """The notice body: sliced from the source up to the end marker, so that stray closing tags in the
    pasted body cannot end it early; the DOM element when the marker is missing."""
    if shell.body_start is not None:
        m = shell.body_start.search(text)
        end = text.find(shell.conf["body_end"], m.end()) if m else -1
        if m and end > 0:
            frag, _ = _parse("<html><body><div>" + text[m.end():end] + "</div></body></html>")
            if frag is not None:
                return [frag.body]
    return shell.selectors["body"](root)[:1]


def _read_shell(shell: _Shell, text: str, root, cfg: _Config) -> tuple[list[str], list, dict[str, Any], Optional[str]]:
    meta: dict[str, Any] = {"template": shell.name}
    title = _first_text(shell.selectors["title"], root)
    pub = _first_text(shell.selectors["pub_time"], root)
    if pub:
        meta["pub_time"] = pub
    crumbs = [clean_inline(a.text_content()) for a in shell.selectors["breadcrumb"](root)]
    crumbs = [c for c in crumbs if c]
    if crumbs:
        meta["breadcrumb"] = crumbs
        meta["notice_type_label"] = crumbs[-1]
    summary, summary_lines = _summary(shell, root)
    if summary:
        meta["summary"] = summary

    head: list[str] = []
    if title:
        head.append(title)
    if pub:
        source = _first_text(shell.selectors["source"], root)
        head.append(f"{pub} 来源：{source}" if source else pub)
    if summary_lines:
        head.append(shell.conf["summary_heading"])
        head.extend(summary_lines)
    body = _render(cfg, _body_elements(shell, text, root))
    return head + body.lines, body.tables, meta, title


def _strip_chrome(cfg: _Config, root) -> None:
    def keep(el) -> bool:  # chrome inside the article (its own header with the h1) stays
        return any(a.tag in ("article", "main") for a in el.iterancestors())

    doomed = [el for el in cfg.chrome(root) if not keep(el)]
    for el in root.iter():
        if not isinstance(el.tag, str) or el.tag in ("html", "body"):
            continue
        words = set(re.split(r"[\s_-]+", f"{el.get('id') or ''} {el.get('class') or ''}".lower()))
        if words & cfg.chrome_words and not keep(el):
            doomed.append(el)
    for el in doomed:
        parent = el.getparent()
        if parent is not None:
            el.drop_tree()


def _main_content(cfg: _Config, root):
    """The candidate container holding the most text that is not link text."""
    body = root.find("body")
    if body is None:
        body = root
    best, best_score = body, -1.0
    seen = set()
    for sel in cfg.candidates:
        for el in sel(root):
            if id(el) in seen:
                continue
            seen.add(id(el))
            text = len(_WS_RE.sub("", el.text_content()))
            links = sum(len(_WS_RE.sub("", a.text_content())) for a in el.iter("a"))
            score = text - 2 * links
            if score > best_score:
                best, best_score = el, score
    body_text = len(_WS_RE.sub("", body.text_content()))
    # A candidate holding little of the page's text is a fragment (a content box in the sidebar).
    if best is not body and best_score < 0.3 * body_text:
        return body
    return best


def read_html(decoded: Decoded, name: str = "") -> DocumentText:
    cfg = config()
    text = decoded.text
    doc = DocumentText(text="", kind="html", name=name, encoding=decoded.encoding)
    if decoded.declared:
        doc.meta["declared_charset"] = decoded.declared
    if decoded.replaced:
        doc.meta["undecodable_chars"] = decoded.replaced
    root, depth_limit = _parse(text)
    if root is None:
        doc.errors.append("corrupt: the HTML could not be parsed")
        return doc
    if depth_limit is not None:
        # The tree stops at the limit: take the text from the source instead, and say so.
        doc.title = _first_text(_TITLE_SEL, root)
        doc.text = _flat_text(text)
        doc.meta["template"] = "flat"
        doc.errors.append(f"too_large: elements nested more than {depth_limit} deep; the text was read from the "
                          "source without the page layout")
        return doc
    doc.meta.update(_meta_tags(cfg, root))
    attachments = _attachments(cfg, root)
    if attachments:
        doc.meta["attachments"] = attachments

    for shell in cfg.shells:
        if shell.detect(root):
            lines, tables, meta, title = _read_shell(shell, text, root, cfg)
            doc.meta.update(meta)
            if not title and doc.meta.get("ArticleTitle"):  # no h2.tc: the meta tag's title heads the text
                title = doc.meta["ArticleTitle"]
                lines.insert(0, title)
            break
    else:
        page_title = _first_text(_TITLE_SEL, root)
        h1 = _first_text(_H1_SEL, root)
        title = h1 if h1 and (not page_title or h1 in page_title) else page_title or h1
        _strip_chrome(cfg, root)
        r = _render(cfg, [_main_content(cfg, root)])
        lines, tables = r.lines, r.tables
        if title and not any(title in ln for ln in lines[:3]):
            lines.insert(0, title)
        doc.meta["template"] = "generic"
    doc.title = title or doc.meta.get("ArticleTitle")
    doc.text = tidy_lines(lines)
    doc.tables = tables
    return doc
