"""Loading of the package's data files (label vocabularies, unit words, numerals), cached."""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"


@lru_cache(maxsize=None)
def load(name: str) -> dict[str, Any]:
    with open(DATA / f"{name}.toml", "rb") as fh:
        return tomllib.load(fh)
