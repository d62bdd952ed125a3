"""Where data lives: TENDERWATCH_DATA_DIR (default ./data) and TENDERWATCH_DATABASE_URL
(default SQLite at <data dir>/tenderwatch.db); where the site is published: TENDERWATCH_PUBLIC_URL."""

import os
from pathlib import Path


def data_dir() -> Path:
    return Path(os.environ.get("TENDERWATCH_DATA_DIR", "data")).resolve()


def database_url() -> str:
    url = os.environ.get("TENDERWATCH_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{data_dir() / 'tenderwatch.db'}"


def blob_dir() -> Path:
    return data_dir() / "raw"


DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"  # where `tenderwatch serve` listens by default
PUBLIC_URL_ENV = "TENDERWATCH_PUBLIC_URL"


def public_url() -> str:
    """The public address of the tenderwatch site (`tenderwatch serve`), which the digest links notices to and
    the OCDS export names its extension and publisher at: TENDERWATCH_PUBLIC_URL, else the local default."""
    return (os.environ.get(PUBLIC_URL_ENV) or DEFAULT_PUBLIC_URL).rstrip("/")
