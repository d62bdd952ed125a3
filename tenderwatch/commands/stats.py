"""`tenderwatch stats`: what the database holds."""

import json

import click


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def stats(as_json):
    """Notices by source and type, attachments by status, organisations, cases, crawl runs and errors."""
    from storage.store import Store

    with Store.open() as store:
        data = store.stats()
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    click.echo(
        f"notices: {data['notices']} ({data['versions']} versions, "
        f"{data['republications_linked']} republications linked)"
    )
    _section("by source", data["notices_by_source"])
    _section("by type", data["notices_by_type"])
    click.echo(f"attachments: {data['attachments']}")
    _section("by status", data["attachments_by_status"])
    click.echo(f"organisations: {data['organisations']}")
    _section("roles", data["organisation_roles"])
    click.echo(f"cases (remote compute sought): {data['cases']}")
    click.echo(f"hardware purchases: {data['hardware_purchases']}")
    click.echo(f"procurements linked: {data['procurements_linked']}")
    click.echo(f"crawl runs: {data['crawl_runs']}")
    _section("by status", data["crawl_runs_by_status"])
    click.echo(f"crawl errors: {data['crawl_errors']}")
    _section("by reason", data["crawl_errors_by_reason"])


def _section(title, counts):
    if counts:
        click.echo(f"  {title}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
