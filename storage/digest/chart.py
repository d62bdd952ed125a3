"""The digest's chart: new cases per week by compute kind, as PNG and SVG.

Byte-identical rebuilds need three things matplotlib does not give by default: no creation date or
version string in the files' metadata, a fixed `svg.hashsalt` (SVG clip-path and glyph ids are otherwise
salted with a fresh UUID on every run), and no global pyplot state (a Figure on the Agg/SVG canvases only).
The text is ASCII so the bundled DejaVu Sans renders it on any machine, without a CJK font.
"""

from __future__ import annotations

import io
from typing import Sequence

import matplotlib

matplotlib.use("Agg")  # no display, and the same renderer everywhere

from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.backends.backend_svg import FigureCanvasSVG  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from extract.compute.vocabulary import KINDS, terms  # noqa: E402
from storage.digest.data import WeekCount  # noqa: E402

KIND_COLOURS = {k.id: k.colour for k in terms("kind").values()}  # extract/compute/data/kinds.toml

RC = {
    "svg.hashsalt": "tenderwatch-digest",
    "svg.fonttype": "path",  # glyphs as paths: the SVG looks the same without the font installed
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "path.simplify": True,
}
PNG_METADATA = {"Software": None}  # drop "Matplotlib version …"
SVG_METADATA = {"Date": None, "Creator": None, "Format": None, "Type": None}
DPI = 100


def _figure(history: Sequence[WeekCount], title: str) -> Figure:
    fig = Figure(figsize=(8, 3.2), dpi=DPI)
    ax = fig.add_subplot()
    xs = range(len(history))
    # A wide light bar for all cases of the week, the kinds as narrow bars in front of it.
    ax.bar(xs, [w.cases for w in history], width=0.86, color="#e2e8f0", label="all cases", linewidth=0)
    n = len(KINDS)
    width = 0.76 / n
    for i, kind in enumerate(KINDS):
        ax.bar([x - 0.38 + width * (i + 0.5) for x in xs], [w.by_kind.get(kind, 0) for w in history], width=width,
               color=KIND_COLOURS[kind], label=terms("kind")[kind].label, linewidth=0)
    # "W47" under each bar; the year under the first week and wherever it changes.
    labels = []
    for i, w in enumerate(history):
        year_changed = i == 0 or w.week.year != history[i - 1].week.year
        labels.append(f"W{w.week.week:02d}" + (f"\n{w.week.year}" if year_changed else ""))
    ax.set_xticks(list(xs), labels)
    ax.tick_params(axis="x", length=0)
    top = max([w.cases for w in history] + [1])
    ax.set_ylim(0, top * 1.12 + 0.3)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_ylabel("new cases")
    ax.set_title(title, loc="left", fontsize=10)
    ax.grid(axis="y", color="#edf2f7", linewidth=0.6)
    ax.set_axisbelow(True)
    ax.legend(loc="upper left", ncols=5, frameon=False, fontsize=8, bbox_to_anchor=(0, -0.2))
    fig.text(0.99, 0.02, "a case counts under each kind it seeks", ha="right", va="bottom", fontsize=7,
             color="#4a5568")
    fig.subplots_adjust(left=0.07, right=0.99, top=0.9, bottom=0.3)
    return fig


def render_chart(history: Sequence[WeekCount], title: str) -> tuple[bytes, bytes]:
    """(PNG bytes, SVG bytes) of the chart; the same history gives the same bytes."""
    with matplotlib.rc_context(RC):
        fig = _figure(history, title)
        png, svg = io.BytesIO(), io.BytesIO()
        FigureCanvasAgg(fig).print_png(png, metadata=PNG_METADATA)
        FigureCanvasSVG(fig).print_svg(svg, metadata=SVG_METADATA)
    return png.getvalue(), svg.getvalue()
