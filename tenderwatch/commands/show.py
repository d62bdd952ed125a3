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
    from storage.store import NoticeNotFound, Store

    with Store.open(database_url, create=False) as store:
        try:
            d = store.notice_detail(notice_id)
        except NoticeNotFound:
            raise click.ClickException(f"no notice with id {notice_id}") from None
    if as_json:
        click.echo(json.dumps(d, ensure_ascii=False, indent=2))
        return
    line = click.echo
    click.secho(f"[{d['id']}] {d['title']}", bold=True)
    line(f"  source:       {d['source']}  {d['url']}")
    for label, key in (
        ("type", "notice_type"),
        ("published", "published_at"),
        ("deadline", "bid_deadline"),
        ("region", "region"),
        ("project code", "project_code"),
    ):
        if d.get(key):
            value = d[key].removesuffix("T00:00") if key.endswith(("_at", "deadline")) else d[key]
            line(f"  {label + ':':<14}{value}")
    for role in ("buyer", "agency"):
        if d[role]:
            line(f"  {role + ':':<14}{d[role]['name']} (org {d[role]['id']})")
    for v in d["vendors"]:
        line(f"  {'vendor:':<14}{v['name']} (org {v['id']})")
    for a in d["amounts"]:
        value = f"{a['value_cny']:,.2f} CNY" if a["value_cny"] is not None else ""
        pct = f" {a['percent']}%" if a["percent"] is not None else ""
        line(f"  {'amount:':<14}{a['kind']}: {value}{pct}  ({a['raw']})")
    line("")
    if d["remote_compute"]:
        click.secho("  CASE: remote compute sought", fg="red", bold=True)
    if d["hardware_purchase"]:
        line("  hardware purchase")
    for r in d.get("reviews", [])[:1]:  # the newest decision is the notice's review state
        mark = "✓ confirmed" if r["decision"] == "confirmed" else "✗ rejected"
        line(f"  review:       {mark} by {r['reviewer']} {r['decided_at'][:10]}" + (f" — {r['note']}" if r["note"] else ""))
    if d.get("compute_candidate"):
        click.secho(f"  POSSIBLE CASE (score {d['candidate_score'] or 0:.2f}): short of a case, to check", bold=True)
        from storage.search.vocab import candidate_reason_text

        for reason in d["candidate_reasons"]:
            line(f"  {'because:':<14}{candidate_reason_text(reason)} ({reason})")
    for label, key in (("kinds", "compute_kinds"), ("providers", "cloud_providers"), ("chips", "gpu_models")):
        if d[key]:
            line(f"  {label + ':':<14}{', '.join(d[key])}")
    if d["flags"]:
        inherited = set(d["inherited_flags"])
        line(
            f"  {'flags:':<14}"
            + ", ".join(f + (" (from the procurement)" if f in inherited else "") for f in d["flags"])
        )
    for e in d["evidence"]:
        where = f" [{e['document']}]" if e.get("document") else ""
        if e.get("source") == "ocr":  # read from a scan: worth checking against the image
            where += f" [OCR, page {e.get('page')}, confidence {e.get('confidence') or 0:.2f}: check the scan]"
        line(f"    {e['field']}{where}: {e['text']}")
    line("")
    line(f"  attachments: {len(d['attachments'])}")
    for a in d["attachments"]:
        size = f"{a['size']:,} bytes" if a["size"] else "not fetched"
        line(f"    {a['name'] or a['url']} — {_file_summary(a)}, {size}")
        line(f"      {a['url']}")
        for m in a.get("members") or []:
            line(f"      · {m['name']} — {_file_summary(m)}")
    if d["links"]:
        line("  also published at:")
        for link in d["links"]:
            line(f"    {link['source']}: {link['url']}")
    line(
        f"  versions: {len(d['versions'])} (first seen {d['first_seen']}, last seen {d['last_seen']}, "
        f"last changed {d['last_changed']})"
    )
    for v in d["versions"]:
        line(f"    {v['fetched_at']}  {v['content_hash'][:12]}  {v['title']}")
    if len(d["procurement"]) > 1:
        line("  procurement:")
        for p in d["procurement"]:
            marker = "→" if p["id"] == d["id"] else " "
            line(f"   {marker} [{p['id']}] {p['published_at'] or '?'} {p['notice_type'] or '?'}: {p['title']}")
    if text:
        line("")
        line(d["text"])
        for a in d["attachments"]:
            if a["text"]:
                line(f"\n--- {a['name']} ---\n{a['text']}")


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
