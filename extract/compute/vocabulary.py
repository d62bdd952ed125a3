"""The vocabulary of the findings, read once from the data files in `extract/compute/data/` (one file per
fact) for the extractor, the site, the digest, the exports and the CLI:

- compute kinds, their order, labels, OCDS descriptions and colours — kinds.toml
- flags with their labels and help — flags.toml
- notice types with their labels — notice_types.toml
- amount kinds with their labels, and which are totals — amount_kinds.toml
- provider labels and US headquarters — providers.toml; chip labels — accelerators.toml (the lexicon's files)

Ids stay in URLs, filters and exports (they are stable); readers see the labels. An id the data files do not
know (a chip stored by an older lexicon) is shown prettified rather than hidden.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType
from typing import Mapping

from extract.compute.lexicon import DATA_DIR, load_lexicon

# Vocabulary facets (the names search filters and tags use) → where their labels come from.
FACETS = ("kind", "flag", "provider", "chip", "notice_type", "amount_kind")


@dataclass(frozen=True)
class Term:
    id: str
    label: str
    description: str = ""  # kinds: the OCDS item description; flags: the help sentence
    colour: str = ""  # kinds only
    noun: str = ""  # notice types only: the notice named in running text
    total: bool = False  # amount kinds only: an amount for the whole notice (see amount_kinds.toml)


def _read(name: str, table: str) -> tuple[dict, ...]:
    with open(DATA_DIR / name, "rb") as fh:
        return tuple(tomllib.load(fh)[table])


@lru_cache(maxsize=None)
def terms(facet: str) -> Mapping[str, Term]:
    """id → Term of a facet, in the data file's order (for kinds: THE order of kinds)."""
    if facet == "kind":
        rows = [Term(k["id"], k["label"], k["description"], colour=k["colour"]) for k in _read("kinds.toml", "kind")]
    elif facet == "flag":
        rows = [Term(f["id"], f["label"], f["help"]) for f in _read("flags.toml", "flag")]
    elif facet == "notice_type":
        rows = [Term(t["id"], t["label"], noun=t["noun"]) for t in _read("notice_types.toml", "notice_type")]
    elif facet == "amount_kind":
        rows = [Term(a["id"], a["label"], total=bool(a["total"])) for a in _read("amount_kinds.toml", "amount_kind")]
    elif facet == "provider":
        rows = [Term(p.id, p.label) for p in sorted(load_lexicon().providers.values(), key=lambda p: p.id)]
    elif facet == "chip":
        rows = [Term(c.id, c.label) for c in sorted(load_lexicon().chips.values(), key=lambda c: c.id)]
    else:
        raise KeyError(f"no vocabulary facet {facet!r}; known: {', '.join(FACETS)}")
    return MappingProxyType({t.id: t for t in rows})


def ids(facet: str) -> tuple[str, ...]:
    return tuple(terms(facet))


def labels(facet: str) -> dict[str, str]:
    """id → label of a facet, in the data file's order."""
    return {t.id: t.label for t in terms(facet).values()}


def pretty(value: str) -> str:
    """How an id unknown to the data files is shown: "new_chip-x" → "new chip x"."""
    return value.replace("_", " ").replace("-", " ")


def label(facet: str, value: str) -> str:
    """The label of one id; prettified when the data files do not know it."""
    term = terms(facet).get(value)
    return term.label if term else pretty(value)


# Kinds and flags in THE order; every list of them is printed in it.
KINDS: tuple[str, ...] = ids("kind")
FLAGS: tuple[str, ...] = ids("flag")


def in_order(facet: str, values) -> list[str]:
    """Values without repeats, in the data file's order (unknown ones last, by id)."""
    order = {k: i for i, k in enumerate(terms(facet))}
    return sorted(set(values), key=lambda k: (order.get(k, len(order)), k))


def sort_kinds(kinds) -> list[str]:
    return in_order("kind", kinds)


# Amount kinds that are a sum for the whole notice, "the amount" of a notice first: a search's amount filter
# compares these, and a list shows the first one a notice states.
TOTAL_AMOUNT_KINDS: tuple[str, ...] = tuple(a.id for a in terms("amount_kind").values() if a.total)


@lru_cache(maxsize=1)
def us_providers() -> frozenset[str]:
    """Providers headquartered in the US (providers.toml decides it)."""
    return frozenset(p.id for p in load_lexicon().providers.values() if p.us_headquartered)
