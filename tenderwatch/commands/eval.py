"""`tenderwatch eval [--json]`: the current extractor against every reviewed notice."""

from __future__ import annotations

import json

import click

from tenderwatch.options import database_url_option


@click.command("eval")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (figures and disagreements).")
@click.option("--show", default=50, show_default=True, type=click.IntRange(0, None),
              help="Disagreements listed in the text output.")
@database_url_option
def eval_(as_json, show, database_url):
    """Score the current extractor (run afresh on the stored raw bytes; nothing is written) against the
    review decisions: precision, recall and F1 of remote_compute and hardware_purchase, micro figures of
    cloud_providers, gpu_models and compute_kinds — the keys of score_compute.py — and the notices where
    extractor and reviewers now disagree."""
    from storage import db
    from storage.store import Store
    from tenderwatch.evaluate import BOOL_KEYS, SET_KEYS, evaluate

    try:
        store = Store.open(database_url, read_only=True)
    except db.DatabaseError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        result = evaluate(store)
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, default=str))
        return
    click.echo(f"reviewed notices: {result['reviewed']} (extractor {result['extractor_version']})")
    if not result["reviewed"]:
        click.echo("nothing to score yet: record decisions with `tenderwatch review ID --confirm|--reject`")
    else:
        for k in (*BOOL_KEYS, *SET_KEYS):
            v = result[k]
            click.echo(f"{k:18} precision {v['precision']:.3f} recall {v['recall']:.3f} f1 {v['f1']:.3f}"
                       f"  (tp {v['tp']} fp {v['fp']} fn {v['fn']})")
    dis = result["disagreements"]
    if dis:
        click.echo(f"\n{len(dis)} disagreements (reviewed ≠ extractor):")
        for d in dis[:show]:
            click.echo(f"  notice {d['id']:>6}  {d['key']:<17} reviewed {_fmt(d['reviewed']):<24} "
                       f"extractor {_fmt(d['extractor']):<24} ({d['decision']} by {d['reviewer']})  {d['title'][:40]}")
        if len(dis) > show:
            click.echo(f"  … {len(dis) - show} more (--show N, or --json)")
    for d in result["not_scored"]:
        click.echo(f"  notice {d['id']} not scored: {d['reason']}", err=True)


def _fmt(v) -> str:
    return ",".join(v) or "—" if isinstance(v, list) else str(v).lower()
