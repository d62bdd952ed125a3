"""A Digest as files: Markdown, self-contained HTML (for e-mail), CSV, JSON, Atom, and the chart.

Nothing here reads the clock: every date in the output comes from the data or the week, so rebuilding a
past week rewrites the same bytes.
"""

from __future__ import annotations

import io
import json
import os
import re
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path
from typing import Any, Optional, Sequence
from urllib.parse import quote

import jinja2

from extract.compute import vocabulary
from extract.fields.dates import CHINA
from storage.digest.chart import KIND_COLOURS, render_chart
from storage.digest.data import NO_PROVIDER, Case, Digest, Event
from storage.exports.records import NoticeRecord
from storage.search.vocab import candidate_reason_text
from storage.exports.tabular import CSV_ENCODING, local_stamp, utc_stamp, write_csv
from storage.screening import hit_summary

ATOM_NS = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# Tag URIs (RFC 4151) name entries independently of where the digest is served. The date is fixed: changing it
# would change every id. Publishers who own a domain set TENDERWATCH_FEED_AUTHORITY to it.
DEFAULT_FEED_AUTHORITY = "tenderwatch.invalid"
TAG_DATE = "2026"
FEED_WEEKS = 4  # weeks of entries in each week's Atom file
# Gmail clips messages over 102 kB, so a busy week's HTML shows the first cases in full, the next ones on one
# line each, and leaves the rest to the CSV and JSON (the Markdown has everything).
HTML_FULL_CARDS = 15
HTML_LISTED_NEW = 60
HTML_LISTED_CHANGES = 30
HTML_GROUP_ROWS = 15  # rows per "By provider/chip/buyer" table
HTML_LISTED_TO_CHECK = 20  # possible cases shown in the HTML (all in the Markdown and JSON)
TO_CHECK_NOTE = ("Notices whose compute evidence fell short of a case, with the reasons: to check by hand. "
                 "They are not counted among the cases.")

CASE_COLUMNS = (
    "case", "case_id", "change", "title", "buyer", "agency", "region", "project_code", "status", "published_at",
    "first_seen", "budget", "budget_currency", "award", "award_currency", "suppliers", "compute_kinds", "cloud_providers", "gpu_models", "flags",
    "evidence", "source", "url", "tenderwatch_url", "screening",
)


def file_names(week: str, by: str = "first_seen") -> dict[str, str]:
    """The week's files; a digest by publication week is a different digest, so its files have their own names."""
    stem = f"digest-{week}" + ("" if by == "first_seen" else f"-{by}")
    names = {fmt: f"{stem}.{fmt}" for fmt in ("md", "html", "csv", "json", "atom")}
    names.update(png=f"{stem}-chart.png", svg=f"{stem}-chart.svg")
    return names


def money_text(money: Optional[tuple[float, str]]) -> str:
    """(198600.0, "CNY") → "CNY 198,600"; an amount stated in another currency keeps it ("HKD 1,200,000")."""
    if money is None:
        return ""
    value, currency = money
    return f"{currency} {value:,.0f}" if float(value).is_integer() else f"{currency} {value:,.2f}"


def kind_label(kind: str) -> str:
    return vocabulary.label("kind", kind)


def labels(facet: str, values: Sequence[str]) -> str:
    """Ids as readers see them (the site's labels): "aws, nvidia-a100" → "AWS 亚马逊云科技", "NVIDIA A100"."""
    return ", ".join(vocabulary.label(facet, v) for v in values)


def clock_words(d: Digest) -> str:
    return "published" if d.by == "published" else "first seen"


def counts_text(counts: dict[str, int], label=lambda k: k) -> str:
    return ", ".join(f"{label(k)} {v}" for k, v in counts.items() if v)


def plural(n: int, one: str, many: Optional[str] = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def date_range(d: Digest) -> str:
    mon, sun = d.week.monday, d.week.sunday
    start = f"{mon.day} {mon:%B}" if mon.year == sun.year and mon.month != sun.month else (
        f"{mon.day}" if mon.month == sun.month else f"{mon.day} {mon:%B %Y}")
    return f"Monday {start} – Sunday {sun.day} {sun:%B %Y}" + (" (UTC)" if d.by == "first_seen" else "")


def comparison(d: Digest) -> str:
    """One sentence comparing this week's new cases with the weeks before."""
    now = d.this_week.cases
    prev = d.previous
    if not prev:
        return ""
    last = prev[-1]
    return (f"{plural(now, 'new case')} this week, against {last.cases} in {last.week} "
            f"and an average of {d.previous_average:.1f} a week over the previous {len(prev)} weeks.")


def summary(d: Digest) -> str:
    new = plural(len(d.new_cases), "new case")
    if d.new_cases:
        new += f" ({counts_text(d.kind_totals, kind_label)})"
    changes = plural(len(d.changes), "earlier case") + " changed"
    if d.changes:
        changes += f" ({counts_text(d.event_totals)})"
    return f"{new} · {changes}"


def notice_label(n) -> str:
    term = vocabulary.terms("notice_type").get(n.notice_type or "")
    return term.noun if term else "notice"


def event_detail(e: Event) -> str:
    """What an event changed, beyond its kind and date: the new content, or the winner and amount."""
    if e.kind == "revised":
        return f"the {notice_label(e.notice)} was re-published with new content"
    extra = []
    if e.kind in ("awarded", "contract signed"):
        if e.notice.vendor_names:
            extra.append("supplier " + "、".join(e.notice.vendor_names))
        if e.notice.money("award") is not None:
            extra.append(money_text(e.notice.money("award")))
    return ", ".join(extra)


def event_line(e: Event) -> str:
    head, detail = f"{e.kind} {e.at.date().isoformat()}", event_detail(e)
    return f"{head}: {detail}" if detail else head


def case_facts(c: Case) -> list[tuple[str, str]]:
    """(label, value) pairs of a case's key fields, empty ones left out; the same in every format."""
    facts = [
        ("Buyer", c.buyer or ""),
        ("Agency", c.agency or ""),
        ("Region", c.region or ""),
        ("Project code", c.project_code or ""),
        ("Published", (local_stamp(c.published_at) or "").replace("T", " ")),
        ("Status", c.status),
        ("Budget", money_text(c.budget)),
        ("Awarded", money_text(c.award)),
        ("Supplier", "、".join(c.suppliers)),
        ("Compute", labels("kind", c.kinds)),
        ("Providers", labels("provider", c.providers)),
        ("Chips", labels("chip", c.chips)),
        ("Flags", labels("flag", c.flags)),
        ("Review", "confirmed ✓" if c.confirmed else ""),
        # a party may be on a screening list: candidates for a person to confirm, with the list's name, date, source
        ("Screening", " · ".join(hit_summary(h) for h in c.screening)),
    ]
    return [(k, v) for k, v in facts if v]


def notice_page(public_url: Optional[str], n: NoticeRecord) -> Optional[str]:
    """The notice's page on the tenderwatch site (`tenderwatch serve`) at its public URL."""
    return f"{public_url.rstrip('/')}/notices/{n.id}" if public_url else None


# --- JSON and CSV ------------------------------------------------------------------------------------------


def case_json(c: Case, public_url: Optional[str] = None) -> dict[str, Any]:
    budget, award = c.budget or (None, None), c.award or (None, None)
    return {
        "case": c.label, "case_id": c.key, "title": c.title, "buyer": c.buyer, "agency": c.agency,
        "region": c.region, "project_code": c.project_code, "status": c.status,
        "published_at": local_stamp(c.published_at), "first_seen": utc_stamp(c.first_seen),
        "budget": budget[0], "budget_currency": budget[1], "award": award[0], "award_currency": award[1],
        "suppliers": c.suppliers, "compute_kinds": c.kinds,
        "cloud_providers": c.providers, "gpu_models": c.chips, "flags": c.flags, "evidence": c.evidence,
        "screening": c.screening, "source": c.lead.source, "url": c.lead.url, "tenderwatch_url": notice_page(public_url, c.lead),
        "notices": [
            {"notice_id": n.id, "notice_type": n.notice_type, "title": n.title, "url": n.url, "source": n.source,
             "tenderwatch_url": notice_page(public_url, n),
             "published_at": local_stamp(n.published_at), "first_seen": utc_stamp(n.first_seen),
             "also_at": [link["url"] for link in n.links]}
            for n in c.notices
        ],
    }


def candidate_facts(r: NoticeRecord) -> list[tuple[str, str]]:
    """(label, value) pairs of a possible case, empty ones left out; the same in every format."""
    facts = [
        ("Buyer", r.buyer or ""),
        ("Region", r.region or ""),
        ("Published", (local_stamp(r.published_at) or "").replace("T", " ")),
        ("Score", f"{r.candidate_score:.2f}" if r.candidate_score is not None else ""),
    ]
    facts += [("Short of a case", candidate_reason_text(reason)) for reason in r.candidate_reasons]
    return [(k, v) for k, v in facts if v]


def candidate_json(d: Digest, r: NoticeRecord, public_url: Optional[str] = None) -> dict[str, Any]:
    return {
        "label": d.candidate_label(r), "notice_id": r.id, "title": r.title, "buyer": r.buyer, "region": r.region,
        "notice_type": r.notice_type, "published_at": local_stamp(r.published_at), "first_seen": utc_stamp(r.first_seen),
        "candidate_score": r.candidate_score, "candidate_reasons": r.candidate_reasons,
        "candidate_reason_texts": [candidate_reason_text(code) for code in r.candidate_reasons],
        "evidence": r.evidence_sentence(), "source": r.source, "url": r.url,
        "tenderwatch_url": notice_page(public_url, r),
    }


def moment_stamp(d: Digest, at: datetime) -> str:
    """An event's time by the digest's clock, RFC 3339: a first-seen time in UTC ("Z"), a publication time in
    China local time (+08:00), as the notice states it."""
    return utc_stamp(at) if d.by == "first_seen" else at.replace(microsecond=0, tzinfo=CHINA).isoformat()


def digest_json(d: Digest, public_url: Optional[str] = None) -> dict[str, Any]:
    return {
        "week": str(d.week),
        "by": d.by,
        "start": d.week.monday.isoformat(),
        "end": d.week.sunday.isoformat(),
        "timezone": d.zone,
        "totals": {
            "new_cases": len(d.new_cases),
            "changed_cases": len(d.changes),
            "new_cases_by_kind": d.kind_totals,
            "changes_by_event": d.event_totals,
            "previous_weeks": [{"week": str(w.week), "cases": w.cases} for w in d.previous],
            "previous_average": round(d.previous_average, 2),
            "possible_cases": len(d.to_check),
        },
        "history": [{"week": str(w.week), "cases": w.cases, "by_kind": w.by_kind} for w in d.history],
        "new_cases": [case_json(c, public_url) for c in d.new_cases],
        "changes": [
            {"case": case_json(ch.case, public_url), "events": [
                {"event": e.kind, "at": moment_stamp(d, e.at), "notice_id": e.notice.id,
                 "notice_type": e.notice.notice_type, "title": e.notice.title, "url": e.notice.url}
                for e in ch.events]}
            for ch in d.changes
        ],
        # Possible cases, apart from the cases: never counted in the totals, groups or history above.
        "to_check": [candidate_json(d, r, public_url) for r in d.to_check],
        "groups": {
            facet: [{"value": g.value, "new": [c.label for c in g.new], "changed": [c.label for c in g.changed]}
                    for g in d.groups(facet)]
            for facet in ("provider", "chip", "buyer")
        },
    }


def render_json(d: Digest, public_url: Optional[str] = None) -> str:
    return json.dumps(digest_json(d, public_url), ensure_ascii=False, indent=2) + "\n"


def render_csv(d: Digest, public_url: Optional[str] = None) -> bytes:
    def row(c: Case, change: str) -> dict[str, Any]:
        j = case_json(c, public_url)
        return {**j, "change": change, "suppliers": c.suppliers, "compute_kinds": c.kinds,
                "cloud_providers": c.providers, "gpu_models": c.chips, "flags": c.flags,
                "screening": [hit_summary(h) for h in c.screening]}

    rows = [row(c, "new") for c in d.new_cases]
    rows += [row(ch.case, "; ".join(dict.fromkeys(e.kind for e in ch.events))) for ch in d.changes]
    buf = io.StringIO(newline="")
    write_csv(rows, CASE_COLUMNS, buf)
    return buf.getvalue().encode(CSV_ENCODING)


# --- Markdown ----------------------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")


def md(text: Any) -> str:
    """Inline Markdown-safe text (titles can hold * _ [ ] | …)."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def render_markdown(d: Digest, public_url: Optional[str] = None) -> str:
    names = file_names(str(d.week), d.by)
    out = [f"# tenderwatch weekly digest — {d.week}" + (" by publication date" if d.by == "published" else ""), "",
           f"Remote-compute procurement cases {clock_words(d)} {date_range(d)}.", ""]
    if d.is_empty:
        out += [f"No new remote-compute case was {clock_words(d)} in {d.week}, and no earlier case changed.", ""]
        if comparison(d):
            out += [comparison(d), ""]
        return "\n".join(out + markdown_to_check(d, public_url))

    out += [f"**{summary(d)}**", "", comparison(d), "",
            f"![New cases per week by compute kind]({names['png']})", ""]

    def case_block(c: Case, events: Sequence[Event] = ()) -> list[str]:
        lines = [f"#### {c.label} · {md(c.title)}", ""]
        lines += [f"- {md(e_line)}" for e_line in (event_line(e) for e in events)]
        lines += [f"- {k}: {md(v)}" for k, v in case_facts(c)]
        if c.evidence:
            lines += ["", f"> {md(c.evidence)}"]
        lines += ["", "Source: " + " · ".join(f"[{md(label)}]({url})" for label, url in case_links(c, public_url)), ""]
        return lines

    if d.new_cases:
        out += ["## New cases", ""]
        for group, cases in d.provider_groups:
            out += [f"### {md(provider_group_label(cases))} ({len(cases)})", ""]
            for c in cases:
                out += case_block(c)
    if d.changes:
        out += ["## Changes to earlier cases", ""]
        for ch in d.changes:
            out += case_block(ch.case, ch.events)
    out += markdown_to_check(d, public_url)

    for facet, title in (("provider", "By provider"), ("chip", "By chip"), ("buyer", "By buyer")):
        groups = d.groups(facet)
        if not groups:
            continue
        out += [f"## {title}", "", f"| {facet} | new | changed | cases |", "|---|---:|---:|---|"]
        out += [f"| {md(group_label(g))} | {len(g.new)} | {len(g.changed)} | {', '.join(c.label for c in g.new + g.changed)} |"
                for g in groups]
        out.append("")

    out += [f"## The last {len(d.history)} weeks", "",
            "| week | new cases | " + " | ".join(kind_label(k) for k in vocabulary.KINDS) + " |",
            "|---|---:|" + "---:|" * len(vocabulary.KINDS)]
    out += [f"| {w.week} | {w.cases} | " + " | ".join(str(w.by_kind.get(k, 0)) for k in vocabulary.KINDS) + " |"
            for w in d.history]
    out += ["", "A case counts under each compute kind it seeks.", ""]
    return "\n".join(out)


def markdown_to_check(d: Digest, public_url: Optional[str] = None) -> list[str]:
    """The "to check" section: possible cases, apart from the cases (nothing when there are none)."""
    if not d.to_check:
        return []
    out = [f"## To check: possible cases ({len(d.to_check)})", "", TO_CHECK_NOTE, ""]
    for r in d.to_check:
        out += [f"#### {d.candidate_label(r)} · {md(r.title)}", ""]
        out += [f"- {k}: {md(v)}" for k, v in candidate_facts(r)]
        if sentence := r.evidence_sentence():
            out += ["", f"> {md(sentence)}"]
        out += ["", "Source: " + " · ".join(f"[{md(label)}]({url})" for label, url in notice_links(r, public_url)), ""]
    return out


def notice_links(n: NoticeRecord, public_url: Optional[str] = None) -> list[tuple[str, str]]:
    """(label, url) of a notice at its source, on the tenderwatch site, and where else it was published."""
    links = [(f"{notice_label(n)} ({n.source})", n.url)]
    if page := notice_page(public_url, n):
        links.append(("on tenderwatch", page))
    return links + [(f"also at {link['source']}", link["url"]) for link in n.links]


def case_links(c: Case, public_url: Optional[str] = None) -> list[tuple[str, str]]:
    """(label, url) of every notice of the case: its source, its tenderwatch page, its republications."""
    return [link for n in c.notices for link in notice_links(n, public_url)]


def group_label(g) -> str:
    """A "By provider/chip/buyer" row: providers and chips by their labels, buyers by name."""
    return vocabulary.label(g.facet, g.value) if g.facet in ("provider", "chip") else g.value


def provider_group_label(cases: Sequence[Case]) -> str:
    """The heading of a group of new cases naming the same providers, by the providers' labels."""
    return labels("provider", cases[0].providers) or NO_PROVIDER


# --- HTML --------------------------------------------------------------------------------------------------

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent),
    autoescape=True, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
    undefined=jinja2.StrictUndefined,
)
_env.filters["kind_label"] = kind_label


def html_listing(d: Digest) -> tuple[set[str], set[str]]:
    """(labels shown as full cards, labels shown at all) in the HTML."""
    order = d.new_cases + [ch.case for ch in d.changes]
    full = {c.label for c in order[:HTML_FULL_CARDS]}
    listed = {c.label for c in d.new_cases[:HTML_LISTED_NEW]}
    listed |= {ch.case.label for ch in d.changes[:HTML_LISTED_CHANGES]}
    return full & listed, listed


def render_html(d: Digest, public_url: Optional[str] = None) -> str:
    full, listed = html_listing(d)
    top = max([w.cases for w in d.history] + [1])
    bars = [{"week": str(w.week), "cases": w.cases, "width": round(100 * w.cases / top),
             "current": w.week == d.week} for w in d.history]
    return _env.get_template("digest.html").render(
        d=d, summary=summary(d), comparison=comparison(d), date_range=date_range(d), bars=bars,
        case_facts=case_facts, case_links=lambda c: case_links(c, public_url), event_detail=event_detail,
        kind_label=kind_label, label=vocabulary.label, provider_group_label=provider_group_label,
        group_label=group_label, notice_links=lambda r: notice_links(r, public_url), clock_words=clock_words(d),
        kinds=vocabulary.KINDS, colours=KIND_COLOURS, files=file_names(str(d.week), d.by), full=full, listed=listed,
        unlisted_new=sum(c.label not in listed for c in d.new_cases),
        unlisted_changes=sum(ch.case.label not in listed for ch in d.changes), group_rows=HTML_GROUP_ROWS,
        to_check=d.to_check[:HTML_LISTED_TO_CHECK], unlisted_to_check=max(0, len(d.to_check) - HTML_LISTED_TO_CHECK),
        to_check_note=TO_CHECK_NOTE, candidate_facts=candidate_facts, notice_label=notice_label,
        groups=[(title, d.groups(facet), facet) for facet, title in
                (("provider", "By provider"), ("chip", "By chip"), ("buyer", "By buyer"))],
    )


# --- Atom --------------------------------------------------------------------------------------------------


def feed_authority() -> str:
    return os.environ.get("TENDERWATCH_FEED_AUTHORITY") or DEFAULT_FEED_AUTHORITY


def tag_uri(*parts: str) -> str:
    return f"tag:{feed_authority()},{TAG_DATE}:" + ":".join(quote(p, safe="-._~") for p in parts)


def entry_id(case: Case, event: Optional[Event] = None) -> str:
    """Stable per case (its first appearance) and per change event, whichever week's feed carries it."""
    if event is None:
        return tag_uri("case", case.key)
    slug = event.kind.replace(" ", "-")
    parts = ["case", case.key, slug, str(event.notice.id)]
    if event.kind == "revised":
        parts.append(event.content_hash[:16])
    return tag_uri(*parts)


def _entry_html(case: Case, events: Sequence[Event], public_url: Optional[str]) -> str:
    return _env.get_template("entry.html").render(
        c=case, events=events, case_facts=case_facts, case_links=lambda c: case_links(c, public_url),
        event_line=event_line)


def render_atom(digests: Sequence[Digest], base_url: Optional[str] = None, public_url: Optional[str] = None) -> str:
    """The feed of the last digests (newest last in `digests`), newest entries first."""
    ET.register_namespace("", ATOM_NS)

    def sub(parent: ET.Element, tag: str, text: Optional[str] = None, **attrs: str) -> ET.Element:
        el = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", {k: v for k, v in attrs.items() if v is not None})
        if text is not None:
            el.text = text
        return el

    current = digests[-1]
    names = file_names(str(current.week), current.by)
    entries: list[tuple[datetime, str, str, ET.Element]] = []

    def entry(case: Case, event: Optional[Event], when: datetime, stamp: str) -> None:
        """`when`: naive UTC, to order the entries by; `stamp`: the entry's time as shown."""
        el = ET.Element(f"{{{ATOM_NS}}}entry")
        eid = entry_id(case, event)
        title = f"{event.kind.capitalize()}: {case.title}" if event else f"New case: {case.title}"
        sub(el, "id", eid)
        sub(el, "title", title, type="text")
        sub(el, "updated", stamp)
        sub(el, "published", stamp)
        sub(el, "link", rel="alternate", type="text/html", href=(event.notice if event else case.lead).url)
        for kind in case.kinds:
            sub(el, "category", term=kind, label=kind_label(kind), scheme=tag_uri("kind"))
        for provider in case.providers:
            sub(el, "category", term=provider, label=vocabulary.label("provider", provider), scheme=tag_uri("provider"))
        for chip in case.chips:
            sub(el, "category", term=chip, label=vocabulary.label("chip", chip), scheme=tag_uri("chip"))
        sub(el, "content", _entry_html(case, [event] if event else [], public_url), type="html")
        entries.append((when, stamp, eid, el))

    for d in digests:
        for c in d.new_cases:
            entry(c, None, c.first_seen, utc_stamp(c.first_seen))
        for ch in d.changes:
            for e in ch.events:
                entry(ch.case, e, d.utc(e.at), moment_stamp(d, e.at))
    entries.sort(key=lambda t: (t[0], t[2]), reverse=True)

    feed = ET.Element(f"{{{ATOM_NS}}}feed", {XML_LANG: "zh-CN"})
    sub(feed, "id", tag_uri("digest"))
    sub(feed, "title", "tenderwatch: remote-compute procurement cases, weekly", type="text")
    sub(feed, "subtitle", f"New cases and changes to earlier cases, {digests[0].week} to {current.week}",
        type="text")
    # The feed changed last when its newest entry did; an empty feed dates from the end of its week.
    sub(feed, "updated", entries[0][1] if entries else moment_stamp(current, current.week.end))
    author = sub(feed, "author")
    sub(author, "name", "tenderwatch")
    base = base_url.rstrip("/") + "/" if base_url else ""
    sub(feed, "link", rel="alternate", type="text/html", href=base + names["html"])
    if base:
        sub(feed, "link", rel="self", type="application/atom+xml", href=base + names["atom"])
    sub(feed, "generator", "tenderwatch")
    for *_, el in entries:
        feed.append(el)
    ET.indent(feed, space="  ")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="unicode") + "\n"


# --- all files ---------------------------------------------------------------------------------------------


def render_all(digests: Sequence[Digest], base_url: Optional[str] = None, public_url: Optional[str] = None
               ) -> dict[str, bytes]:
    """Every file of the newest digest in `digests` (the earlier ones feed the Atom file): name -> bytes.
    `base_url`: where the digest files are served (the feed's self link); `public_url`: the tenderwatch site,
    linked beside each notice's source."""
    d = digests[-1]
    names = file_names(str(d.week), d.by)
    title = "New remote-compute cases per week" + (" (by publication date)" if d.by == "published" else "")
    png, svg = render_chart(d.history, f"{title}, to {d.week}")
    return {
        names["md"]: render_markdown(d, public_url).encode("utf-8"),
        names["html"]: render_html(d, public_url).encode("utf-8"),
        names["csv"]: render_csv(d, public_url),
        names["json"]: render_json(d, public_url).encode("utf-8"),
        names["atom"]: render_atom(digests, base_url, public_url).encode("utf-8"),
        names["png"]: png,
        names["svg"]: svg,
    }


def write_files(files: dict[str, bytes], out_dir: Path) -> list[Path]:
    """Write atomically (temp file + rename): a reader never sees half a digest."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, data in files.items():
        path = out_dir / name
        tmp = path.with_name(f".{name}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        paths.append(path)
    return paths
