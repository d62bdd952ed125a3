"""The values search filters accept (provider, chip, kind, flag, notice type), for every way of searching.

A filter value nobody can have (`--provider aliyun`) is a usage error naming the known values, not a
silent "0 notices". The values and their labels are the findings' vocabulary (extract/compute/vocabulary.py,
read from extract/compute/data/*.toml), so a provider, chip, kind or flag added there is at once a filter value.
"""

from __future__ import annotations

from extract.compute import vocabulary

# SearchQuery attribute → the facet whose values it takes.
FILTER_FACETS = {"provider": "provider", "chip": "chip", "kind": "kind", "flag": "flag", "notice_type": "notice_type"}


def known_values(facet: str) -> tuple[str, ...]:
    """Every value a filter on `facet` can match: providers and chips sorted, the others in the data's order."""
    return vocabulary.ids(facet)


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
