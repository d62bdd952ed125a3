"""Options that several commands share, each defined once."""

import click

database_url_option = click.option(
    "--database-url", "database_url", metavar="URL", default=None,
    help="Database: sqlite:///PATH or postgresql+psycopg://USER@HOST/DB "
         "(default: TENDERWATCH_DATABASE_URL, else <data dir>/tenderwatch.db).",
)


def web_url(ctx, param, value):
    """Click callback: an absolute http(s) URL (the public site, an extension, a licence), or a one-line error —
    a relative or scheme-less value would be written into every link and OCDS package as it is."""
    from urllib.parse import urlsplit

    def check(v):
        if v is None:
            return None
        parts = urlsplit(v.strip())
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
            raise click.BadParameter(f"{v!r} is not an absolute http(s) URL, e.g. https://tenderwatch.example.org")
        return v.strip()

    return tuple(check(v) for v in value) if isinstance(value, tuple) else check(value)
