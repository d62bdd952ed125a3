"""Plain text. Crawled renderings (../shared/benchmarks/bidagent-gold/texts/) open with header lines
`# title`, `# URL: …`, `# Type: …`, `# Fetched: …`: those become `title` and `meta`, the rest is the text."""

from __future__ import annotations

import re

from extract.types import DocumentText

from .encoding import Decoded
from .textutil import clean_inline, tidy_lines

_HEADER_KV_RE = re.compile(r"^#\s*([A-Za-z][A-Za-z _-]{0,30}):\s*(.*)$")
_ELLIPSIS_RE = re.compile(r"\s*(\.{3,}|…+)$")


def split_header(lines: list[str]) -> tuple[str | None, dict[str, str], list[str]]:
    """(title, meta, body lines). A header is only taken as one when `# key: value` lines follow the title,
    so a Markdown heading on its own stays text."""
    if not lines or not lines[0].startswith("#"):
        return None, {}, lines
    meta: dict[str, str] = {}
    i = 1
    while i < len(lines) and lines[i].startswith("#"):
        m = _HEADER_KV_RE.match(lines[i].strip())
        if not m:
            break
        meta[m.group(1).strip().lower().replace(" ", "_")] = m.group(2).strip()
        i += 1
    if not meta:
        return None, {}, lines
    title = lines[0].lstrip("#").strip() or None
    return title, meta, lines[i:]


def read_text(decoded: Decoded, name: str = "") -> DocumentText:
    lines = decoded.text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    title, meta, body = split_header(lines)
    text = tidy_lines(body, keep_blank=True)
    if title:
        title = clean_inline(title)
        if not text.startswith(title):
            # The header's title stays the first line: it is the document's own (crawlers often cut it
            # short with "…" or "...", and then the full title is taken from the body's first lines).
            prefix = _ELLIPSIS_RE.sub("", title)
            if prefix != title:
                full = next((ln for ln in text.split("\n")[:5] if ln.startswith(prefix)), None)
                if full:
                    meta["header_title"] = title
                    title = full
            text = f"{meta.get('header_title', title)}\n{text}" if text else title
    doc = DocumentText(text=text, kind="text", name=name, encoding=decoded.encoding)
    doc.meta.update(meta)
    if decoded.replaced:
        doc.meta["undecodable_chars"] = decoded.replaced
    if title is None:
        first = doc.text.split("\n", 1)[0].strip()
        title = first if 0 < len(first) <= 150 else None
    doc.title = title
    return doc
