"""The compute lexicon: providers, accelerators, export rules and procurement terms, read from the TOML files in
`extract/compute/data/`. Everything the matcher and the classifier know comes from here, so extending the
lexicon is a data edit (see the header comment of each data file)."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Optional

from extract.chinese import t2s_table

DATA_DIR = Path(__file__).resolve().parent / "data"

# Full-width ASCII (U+FF01–FF5E) → ASCII and the ideographic space → space. One character for one character, so
# offsets into the folded text are offsets into the original (NFKC would not keep lengths: ㎡ → m2).
_FOLD = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_FOLD[0x3000] = 0x20
_FOLD[0x00A0] = 0x20
_FULLWIDTH = re.compile("[\uff01-\uff5e\u3000\u00a0]")
# Traditional → Simplified, character by character (OpenCC's table, shared with extract.fields). Matching happens on
# Simplified text, so every term, regex and heading written in Simplified also finds 雲端服務, 亞馬遜, 算力租賃.
_T2S = {chr(t): chr(s) for t, s in t2s_table().items()}
_TRADITIONAL = re.compile("[" + "".join(re.escape(c) for c in sorted(_T2S)) + "]")


def _fold_char(m: re.Match) -> str:
    return chr(_FOLD[ord(m.group())])


def _simplify_char(m: re.Match) -> str:
    return _T2S[m.group()]


def fold(text: str) -> str:
    """Full-width folding, length-preserving."""
    return _FULLWIDTH.sub(_fold_char, text)


def fold_simplify(text: str) -> str:
    """Full-width folding and Traditional → Simplified characters; same length as `text`, case kept."""
    return _TRADITIONAL.sub(_simplify_char, fold(text))


def norm_key(text: str) -> str:
    """The form everything is matched in: folded, Simplified and lower-cased, with the same length as `text`, so
    offsets into the key are offsets into the text. (re.sub + str.lower run 3x faster than a str.translate table on
    CJK text; the rare character whose lower case is longer falls back to ASCII-only lowering.)"""
    folded = fold_simplify(text)
    low = folded.lower()
    if len(low) != len(folded):
        low = folded.translate(_ASCII_LOWER)
    return low


_ASCII_LOWER = {cp: cp + 32 for cp in range(ord("A"), ord("Z") + 1)}


@dataclass(frozen=True)
class Provider:
    id: str
    label: str
    us_headquartered: bool
    china_operator: str
    source: str
    names: tuple[str, ...]
    products: tuple[tuple[str, str], ...]  # (name, kind)
    companies: tuple[str, ...]


@dataclass(frozen=True)
class Instance:
    provider: str
    chip: str
    pattern: str
    source: str
    example: str = ""


@dataclass(frozen=True)
class ControlRow:
    rule: str
    effective: str  # YYYY-MM-DD, from the rule
    status: str
    source: str
    verified: bool


@dataclass(frozen=True)
class Chip:
    id: str
    label: str
    vendor: str
    names: tuple[str, ...]
    tpp: int
    tpp_note: str
    specs: tuple[dict, ...]
    specs_source: str
    export_control: tuple[ControlRow, ...]  # sorted by effective date

    def status_on(self, day: Optional[str]) -> Optional[ControlRow]:
        """The export-control row in force on `day` (YYYY-MM-DD); the latest row when the day is unknown."""
        rows = [r for r in self.export_control if day is None or r.effective <= day[:10]]
        return rows[-1] if rows else None


@dataclass(frozen=True)
class TermGroup:
    name: str
    kinds: tuple[str, ...]
    terms: tuple[str, ...]


@dataclass
class Lexicon:
    providers: dict[str, Provider]
    instances: list[Instance]
    chips: dict[str, Chip]
    rules: dict[str, dict]
    status_controlled: dict[str, bool]
    groups: list[TermGroup]
    patterns: dict = field(default_factory=dict)
    patterns_structure: dict = field(default_factory=dict)
    # possible cases (data/candidates.toml): reason code → {score, text}; "extra" and "max_score" for combining them
    candidate_reasons: dict[str, dict] = field(default_factory=dict)
    candidate_scoring: dict = field(default_factory=dict)

    # ------------------------------------------------------------------ derived views
    def phrase_entries(self) -> list[tuple[str, str, str]]:
        """(label, key, text) for every phrase the matcher looks for. label ∈ PROVIDER, PRODUCT, CHIP or a term
        group name; key = provider id, "provider:kind", chip id, or the comma-joined kinds of a service term."""
        out: list[tuple[str, str, str]] = []
        for p in self.providers.values():
            out += [("PROVIDER", p.id, n) for n in p.names]
            out += [("PRODUCT", f"{p.id}:{kind}", n) for n, kind in p.products]
        for c in self.chips.values():
            out += [("CHIP", c.id, n) for n in c.names]
        for g in self.groups:
            out += [(g.name, ",".join(g.kinds), t) for t in g.terms]
        return out

    def user_words(self) -> list[str]:
        """Words the tokenizer must keep whole (lower-cased; multi-word names split on spaces, because jieba
        splits on whitespace before it looks words up)."""
        words: set[str] = set()
        for _, _, text in self.phrase_entries():
            for part in norm_key(text).split():
                if len(part) > 1:
                    words.add(part)
        return sorted(words)

    def controlled(self, chip_id: str, day: Optional[str]) -> tuple[bool, Optional[ControlRow]]:
        chip = self.chips.get(chip_id)
        row = chip.status_on(day) if chip else None
        return (bool(row and self.status_controlled.get(row.status, False)), row)


def _load(name: str) -> dict:
    with open(DATA_DIR / name, "rb") as fh:
        return tomllib.load(fh)


@lru_cache(maxsize=1)
def load_lexicon() -> Lexicon:
    prov = _load("providers.toml")
    providers = {
        p["id"]: Provider(
            id=p["id"], label=p["label"], us_headquartered=bool(p["us_headquartered"]),
            china_operator=p.get("china_operator", ""), source=p.get("source", ""), names=tuple(p["names"]),
            products=tuple((x["name"], x["kind"]) for x in p.get("products", [])),
            companies=tuple(p.get("companies", [])),
        )
        for p in prov["provider"]
    }
    instances = [Instance(i["provider"], i["chip"], i["pattern"], i.get("source", ""), i.get("example", ""))
                 for i in prov.get("instance", [])]

    rules_data = _load("export_rules.toml")
    rules = {r["id"]: r for r in rules_data["rule"]}
    acc = _load("accelerators.toml")
    chips = {}
    for c in acc["chip"]:
        rows = sorted(
            (ControlRow(r["rule"], rules[r["rule"]]["effective"], r["status"], r.get("source", ""),
                        bool(r.get("verified", False))) for r in c.get("export_control", [])),
            key=lambda r: r.effective,
        )
        chips[c["id"]] = Chip(
            id=c["id"], label=c["label"], vendor=c["vendor"], names=tuple(c["names"]), tpp=int(c.get("tpp", 0)),
            tpp_note=c.get("tpp_note", ""), specs=tuple(c.get("specs", [])), specs_source=c.get("specs_source", ""),
            export_control=tuple(rows),
        )

    cand = _load("candidates.toml")
    terms = _load("terms.toml")
    groups = [TermGroup(g["name"], tuple(g.get("kinds", [])), tuple(g["terms"])) for g in terms["group"]]
    return Lexicon(
        providers=providers, instances=instances, chips=chips, rules=rules,
        status_controlled=dict(rules_data["status"]), groups=groups, patterns=terms.get("patterns", {}),
        patterns_structure=terms.get("structure", {}),
        candidate_reasons={r["code"]: {"score": float(r["score"]), "text": r["text"]} for r in cand["reason"]},
        candidate_scoring={"extra": float(cand["extra"]), "max_score": float(cand["max_score"])},
    )


def candidate_reason_text(code: str) -> str:
    """What a journalist reads for a possible case's reason code (data/candidates.toml); the code itself if unknown
    (a reason stored by an older extractor version)."""
    reason = load_lexicon().candidate_reasons.get(code)
    return reason["text"] if reason else code


def trie_regex(words: Iterable[str]) -> str:
    """A regex matching any of `words`, as a trie of nested groups. Python's `re` tries the branches of a flat
    alternation one by one at every position (0.2 M chars/s with 700 words); the trie form fails after one
    character almost everywhere (35x faster measured on the 598 real notices)."""
    trie: dict = {}
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict) -> str:
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return build(trie)


@lru_cache(maxsize=None)
def compiled(pattern: str) -> re.Pattern:
    return re.compile(pattern)
