"""Where data lives: TENDERWATCH_DATA_DIR (default ./data) and TENDERWATCH_DATABASE_URL
(default SQLite at <data dir>/tenderwatch.db)."""

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
