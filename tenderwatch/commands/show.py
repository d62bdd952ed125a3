"""`tenderwatch show ID`: one notice with everything known about it."""

import json

import click

from tenderwatch.options import database_url_option


@click.command()
@click.argument("notice_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--text/--no-text", default=False, help="Also print the body and attachment texts.")
@database_url_option
def show(notice_id, as_json, text, database_url):
    """Fields, amounts, parties, compute findings with evidence, attachments, links, versions, and the
    procurement's other notices."""
    from extract.compute import vocabulary
    from storage.exports.tabular import local_stamp
    from storage.reading import read_notice
    from storage.screening import notice_hits
    from storage.store import Store

    with Store.open(database_url, create=False) as store, store.engine.connect() as conn:
        d = read_notice(conn, notice_id)  # the read model the site shows too
        # its parties' screening-list candidates (only for a notice that exists: an id beyond the backend's
        # range would overflow the driver)
        screening = notice_hits(conn, [d.notice["id"]]).get(d.notice["id"], []) if d is not None else []
    if d is None:
        raise click.ClickException(f"no notice with id {notice_id}")
    if as_json:
        click.echo(json.dumps({**d.to_json(), "screening": screening}, ensure_ascii=False, indent=2,
                              default=lambda v: v.isoformat() if hasattr(v, "isoformat") else str(v)))
        return
    n = d.notice
    line = click.echo
    click.secho(f"[{n['id']}] {n['title']}", bold=True)
    line(f"  source:       {n['source']}  {n['url']}")
    for label, value in (
        ("type", n["notice_type"] and vocabulary.label("notice_type", n["notice_type"])),
        ("published", local_stamp(n["published_at"])),  # the day alone when no time of day was given
        ("deadline", local_stamp(n["bid_deadline"])),
        ("region", n["region"]),
        ("project code", n["project_code"]),
    ):
        if value:
            line(f"  {label + ':':<14}{value}")
    for role, org in (("buyer", d.buyer), ("agency", d.agency)):
        if org:
            line(f"  {role + ':':<14}{org.name} (org {org.id})")
    for v in d.vendors:
        line(f"  {'vendor:':<14}{v.name} (org {v.id})")
    for h in screening:  # candidates for a person to confirm, each with its list's name, date and source
        click.secho(f"  {'SCREENED:':<14}{h['role']} {h['organisation_name']} ~ {h['entry']['name']} "
                    f"(score {h['score']:.0f}, {h['reason']}) — {h['list']['name']}, {h['list']['date']:%Y-%m-%d}, "
                    f"{h['list']['source']}", fg="red")
    for a in d.amounts:
        value = f"{a['value_cny']:,.2f} CNY" if a["value_cny"] is not None else ""
        pct = f" {a['percent']}%" if a["percent"] is not None else ""
        line(f"  {'amount:':<14}{vocabulary.label('amount_kind', a['kind'])}: {value}{pct}  ({a['raw']})")
    line("")
    if n["remote_compute"]:
        click.secho("  CASE: remote compute sought", fg="red", bold=True)
    if n["hardware_purchase"]:
        line("  hardware purchase")
    for r in d.reviews[:1]:  # the newest decision is the notice's review state
        mark = "✓ confirmed" if r["decision"] == "confirmed" else "✗ rejected"
        line(f"  review:       {mark} by {r['reviewer']} {r['decided_at']:%Y-%m-%d}" + (f" — {r['note']}" if r["note"] else ""))
    if n["compute_candidate"]:
        click.secho(f"  POSSIBLE CASE (score {n['candidate_score'] or 0:.2f}): short of a case, to check", bold=True)
        from storage.search.vocab import candidate_reason_text

        for reason in n["candidate_reasons"] or []:
            line(f"  {'because:':<14}{candidate_reason_text(reason)} ({reason})")
    for label, facet in (("kinds", "kind"), ("providers", "provider"), ("chips", "chip")):
        if d.facet(facet):
            line(f"  {label + ':':<14}{', '.join(vocabulary.label(facet, v) for v in d.facet(facet))}")
    if d.facet("flag"):
        inherited = set(d.inherited_flags)
        line(
            f"  {'flags:':<14}"
            + ", ".join(vocabulary.label("flag", f) + (" (from the procurement)" if f in inherited else "")
                        for f in d.facet("flag"))
        )
    for e in d.extraction.get("evidence", []):
        where = f" [{e['document']}]" if e.get("document") else ""
        if e.get("source") == "ocr":  # read from a scan: worth checking against the image
            where += f" [OCR, page {e.get('page')}, confidence {e.get('confidence') or 0:.2f}: check the scan]"
        line(f"    {e['field']}{where}: {e['text']}")
    line("")
    line(f"  attachments: {len(d.attachments)}")
    for a in d.attachments:
        size = f"{a['size']:,} bytes" if a["size"] else "not fetched"
        line(f"    {a['name'] or a['url']} — {_file_summary(a)}, {size}")
        line(f"      {a['url']}")
        for m in a["members"] or []:
            line(f"      · {m['name']} — {_file_summary(m)}")
    if d.links:
        line("  also published at:")
        for link in d.links:
            line(f"    {link['source']}: {link['url']}")
    line(
        f"  versions: {len(d.versions)} (first seen {_stamp(n['first_seen'])}, last seen {_stamp(n['last_seen'])}, "
        f"last changed {_stamp(n['last_changed'])})"
    )
    for v in d.versions:
        line(f"    {_stamp(v['fetched_at'])}  {v['content_hash'][:12]}  {v['title']}")
    if len(d.procurement) > 1:
        line("  procurement:")
        for p in d.procurement:
            marker = "→" if p["id"] == n["id"] else " "
            line(f"   {marker} [{p['id']}] {_stamp(p['published_at']) or '?'} {p['notice_type'] or '?'}: {p['title']}")
    if text:
        line("")
        line(n["text"])
        for a in d.attachments:
            if a["text"]:
                line(f"\n--- {a['name']} ---\n{a['text']}")


def _stamp(value) -> str:
    """A stored time to the minute, as `show --json` gives it."""
    return value.isoformat(timespec="minutes") if value else ""


def _file_summary(a: dict) -> str:
    """format, pages, OCR and status of an attachment or archive member: "pdf, 3 pages, read by OCR
    (rapidocr, mean confidence 0.93) — check the scan, ok" or "rar, encrypted (…)"."""
    bits = [a["format"]] if a.get("format") else []
    if a.get("pages"):
        bits.append(f"{a['pages']} page{'s' if a['pages'] != 1 else ''}")
    ocr = a.get("ocr")
    if ocr:
        how = ", ".join(x for x in (ocr.get("engine"), f"mean confidence {ocr['confidence']:.2f}"
                                    if isinstance(ocr.get("confidence"), (int, float)) else None) if x)
        bits.append(f"read by OCR ({how}) — check the scan" if how else "read by OCR — check the scan")
    bits.append(a["status"] + (f" ({a['error']})" if a.get("error") and a["status"] != "ok" else ""))
    return ", ".join(bits)
