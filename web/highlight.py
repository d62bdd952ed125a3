"""Evidence highlighting: the notice text, escaped, with each evidence span wrapped in <mark>.

Scraped text is hostile, so the text is split at span boundaries and every piece goes through
`markupsafe.escape`; only the <mark> tags this module writes are markup. Evidence offsets come from the
extractor; when they do not point at the evidence text (the text was re-extracted since), the evidence is
looked up by its text instead, and if it is not found at all it is listed as unanchored rather than marking
the wrong place.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from markupsafe import Markup, escape


@dataclass
class Span:
    start: int
    end: int
    fields: list[str]
    anchor: str  # element id of the first <mark> of this span


@dataclass
class DocEvidence:
    """The evidence for one document (the body, or one attachment), resolved to offsets in its text."""

    spans: list[Span] = field(default_factory=list)
    unanchored: list[dict] = field(default_factory=list)


def resolve(text: str, evidence: list[dict], prefix: str) -> tuple[DocEvidence, list[dict]]:
    """Place each evidence item of one document in `text`. Returns the spans and the items annotated with
    the `anchor` id to link to (None when unanchored)."""
    doc = DocEvidence()
    annotated: list[dict] = []
    by_range: dict[tuple[int, int], Span] = {}
    for i, ev in enumerate(evidence):
        start, end, snippet = ev.get("start"), ev.get("end"), ev.get("text") or ""
        ok = isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)
        if ok and snippet and text[start:end] != snippet:
            ok = False
        if not ok and snippet:
            found = text.find(snippet)
            if found >= 0:
                start, end, ok = found, found + len(snippet), True
        if not ok:
            doc.unanchored.append(ev)
            annotated.append({**ev, "anchor": None})
            continue
        span = by_range.get((start, end))
        if span is None:
            span = Span(start, end, [], f"{prefix}-{len(by_range) + 1}")
            by_range[(start, end)] = span
            doc.spans.append(span)
        if ev.get("field") not in span.fields:
            span.fields.append(ev.get("field") or "")
        annotated.append({**ev, "start": start, "end": end, "anchor": span.anchor})
    return doc, annotated


def render(text: str, spans: list[Span], label=lambda f: f, query_hits: list[tuple[int, int]] = ()) -> Markup:
    """`text` as HTML with the evidence spans marked (and the reader's search terms, when given). Overlapping
    spans are cut at every boundary, so each piece of text is wrapped once and carries the fields of all
    evidence spans covering it."""
    query_hits = [(a, b) for a, b in query_hits if 0 <= a < b <= len(text)]
    if not spans and not query_hits:
        return Markup(escape(text))
    cuts = sorted({0, len(text), *(s.start for s in spans), *(s.end for s in spans),
                   *(a for a, _ in query_hits), *(b for _, b in query_hits)})
    out: list[str] = []
    anchored: set[str] = set()
    for a, b in zip(cuts, cuts[1:]):
        piece = escape(text[a:b])
        covering = [s for s in spans if s.start <= a and b <= s.end]
        is_query = any(qa <= a and b <= qb for qa, qb in query_hits)
        if not covering:
            out.append(f'<mark class="q">{piece}</mark>' if is_query else piece)
            continue
        fields = sorted({f for s in covering for f in s.fields})
        ids = ""
        first = next((s for s in covering if s.start == a and s.anchor not in anchored), None)
        if first is not None:
            anchored.add(first.anchor)
            ids = f' id="{escape(first.anchor)}"'
        title = escape(", ".join(label(f) for f in fields))
        data = escape(" ".join(fields))
        cls = "ev q" if is_query else "ev"
        out.append(f'<mark class="{cls}"{ids} title="{title}" data-fields="{data}">{piece}</mark>')
    return Markup("".join(out))


def query_hits(text: str, query: str) -> list[tuple[int, int]]:
    """Where the reader's search terms occur in `text`, by the storage layer's own matching rules (so the
    page marks exactly what the search matched). A query that does not parse marks nothing."""
    if not query or not text:
        return []
    try:
        from storage.normalise import fold_text
        from storage.search.query import parse_query
        from storage.search.snippets import find_hits

        parsed = parse_query(query)
        return find_hits(fold_text(text), parsed.positive_terms)
    except Exception:  # a bad query on a notice page is not an error worth showing
        return []


def context(text: str, start: int, end: int, width: int = 30) -> tuple[str, str, str]:
    """The evidence with some text either side, for the field list (plain strings; the template escapes)."""
    a, b = max(0, start - width), min(len(text), end + width)
    before, hit, after = text[a:start], text[start:end], text[end:b]
    return ("…" if a > 0 else "") + before, hit, after + ("…" if b < len(text) else "")
