"""The values search filters accept (provider, chip, kind, flag, notice type), for every way of searching.

A filter value nobody can have (`--provider aliyun`) is a usage error naming the known values, not a
silent "0 notices". Providers and chips are the extractor's lexicon ids (its data files); kinds, flags
and notice types are listed in vocab.toml beside this file, with their labels.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

VOCAB_FILE = Path(__file__).resolve().parent / "vocab.toml"
# SearchQuery attribute → the facet whose values it takes.
FILTER_FACETS = {"provider": "provider", "chip": "chip", "kind": "kind", "flag": "flag", "notice_type": "notice_type"}


@lru_cache(maxsize=1)
def _table() -> dict[str, dict[str, str]]:
    with open(VOCAB_FILE, "rb") as fh:
        return tomllib.load(fh)


def labels(facet: str) -> dict[str, str]:
    """id → label for kind, flag, flag_help or notice_type, in the file's order."""
    return dict(_table()[facet])


@lru_cache(maxsize=None)
def known_values(facet: str) -> tuple[str, ...]:
    """Every value a filter on `facet` can match, sorted (providers and chips) or in the file's order."""
    if facet in ("provider", "chip"):
        from extract.compute.lexicon import load_lexicon

        lexicon = load_lexicon()
        return tuple(sorted(lexicon.providers if facet == "provider" else lexicon.chips))
    return tuple(_table()[facet])


def unknown_message(facet: str, values: tuple[str, ...]) -> str | None:
    """None when every value is known; else the usage error, naming the known values."""
    known = known_values(facet)
    bad = [v for v in values if v not in known]
    if not bad:
        return None
    name = "notice type" if facet == "notice_type" else facet
    return f"unknown {name} {', '.join(repr(v) for v in bad)}; known values: {', '.join(known)}"


def candidate_reason_text(code: str) -> str:
    """What a reader sees for a possible case's reason code: the extractor's text for it
    (extract/compute/data/candidates.toml), or the code itself when the data file no longer has it."""
    from extract.compute.lexicon import candidate_reason_text as text

    return text(code)
