"""`tenderwatch show ID`: one notice with everything known about it."""

import json

import click


@click.command()
@click.argument("notice_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--text/--no-text", default=False, help="Also print the body and attachment texts.")
def show(notice_id, as_json, text):
    """Fields, amounts, parties, compute findings with evidence, attachments, links, versions, and the
    procurement's other notices."""
    from storage.store import NoticeNotFound, Store

    with Store.open() as store:
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
        line(f"    {e['field']}{where}: {e['text']}")
    line("")
    line(f"  attachments: {len(d['attachments'])}")
    for a in d["attachments"]:
        size = f"{a['size']:,} bytes" if a["size"] else "not fetched"
        line(
            f"    {a['name'] or a['url']} — {a['status']}, {size}"
            + (f" ({a['error']})" if a["error"] and a["status"] != "ok" else "")
        )
        line(f"      {a['url']}")
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
