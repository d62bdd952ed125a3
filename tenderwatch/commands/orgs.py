"""`tenderwatch orgs`: the organisations directory, one organisation, and name resolution by hand.

    tenderwatch orgs [--role buyer|vendor|agency] [--q NAME] [--sort cases|money|notices|name] [--json]
    tenderwatch orgs show ID [--json]
    tenderwatch orgs merge ID INTO_ID --by NAME [--note TEXT]   # show ID (and its aliases) as INTO_ID
    tenderwatch orgs unmerge ID --by NAME [--note TEXT]         # show ID on its own again, and keep it so
    tenderwatch orgs auto ID                                    # forget a hand decision: the rules decide again
    tenderwatch orgs resolve                                    # decide every organisation by the rules again
"""

from __future__ import annotations

import json

import click

from tenderwatch.options import database_url_option


def _connection(database_url, *, write: bool = False):
    from storage.store import connection

    return connection(database_url, write=write)


def _fail(exc: Exception):
    raise click.ClickException(str(exc)) from None


def _money(value) -> str:
    return f"{value:,.0f}" if value else "-"


@click.group(invoke_without_command=True)
@click.option("--role", type=click.Choice(["buyer", "vendor", "agency"]), help="Only organisations in this role "
              "(counts are then of the notices where it has the role).")
@click.option("--q", "q", default="", help="Part of a name (any alias matches).")
@click.option("--sort", type=click.Choice(["cases", "money", "notices", "name"]), default="cases", show_default=True)
@click.option("--cases", "cases_only", is_flag=True, help="Only organisations with at least one case.")
@click.option("--page", type=click.IntRange(1), default=1, show_default=True)
@click.option("--size", type=click.IntRange(1, 200), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@database_url_option
@click.pass_context
def orgs(ctx, role, q, sort, cases_only, page, size, as_json, database_url):
    """Organisations (buyers, vendors, agencies), variant names resolved into one: notices, cases, money
    (yuan; each procurement counted once, its award else its budget)."""
    if ctx.invoked_subcommand is not None:
        return
    from storage.org_directory import DirectoryQuery, directory
    from storage.orgs import OrgError, resolution_status

    try:
        with _connection(database_url) as conn:
            data = directory(conn, DirectoryQuery(q=q, role=role, sort=sort, page=page, size=size,
                                                  cases_only=cases_only))
            status = resolution_status(conn)
    except OrgError as exc:
        _fail(exc)
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
        return
    first = (page - 1) * size + 1
    click.echo(f"{data['total']:,} organisations" + (f", {first}–{first + len(data['items']) - 1} shown" if data["items"] else ""))
    click.echo(f"{'id':>7}  {'cases':>5}  {'notices':>7}  {'value (yuan)':>16}  roles / name")
    for o in data["items"]:
        aliases = f"  (+{o['aliases']} alias{'es' if o['aliases'] > 1 else ''})" if o["aliases"] else ""
        click.echo(f"{o['id']:>7}  {o['cases']:>5}  {o['notices']:>7}  {_money(o['value_cny']):>16}  "
                   f"{','.join(o['roles'])}  {o['name']}{aliases}")
    if status["unresolved"]:
        click.echo(f"note: {status['unresolved']:,} organisations have not been resolved yet: run `tenderwatch orgs resolve`",
                   err=True)


@orgs.command()
@click.argument("org_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@database_url_option
def show(org_id, as_json, database_url):
    """One organisation: totals by year, aliases with the rule that merged each, newest notices."""
    from storage.orgs import organisation

    with _connection(database_url) as conn:
        data = organisation(conn, org_id)
    if data is None:
        raise click.ClickException(f"no organisation with id {org_id}")
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
        return
    line = click.echo
    click.secho(f"[{data['id']}] {data['name']}", bold=True)
    if data["alias_of"]:
        line(f"  ({org_id} is an alias of {data['id']})")
    line("  roles:        " + ", ".join(f"{r} on {n}" for r, n in data["roles"].items()))
    line(f"  notices:      {data['notices_total']} ({data['cases_total']} cases, {data['procurements']} procurements)")
    line(f"  budget:       {_money(data['budget_cny'])} yuan   award: {_money(data['award_cny'])} yuan   "
         f"value: {_money(data['value_cny'])} yuan")
    for year, v in data["by_year"].items():
        line(f"    {year}: {v['notices']} notices, {v['cases']} cases, budget {_money(v['budget_cny'])}, "
             f"award {_money(v['award_cny'])}")
    for a in data["aliases"]:
        line(f"  alias [{a['id']}] {a['name']}  ({a['notices']} notices; {', '.join(a['rules'])}"
             f"{'; by ' + a['decided_by'] if a['by_hand'] else ''})")
        line(f"      {a['detail']}")
    for a in data["kept_apart"]:
        line(f"  kept apart [{a['id']}] {a['name']}: {a['detail']}")
    for n in data["notices"][:20]:
        when = n["published_at"].date().isoformat() if n["published_at"] else "undated"
        line(f"  {when}  {'CASE ' if n['case'] else '     '}[{n['id']}] {','.join(n['roles'])}: {n['title']}")


def _by(by):
    if not (by or "").strip():
        raise click.UsageError("say who decided: --by NAME")
    return by.strip()


@orgs.command()
@click.argument("org_id", type=int)
@click.argument("into_id", type=int)
@click.option("--by", "by", help="Who decided.")
@click.option("--note", default="", help="Why (shown with the alias).")
@database_url_option
def merge(org_id, into_id, by, note, database_url):
    """Show organisation ORG_ID, with its aliases, as organisation INTO_ID (kept so by later resolutions)."""
    from storage.org_directory import fold
    from storage.orgs import OrgError, merge as do_merge

    try:
        with _connection(database_url, write=True) as conn:
            done = do_merge(conn, org_id, into_id, by=_by(by), note=note)
            fold(conn)  # the directory's numbers of both organisations, recounted with the decision
    except OrgError as exc:
        _fail(exc)
    click.echo(f"merged {', '.join(map(str, done['merged']))} into {done['into']}")


@orgs.command()
@click.argument("org_id", type=int)
@click.option("--by", "by", help="Who decided.")
@click.option("--note", default="", help="Why (shown on the organisation page).")
@database_url_option
def unmerge(org_id, by, note, database_url):
    """Show organisation ORG_ID on its own again (an alias), or set each of its aliases apart (a canonical
    organisation); kept so by later resolutions until `orgs auto`."""
    from storage.org_directory import fold
    from storage.orgs import OrgError, unmerge as do_unmerge

    try:
        with _connection(database_url, write=True) as conn:
            done = do_unmerge(conn, org_id, by=_by(by), note=note)
            fold(conn)
    except OrgError as exc:
        _fail(exc)
    click.echo(f"kept apart: {', '.join(map(str, done['apart']))}")


@orgs.command()
@click.argument("org_id", type=int)
@database_url_option
def auto(org_id, database_url):
    """Forget the hand decision on ORG_ID: the resolution rules decide it again."""
    from storage.org_directory import fold
    from storage.orgs import OrgError, canonical_id, forget_decision

    try:
        with _connection(database_url, write=True) as conn:
            forget_decision(conn, org_id)
            fold(conn)
            shown = canonical_id(conn, org_id)
    except OrgError as exc:
        _fail(exc)
    click.echo(f"organisation {org_id} is shown as {shown}" + (" (itself)" if shown == org_id else ""))


@orgs.command()
@database_url_option
def resolve(database_url):
    """Decide every organisation by the resolution rules again (after a bulk load, or new rules)."""
    from storage.org_directory import fold
    from storage.orgs import resolve_all

    with _connection(database_url, write=True) as conn:
        counts = resolve_all(conn)
        fold(conn)
    click.echo(f"{counts['organisations']:,} organisations, {counts['aliases']:,} aliases, "
               f"{counts['changed']:,} decisions changed")
