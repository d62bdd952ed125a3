"""`tenderwatch search`: the search of the web site, in a terminal. Syntax: docs/search.md."""

import json

import click

from extract.compute import vocabulary
from storage.search.vocab import candidate_reason_text, known_values
from tenderwatch.options import database_url_option


def _date(ctx, param, value):
    """--since: the first day of the year, month or day given; --until: its last day."""
    from storage.search.dates import period

    if value is None:
        return None
    try:
        first, last = period(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    return last if param.name == "until" else first


@click.command()
@click.argument("query", required=False, default="")
@click.option("--since", callback=_date, metavar="DATE",
              help="Published on or after this day, or from the start of this month or year (YYYY-MM-DD, YYYY-MM, YYYY).")
@click.option("--until", callback=_date, metavar="DATE",
              help="Published on or before this day, or up to the end of this month or year.")
@click.option("--buyer", multiple=True, help="Buyer id or part of its name (repeat: any of them).")
@click.option("--vendor", multiple=True, help="Vendor id or part of its name (repeat: any of them).")
@click.option(
    "--type",
    "notice_type",
    multiple=True,
    help="Notice type: " + " ".join(known_values("notice_type")) + ".",
)
@click.option("--region", help="Part of the region name.")
@click.option("--provider", multiple=True, help="Cloud provider id (VOCAB), e.g. aws, azure, alibaba-cloud.")
@click.option("--chip", multiple=True, help="Accelerator id (VOCAB), e.g. nvidia-a100.")
@click.option("--kind", multiple=True, help="Compute kind: " + " ".join(known_values("kind")) + ".")
@click.option("--flag", multiple=True, help="Flag: " + " ".join(known_values("flag")) + ".")
@click.option("--min-amount", type=float, help="Smallest budget/award amount, CNY.")
@click.option("--max-amount", type=float, help="Largest budget/award amount, CNY.")
@click.option("--cases", "cases_only", is_flag=True, help="Only cases (notices where remote compute was sought).")
@click.option("--candidates", "candidates_only", is_flag=True,
              help="Only possible cases: compute evidence that fell short of a case, with the reasons.")
@click.option("--review", "review", multiple=True,
              type=click.Choice(["confirmed", "rejected", "reviewed", "pending"]),
              help="Review state (repeat: any of them). Without it, --cases leaves out cases a reviewer rejected.")
@click.option("--screened", is_flag=True, help="Only notices whose buyer, agency or a vendor has a screening-list "
              "candidate hit (`tenderwatch screening matches`).")
@click.option("--sort", type=click.Choice(["relevance", "date"]), default="relevance", show_default=True)
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@click.option("--page", type=click.IntRange(1), default=1, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of results.")
@database_url_option
def search(
    query,
    since,
    until,
    buyer,
    vendor,
    notice_type,
    region,
    provider,
    chip,
    kind,
    flag,
    min_amount,
    max_amount,
    cases_only,
    candidates_only,
    review,
    screened,
    sort,
    limit,
    page,
    as_json,
    database_url,
):
    """Search notices: terms are exact and ANDed; "quoted phrases"; a OR b; -term excludes."""
    from storage.search import QuerySyntaxError, SearchQuery, UnknownFilterValue
    from storage.store import Store

    try:
        q = SearchQuery(
            text=query,
            since=since,
            until=until,
            buyer=buyer,
            vendor=vendor,
            notice_type=notice_type,
            region=region,
            provider=provider,
            chip=chip,
            kind=kind,
            flag=flag,
            amount_min=min_amount,
            amount_max=max_amount,
            cases_only=cases_only,
            candidates_only=candidates_only,
            review=review,
            screened=screened,
            sort=sort,
            page=page,
            per_page=limit,
            facets=not as_json,
        )
        with Store.open(database_url, create=False) as store:
            result = store.search(q)
    except UnknownFilterValue as exc:  # names the known values (extract/compute/data/*.toml)
        raise click.UsageError(str(exc)) from None
    except QuerySyntaxError as exc:
        raise click.UsageError(f"bad query: {exc}") from None
    if as_json:
        keys = (
            "id",
            "title",
            "url",
            "published_at",
            "notice_type",
            "buyer",
            "snippet",
            "vendors",
            "region",
            "remote_compute",
            "hardware_purchase",
            "compute_kinds",
            "cloud_providers",
            "gpu_models",
            "flags",
            "compute_candidate",
            "candidate_score",
            "candidate_reasons",
            "review",
            "screened",
        )
        rows = [{k: h.to_json()[k] for k in keys} for h in result.hits]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    click.echo(f"{result.total} notices" + (f" (page {page} of {result.pages})" if result.pages > 1 else ""))
    for h in result.hits:
        compute = ", ".join(vocabulary.label(facet, v) for facet, values in (
            ("kind", h.compute_kinds), ("provider", h.cloud_providers), ("chip", h.gpu_models), ("flag", h.flags))
            for v in values)
        click.echo("")
        click.secho(f"[{h.id}] {h.title}", bold=True)
        click.echo(
            f"    {(h.published_at or '?')[:10]} · {h.notice_type or '?'} · {h.buyer or '?'}"
            + (f" · CASE: {compute}" if h.remote_compute else (f" · {compute}" if compute else ""))
            + (f" · POSSIBLE CASE (score {h.candidate_score or 0:.2f})" if h.compute_candidate else "")
            + {"confirmed": " · ✓ confirmed by review", "rejected": " · rejected by review"}.get(h.review or "", "")
            + (" · SCREENED: a party may be on a screening list" if h.screened else "")
        )
        for reason in h.candidate_reasons if h.compute_candidate else ():
            click.echo(f"    short of a case: {candidate_reason_text(reason)} ({reason})")
        if h.snippet:
            text = "".join(click.style(p.text, fg="yellow", bold=True) if p.hit else p.text for p in h.snippet.parts)
            click.echo(f"    {('[' + h.snippet.document + '] ') if h.snippet.document else ''}{text}")
        click.echo(f"    {h.url}")
    facets = {k: v for k, v in result.facets.items() if v}
    if facets:
        click.echo("")
        for name, counts in facets.items():
            click.echo(f"{name}: " + ", ".join(
                f"{vocabulary.label(name, c.value) if name in vocabulary.FACETS else c.label} ({c.count})"
                for c in counts[:8]))
