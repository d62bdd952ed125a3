"""Server-rendered SVG: the overview's cases-by-month chart and the case network, drawn without JavaScript.

Both are plain strings of SVG built here, every piece of text passed through `escape` (organisation names are
scraped text); colours and sizes are presentation attributes, not inline styles, so the site's CSP
(style-src 'self') holds. The same data gives the same bytes: no random ids, a deterministic layout.

The network is drawn in layered columns — buyers | vendors | providers and chips — each column ordered by
a few barycentre sweeps (a node moves towards the middle of its neighbours), which keeps crossings few
and the drawing readable at 50+ nodes; larger graphs keep the most connected nodes per column and say how
many were left out (the JSON, GraphML and CSV carry all of them).
"""

from __future__ import annotations

import math
from typing import Any, Callable, Sequence

from markupsafe import Markup, escape

from extract.compute import vocabulary
from web import labels

FONT = '"Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "Microsoft YaHei", sans-serif'
INK, MUTED, LINE = "#1a1d23", "#6b7280", "#e3e6eb"
NO_KIND = "#9aa3af"


def _attrs(**kw: Any) -> str:
    return " ".join(f'{k.rstrip("_").replace("_", "-")}="{escape(v)}"' for k, v in kw.items() if v is not None)


def _text_width(text: str, size: float) -> float:
    """Rough rendered width: CJK and full-width characters one em, others about half."""
    return sum(size if ord(c) > 0x2E7F else size * 0.56 for c in text)


def _fit(text: str, size: float, width: float) -> str:
    if _text_width(text, size) <= width:
        return text
    out = ""
    for c in text:
        if _text_width(out + c + "…", size) > width:
            break
        out += c
    return out + "…"


def _nice_step(top: int, ticks: int = 4) -> int:
    raw = max(1, top) / ticks
    mag = 10 ** int(math.floor(math.log10(raw)))
    return max(1, int(next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)))


# ------------------------------------------------------------------------------------------ cases by month
def month_chart(months: Sequence[dict[str, Any]], *, width: int = 960, height: int = 260) -> Markup:
    """Stacked bars of cases by compute kind per month, with a tick at each month's number of cases (a case
    seeking two kinds counts in both, so the kinds can stand taller than the tick)."""
    if not months:
        return Markup("")
    kinds = vocabulary.in_order("kind", {k for m in months for k in m["kinds"]})
    colours = {k: (vocabulary.terms("kind")[k].colour if k in vocabulary.terms("kind") else NO_KIND) for k in kinds}
    left, right, top_pad, bottom = 40, 10, 28, 46
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    top = max(max(m["cases"], sum(m["kinds"].values())) for m in months)
    step = _nice_step(top)
    y_max = max(step, math.ceil(top / step) * step)
    slot = plot_w / len(months)
    bar = max(2.0, min(28.0, slot * 0.72))

    def y(v: float) -> float:
        return top_pad + plot_h - plot_h * v / y_max

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" {_attrs(viewBox=f"0 0 {width} {height}", role="img", class_="month-chart", font_family=FONT, font_size=11)}>',
             '<title>Cases by month and compute kind</title>']
    for v in range(0, y_max + 1, step):
        parts.append(f'<line {_attrs(x1=left, x2=width - right, y1=f"{y(v):.1f}", y2=f"{y(v):.1f}", stroke=LINE)}/>')
        parts.append(f'<text {_attrs(x=left - 6, y=f"{y(v) + 4:.1f}", text_anchor="end", fill=MUTED)}>{v}</text>')
    # Month labels: every month, or every quarter, or every January, as the width allows; the year in full
    # at each January and at the first label.
    every = 1 if len(months) <= 18 else 3 if len(months) <= 48 else 12
    first_label = next((i for i, m in enumerate(months) if (int(m["month"][5:]) - 1) % every == 0), 0)
    for i, m in enumerate(months):
        x = left + slot * i + (slot - bar) / 2
        base = 0
        label = f'{m["month"]}: {m["cases"]} case{"s" if m["cases"] != 1 else ""}'
        detail = ", ".join(f'{labels.value_label("kind", k)} {m["kinds"][k]}' for k in kinds if m["kinds"].get(k))
        parts.append(f'<g><title>{escape(label + (" — " + detail if detail else ""))}</title>')
        for k in kinds:
            n = m["kinds"].get(k, 0)
            if n:
                parts.append(f'<rect {_attrs(x=f"{x:.1f}", y=f"{y(base + n):.1f}", width=f"{bar:.1f}", height=f"{y(base) - y(base + n):.1f}", fill=colours[k])}/>')
                base += n
        if m["cases"]:
            tick = f"{y(m['cases']):.1f}"
            parts.append(f'<line {_attrs(x1=f"{x - 2:.1f}", x2=f"{x + bar + 2:.1f}", y1=tick, y2=tick, stroke=INK, stroke_width=2)}/>')
        parts.append("</g>")
        month = int(m["month"][5:])
        to_next = (every - (month - 1) % every) % every
        if to_next == 0 or (i == 0 and to_next >= 3):  # the first month too, when the next label is far enough
            text = m["month"][:4] if every == 12 else m["month"] if i <= first_label or month == 1 else m["month"][5:]
            parts.append(f'<text {_attrs(x=f"{x + bar / 2:.1f}", y=height - bottom + 16, text_anchor="middle", fill=MUTED)}>{escape(text)}</text>')
    # Legend: the kinds, then the tick.
    lx = left
    for k in kinds:
        name = labels.value_label("kind", k)
        parts.append(f'<rect {_attrs(x=lx, y=8, width=10, height=10, fill=colours[k])}/>')
        parts.append(f'<text {_attrs(x=lx + 14, y=17, fill=INK)}>{escape(name)}</text>')
        lx += 24 + _text_width(name, 11)
    parts.append(f'<line {_attrs(x1=lx, x2=lx + 12, y1=13, y2=13, stroke=INK, stroke_width=2)}/>')
    parts.append(f'<text {_attrs(x=lx + 16, y=17, fill=INK)}>cases (a case counts under each kind it seeks)</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


# ------------------------------------------------------------------------------------------ the network
COLUMNS = (("buyer", "Buyers"), ("vendor", "Vendors · resellers"), ("thing", "Providers · chips"))
ROW, NODE_H, COL_W, GAP = 26, 20, 270, 140
MAX_PER_COLUMN = 60
RESELLER, RESELLER_INK = "#fdebd3", "#9a3412"
NODE_FILL = {"buyer": "#eaf2fd", "vendor": "#f1f3f6", "provider": "#e8f6f8", "chip": "#f2ecfd"}
US = "#b42318"


def node_label(node: dict[str, Any]) -> str:
    """What a node is called: the organisation's name, or the vocabulary's label of a provider or chip."""
    if node["org_id"] is not None:
        return node["name"] or f"#{node['org_id']}"
    return labels.value_label(node["type"], node["value"])


def node_href(node: dict[str, Any]) -> str:
    if node["org_id"] is not None:
        return f"/orgs/{node['org_id']}"
    return f"/search?{node['type']}={node['value']}"


def _column(node: dict[str, Any]) -> str:
    return node["type"] if node["type"] in ("buyer", "vendor") else "thing"


def layout(graph: dict[str, Any], *, max_per_column: int = MAX_PER_COLUMN) -> dict[str, Any]:
    """Columns of node ids in drawing order, the edges kept, and how many nodes each column left out."""
    nodes = {n["id"]: n for n in graph["nodes"]}
    weight = {nid: (n["procurements"], n["notices"]) for nid, n in nodes.items()}
    cols: dict[str, list[str]] = {c: [] for c, _ in COLUMNS}
    for n in graph["nodes"]:  # already most procurements first
        cols[_column(n)].append(n["id"])
    focus = graph.get("focus")
    near = {focus} | {e["source"] for e in graph["edges"] if e["target"] == focus} | {
        e["target"] for e in graph["edges"] if e["source"] == focus} if focus else set()
    hidden: dict[str, int] = {}
    for c, ids in cols.items():
        if len(ids) > max_per_column:
            keep = [i for i in ids if i in near][:max_per_column]
            keep += [i for i in ids if i not in keep][: max_per_column - len(keep)]
            hidden[c] = len(ids) - len(keep)
            cols[c] = [i for i in ids if i in set(keep)]
    shown = {i for ids in cols.values() for i in ids}
    edges = [e for e in graph["edges"] if e["source"] in shown and e["target"] in shown]
    neighbours: dict[str, list[tuple[str, int]]] = {i: [] for i in shown}
    for e in edges:
        neighbours[e["source"]].append((e["target"], e["procurements"]))
        neighbours[e["target"]].append((e["source"], e["procurements"]))
    order = [c for c, _ in COLUMNS]
    pos = {i: float(k) for ids in cols.values() for k, i in enumerate(ids)}
    # Barycentre sweeps, left to right then back: each node towards the weighted middle of its neighbours
    # in the columns already placed; ties by weight, then id, so the layout is the same on every run.
    for sweep in range(6):
        seq = order[1:] if sweep % 2 == 0 else order[-2::-1]
        for c in seq:
            def centre(i: str) -> float:
                ws = [(pos[j], w) for j, w in neighbours[i] if _column(nodes[j]) != c]
                return sum(p * w for p, w in ws) / sum(w for _, w in ws) if ws else pos[i]

            cols[c].sort(key=lambda i: (centre(i), -weight[i][0], -weight[i][1], i))
            for k, i in enumerate(cols[c]):
                pos[i] = float(k)
    # Rows: the longest column fills its rows; a shorter one sits beside its neighbours (each node at the
    # middle of theirs, pushed apart to a row each), so few providers do not huddle at the top.
    rows = max(len(ids) for ids in cols.values())
    longest = max(order, key=lambda c: (len(cols[c]), -order.index(c)))
    for _ in range(2):
        for c in order:
            if c == longest or not cols[c]:
                continue
            wanted = []
            for i in cols[c]:
                ws = [(pos[j], w) for j, w in neighbours[i] if _column(nodes[j]) != c]
                wanted.append(sum(p * w for p, w in ws) / sum(w for _, w in ws) if ws else pos[i])
            placed: list[float] = []
            for want in wanted:
                placed.append(max(want, placed[-1] + 1) if placed else max(0.0, want))
            for k in range(len(placed) - 1, -1, -1):  # back inside the drawing from the bottom
                limit = rows - 1 if k == len(placed) - 1 else placed[k + 1] - 1
                placed[k] = min(placed[k], limit)
            for i, p in zip(cols[c], placed):
                pos[i] = p
    return {"columns": cols, "edges": edges, "hidden": hidden, "rows": {i: pos[i] for i in shown}}


def network_svg(graph: dict[str, Any], *, max_per_column: int = MAX_PER_COLUMN,
                href: Callable[[dict[str, Any]], str] = node_href) -> Markup:
    """The network in columns; organisation nodes link to their pages, providers and chips to the search.
    A reseller (a vendor serving several buyers) is filled orange and says how many buyers it serves."""
    if not graph["nodes"]:
        return Markup("")
    nodes = {n["id"]: n for n in graph["nodes"]}
    lay = layout(graph, max_per_column=max_per_column)
    present = [(c, title) for c, title in COLUMNS if lay["columns"][c]]
    x_of = {c: 10 + k * (COL_W + GAP) for k, (c, _) in enumerate(present)}
    rows = max(len(lay["columns"][c]) + (1 if lay["hidden"].get(c) else 0) for c, _ in present)
    top = 40
    width = 20 + len(present) * COL_W + (len(present) - 1) * GAP
    height = top + rows * ROW + 10
    y_of = {i: top + lay["rows"][i] * ROW for c, _ in present for i in lay["columns"][c]}
    top_weight = max([e["procurements"] for e in lay["edges"]] or [1])

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" {_attrs(viewBox=f"0 0 {width} {height}", width=width, height=height, role="img", class_="network", font_family=FONT, font_size=12)}>',
             "<title>Who deals with whom: buyers, the vendors they bought from, and the providers and chips named</title>"]
    for c, title in present:
        parts.append(f'<text {_attrs(x=x_of[c], y=18, fill=MUTED, font_weight="bold")}>{escape(title)}</text>')
    # Edges under the nodes: from the right side of the source to the left side of the target.
    for e in sorted(lay["edges"], key=lambda e: (e["procurements"], e["source"], e["target"])):
        s, t = nodes[e["source"]], nodes[e["target"]]
        x1 = x_of[_column(s)] + COL_W
        x2 = x_of[_column(t)]
        y1, y2 = y_of[s["id"]] + NODE_H / 2, y_of[t["id"]] + NODE_H / 2
        bend = (x2 - x1) * 0.45
        stroke = US if t["type"] == "provider" and t["value"] in labels.US_PROVIDERS else "#5b7fa8"
        direct = _column(s) == "buyer" and _column(t) == "thing"
        w = 1.2 + 5 * math.sqrt(e["procurements"] / top_weight)
        tip = (f'{node_label(s)} → {node_label(t)}: {e["procurements"]} procurement{"s" if e["procurements"] != 1 else ""}, '
               f'{e["notices"]} notice{"s" if e["notices"] != 1 else ""}'
               + (f', {labels.money(e["value_cny"])}' if e["value_cny"] else "")
               + (" (no vendor named yet)" if direct else ""))
        parts.append(
            f'<path {_attrs(d=f"M{x1},{y1:.1f} C{x1 + bend:.1f},{y1:.1f} {x2 - bend:.1f},{y2:.1f} {x2},{y2:.1f}", fill="none", stroke=stroke, stroke_opacity="0.45", stroke_width=f"{w:.1f}", stroke_dasharray="5 4" if direct else None, class_="edge")}>'
            f"<title>{escape(tip)}</title></path>")
    for c, _ in present:
        for i in lay["columns"][c]:
            n = nodes[i]
            parts.append(_node(n, x_of[c], y_of[i], href(n)))
        if lay["hidden"].get(c):
            more = lay["hidden"][c]
            y = top + (max(lay["rows"][i] for i in lay["columns"][c]) + 1) * ROW + 14
            parts.append(f'<text {_attrs(x=x_of[c] + 6, y=y, fill=MUTED)}>{escape(f"+ {more} more (in the JSON, GraphML, CSV)")}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _node(n: dict[str, Any], x: float, y: float, link: str) -> str:
    name = node_label(n)
    reseller = n.get("reseller")
    fill = RESELLER if reseller else NODE_FILL.get(n["type"], "#f1f3f6")
    us = n["type"] == "provider" and n["value"] in labels.US_PROVIDERS
    stroke = INK if n.get("focus") else US if us else RESELLER_INK if reseller else "#c5ccd6"
    badge = f' · {n["buyers_served"]} buyers' if reseller else ""
    count = f'{n["procurements"]}'
    text_w = COL_W - 16 - _text_width(count + badge, 11) - 8
    tip = (f'{name} — {n["procurements"]} procurement{"s" if n["procurements"] != 1 else ""}, '
           f'{n["notices"]} notice{"s" if n["notices"] != 1 else ""}'
           + (f', {labels.money(n["value_cny"])}' if n["value_cny"] else "")
           + (f'; vendor to {n["buyers_served"]} buyers' if reseller else ""))
    return (
        f'<a {_attrs(href=link, class_="node " + n["type"] + (" reseller" if reseller else "") + (" focus" if n.get("focus") else ""))}>'
        f"<title>{escape(tip)}</title>"
        f'<rect {_attrs(x=x, y=y, width=COL_W, height=NODE_H, rx=4, fill=fill, stroke=stroke, stroke_width=2 if n.get("focus") or reseller else 1)}/>'
        f'<text {_attrs(x=x + 7, y=y + 14.5, fill=RESELLER_INK if reseller else INK, font_weight="bold" if reseller or n.get("focus") else None)}>{escape(_fit(name, 12, text_w))}</text>'
        f'<text {_attrs(x=x + COL_W - 6, y=y + 14.5, text_anchor="end", fill=RESELLER_INK if reseller else MUTED, font_size=11)}>{escape(count + badge)}</text>'
        "</a>"
    )
