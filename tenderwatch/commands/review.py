"""`tenderwatch review ID --confirm|--reject [--kind K] [--provider P] [--chip C] --note TEXT --by NAME` records a
decision on a case or possible case; `tenderwatch review --list [--pending]` lists cases and candidates with
their review state, newest first."""

from __future__ import annotations

import json

import click

from tenderwatch.options import database_url_option


def _split(values: tuple[str, ...]) -> list[str] | None:
    """Repeated options and comma lists both work; not given = no correction."""
    from storage.review import split_values

    return split_values(values) or None


@click.command()
@click.argument("notice_id", type=int, required=False)
@click.option("--confirm", "decision", flag_value="confirmed", help="The notice is a remote-compute case.")
@click.option("--reject", "decision", flag_value="rejected", help="The notice is not a case.")
@click.option("--kind", "kinds", multiple=True, help="Corrected compute kinds (cloud, gpu_rental, model_api, hpc); "
              "repeatable or comma-separated. Replaces what the extractor found.")
@click.option("--provider", "providers", multiple=True, help="Corrected cloud providers (VOCAB ids).")
@click.option("--chip", "chips", multiple=True, help="Corrected accelerators (VOCAB ids).")
@click.option("--note", help="Why: what the notice says that decides it (required with a decision).")
@click.option("--by", "by", help="Who decided.")
@click.option("--list", "listing", is_flag=True, help="List cases and possible cases with their review state.")
@click.option("--pending", is_flag=True, help="With --list: only those nobody has reviewed.")
@click.option("--limit", default=200, show_default=True, type=click.IntRange(1, 100_000), help="With --list.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@database_url_option
def review(notice_id, decision, kinds, providers, chips, note, by, listing, pending, limit, as_json, database_url):
    """Record a review decision on a notice, or list what there is to review. Decisions are kept with who,
    when, the note, and the findings and extractor version the reviewer saw; they survive `reextract`
    and become the benchmark of `tenderwatch eval`."""
    from storage import db
    from storage.review import ReviewError, ReviewWriter

    if listing:
        if notice_id is not None or decision:
            raise click.UsageError("--list takes no notice id and no decision")
        return _list(database_url, pending, limit, as_json)
    if pending:
        raise click.UsageError("--pending goes with --list")
    if notice_id is None:
        raise click.UsageError("give a notice id and --confirm or --reject (or --list)")
    if not decision:
        raise click.UsageError("say --confirm or --reject")
    if not by:
        raise click.UsageError("say who decided: --by NAME")
    if not (note or "").strip():
        raise click.UsageError("say why: --note TEXT (what in the notice decides it)")
    try:
        with ReviewWriter.open(database_url) as writer:
            row = writer.record(notice_id, decision, by, note=note, kinds=_split(kinds),
                                providers=_split(providers), chips=_split(chips), via="cli")
    except (ReviewError, db.DatabaseError) as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps({**row, "decided_at": row["decided_at"].isoformat()}, ensure_ascii=False))
        return
    mark = "✓ confirmed" if decision == "confirmed" else "✗ rejected"
    click.echo(f"notice {notice_id}: {mark} by {row['reviewer']} (review {row['id']}, extractor "
               f"{row['extractor_version'] or 'unknown'})")


def _list(url: str | None, pending: bool, limit: int, as_json: bool) -> None:
    from storage.review import queue
    from tenderwatch.commands.digest import open_read_only

    engine = open_read_only(url)
    try:
        with engine.connect() as conn:
            rows = queue(conn, pending_only=pending, limit=limit)
    finally:
        engine.dispose()
    if as_json:
        for r in rows:
            rv = r["review"]
            click.echo(json.dumps({
                "id": r["id"], "title": r["title"],
                "published_at": r["published_at"].isoformat() if r["published_at"] else None,
                "remote_compute": bool(r["remote_compute"]), "compute_candidate": bool(r["compute_candidate"]),
                "review": rv and {"decision": rv["decision"], "reviewer": rv["reviewer"],
                                  "decided_at": rv["decided_at"].isoformat(), "note": rv["note"]},
            }, ensure_ascii=False))
        return
    if not rows:
        click.echo("nothing to review" if pending else "no cases, candidates or reviews")
        return
    for r in rows:
        what = "case" if r["remote_compute"] else "candidate" if r["compute_candidate"] else "—"
        rv = r["review"]
        state = "pending" if rv is None else f"{rv['decision']} by {rv['reviewer']} {rv['decided_at']:%Y-%m-%d}"
        day = f"{r['published_at']:%Y-%m-%d}" if r["published_at"] else "          "
        click.echo(f"{r['id']:>7}  {day}  {what:<9}  {state:<32}  {r['title']}")
