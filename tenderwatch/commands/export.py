"""`tenderwatch export --format ocds|ocds-records|csv|jsonl [--cases-only] [--since D] [--until D] --out FILE`:
the stored notices as OCDS 1.1 release or record packages (with the remote-compute extension,
docs/ocds-extension.md), CSV (UTF-8 with BOM, for spreadsheets) or JSONL (one object per notice, every amount
and evidence item)."""

from __future__ import annotations

import io
import os
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import click

from tenderwatch.options import database_url_option, web_url

def _when(ctx, param, value: str | None) -> datetime | None:
    """A date (YYYY-MM-DD) or a UTC time (YYYY-MM-DDTHH:MM[:SS]). --until with a date alone means up to the end
    of that day; with a time of day, up to that moment (exclusive)."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not YYYY-MM-DD or YYYY-MM-DDTHH:MM") from None
    if moment.tzinfo is not None:  # stored times are naive UTC
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    if param.name == "until" and "T" not in value:
        moment += timedelta(days=1)
    return moment


@click.command()
@click.option("--format", "fmt", type=click.Choice(["ocds", "ocds-records", "csv", "jsonl", "gold"]), required=True,
              help="ocds: a release package (a release per notice); ocds-records: a record package (per procurement "
                   "its releases and compiled release); gold: the reviewed notices in the compute-cases gold format, "
                   "their texts in docs/ beside --out.")
@click.option("--out", required=True, help="Output file, or - for standard output.")
@click.option("--cases-only", is_flag=True, help="Only notices that sought remote compute.")
@click.option("--since", callback=_when, help="First seen on or after this day or time (UTC).")
@click.option("--until", callback=_when, help="First seen on or before this day (UTC), or before this time.")
@database_url_option
@click.option("--ocid-prefix", help="Registered OCDS prefix (default: TENDERWATCH_OCID_PREFIX or ocds-twatch, "
              "an unregistered placeholder).")
@click.option("--package-uri", help="OCDS: the package's uri (default: the output file's file: URI).")
@click.option("--public-url", envvar="TENDERWATCH_PUBLIC_URL", callback=web_url,
              help="OCDS: public URL of the tenderwatch site, which serves the extension at /ocds/extension/ "
                   "(default: TENDERWATCH_PUBLIC_URL; without one the extension is written to ocds-extension/ "
                   "beside --out and declared relative to the package's uri).")
@click.option("--extension-url", "extension_urls", multiple=True, callback=web_url,
              help="OCDS: URL of the remote-compute extension's extension.json (repeatable; default: the one "
                   "the site at --public-url serves).")
@click.option("--publisher", envvar="TENDERWATCH_OCDS_PUBLISHER", default="tenderwatch", show_default=True,
              help="OCDS: publisher name [TENDERWATCH_OCDS_PUBLISHER].")
@click.option("--publisher-scheme", envvar="TENDERWATCH_OCDS_PUBLISHER_SCHEME",
              help="OCDS: org-id.guide scheme of the publisher's identifier, e.g. GB-COH [TENDERWATCH_OCDS_PUBLISHER_SCHEME].")
@click.option("--publisher-uid", envvar="TENDERWATCH_OCDS_PUBLISHER_UID",
              help="OCDS: the publisher's identifier in that scheme [TENDERWATCH_OCDS_PUBLISHER_UID].")
@click.option("--publisher-uri", envvar="TENDERWATCH_OCDS_PUBLISHER_URI", callback=web_url,
              help="OCDS: a URI identifying the publisher (default: the public URL, if any) "
                   "[TENDERWATCH_OCDS_PUBLISHER_URI].")
@click.option("--license", "license_url", envvar="TENDERWATCH_OCDS_LICENSE", callback=web_url,
              help="OCDS: canonical URI of the data's licence [TENDERWATCH_OCDS_LICENSE].")
@click.option("--publication-policy", envvar="TENDERWATCH_OCDS_PUBLICATION_POLICY", callback=web_url,
              help="OCDS: URL of the publication policy [TENDERWATCH_OCDS_PUBLICATION_POLICY].")
def export(fmt, out, cases_only, since, until, database_url, ocid_prefix, package_uri, public_url, extension_urls,
           publisher, publisher_scheme, publisher_uid, publisher_uri, license_url, publication_policy):
    """Export notices first seen in [--since, --until] as OCDS, CSV or JSONL."""
    from storage.exports.ocds import (
        EXTENSION_COPY, EXTENSION_PLACEHOLDER, ExportError, PackageMeta, write_extension_copy, write_record_package,
        write_release_package,
    )
    from storage.exports.records import iter_notice_records, notice_filter
    from storage.exports.tabular import CSV_ENCODING, write_jsonl, write_notices_csv
    from tenderwatch.commands.digest import open_read_only

    if fmt == "gold":
        return _export_gold(out, database_url)
    where = notice_filter(cases_only=cases_only, since=since, until=until)
    to_stdout = out == "-"
    target = None if to_stdout else Path(out)
    encoding = CSV_ENCODING if fmt == "csv" else "utf-8"
    engine = open_read_only(database_url)
    # Write to a temporary file and rename, so a failed export never leaves a truncated file behind.
    tmp = None if to_stdout else target.with_name(f".{target.name}.tmp")
    try:
        if to_stdout:
            stream = io.TextIOWrapper(sys.stdout.buffer, encoding=encoding, newline="", write_through=False)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            stream = open(tmp, "w", encoding=encoding, newline="")
        with engine.connect() as conn:
            try:
                if fmt in ("ocds", "ocds-records"):
                    site = public_url.rstrip("/") if public_url else None
                    uri = package_uri or (target.resolve().as_uri() if target else "urn:tenderwatch:export")
                    meta = PackageMeta(
                        uri=uri, publisher=publisher, publisher_scheme=publisher_scheme, publisher_uid=publisher_uid,
                        publisher_uri=publisher_uri or site, license=license_url,
                        publication_policy=publication_policy,
                        extensions=list(extension_urls) or [_extension(site, uri, target)],
                    )
                    write = write_release_package if fmt == "ocds" else write_record_package
                    n = write(conn, where, stream, meta, prefix=ocid_prefix)
                elif fmt == "csv":
                    n = write_notices_csv(iter_notice_records(conn, where, with_text=True), stream)
                else:
                    n = write_jsonl(iter_notice_records(conn, where, with_text=True), stream)
            except ExportError as exc:
                raise click.ClickException(str(exc)) from None
            finally:
                stream.flush()
                if to_stdout:
                    stream.detach()
                else:
                    stream.close()
        if tmp is not None:
            os.replace(tmp, target)
            tmp = None
        if fmt in ("ocds", "ocds-records") and target is not None and not public_url and not extension_urls \
                and meta.extensions[0] != EXTENSION_PLACEHOLDER:  # declared beside the package: put it there
            write_extension_copy(target.parent / EXTENSION_COPY, meta.extensions[0])
    finally:
        if tmp is not None and tmp.exists():
            tmp.unlink()
        engine.dispose()
    what = {"ocds": "releases", "ocds-records": "records"}.get(fmt, "notices")
    click.echo(f"{n} {what} → {out}", err=to_stdout)


def _extension(site: str | None, package_uri: str, target: Path | None) -> str:
    """The extension.json URL the package declares: where the site serves it; without a site, ocds-extension/
    relative to the package's uri (the export writes the copy there); on standard output with no --package-uri,
    the documented placeholder."""
    from storage.exports.ocds import EXTENSION_COPY, EXTENSION_PLACEHOLDER, extension_beside, extension_url

    if site:
        return extension_url(site)
    url = extension_beside(package_uri)
    if url is not None:
        if target is None:  # written beside --out once the package is; on standard output nothing is written
            click.echo(f"note: the package declares the extension at {url}; publish the folder "
                       f"{EXTENSION_COPY}/ there (an export with --out writes it)", err=True)
        return url
    click.echo(f"note: the package declares the extension at the placeholder {EXTENSION_PLACEHOLDER}; give "
               "--public-url (the site serving it) or --extension-url", err=True)
    return EXTENSION_PLACEHOLDER


def _export_gold(out: str, url: str | None) -> None:
    """The reviewed notices as a gold set (storage/exports/gold.py); every review is exported, so the
    notice filters do not apply."""
    from storage.exports.gold import DOCS, write_gold
    from tenderwatch.commands.digest import open_read_only

    if out == "-":
        raise click.UsageError("--format gold writes the notice texts beside the gold file: give --out FILE")
    target = Path(out)
    engine = open_read_only(url)
    try:
        with engine.connect() as conn:
            n = write_gold(conn, target)
    finally:
        engine.dispose()
    click.echo(f"{n} reviewed notices → {out} (texts in {target.parent / DOCS})")
