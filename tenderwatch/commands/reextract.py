"""`tenderwatch reextract`: rebuild every derived field from the stored raw bytes (no network)."""

import click

from tenderwatch.options import database_url_option
from tenderwatch.shards import shard_option


@click.command()
@click.option(
    "--all", "everything", is_flag=True, help="Every notice, not only those extracted by another extractor version."
)
@database_url_option
@shard_option
def reextract(everything, database_url, shard):
    """Re-read the raw blobs of stored notices and re-run extraction: text, fields, parties, amounts,
    compute findings, procurement links, search index. By default only notices whose extractor_version
    differs from the current one. With --shard K/N, only the notices whose id is K-1 mod N: N machines
    sharing the database and the raw blobs each run one K."""
    from extract.version import EXTRACTOR_VERSION
    from storage.blobs import BlobNotFound
    from storage.store import Store
    from storage.processing import reprocess_notice

    with Store.open(database_url, create=False) as store:
        ids = store.notice_ids(stale_only=not everything, current_version=EXTRACTOR_VERSION,
                               id_mod=shard.id_mod if shard is not None else None)
        part = f" of shard {shard}" if shard else ""
        if not ids:
            click.echo(f"nothing to do: every notice{part} is extracted by {EXTRACTOR_VERSION}")
            return
        failed: list[tuple[int, str]] = []
        with click.progressbar(ids, label=f"re-extracting {len(ids)} notices{part}", show_pos=True) as bar:
            for notice_id in bar:
                try:
                    reprocess_notice(store, notice_id)
                except BlobNotFound as exc:
                    failed.append((notice_id, str(exc)))
    click.echo(f"re-extracted {len(ids) - len(failed)} notices{part} with extractor {EXTRACTOR_VERSION}")
    for notice_id, why in failed:
        click.echo(f"  notice {notice_id} kept as it was: {why}", err=True)
    if failed:
        raise SystemExit(1)
